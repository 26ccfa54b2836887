"""The national-month generator of the benchmark (scripts/national_data.py) at a tiny scale.

Deterministic, valid for every input check, shaped like a national month, and
every rule of contract section 3 fires when the dbt models run on it; the
hand-written ordinary-hours query (the benchmark's baseline) finds exactly
what the dbt models find.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
import yaml

from contract_flow import REPO_ROOT, RULE_COLUMNS, copy_project, query, run_dbt
from pgb_shared.exports import RAW_EXPORTS
from expectations.validation import validate_exports

SCRIPTS = REPO_ROOT / "scripts"
sys.path.insert(0, str(SCRIPTS))
import national_data  # noqa: E402
import ordinary_hours_baseline  # noqa: E402

SCALE = 0.005  # 50 professionals, about 6,000 tasks
MONTH = date(2025, 6, 1)
ORDINARY_HOURS_RULES = ("R403", "R404", "R405", "R406", "R407", "R429")
PARQUET_TYPES = {"varchar": "VARCHAR", "timestamp": "TIMESTAMP", "date": "DATE", "boolean": "BOOLEAN",
                 "integer": "INTEGER", "time": "TIME", "decimal(18,4)": "DECIMAL(18,4)"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("national")
    national_data.generate(out, SCALE, MONTH, 1, ("parquet", "csv"))
    return out / "2025-06"


def parquet(folder: Path, export: str) -> str:
    return f"read_parquet('{folder / (export + '.parquet')}')"


def scalar(sql: str):
    with duckdb.connect() as connection:
        return connection.execute(sql).fetchone()[0]


def test_same_arguments_give_the_same_bytes_in_another_process(generated, tmp_path):
    # A fresh interpreter with another hash seed: nothing may depend on process state.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, str(SCRIPTS / "national_data.py"), "--scale", str(SCALE), "--format", "both",
         "--out", str(tmp_path)],
        check=True, capture_output=True, env=env,
    )
    names = sorted(path.name for path in generated.iterdir())
    assert names == sorted(path.name for path in (tmp_path / "2025-06").iterdir())
    for name in names:
        assert (generated / name).read_bytes() == (tmp_path / "2025-06" / name).read_bytes(), name


def test_every_export_of_the_contract_is_written_in_both_formats(generated):
    for suffix in ("parquet", "csv"):
        assert sorted(path.stem for path in generated.glob(f"*.{suffix}")) == sorted(RAW_EXPORTS)


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_every_export_passes_the_input_checks(generated, monkeypatch, file_format):
    monkeypatch.setenv("PGB_EXPORTS_FORMAT", file_format)
    validations = validate_exports(exports_dir=generated)
    assert [validation.message() for validation in validations if not validation.success] == []
    assert all(validation.row_count > 0 for validation in validations)


def test_parquet_columns_are_typed_as_in_seeds_yml(generated):
    seeds = yaml.safe_load((REPO_ROOT / "seeds" / "_seeds.yml").read_text(encoding="utf-8"))["seeds"]
    expected = {seed["name"]: seed["config"]["column_types"] for seed in seeds if seed["name"] in RAW_EXPORTS}
    with duckdb.connect() as connection:
        for export, types in expected.items():
            described = connection.execute(f"describe select * from {parquet(generated, export)}").fetchall()
            assert [(name, kind) for name, kind, *_ in described] == [
                (column, PARQUET_TYPES[kind]) for column, kind in types.items()
            ], export
    assert scalar(f"select count(*) from {parquet(generated, 'raw_professionals')} where siape like '0%'") > 0


def test_csv_files_use_the_contract_text_format(generated):
    tasks = (generated / "raw_tasks.csv").read_text(encoding="utf-8")
    assert "\r" not in tasks
    header, first = tasks.split("\n")[:2]
    assert header == ",".join(national_data.export_column_types()["raw_tasks"])
    assert re.search(r",\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},", first)
    aps = (generated / "raw_aps.csv").read_text(encoding="utf-8").split("\n")[1]
    assert re.fullmatch(r"\d+,APS \d+,\d+,\d{2}:\d{2},\d{2}:\d{2},\d{4}-\d{2}-\d{2},", aps)
    dispatch = (generated / "raw_sub_dispatches.csv").read_text(encoding="utf-8").split("\n")[1]
    assert dispatch.endswith((",true", ",false"))


def test_the_shape_of_a_national_month(generated):
    tasks = parquet(generated, "raw_tasks")
    evaluated = scalar(f"""select count(*) from {tasks} where queue_type = 'extraordinaria'
                           and status = 'concluida' and concluded_at >= date '2025-05-19'""")
    all_tasks = scalar(f"select count(*) from {tasks}")
    assert 0.88 < evaluated / all_tasks < 0.96
    assert 1_000_000 * SCALE < evaluated < 1_400_000 * SCALE
    assert 9 <= scalar(f"select count(*) from {parquet(generated, 'raw_task_events')}") / evaluated <= 11
    assert 1.0 <= scalar(f"select count(*) from {parquet(generated, 'raw_task_assignments')}") / all_tasks <= 1.2
    assert 0.8 <= scalar(f"select count(*) from {parquet(generated, 'raw_sub_dispatches')}") / evaluated <= 1.0
    intervals = parquet(generated, "raw_sisref_intervals")
    per_working_day = scalar(f"select count(*) / count(distinct (siape, work_date)) from {intervals}")
    assert 1.9 <= per_working_day <= 2.3
    # Night shifts cross midnight; 8-hour days have a lunch break (two realizado intervals).
    assert scalar(f"select count(*) from {intervals} where cast(end_at as date) > work_date") > 0
    assert scalar(f"""select count(*) from (select siape, work_date from {intervals} where kind = 'realizado'
                      group by all having count(*) = 2)""") > 0
    assert scalar(f"select count(*) from {parquet(generated, 'raw_sisref_intervals')} where kind = 'previsto'") > 0
    statuses = {row for (row,) in query_rows(f"select distinct queue_type || '/' || status from {tasks}")}
    assert {"ordinaria/concluida", "extraordinaria/pendente", "extraordinaria/em_exigencia",
            "extraordinaria/cancelada"} <= statuses


def query_rows(sql: str) -> list[tuple]:
    with duckdb.connect() as connection:
        return connection.execute(sql).fetchall()


def test_rows_keep_the_contract_rules_the_suites_do_not_check(generated):
    tasks = parquet(generated, "raw_tasks")
    assert scalar(f"select count(*) from {tasks} where concluded_at < created_at") == 0
    intervals = parquet(generated, "raw_sisref_intervals")
    assert scalar(f"select count(*) from {intervals} where end_at - start_at > interval 24 hour") == 0
    # Nothing after the end of the delivery month (a night shift may end on the 1st).
    latest = max(
        scalar(f"select max({column}) from {parquet(generated, export)}")
        for export, types in national_data.export_column_types().items()
        for column, kind in types.items()
        if kind == "timestamp"
    )
    assert latest < datetime(2025, 7, 2)
    assert scalar(f"""select count(*) from {parquet(generated, 'raw_pgd_plans')}
                      where net_target_points < 0 or achieved_points < 0""") == 0
    codes = {code for (code,) in query_rows(
        f"select occurrence_code from read_csv('{REPO_ROOT / 'seeds' / 'ref_sisref_codes.csv'}', all_varchar = true)")}
    used = {code for (code,) in query_rows(
        f"select distinct occurrence_code from {parquet(generated, 'raw_sisref_occurrences')}")}
    assert used and used <= codes
    assert scalar(f"""select count(*) from {parquet(generated, 'raw_sub_dispatches')}
                      where is_automatic <> (siape is null)""") == 0


def test_months_are_separate_deliveries_with_their_own_ids(tmp_path):
    national_data.generate(tmp_path, 0.002, MONTH, 2, ("parquet",))
    june, july = tmp_path / "2025-06", tmp_path / "2025-07"
    assert scalar(f"select count(*) from {parquet(june, 'raw_tasks')} join {parquet(july, 'raw_tasks')} using (task_id)") == 0
    assert scalar(f"""select count(*) from {parquet(june, 'raw_task_events')}
                      join {parquet(july, 'raw_task_events')} using (event_id)""") == 0
    assert scalar(f"select max(concluded_at) from {parquet(july, 'raw_tasks')}") >= datetime(2025, 7, 1)
    # NB reuse: within the month among root tasks, and across months.
    assert scalar(f"""select count(*) from (select nb from {parquet(july, 'raw_tasks')}
                      where parent_task_id is null and nb is not null and trim(nb) <> ''
                      group by nb having count(*) > 1)""") > 0
    assert scalar(f"""select count(*) from {parquet(june, 'raw_tasks')} as j
                      join {parquet(july, 'raw_tasks')} as k on j.nb = k.nb
                      where j.parent_task_id is null and k.parent_task_id is null""") > 0


def test_scale_must_be_positive():
    with pytest.raises(ValueError, match="scale"):
        national_data.month_shape(MONTH, 0)


@pytest.fixture(scope="module")
def warehouse(generated, tmp_path_factory) -> Path:
    """The dbt models run on the generated month through PGB_EXPORTS_DIR, in a scratch copy."""
    scratch = tmp_path_factory.mktemp("national_dbt")
    project_dir = copy_project(scratch / "project")
    env = {**os.environ, "PGB_DUCKDB_PATH": str(scratch / "national.duckdb"), "PGB_EXPORTS_DIR": str(generated),
           "PGB_EXPORTS_FORMAT": "parquet"}
    run_dbt(project_dir, "seed", "--full-refresh", "--select", "ref_*", env=env)
    run_dbt(project_dir, "run", env=env)
    return scratch / "national.duckdb"


def test_every_rule_fires_and_most_tasks_are_approved(warehouse):
    counts = query(warehouse, "select " + ", ".join(f"count(*) filter ({column})" for column in RULE_COLUMNS)
                   + " from fct_task_evaluations")[0]
    assert [column for column, count in zip(RULE_COLUMNS, counts, strict=True) if count == 0] == []
    outcomes = dict(query(warehouse, "select outcome, count(*) from fct_task_evaluations group by all"))
    assert outcomes["approved"] / sum(outcomes.values()) > 0.8
    assert outcomes["rejected"] > 0 and outcomes["held"] > 0


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_the_hand_written_query_finds_what_the_dbt_models_find(warehouse, generated, tmp_path, file_format):
    pairs_file = tmp_path / "pairs.parquet"
    ordinary_hours_baseline.run(generated, "2025-06", file_format, pairs_file)
    baseline = set(query_rows(f"select task_id, rule_code from '{pairs_file}'"))
    rules = ", ".join(f"'{rule}'" for rule in ORDINARY_HOURS_RULES)
    from_models = set(query(warehouse, f"""
        select violations.task_id, violations.rule_code
        from fct_task_rule_violations as violations
        inner join fct_task_evaluations as evaluations on violations.task_id = evaluations.task_id
        where violations.rule_code in ({rules}) and evaluations.reference_month = date '2025-06-01'
    """))
    assert {rule for _, rule in baseline} == set(ORDINARY_HOURS_RULES)
    assert baseline == from_models
