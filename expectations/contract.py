"""What each raw export must look like, read from the dbt project itself.

Nothing here is retyped from the contract when the project already says it:
- column names, their order and types come from `seeds/_seeds.yml`
  (the single source of types, see its header comment);
- keys, required columns and enum values come from the data tests of the
  staging models in `models/staging/_staging__models.yml` (`unique`,
  `unique_combination_of_columns`, `not_null`, `accepted_values`), each model
  mapped to its export through the `pgb_export('raw_x')` call in its SQL.

Only the rules the dbt project cannot express as column tests are written
here, next to the contract clause or issue they come from (PAIR_RULES,
REQUIRED_WHEN_RULES, SIAPE_COLUMNS, CROSS_EXPORT_RULES, SEED_REFERENCE_RULES,
FIRST_OF_MONTH_COLUMNS, NON_NEGATIVE_COLUMNS, MAX_DURATION_RULES,
DELIVERY_BOUND_EXPORTS). Two values come from the project's reference seeds,
always read from seeds/ (a fixture replaces them there, never in
PGB_EXPORTS_DIR): the Sisref codes and the plausibility bound of an interval.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
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


@dataclass(frozen=True)
class SeedReferenceRule:
    """Every non-blank `column`, trimmed as staging trims it, must exist in a project seed."""

    column: str
    seed: str
    seed_column: str
    why: str


@dataclass(frozen=True)
class MaxDurationRule:
    """`end - start` must not exceed the hours of `parameter` in force on the start day."""

    start: str
    end: str
    parameter: str
    default_hours: int
    why: str


PAIR_RULES: dict[str, tuple[PairRule, ...]] = {
    "raw_sisref_intervals": (PairRule("end_at", "start_at", False, "end_at > start_at"),),
    # Issue 11: a conclusion before the creation moves a task out of its month unseen.
    "raw_tasks": (PairRule("concluded_at", "created_at", True, "concluded_at >= created_at"),),
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
    # Issue 11: a concluded task without its conclusion cannot be judged; the
    # evaluation would drop it without trace (any queue type).
    "raw_tasks": (
        RequiredWhen("concluded_at", "status", "concluida", "concluida tasks have concluded_at"),
        RequiredWhen("concluded_by", "status", "concluida", "concluida tasks have concluded_by"),
    ),
}

# Cheap cross-export checks: the GET events and assignments point at known tasks.
CROSS_EXPORT_RULES: dict[str, tuple[ReferenceRule, ...]] = {
    "raw_tasks": (ReferenceRule("parent_task_id", "raw_tasks", "task_id"),),
    "raw_task_assignments": (ReferenceRule("task_id", "raw_tasks", "task_id"),),
    "raw_task_events": (ReferenceRule("task_id", "raw_tasks", "task_id"),),
}

# Contract v2, section 4: an occurrence code missing from Annex III would have
# to be guessed as blocking or not, and that decides pay.
SEED_REFERENCE_RULES: dict[str, tuple[SeedReferenceRule, ...]] = {
    "raw_sisref_occurrences": (
        SeedReferenceRule(
            "occurrence_code", "ref_sisref_codes", "occurrence_code", "exists in ref_sisref_codes (Annex III)"
        ),
    ),
}

# Issue 11: negative points or targets would fire R410 for a whole month.
NON_NEGATIVE_COLUMNS: dict[str, tuple[str, ...]] = {
    "raw_pgd_plans": ("net_target_points", "achieved_points"),
    "raw_pgd_goal_complements": ("points",),
}

# Issue 11: a 49-day Sisref interval rejected 3 tasks. The bound is the
# project's plausibility limit (ref_parameters), not a rule of the law.
MAX_DURATION_RULES: dict[str, tuple[MaxDurationRule, ...]] = {
    "raw_sisref_intervals": (
        MaxDurationRule("start_at", "end_at", "sisref_max_interval_hours", 24, "end_at - start_at <= {hours} h"),
    ),
}

# Issue 11: a timestamp after the export was delivered (a concluded_at in 2030)
# silently moves a task out of its month. Every timestamp column of these
# task-related exports is checked against the delivery moment.
DELIVERY_BOUND_EXPORTS: tuple[str, ...] = (
    "raw_tasks",
    "raw_task_events",
    "raw_task_assignments",
    "raw_sub_dispatches",
    "raw_sisref_intervals",
    "raw_supervision_tasks",
)


@dataclass(frozen=True)
class ExportContract:
    """Everything the suite of one raw export checks."""

    name: str
    column_types: dict[str, str]  # column -> dbt seed type, in file order
    keys: tuple[tuple[str, ...], ...] = ()  # each a unique (compound) key
    required: tuple[str, ...] = ()  # not-null columns
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Columns the staging model trims (`nullif(trim(x), '')`): their keys compare as staging holds them.
    trimmed: tuple[str, ...] = ()

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
    def seed_reference_rules(self) -> tuple[SeedReferenceRule, ...]:
        return SEED_REFERENCE_RULES.get(self.name, ())

    @property
    def non_negative_columns(self) -> tuple[str, ...]:
        return NON_NEGATIVE_COLUMNS.get(self.name, ())

    @property
    def max_duration_rules(self) -> tuple[MaxDurationRule, ...]:
        return MAX_DURATION_RULES.get(self.name, ())

    @property
    def delivery_bound_columns(self) -> list[str]:
        """The timestamp columns that cannot be later than the delivery of the export."""
        if self.name not in DELIVERY_BOUND_EXPORTS:
            return []
        return [column for column, kind in self.column_types.items() if kind.lower() == "timestamp"]

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


# How a staging model trims a column: nullif(trim(cast(x as varchar)), '') as x.
_TRIMMED_COLUMN = re.compile(r"nullif\(\s*trim\(\s*cast\(\s*(\w+)\s+as\s+varchar\s*\)\s*\)\s*,\s*''\s*\)\s+as\s+(\w+)")


def _columns_trimmed_by(model_sql: Path) -> list[str]:
    """The export columns the staging model trims and keeps under their own name."""
    text = model_sql.read_text(encoding="utf-8")
    return [source for source, name in _TRIMMED_COLUMN.findall(text) if source == name]


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
            tests = found.setdefault(export, {"keys": [], "required": [], "enums": {}, "trimmed": []})
            tests["trimmed"] += _columns_trimmed_by(sql_path)
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
        tests = staging.get(name, {"keys": [], "required": [], "enums": {}, "trimmed": []})
        key_columns = {column for key in tests["keys"] for column in key}
        contracts[name] = ExportContract(
            name=name,
            column_types=column_types[name],
            keys=tuple(dict.fromkeys(tests["keys"])),
            # Key columns are never null, even when only `unique` is declared.
            required=tuple(dict.fromkeys([*tests["required"], *sorted(key_columns)])),
            enums=tests["enums"],
            trimmed=tuple(dict.fromkeys(tests["trimmed"])),
        )
    return contracts


# --- the project's reference seeds the suites read ------------------------------


def read_seed_rows(project_dir: Path, seed: str) -> list[dict[str, str]]:
    """A project seed as rows of text (always seeds/, whatever PGB_EXPORTS_DIR says)."""
    with (Path(project_dir) / "seeds" / f"{seed}.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def seed_values(project_dir: Path, seed: str, column: str) -> frozenset[str]:
    """The non-blank values of a seed column, trimmed as staging trims them."""
    values = (row.get(column) for row in read_seed_rows(project_dir, seed))
    return frozenset(value.strip(" ") for value in values if value and value.strip(" "))


@dataclass(frozen=True)
class ParameterVersion:
    """One row of ref_parameters: `value` in force from `effective_from` to `effective_to` (inclusive)."""

    value: str
    effective_from: date
    effective_to: date | None


def parameter_versions(project_dir: Path, name: str) -> list[ParameterVersion]:
    """The versions of one parameter in ref_parameters, oldest first."""
    versions = []
    for row in read_seed_rows(project_dir, "ref_parameters"):
        if row.get("name", "").strip() != name:
            continue
        effective_to = (row.get("effective_to") or "").strip()
        versions.append(
            ParameterVersion(
                value=row["value"].strip(),
                effective_from=date.fromisoformat(row["effective_from"].strip()),
                effective_to=date.fromisoformat(effective_to) if effective_to else None,
            )
        )
    return sorted(versions, key=lambda version: version.effective_from)
