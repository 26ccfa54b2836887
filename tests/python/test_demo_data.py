"""The demo-data generator (scripts/generate_demo_data.py): deterministic, and
every file it writes follows the data contract (section 1) and seeds/_seeds.yml."""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "generate_demo_data.py"
PGB_SEEDS = (
    "raw_professionals", "raw_hr_periods", "raw_adhesions", "raw_sisref_intervals", "raw_sisref_occurrences",
    "raw_pgd_plans", "raw_pgd_goal_complements", "raw_tasks", "raw_task_assignments", "raw_task_events",
    "raw_sub_dispatches", "raw_sibe_status",
)

# Contract section 1: the closed value lists.
ENUMS = {
    ("raw_professionals", "role"): {"analista", "tecnico", "assistente_social", "outro"},
    ("raw_hr_periods", "kind"): {"licenca_sem_vencimento", "cessao", "afastamento", "inatividade"},
    ("raw_adhesions", "status"): {"pendente", "concluida", "cancelada"},
    ("raw_adhesions", "homologation"): {"homologado", "nao_homologado", ""},
    ("raw_sisref_intervals", "kind"): {"previsto", "realizado"},
    ("raw_pgd_plans", "pact_type"): {"atividade", "produto", "hibrido"},
    ("raw_tasks", "category"): {"reconhecimento_inicial", "avaliacao_social", "manutencao", "revisao", "recurso",
                                "outro"},
    ("raw_tasks", "benefit_group"): {"previdenciario", "assistencial", "incapacidade_temporaria", "outro"},
    ("raw_tasks", "queue_type"): {"ordinaria", "extraordinaria"},
    ("raw_tasks", "status"): {"pendente", "em_exigencia", "concluida", "cancelada"},
    ("raw_task_events", "event_type"): {"status_change", "comment", "attachment", "subtask_created"},
    ("raw_sub_dispatches", "decision"): {"deferimento", "indeferimento", "outro"},
    ("raw_supervision_designations", "designated_by"): {"serat_seat", "gerente_aps"},
    ("raw_supervision_tasks", "status"): {"pendente", "concluida", "cancelada"},
}
PRIMARY_KEYS = {
    "raw_professionals": ("siape",),
    "raw_hr_periods": ("period_id",),
    "raw_adhesions": ("adhesion_task_id",),
    "raw_sisref_intervals": ("siape", "kind", "start_at"),
    "raw_sisref_occurrences": ("siape", "occurrence_date"),
    "raw_pgd_plans": ("siape", "reference_month"),
    "raw_pgd_goal_complements": ("task_id",),
    "raw_tasks": ("task_id",),
    "raw_task_assignments": ("task_id", "siape", "assigned_at"),
    "raw_task_events": ("event_id",),
    "raw_sub_dispatches": ("dispatch_id",),
    "raw_sibe_status": ("nb",),
    "raw_aps": ("aps_code",),
    "raw_supervision_tasks": ("task_id",),
}
SIAPE_COLUMNS = {"siape", "created_by", "concluded_by", "supervisor_siape"}
# (start column, end column, strict): end after start, or on/after for dates.
ORDERED_PAIRS = (
    ("start_at", "end_at", True),
    ("start_date", "end_date", False),
    ("enabled_from", "enabled_until", False),
    ("competence_from", "competence_until", False),
    ("created_at", "concluded_at", False),
)
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def load_entry_point():
    spec = importlib.util.spec_from_file_location("generate_demo_data", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("demo_first")
    load_entry_point().main([str(output)])
    return output


@pytest.fixture(scope="module")
def tables(generated) -> dict[str, list[dict]]:
    result = {}
    for path in sorted(generated.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            result[path.stem] = list(csv.DictReader(handle))
    return result


def seed_columns() -> dict[str, list[str]]:
    spec = yaml.safe_load((REPO_ROOT / "seeds" / "_seeds.yml").read_text(encoding="utf-8"))
    return {seed["name"]: [column["name"] for column in seed["columns"]] for seed in spec["seeds"]}


def test_writes_every_pgb_seed(generated):
    assert {path.stem for path in generated.glob("*.csv")} >= set(PGB_SEEDS)


def test_same_bytes_on_a_second_run_in_another_process(generated, tmp_path):
    # A fresh interpreter with another hash seed: no dependence on set order or process state.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], check=True, capture_output=True, env=env,
                   cwd=tmp_path)
    first = sorted(path.name for path in generated.glob("*.csv"))
    assert first == sorted(path.name for path in tmp_path.glob("*.csv"))
    for name in first:
        assert (generated / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_headers_follow_seeds_yml_and_lines_end_with_lf(generated):
    columns = seed_columns()
    for path in generated.glob("*.csv"):
        raw = path.read_bytes()
        assert b"\r" not in raw, path.name
        header = raw.decode("utf-8").split("\n", 1)[0]
        assert header == ",".join(columns[path.stem]), path.name


def test_volumes_look_like_a_small_office(tables):
    assert 45 <= len(tables["raw_professionals"]) <= 55
    assert 1800 <= len(tables["raw_tasks"]) <= 2300
    assert len({row["unit_code"] for row in tables["raw_professionals"]}) in (2, 3)


@pytest.mark.parametrize("seed,key", sorted(PRIMARY_KEYS.items()))
def test_keys_are_unique(tables, seed, key):
    if seed not in tables:
        pytest.skip(f"{seed} not generated")
    values = [tuple(row[column] for column in key) for row in tables[seed]]
    assert len(values) == len(set(values))


def test_siapes_are_seven_digit_text_some_with_leading_zero(tables):
    for seed, rows in tables.items():
        for row in rows:
            for column in SIAPE_COLUMNS & row.keys():
                assert row[column] == "" or re.fullmatch(r"\d{7}", row[column]), (seed, column, row[column])
    assert any(row["siape"].startswith("0") for row in tables["raw_professionals"])


def test_nbs_are_ten_digits_or_blank(tables):
    for seed in ("raw_tasks", "raw_sub_dispatches", "raw_sibe_status"):
        for row in tables[seed]:
            assert row["nb"].strip() == "" or re.fullmatch(r"\d{10}", row["nb"]), (seed, row["nb"])


def test_timestamps_dates_and_booleans_are_formatted(tables):
    columns_types = {}
    spec = yaml.safe_load((REPO_ROOT / "seeds" / "_seeds.yml").read_text(encoding="utf-8"))
    for seed in spec["seeds"]:
        columns_types[seed["name"]] = seed["config"]["column_types"]
    patterns = {"timestamp": TIMESTAMP, "date": DATE, "boolean": re.compile(r"^(true|false)$")}
    for seed, rows in tables.items():
        for column, column_type in columns_types[seed].items():
            pattern = patterns.get(column_type)
            if pattern:
                for row in rows:
                    assert row[column] == "" or pattern.match(row[column]), (seed, column, row[column])


def test_ends_come_after_starts(tables):
    for seed, rows in tables.items():
        for start, end, strict in ORDERED_PAIRS:
            for row in rows:
                if row.get(start) and row.get(end):
                    assert row[end] > row[start] if strict else row[end] >= row[start], (seed, row)


def test_cessions_name_the_organ_and_others_do_not(tables):
    for row in tables["raw_hr_periods"]:
        assert bool(row["ceded_to"]) == (row["kind"] == "cessao"), row


def test_homologated_adhesions_have_a_window(tables):
    for row in tables["raw_adhesions"]:
        if row["homologation"] == "homologado":
            assert row["status"] == "concluida" and row["enabled_from"], row


def test_every_reference_points_at_a_known_task(tables):
    task_ids = {row["task_id"] for row in tables["raw_tasks"]}
    for seed in ("raw_task_assignments", "raw_task_events", "raw_pgd_goal_complements"):
        assert {row["task_id"] for row in tables[seed]} <= task_ids, seed
    assert {row["parent_task_id"] for row in tables["raw_tasks"] if row["parent_task_id"]} <= task_ids


def test_concluded_tasks_have_a_payee_and_open_ones_do_not(tables):
    for row in tables["raw_tasks"]:
        concluded = row["status"] == "concluida"
        assert bool(row["concluded_at"]) == concluded and bool(row["concluded_by"]) == concluded, row


def test_automatic_dispatches_have_no_siape(tables):
    for row in tables["raw_sub_dispatches"]:
        assert (row["is_automatic"] == "true") == (row["siape"] == ""), row


def test_enum_values_are_within_the_contract_lists(tables):
    for (seed, column), allowed in ENUMS.items():
        if seed in tables:
            assert {row[column] for row in tables[seed]} <= allowed, (seed, column)


def test_occurrence_codes_are_in_the_reference_list(tables):
    with (REPO_ROOT / "seeds" / "ref_sisref_codes.csv").open(encoding="utf-8") as handle:
        known = {row["occurrence_code"] for row in csv.DictReader(handle)}
    assert {row["occurrence_code"] for row in tables["raw_sisref_occurrences"]} <= known


def test_every_scenario_has_its_planting_method():
    sys.path.insert(0, str(SCRIPT.parent))
    from demo_data import pgb

    missing = [s.name for s in pgb.SCENARIOS if not hasattr(pgb.Office, f"plant_{s.name}")]
    assert not missing
