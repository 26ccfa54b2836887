"""The delivery guard (issue 11): a delivery much smaller than the last accepted one stops the run.

The pure pieces first (the bound from the parameter seeds, the comparison,
the record), then the pipeline in process on a scratch project: a good June
build records the delivery; a header-only Sisref export is then blocked
before dbt, naming the export and both counts, with the warehouse and the
record untouched; the same delivery accepted by name closes June, and the
manifest records the acceptance.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from orchestration_samples import VALID_EXPORTS, use_scratch_paths, write_valid_exports
from test_orchestration_pipeline import copy_dbt_project

from expectations.delivery import (
    Acceptance,
    AcceptedDeliveryError,
    DeliveryCount,
    DeliveryGuardError,
    count_delivery,
    judge,
    max_drop_share,
    read_record,
    record_path_for,
    write_record,
)
from orchestration.dbt_assets import export_asset_key
from orchestration.export_checks import DELIVERY_CHECK_NAME
from orchestration.factory import build_definitions
from orchestration.jobs import BUILD_WAREHOUSE, CLOSE_MONTH
from orchestration.launch import execute, failure_report

REPO_ROOT = Path(__file__).resolve().parents[2]
TODAY = __import__("datetime").date(2026, 1, 1)


def record_with(export: str, rows: int, payees: int | None) -> dict:
    return {"exports": {export: {"rows": rows, "payees": payees, "run_id": "run-before", "accepted_at": "2025-07-05"}}}


# --- the comparison ---------------------------------------------------------------------------


def test_the_first_delivery_passes_and_says_so():
    verdict = judge(DeliveryCount("raw_tasks", 10, 3, "concluded_by"), None, 0.5)
    assert verdict.passed and "first delivery, nothing to compare with" in verdict.description


def test_a_header_only_export_is_blocked_naming_the_export_and_both_counts():
    verdict = judge(DeliveryCount("raw_sisref_intervals", 0, 0, "siape"), record_with("raw_sisref_intervals", 1545, 50), 0.5)
    assert not verdict.passed
    assert "raw_sisref_intervals" in verdict.description and "1,545 -> 0 (header only)" in verdict.description
    assert "--accept-shrunk raw_sisref_intervals" in verdict.description


@pytest.mark.parametrize(("rows", "passed"), [(49, False), (50, True), (51, True), (500, True)])
def test_a_drop_beyond_the_share_is_blocked(rows, passed):
    verdict = judge(DeliveryCount("raw_aps", rows, None), record_with("raw_aps", 100, None), 0.5)
    assert verdict.passed is passed
    assert ("rows 100 -> 49" in verdict.description) is (not passed)


def test_fewer_payees_block_even_when_the_rows_hold():
    verdict = judge(DeliveryCount("raw_task_events", 1000, 10, "siape"), record_with("raw_task_events", 1000, 50), 0.5)
    assert not verdict.passed and "distinct siape 50 -> 10" in verdict.description


def test_an_accepted_shrink_passes_and_keeps_who_why_and_both_counts():
    acceptance = Acceptance("Sisref de julho entregue em duas partes", "ana@host", "2025-08-05T10:00:00-03:00")
    verdict = judge(DeliveryCount("raw_sisref_intervals", 0, 0, "siape"), record_with("raw_sisref_intervals", 40, 5),
                    0.5, acceptance)
    assert verdict.passed and "accepted by ana@host" in verdict.description
    assert verdict.acceptance_record() == {
        "export": "raw_sisref_intervals", "rows": 0, "previous_rows": 40, "payees": 0, "previous_payees": 5,
        "shrinks": ["rows 40 -> 0 (header only)", "distinct siape 5 -> 0"],
        "reason": "Sisref de julho entregue em duas partes", "accepted_by": "ana@host",
        "accepted_at": "2025-08-05T10:00:00-03:00",
    }
    unshrunk = judge(DeliveryCount("raw_sisref_intervals", 40, 5, "siape"), record_with("raw_sisref_intervals", 40, 5),
                     0.5, acceptance)
    assert unshrunk.passed and unshrunk.acceptance is None  # nothing to accept: not recorded as accepted


def test_an_export_that_had_no_rows_has_nothing_to_drop():
    assert judge(DeliveryCount("raw_hr_periods", 0, 0, "siape"), record_with("raw_hr_periods", 0, 0), 0.5).passed


# --- the bound comes from the parameter seeds ------------------------------------------------------


def seeds_copy(tmp_path: Path) -> Path:
    (tmp_path / "seeds").mkdir()
    for name in ("ref_parameters.csv", "ref_parameter_defaults.csv"):
        (tmp_path / "seeds" / name).write_text((REPO_ROOT / "seeds" / name).read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def test_the_bound_is_the_shipped_parameter():
    assert max_drop_share(REPO_ROOT, TODAY) == 0.5


def test_the_bound_follows_the_parameter_version_in_force(tmp_path):
    project = seeds_copy(tmp_path)
    path = project / "seeds" / "ref_parameters.csv"
    text = path.read_text(encoding="utf-8").replace("delivery_max_drop_share,0.5,2025-05-19,,",
                                                    "delivery_max_drop_share,0.5,2025-05-19,2025-12-31,")
    path.write_text(text + "delivery_max_drop_share,0.3,2026-01-01,,test,2026-01-01\n", encoding="utf-8")
    assert max_drop_share(project, TODAY) == 0.3
    assert max_drop_share(project, TODAY.replace(year=2025)) == 0.5


def test_without_a_row_the_default_stands_in_and_a_bad_value_is_named(tmp_path):
    project = seeds_copy(tmp_path)
    path = project / "seeds" / "ref_parameters.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("delivery_max_drop_share")), encoding="utf-8")
    assert max_drop_share(project, TODAY) == 0.5  # ref_parameter_defaults
    defaults = project / "seeds" / "ref_parameter_defaults.csv"
    defaults.write_text(defaults.read_text(encoding="utf-8").replace("delivery_max_drop_share,0.5,",
                                                                     "delivery_max_drop_share,1.5,"), encoding="utf-8")
    with pytest.raises(DeliveryGuardError, match=r"delivery_max_drop_share = '1.5' in seeds/ref_parameter_defaults.csv"):
        max_drop_share(project, TODAY)


# --- the record and the count ----------------------------------------------------------------------


def test_the_record_is_merged_and_replaced_whole(tmp_path):
    path = record_path_for(tmp_path / "pgb.duckdb")
    assert path.name == "pgb.duckdb.accepted-delivery.json" and read_record(path) is None
    write_record(path, {"raw_aps": {"rows": 30}})
    write_record(path, {"raw_tasks": {"rows": 7}})
    assert read_record(path)["exports"] == {"raw_aps": {"rows": 30}, "raw_tasks": {"rows": 7}}
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary file left
    path.write_text("{truncated", encoding="utf-8")
    with pytest.raises(AcceptedDeliveryError, match=str(path)):
        read_record(path)


def test_payees_are_the_distinct_non_blank_siapes(tmp_path):
    export = tmp_path / "raw_task_events.csv"
    export.write_text("event_id,task_id,event_type,occurred_at,siape\nE1,T1,comment,2025-06-02 18:10:00,0123456\n"
                      "E2,T1,comment,2025-06-02 18:11:00, 0123456 \nE3,T1,comment,2025-06-02 18:12:00,\n"
                      "E4,T2,comment,2025-06-02 18:13:00,0765432\n", encoding="utf-8")
    assert count_delivery("raw_task_events", export, 4) == DeliveryCount("raw_task_events", 4, 2, "siape")
    assert count_delivery("raw_aps", export, 4).payees is None  # no SIAPE column in raw_aps


# --- the command line refuses an acceptance without a reason or an export --------------------------


@pytest.mark.parametrize("argv", [
    ["close", "--month", "2025-06", "--accept-shrunk", "raw_sisref_intervals"],
    ["close", "--month", "2025-06", "--accept-shrunk", "raw_nope", "--reason", "x"],
    ["run", "--accept-shrunk", "raw_tasks"],
])
def test_an_acceptance_without_reason_or_export_is_refused_at_once(tmp_path, argv):
    env = {**os.environ, "PGB_REPORTS_DIR": str(tmp_path / "reports"), "DAGSTER_HOME": str(tmp_path / "home")}
    result = subprocess.run([sys.executable, "-m", "orchestration.cli", *argv], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "--accept-shrunk" in result.stderr
    assert not (tmp_path / "home").exists()  # refused before Dagster


# --- the pipeline ------------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    root = tmp_path_factory.mktemp("guard")
    project = copy_dbt_project(root / "project")
    write_valid_exports(project / "seeds")
    with pytest.MonkeyPatch.context() as env:
        warehouse = use_scratch_paths(env, root)
        defs = build_definitions(project)
        with dg.DagsterInstance.ephemeral() as instance:
            first = execute(defs, instance, BUILD_WAREHOUSE, "2025-06-01", "2025-06-01")
            first_record = read_record(record_path_for(warehouse))
            sisref = project / "seeds" / "raw_sisref_intervals.csv"
            sisref.write_text(VALID_EXPORTS["raw_sisref_intervals"].splitlines(keepends=True)[0], encoding="utf-8")
            warehouse_before = sha256(warehouse)
            blocked = execute(defs, instance, BUILD_WAREHOUSE, "2025-06-01", "2025-06-01")
            after_blocked = (sha256(warehouse), read_record(record_path_for(warehouse)))
            accepted = execute(defs, instance, CLOSE_MONTH, "2025-06-01", "2025-06-01", {
                "raw_exports": {"accept_shrunk": ["raw_sisref_intervals"], "reason": "Sisref parcial, conferido",
                                "accepted_by": "ana@inss"},
                "close_package": {"reopen": False, "reason": "", "picture": ""},
            })
            yield {"root": root, "first": first, "first_record": first_record, "blocked": blocked,
                   "warehouse_before": warehouse_before, "after_blocked": after_blocked, "accepted": accepted,
                   "warehouse": warehouse}


def test_the_first_build_passes_and_records_the_delivery(guarded):
    assert guarded["first"].success, failure_report(guarded["first"])
    sisref = guarded["first_record"]["exports"]["raw_sisref_intervals"]
    assert (sisref["rows"], sisref["payees"], sisref["run_id"]) == (3, 2, guarded["first"].run_id)


def test_a_header_only_export_stops_the_run_before_dbt(guarded):
    blocked = guarded["blocked"]
    assert not blocked.success
    [check] = [c for c in blocked.failed_checks if c.check_name == DELIVERY_CHECK_NAME]
    assert check.asset_key == export_asset_key("raw_sisref_intervals")
    assert (check.metadata["rows"].value, check.metadata["previous_rows"].value) == (0, 3)
    report = failure_report(blocked)
    assert "raw_sisref_intervals" in report and "rows 3 -> 0 (header only)" in report
    assert "The published warehouse was not changed" in report
    assert {key for key in blocked.materialized if key.path[0] != "exports"} == set()
    assert guarded["after_blocked"] == (guarded["warehouse_before"], guarded["first_record"])


def test_an_accepted_shrink_closes_and_the_manifest_records_it(guarded):
    accepted = guarded["accepted"]
    assert accepted.success, failure_report(accepted)
    manifest = json.loads((guarded["root"] / "reports" / "close-2025-06" / "manifest.json").read_text(encoding="utf-8"))
    [acceptance] = manifest["delivery_guard"]["accepted_shrinks"]
    assert acceptance["export"] == "raw_sisref_intervals"
    assert (acceptance["rows"], acceptance["previous_rows"]) == (0, 3)
    assert (acceptance["reason"], acceptance["accepted_by"]) == ("Sisref parcial, conferido", "ana@inss")
    assert acceptance["accepted_at"]
    record = read_record(record_path_for(guarded["warehouse"]))
    assert record["exports"]["raw_sisref_intervals"]["rows"] == 0  # the accepted delivery is the new baseline
    assert record["exports"]["raw_sisref_intervals"]["acceptance"]["reason"] == "Sisref parcial, conferido"
