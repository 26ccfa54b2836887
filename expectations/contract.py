"""What each raw export must look like, read from the dbt project itself.

Nothing here is retyped from the contract when the project already says it:
- column names, their order and types come from `seeds/_seeds.yml`
  (the single source of types, see its header comment);
- keys, required columns and enum values come from the data tests of the
  staging models in `models/staging/_staging__models.yml` (`unique`,
  `unique_combination_of_columns`, `not_null`, `accepted_values`), each model
  mapped to its export through the `pgb_export('raw_x')` call in its SQL.

Only the rules the dbt project cannot express as column tests are written
here, next to the contract clause they come from (ROW_RULES, SIAPE_COLUMNS,
CROSS_EXPORT_RULES, FIRST_OF_MONTH_COLUMNS).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from pgb_shared.exports import RAW_EXPORTS

PROJECT_DIR = Path(__file__).resolve().parents[1]

# Contract section 1: "siape values are 7-digit strings". created_by and
# concluded_by of raw_tasks hold SIAPEs too (null = the system).
SIAPE_COLUMNS: frozenset[str] = frozenset({"siape", "supervisor_siape", "created_by", "concluded_by"})

# Contract section 1: reference_month is "first day of month".
FIRST_OF_MONTH_COLUMNS: dict[str, tuple[str, ...]] = {
    "raw_pgd_plans": ("reference_month",),
    "raw_pgd_goal_complements": ("reference_month",),
}


@dataclass(frozen=True)
class PairRule:
    """`later` must be after (or, with or_equal, on) `earlier` when both are set."""

    later: str
    earlier: str
    or_equal: bool
    why: str


@dataclass(frozen=True)
class RequiredWhen:
    """`column` must be set on rows where `condition_column == condition_value`."""

    column: str
    condition_column: str
    condition_value: str
    why: str


@dataclass(frozen=True)
class ReferenceRule:
    """Every non-null `column` must exist in `target_export.target_column`."""

    column: str
    target_export: str
    target_column: str


PAIR_RULES: dict[str, tuple[PairRule, ...]] = {
    "raw_sisref_intervals": (PairRule("end_at", "start_at", False, "end_at > start_at"),),
    "raw_hr_periods": (PairRule("end_date", "start_date", True, "end_date >= start_date"),),
    "raw_adhesions": (PairRule("enabled_until", "enabled_from", True, "enabled_until >= enabled_from"),),
    "raw_aps": (
        PairRule("closes_at", "opens_at", False, "closes_at > opens_at"),
        PairRule("active_until", "active_from", True, "active_until >= active_from"),
    ),
    "raw_supervision_designations": (
        PairRule("competence_until", "competence_from", True, "competence_until >= competence_from"),
    ),
}

REQUIRED_WHEN_RULES: dict[str, tuple[RequiredWhen, ...]] = {
    "raw_hr_periods": (RequiredWhen("ceded_to", "kind", "cessao", "cessao rows have ceded_to"),),
    "raw_adhesions": (
        RequiredWhen("enabled_from", "homologation", "homologado", "homologated adhesions have enabled_from"),
    ),
}

# Cheap cross-export checks: the GET events and assignments point at known tasks.
CROSS_EXPORT_RULES: dict[str, tuple[ReferenceRule, ...]] = {
    "raw_tasks": (ReferenceRule("parent_task_id", "raw_tasks", "task_id"),),
    "raw_task_assignments": (ReferenceRule("task_id", "raw_tasks", "task_id"),),
    "raw_task_events": (ReferenceRule("task_id", "raw_tasks", "task_id"),),
}


@dataclass(frozen=True)
class ExportContract:
    """Everything the suite of one raw export checks."""

    name: str
    column_types: dict[str, str]  # column -> dbt seed type, in file order
    keys: tuple[tuple[str, ...], ...] = ()  # each a unique (compound) key
    required: tuple[str, ...] = ()  # not-null columns
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return list(self.column_types)

    @property
    def pair_rules(self) -> tuple[PairRule, ...]:
        return PAIR_RULES.get(self.name, ())

    @property
    def required_when_rules(self) -> tuple[RequiredWhen, ...]:
        return REQUIRED_WHEN_RULES.get(self.name, ())

    @property
    def reference_rules(self) -> tuple[ReferenceRule, ...]:
        return CROSS_EXPORT_RULES.get(self.name, ())

    @property
    def siape_columns(self) -> list[str]:
        return [column for column in self.column_types if column in SIAPE_COLUMNS]

    @property
    def first_of_month_columns(self) -> tuple[str, ...]:
        return FIRST_OF_MONTH_COLUMNS.get(self.name, ())


def _seed_column_types(project_dir: Path) -> dict[str, dict[str, str]]:
    seeds_yml = yaml.safe_load((project_dir / "seeds" / "_seeds.yml").read_text(encoding="utf-8"))
    return {
        seed["name"]: dict(seed["config"]["column_types"])
        for seed in seeds_yml["seeds"]
        if seed["name"] in RAW_EXPORTS
    }


def _export_read_by(model_sql: Path) -> str | None:
    match = re.search(r"pgb_export\(\s*['\"](\w+)['\"]\s*\)", model_sql.read_text(encoding="utf-8"))
    return match.group(1) if match else None


def _test_name_and_arguments(test) -> tuple[str, dict]:
    """A data test entry is a bare name or {name: {arguments: {...}}}."""
    if isinstance(test, str):
        return test, {}
    name, body = next(iter(test.items()))
    body = body or {}
    return name, body.get("arguments", body)


def _staging_tests(project_dir: Path) -> dict[str, dict]:
    """Per export: keys, required columns and enums declared on its staging model."""
    staging_dir = project_dir / "models" / "staging"
    found: dict[str, dict] = {}
    for yml_path in sorted(staging_dir.glob("*.yml")):
        document = yaml.safe_load(yml_path.read_text(encoding="utf-8")) or {}
        for model in document.get("models", []):
            sql_path = staging_dir / f"{model['name']}.sql"
            export = _export_read_by(sql_path) if sql_path.exists() else None
            if export not in RAW_EXPORTS:
                continue
            tests = found.setdefault(export, {"keys": [], "required": [], "enums": {}})
            for test in model.get("data_tests", []):
                name, arguments = _test_name_and_arguments(test)
                if name == "unique_combination_of_columns":
                    tests["keys"].append(tuple(arguments["combination"]))
            for column in model.get("columns", []):
                for test in column.get("data_tests", []):
                    name, arguments = _test_name_and_arguments(test)
                    if name == "unique":
                        tests["keys"].append((column["name"],))
                    elif name == "not_null":
                        tests["required"].append(column["name"])
                    elif name == "accepted_values":
                        tests["enums"][column["name"]] = tuple(str(v) for v in arguments["values"])
    return found


@lru_cache(maxsize=8)
def load_contracts(project_dir: Path = PROJECT_DIR) -> dict[str, ExportContract]:
    """The contract of every raw export, keyed by export (seed) name."""
    column_types = _seed_column_types(project_dir)
    staging = _staging_tests(project_dir)
    missing = [name for name in RAW_EXPORTS if name not in column_types]
    if missing:
        raise ValueError(f"seeds/_seeds.yml has no column types for {missing}")
    contracts = {}
    for name in RAW_EXPORTS:
        tests = staging.get(name, {"keys": [], "required": [], "enums": {}})
        key_columns = {column for key in tests["keys"] for column in key}
        contracts[name] = ExportContract(
            name=name,
            column_types=column_types[name],
            keys=tuple(dict.fromkeys(tests["keys"])),
            # Key columns are never null, even when only `unique` is declared.
            required=tuple(dict.fromkeys([*tests["required"], *sorted(key_columns)])),
            enums=tests["enums"],
        )
    return contracts
