"""The small pure pieces of the orchestration: dbt args, layers, partitions, swap, run arguments, sensor."""

import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.close_package import PAYMENTS_MART, checked_export_sha256
from orchestration.dbt_args import (
    RULE_STACK_MODEL,
    dbt_build_args,
    dbt_month_selection,
    dbt_tests_judged_by_input_checks,
    dbt_tests_repeated_by_the_rule_stack,
    exclusion_patterns,
    layer_of,
    manifest_fqns,
)
from orchestration.dbt_assets import PgbDbtTranslator, export_asset_key, prune_run_targets
from orchestration.jobs import build_warehouse_job, late_exports_sensor
from orchestration.launch import partition_arguments, run_config_for
from orchestration.partitions import monthly_partitions, months_in_window
from orchestration.summary import cycle_lines
from orchestration.warehouse import (
    _copies_ahead,
    _key,
    build_file_for,
    building,
    environment,
    finish_removals,
    published_file_copied_ahead,
    remove_files_of_dead_processes,
    wal_of,
)
from payroll.errors import CloseFailed
from pgb_shared import settings
from pgb_shared.exports import RAW_EXPORTS

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_dbt_build_reads_seeds_by_default():
    assert dbt_build_args(None, ["raw_tasks", "raw_aps"]) == [
        "build", "--full-refresh", "--no-write-json", "--exclude-resource-type", "unit_test"]


def test_dbt_build_skips_raw_seeds_when_exports_come_as_files():
    args = dbt_build_args(Path("/data/exports"), ["raw_tasks", "raw_aps"])
    assert args == ["build", "--full-refresh", "--no-write-json", "--exclude-resource-type", "unit_test", "--exclude", "raw_aps raw_tasks"]


def test_dbt_build_leaves_out_the_tests_the_input_checks_judge():
    args = dbt_build_args(Path("/data/exports"), ["raw_tasks"], ["unique_stg_get__tasks_task_id"])
    assert args[-2:] == ["--exclude", "raw_tasks unique_stg_get__tasks_task_id"]
    assert dbt_build_args(None, ["raw_tasks"], ["not_null_stg_get__tasks_task_id"])[-2:] == [
        "--exclude", "not_null_stg_get__tasks_task_id"]


def selected_by(selectors: list[str], fqns: list[list[str]]) -> set[tuple[str, ...]]:
    """The nodes dbt's fqn method selects with any of `selectors` (dbt's own matching function)."""
    from dbt.graph.selector_methods import is_selected_node

    return {tuple(fqn) for fqn in fqns if any(is_selected_node(fqn, selector, False) for selector in selectors)}


def test_the_exclusion_patterns_select_the_same_nodes_of_this_project_as_the_names():
    import json

    from expectations.contract import load_contracts

    manifest = json.loads((REPO_ROOT / "target" / "manifest.json").read_text(encoding="utf-8"))
    fqns = manifest_fqns(manifest)
    names = sorted(RAW_EXPORTS) + dbt_tests_judged_by_input_checks(manifest["nodes"], load_contracts(REPO_ROOT)) \
        + dbt_tests_repeated_by_the_rule_stack(manifest["nodes"])
    patterns = exclusion_patterns(names, fqns)
    assert selected_by(patterns, fqns) == selected_by(names, fqns)
    assert len(patterns) * 4 < len(names)  # the point: far fewer selectors for dbt to try on every node
    assert dbt_build_args(Path("/data"), RAW_EXPORTS, names[len(RAW_EXPORTS):], fqns)[-1] == " ".join(patterns)


@pytest.mark.parametrize("seed", range(40))
def test_the_exclusion_patterns_select_exactly_the_named_nodes(seed):
    import random

    generator = random.Random(seed)
    words = ["".join(generator.choice("ab_.") for _ in range(generator.randint(1, 5))).strip(".") or "a"
             for _ in range(30)]
    fqns = [["pgb", generator.choice(["staging", "marts"]), word] for word in set(words)]
    fqns += [["pgb", "a", "b"], ["ab", "x"]]  # names that a prefix of a dotted fqn could reach
    names = generator.sample(sorted({fqn[-1] for fqn in fqns} | {"pgb", "ab"}), generator.randint(0, len(fqns) // 2))
    patterns = exclusion_patterns(names, fqns)
    assert selected_by(patterns, fqns) == selected_by(names, fqns)
    assert len(patterns) <= len(names)


def test_a_name_no_prefix_can_stand_for_stays_as_it_is():
    fqns = [["pgb", "raw_aps"], ["pgb", "raw_tasks"], ["pgb", "raw_tasks_extra"], ["pgb", "rules"]]
    assert exclusion_patterns(["raw_aps", "raw_tasks"], fqns) == ["raw_a*", "raw_tasks"]
    assert exclusion_patterns(["raw_aps", "pgb.x", "raw_tasks"], fqns) == ["pgb.x", "raw_aps", "raw_tasks"]


def test_a_versioned_model_leaves_the_names_as_they_are():
    manifest = {"nodes": {"model.pgb.a": {"fqn": ["pgb", "a", "v2"], "version": 2}}, "parent_map": {"x": []}}
    assert manifest_fqns(manifest) is None
    assert dbt_build_args(Path("/data"), ["raw_aps"], ["unique_a"], manifest_fqns(manifest))[-1] == "raw_aps unique_a"


def _staging_model(name: str, export: str) -> dict:
    return {"resource_type": "model", "name": name,
            "depends_on": {"nodes": [f"source.pgb.pgb_exports.{export}", f"seed.pgb.{export}"]}}


def _test(name: str, model: str, kind: str, where: str | None = None, **kwargs) -> dict:
    return {"resource_type": "test", "name": name, "attached_node": f"model.pgb.{model}", "config": {"where": where},
            "test_metadata": {"name": kind, "kwargs": kwargs}}


JUDGED_SAMPLE_NODES = {
    "model.pgb.stg_tasks": _staging_model("stg_tasks", "raw_tasks"),
    "model.pgb.stg_events": _staging_model("stg_events", "raw_task_events"),
    "model.pgb.stg_adhesions": _staging_model("stg_adhesions", "raw_adhesions"),
    "model.pgb.stg_codes": {"resource_type": "model", "name": "stg_codes", "depends_on": {"nodes": ["seed.pgb.ref_codes"]}},
    "model.pgb.int_tasks": {"resource_type": "model", "name": "int_tasks", "depends_on": {"nodes": ["model.pgb.stg_tasks"]}},
    # judged by the suites as strictly as dbt
    "t1": _test("unique_event_id", "stg_events", "unique", column_name="event_id"),
    "t2": _test("not_null_status", "stg_tasks", "not_null", column_name="status"),
    "t3": _test("events_point_at_tasks", "stg_events", "relationships", column_name="task_id",
                to="ref('stg_tasks')", field="task_id"),
    "t4": _test("status_values", "stg_tasks", "accepted_values", column_name="status",
                values=["pendente", "em_exigencia", "concluida", "cancelada"]),
    # not judged: dbt's test stays
    "k1": _test("homologation_values", "stg_adhesions", "accepted_values", column_name="homologation",
                values=["homologado", "nao_homologado"]),  # optional and not trimmed: a blank is null for GX only
    "k2": _test("status_other_values", "stg_tasks", "accepted_values", column_name="status", values=["concluida"]),
    "k3": _test("unique_status_filtered", "stg_tasks", "unique", where="status = 'x'", column_name="task_id"),
    "k4": _test("unique_int_task_id", "int_tasks", "unique", column_name="task_id"),
    "k5": _test("codes_known", "stg_events", "relationships", column_name="task_id", to="ref('stg_codes')", field="code"),
    "k6": _test("unique_nb", "stg_tasks", "unique", column_name="nb"),  # not a key of the contract
    "k7": _test("expression_check", "stg_tasks", "expression_is_true", column_name="task_id"),
}


def test_the_tests_judged_by_the_input_checks_are_exact_rules_of_the_contract():
    from expectations.contract import load_contracts

    judged = dbt_tests_judged_by_input_checks(JUDGED_SAMPLE_NODES, load_contracts())
    assert judged == ["events_point_at_tasks", "not_null_status", "status_values", "unique_event_id"]


def test_the_project_keeps_only_the_staging_tests_no_suite_repeats():
    """On the real manifest: what production builds still run on the staging models, named."""
    import json

    from expectations.contract import load_contracts

    nodes = json.loads((settings.dbt_target_dir() / "manifest.json").read_text(encoding="utf-8"))["nodes"]
    judged = set(dbt_tests_judged_by_input_checks(nodes, load_contracts()))
    export_staging_tests = {  # the reference seeds' staging models have no export, hence no suite
        n["name"] for n in nodes.values() if n["resource_type"] == "test"
        and (n.get("attached_node") or "").startswith("model.pgb.stg_")
        and not n["attached_node"].startswith("model.pgb.stg_reference__")
    }
    kept = sorted(export_staging_tests - judged)
    assert kept == [
        "accepted_values_stg_pat__adhesions_homologation__homologado__nao_homologado",
        "accepted_values_stg_siape__professionals_role__analista__tecnico__assistente_social__outro",
        "relationships_stg_sisref__occurrences_occurrence_code__occurrence_code__ref_stg_reference__sisref_codes_",
    ]
    assert "unique_stg_get__task_events_event_id" in judged


def test_the_columns_the_suites_judge_for_dbt_are_staged_as_the_suites_read_them():
    """A judged test's column must be the export's column under its own name, trimmed or only cast:
    a staging model that computed it otherwise would make GX and dbt judge different values."""
    import json
    import re

    from expectations.contract import load_contracts

    nodes = json.loads((settings.dbt_target_dir() / "manifest.json").read_text(encoding="utf-8"))["nodes"]
    contracts = load_contracts()
    judged = set(dbt_tests_judged_by_input_checks(nodes, contracts))
    for node in nodes.values():
        if node.get("name") not in judged:
            continue
        model = nodes[node["attached_node"]]
        sql = (REPO_ROOT / model["original_file_path"]).read_text(encoding="utf-8")
        kwargs = node["test_metadata"]["kwargs"]
        for column in kwargs.get("combination") or [kwargs["column_name"]]:
            trimmed = rf"nullif\(trim\(cast\({column} as varchar\)\), ''\) as {column}\b"
            cast = rf"cast\({column} as \w+\) as {column}\b"
            assert re.search(trimmed, sql) or re.search(cast, sql), (model["name"], column)


def _rule_model(name: str, code: str | None) -> dict:
    return {"resource_type": "model", "name": name, "unique_id": f"model.pgb.{name}",
            "config": {"meta": {"rule_code": code} if code else {}}}


def _rule_stack_nodes(stack_tests: tuple[str, ...] = ("unique_pair", "task_id_set", "evidence_set")) -> dict:
    stack_test_nodes = {
        "unique_pair": _test("unique_pair", RULE_STACK_MODEL, "unique_combination_of_columns",
                             combination=["task_id", "rule_code"]),
        "task_id_set": _test("task_id_set", RULE_STACK_MODEL, "not_null", column_name="task_id"),
        "evidence_set": _test("evidence_set", RULE_STACK_MODEL, "not_null", column_name="evidence"),
    }
    return {
        "model.pgb.r401": _rule_model("r401", "R401"),
        "model.pgb.r402": _rule_model("r402", "R402"),
        "model.pgb.int_helper": _rule_model("int_helper", None),
        "model.pgb.r499": _rule_model("r499", "R499"),  # a rule model the stack does not read
        f"model.pgb.{RULE_STACK_MODEL}": {
            "resource_type": "model", "name": RULE_STACK_MODEL, "unique_id": f"model.pgb.{RULE_STACK_MODEL}",
            "depends_on": {"nodes": ["model.pgb.r401", "model.pgb.r402", "model.pgb.int_helper"]}},
        **{name: stack_test_nodes[name] for name in stack_tests},
        "u401": _test("unique_r401_task_id", "r401", "unique", column_name="task_id"),
        "n401": _test("not_null_r401_task_id", "r401", "not_null", column_name="task_id"),
        "e401": _test("not_null_r401_evidence", "r401", "not_null", column_name="evidence"),
        "e402": _test("not_null_r402_evidence", "r402", "not_null", column_name="evidence"),
        # stay: another column, a filtered test, a model that is no rule, a rule the stack does not read
        "o402": _test("not_null_r402_siape", "r402", "not_null", column_name="siape"),
        "f402": _test("unique_r402_task_id_filtered", "r402", "unique", where="x", column_name="task_id"),
        "h": _test("unique_int_helper_task_id", "int_helper", "unique", column_name="task_id"),
        "u499": _test("unique_r499_task_id", "r499", "unique", column_name="task_id"),
    }


def test_the_rule_models_row_tests_are_left_to_the_stack_that_repeats_them():
    assert dbt_tests_repeated_by_the_rule_stack(_rule_stack_nodes()) == [
        "not_null_r401_evidence", "not_null_r401_task_id", "not_null_r402_evidence", "unique_r401_task_id"]


def test_the_stacks_not_null_columns_test_repeats_the_rule_models_not_null_tests():
    nodes = _rule_stack_nodes(("unique_pair",))
    nodes["columns_set"] = _test("columns_set", RULE_STACK_MODEL, "not_null_columns",
                                 columns=["task_id", "rule_code", "evidence"])
    assert dbt_tests_repeated_by_the_rule_stack(nodes) == [
        "not_null_r401_evidence", "not_null_r401_task_id", "not_null_r402_evidence", "unique_r401_task_id"]
    nodes["columns_set"] = _test("columns_set", RULE_STACK_MODEL, "not_null_columns", columns=["task_id"])
    assert dbt_tests_repeated_by_the_rule_stack(nodes) == ["not_null_r401_task_id", "unique_r401_task_id"]


def test_a_rule_models_test_stays_when_the_stack_lacks_the_test_that_repeats_it():
    assert dbt_tests_repeated_by_the_rule_stack(_rule_stack_nodes(("task_id_set", "evidence_set"))) == [
        "not_null_r401_evidence", "not_null_r401_task_id", "not_null_r402_evidence"]
    assert dbt_tests_repeated_by_the_rule_stack(_rule_stack_nodes(())) == []
    assert dbt_tests_repeated_by_the_rule_stack({"model.pgb.r401": _rule_model("r401", "R401")}) == []


def test_the_project_leaves_three_row_tests_per_rule_model_to_the_stack():
    """On the real manifest: every rule model's unique/not-null task_id and not-null evidence, nothing else;
    and the stack copies task_id and evidence from each rule model unfiltered, as the reasoning needs."""
    import json
    import re

    nodes = json.loads((settings.dbt_target_dir() / "manifest.json").read_text(encoding="utf-8"))["nodes"]
    repeated = dbt_tests_repeated_by_the_rule_stack(nodes)
    rule_models = [n["name"] for n in nodes.values() if n["resource_type"] == "model"
                   and (n["config"].get("meta") or {}).get("rule_code")]
    assert len(rule_models) >= 20
    assert sorted(repeated) == sorted(
        name for model in rule_models
        for name in (f"unique_{model}_task_id", f"not_null_{model}_task_id", f"not_null_{model}_evidence"))
    stack = nodes[f"model.pgb.{RULE_STACK_MODEL}"]
    sql = (REPO_ROOT / stack["original_file_path"]).read_text(encoding="utf-8")
    select = re.search(r"final as \(\s*\{%- for rule in rules %\}(.*?)\{%- endfor %\}", sql, re.S).group(1)
    assert re.fullmatch(r"\s*select\s+task_id,\s+'\{\{ rule.code \}\}' as rule_code,\s+evidence\s+"
                        r"from \{\{ rule.model \}\}\s+\{\{ 'union all' if not loop.last \}\}\s*", select), select


def test_a_test_left_out_of_the_build_is_no_dagster_check():
    import json

    from dagster_dbt import DagsterDbtTranslatorSettings

    manifest = json.loads((settings.dbt_target_dir() / "manifest.json").read_text(encoding="utf-8"))
    test_id = next(uid for uid, n in manifest["nodes"].items() if n["name"] == "unique_r401_adhesion_pending_or_rejected_task_id")
    model_id = manifest["nodes"][test_id]["attached_node"]
    kept = PgbDbtTranslator(DagsterDbtTranslatorSettings(enable_asset_checks=True))
    left_out = PgbDbtTranslator(DagsterDbtTranslatorSettings(enable_asset_checks=True),
                                frozenset({"unique_r401_adhesion_pending_or_rejected_task_id"}))
    spec = kept.get_asset_spec(manifest, model_id, None)
    assert kept.get_asset_check_spec(spec, manifest, test_id, None) is not None
    assert left_out.get_asset_check_spec(spec, manifest, test_id, None) is None


EVERY_MONTH = [date(2025, month, 1) for month in range(5, 13)]


@pytest.mark.parametrize(
    ("run_months", "expected"),
    [
        (EVERY_MONTH, None),  # every partition: a full rebuild
        ([date(2025, 6, 1)], "2025-06-01"),
        ([date(2025, 6, 1), date(2025, 7, 1), date(2025, 8, 1)], "2025-06-01..2025-08-01"),
        (EVERY_MONTH[1:], "2025-06-01..2025-12-01"),  # all but the first month is still partial
    ],
)
def test_dbt_month_selection(run_months, expected):
    assert dbt_month_selection(run_months, EVERY_MONTH) == expected


def test_dbt_month_selection_needs_a_month():
    with pytest.raises(ValueError):
        dbt_month_selection([], EVERY_MONTH)


@pytest.mark.parametrize(
    ("props", "layer"),
    [
        ({"resource_type": "seed", "name": "raw_tasks", "fqn": ["pgb", "raw_tasks"]}, "exports"),
        ({"resource_type": "seed", "name": "ref_rules", "fqn": ["pgb", "ref_rules"]}, "reference"),
        ({"resource_type": "model", "name": "stg_x", "fqn": ["pgb", "staging", "stg_x"]}, "staging"),
        ({"resource_type": "model", "name": "int_x", "fqn": ["pgb", "intermediate", "pgb", "int_x"]}, "intermediate"),
        ({"resource_type": "model", "name": "fct_x", "fqn": ["pgb", "marts", "supervision", "fct_x"]}, "marts"),
        ({"resource_type": "model", "name": "rpt_x", "fqn": ["pgb", "reports", "rpt_x"]}, "reports"),
        ({"resource_type": "model", "name": "odd", "fqn": ["pgb", "odd"]}, "marts"),
    ],
)
def test_layer_of(props, layer):
    assert layer_of(props) == layer


def test_months_in_window_covers_each_month_once():
    window = dg.TimeWindow(datetime(2025, 11, 1), datetime(2026, 2, 1))
    assert months_in_window(window) == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1)]


def test_monthly_partitions_start_with_the_program_start_parameter(tmp_path):
    assert monthly_partitions(REPO_ROOT).get_first_partition_key() == "2025-05-01"  # program_start 2025-05-19
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "ref_parameters.csv").write_text(
        "name,value,effective_from,effective_to,legal_source,published_on\n"
        "program_start,2026-03-02,2026-03-02,,later act,2026-03-02\n"
        "program_start,2025-11-10,2025-11-10,2026-03-01,first act,2025-11-10\n",
        encoding="utf-8",
    )
    assert monthly_partitions(tmp_path).get_first_partition_key() == "2025-11-01"  # the earliest row


def test_partition_arguments_and_run_config():
    assert partition_arguments("2025-06-01", "2025-06-01") == {"partition_key": "2025-06-01"}
    assert partition_arguments("2025-05-01", "2025-07-01")["tags"] == {
        "dagster/asset_partition_range_start": "2025-05-01",
        "dagster/asset_partition_range_end": "2025-07-01",
    }


def test_run_config_carries_each_assets_config():
    config = run_config_for({"close_package": {"reopen": True, "reason": "why"}})
    assert config["ops"] == {"close_package": {"config": {"reopen": True, "reason": "why"}}}
    assert config["loggers"]["console"]["config"]["log_level"] == "INFO"
    assert "ops" not in run_config_for()


def test_cycle_lines_one_per_cycle():
    rows = [(1, "conforme", 3), (1, "nao_conforme", 1), (2, "conforme", 4)]
    assert cycle_lines(rows) == ["cycle 1: conforme 3, nao_conforme 1", "cycle 2: conforme 4"]


def test_paths_follow_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PGB_DUCKDB_PATH", "warehouse/x.duckdb")
    assert settings.warehouse_path(tmp_path) == tmp_path / "warehouse" / "x.duckdb"
    monkeypatch.setenv("PGB_DUCKDB_PATH", str(tmp_path / "abs.duckdb"))
    assert settings.warehouse_path(Path("/elsewhere")) == tmp_path / "abs.duckdb"
    monkeypatch.delenv("PGB_EXPORTS_DIR", raising=False)
    assert settings.exports_dir(tmp_path) is None
    monkeypatch.setenv("PGB_EXPORTS_DIR", "exports")
    assert settings.exports_dir(tmp_path) == tmp_path / "exports"
    monkeypatch.setenv("PGB_BUILD_DAY", "7")
    assert settings.build_day_of_month() == 7
    monkeypatch.setenv("PGB_BUILD_DAY", "31")
    with pytest.raises(ValueError, match="PGB_BUILD_DAY"):
        settings.build_day_of_month()


def _database_with(path: Path, rows: int) -> None:
    with duckdb.connect(str(path)) as connection:
        connection.execute("create or replace table t as select * from range(?) r(i)", [rows])


def _rows(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute("select count(*) from t").fetchone()[0]


def test_build_file_is_swapped_in_after_success(tmp_path):
    final = tmp_path / "pgb.duckdb"
    _database_with(final, 3)
    with building(final, start_fresh=True) as build:
        # One name for every run: dbt's profile points at it, so dbt's partial parse stays valid.
        assert build == build_file_for(final) == tmp_path / "pgb.duckdb.tmp-build"
        _database_with(build, 5)
        assert _rows(final) == 3  # readers see the old warehouse during the build
    assert _rows(final) == 5
    assert not build.exists()


def test_a_copied_build_file_is_on_disk_before_dbt_opens_it_and_keeps_every_byte(tmp_path, monkeypatch):
    import orchestration.warehouse as warehouse_module

    final = tmp_path / "pgb.duckdb"
    _database_with(final, 3)
    synced = []
    real_fsync = warehouse_module.os.fsync
    monkeypatch.setattr(warehouse_module.os, "fsync", lambda fd: synced.append(os.readlink(f"/proc/self/fd/{fd}"))
                        or real_fsync(fd))
    said = []
    with building(final, start_fresh=False, say=said.append) as build:
        assert synced == [str(build)]  # a partial run: the copy is on disk before dbt opens it
        assert build.read_bytes() == final.read_bytes()
        assert _rows(build) == 3
    assert said == [f"the build file starts as a copy of pgb.duckdb ({said[0].split('(')[1]}"]
    with building(final, start_fresh=True, say=said.append) as fresh:
        assert synced == [str(build)]  # a new, empty file: nothing to copy
        _database_with(fresh, 1)
    assert said[-1] == "the build file starts as a new file"


def test_the_published_file_copied_ahead_becomes_the_build_file(tmp_path):
    final = tmp_path / "pgb.duckdb"
    _database_with(final, 3)
    said = []
    with published_file_copied_ahead(final):
        with building(final, start_fresh=False, say=said.append) as build:
            assert _rows(build) == 3
            _database_with(build, 7)
        assert said[0].startswith("the build file starts as the copy of pgb.duckdb made while the inputs were checked")
    assert _rows(final) == 7
    finish_removals()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pgb.duckdb"]  # no copy, no replaced file left


def test_a_copy_ahead_of_a_file_published_meanwhile_is_not_used(tmp_path):
    final = tmp_path / "pgb.duckdb"
    _database_with(final, 3)
    said = []
    with published_file_copied_ahead(final):
        _copies_ahead[_key(final)]._thread.join()  # the copy is made before the other run publishes
        other_run = tmp_path / "other.duckdb"  # another process's run publishes a new file first
        _database_with(other_run, 5)
        os.replace(other_run, final)
        with building(final, start_fresh=False, say=said.append) as build:
            assert _rows(build) == 5  # the new published file, copied again: not the stale copy of 3 rows
        assert said[0].startswith("the build file starts as a copy of pgb.duckdb (")
    finish_removals()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pgb.duckdb"]


def test_a_copy_ahead_nobody_took_is_removed(tmp_path):
    final = tmp_path / "pgb.duckdb"
    _database_with(final, 3)
    with published_file_copied_ahead(final):
        pass  # the run failed before its dbt step
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pgb.duckdb"]


def test_files_a_killed_process_left_beside_the_warehouse_are_removed(tmp_path):
    final = tmp_path / "pgb.duckdb"
    _database_with(final, 3)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True).stdout.strip()
    left = [tmp_path / f"pgb.duckdb.tmp-copy-{dead}", tmp_path / f"pgb.duckdb.tmp-copy-{dead}.wal",
            tmp_path / f"pgb.duckdb.tmp-replaced-{dead}"]
    alive = tmp_path / f"pgb.duckdb.tmp-copy-{os.getppid()}"  # a live process's copy is its own
    for path in [*left, alive]:
        path.write_bytes(b"x")
    assert sorted(remove_files_of_dead_processes(final)) == sorted(left)
    assert alive.exists() and final.exists()


def test_the_replaced_warehouse_is_freed_after_the_swap_even_while_a_reader_holds_it(tmp_path):
    final = tmp_path / "pgb.duckdb"
    _database_with(final, 3)
    with duckdb.connect(str(final), read_only=True) as analyst:
        with building(final, start_fresh=True) as build:
            _database_with(build, 4)
        finish_removals()
        assert analyst.execute("select count(*) from t").fetchone()[0] == 3  # the analyst still reads the old one
    assert _rows(final) == 4
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pgb.duckdb"]


def test_failed_build_leaves_the_published_file_alone(tmp_path):
    final = tmp_path / "pgb.duckdb"
    _database_with(final, 3)
    before = final.read_bytes()
    with pytest.raises(RuntimeError), building(final, start_fresh=False) as build:
        assert _rows(build) == 3  # a partial rebuild starts from a copy
        _database_with(build, 9)
        raise RuntimeError("dbt failed")
    assert final.read_bytes() == before
    assert not build.exists() and not wal_of(build).exists()


def test_environment_is_restored(monkeypatch):
    monkeypatch.setenv("PGB_DUCKDB_PATH", "before")
    with environment(PGB_DUCKDB_PATH="during"):
        assert os.environ["PGB_DUCKDB_PATH"] == "during"
    assert os.environ["PGB_DUCKDB_PATH"] == "before"


def test_late_export_sensor_reruns_the_newest_month(tmp_path, monkeypatch):
    monkeypatch.delenv("PGB_EXPORTS_DIR", raising=False)
    (tmp_path / "seeds").mkdir()
    export = tmp_path / "seeds" / "raw_tasks.csv"
    export.write_text("task_id\n", encoding="utf-8")
    partitions = monthly_partitions(REPO_ROOT)
    sensor = late_exports_sensor(tmp_path, build_warehouse_job(), partitions)

    first = dg.build_sensor_context(cursor=None)
    assert isinstance(sensor(first), dg.SkipReason)  # the first tick only records the files
    cursor = first.cursor
    assert isinstance(sensor(dg.build_sensor_context(cursor=cursor)), dg.SkipReason)

    export.write_text("task_id\nT1\n", encoding="utf-8")  # a late export lands
    request = sensor(dg.build_sensor_context(cursor=cursor))
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key == partitions.get_last_partition_key()


def test_the_close_relies_only_on_exports_checked_before_the_last_build():
    def record(instance, key, **metadata):
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key, metadata=metadata))

    with dg.DagsterInstance.ephemeral() as instance:
        with pytest.raises(CloseFailed, match="never built"):
            checked_export_sha256(instance)
        for export in RAW_EXPORTS[1:]:
            record(instance, export_asset_key(export), sha256=f"sha-{export}")
        record(instance, PAYMENTS_MART)
        with pytest.raises(CloseFailed, match=f"no recorded check of {RAW_EXPORTS[0]}"):
            checked_export_sha256(instance)
        record(instance, export_asset_key(RAW_EXPORTS[0]), exists=False)  # checked: the file was missing
        record(instance, PAYMENTS_MART)
        recorded = checked_export_sha256(instance)
        assert recorded[RAW_EXPORTS[0]] is None and recorded["raw_tasks"] == "sha-raw_tasks"
        record(instance, export_asset_key("raw_tasks"), sha256="new")  # a check after the build (e.g. it failed)
        with pytest.raises(CloseFailed, match="raw_tasks was checked after the last build"):
            checked_export_sha256(instance)


def test_the_set_up_parse_has_the_environment_of_a_run_over_every_month(tmp_path):
    """dbt parses again every file whose environment variables changed since the parse it starts from."""
    from orchestration.dbt_assets import dbt_environment, parsed_for_text

    build_file = tmp_path / "pgb.duckdb.tmp-build"
    every_month = dbt_environment(build_file)
    assert every_month == {"PGB_DUCKDB_PATH": str(build_file), "PGB_MONTH": ""}  # set, and empty
    assert dbt_environment(build_file, None) == every_month
    assert dbt_environment(build_file, "2025-06-01")["PGB_MONTH"] == "2025-06-01"
    assert parsed_for_text(build_file) != parsed_for_text(tmp_path / "other.duckdb.tmp-build")


def test_prune_run_targets_keeps_the_newest_run_folders_and_the_rest_of_target(tmp_path):
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "partial_parse.msgpack").write_text("")
    runs = [tmp_path / f"dagster-run{index}" for index in range(5)]
    for age, run in enumerate(reversed(runs)):
        (run / "run_results.json").parent.mkdir()
        (run / "run_results.json").write_text("{}")
        os.utime(run, (1_000_000 - age * 60, 1_000_000 - age * 60))  # run4 newest, run0 oldest
    removed, failures = prune_run_targets(tmp_path, keep=2)
    assert failures == []
    assert sorted(removed) == runs[:3]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "dagster-run3", "dagster-run4", "manifest.json", "partial_parse.msgpack"]
    assert prune_run_targets(tmp_path, keep=2) == ([], [])
    assert prune_run_targets(tmp_path / "missing") == ([], [])
    # The pruning run's own folder stays, even with an older time (it prunes while its dbt writes there).
    os.utime(runs[3], (1, 1))
    removed, _ = prune_run_targets(tmp_path, keep=1, current=runs[3])
    assert removed == [runs[4]] and runs[3].exists()


def test_an_empty_month_is_observed_unless_it_had_a_preview_to_replace():
    from orchestration.previews import EMPTY, EMPTY_MONTH, empty_month_events

    key = dg.AssetKey("month_preview")
    first_time = empty_month_events(key, "2025-09-01", materialized_before=False)
    assert isinstance(first_time, dg.AssetObservation)  # the partition stays unmaterialized
    emptied = empty_month_events(key, "2025-09-01", materialized_before=True)
    assert isinstance(emptied, dg.AssetMaterialization)  # replaces the old figures
    for event in (first_time, emptied):
        assert event.partition == "2025-09-01" and event.description == EMPTY_MONTH
        assert event.metadata[EMPTY].value is True and event.metadata["approved_tasks"].value == 0


def test_column_schema_takes_yaml_data_type_then_seed_column_types():
    from orchestration.dbt_assets import column_schema, rule_columns

    model = {"columns": {"task_id": {"name": "task_id", "data_type": "varchar", "description": "Task."},
                         "note": {"name": "note"}}}
    assert [(c.name, c.type, c.description) for c in column_schema(model).columns] == [
        ("task_id", "varchar", "Task."), ("note", "?", None)]
    seed = {"columns": {"siape": {"name": "siape"}}, "config": {"column_types": {"siape": "varchar", "n": "integer"}}}
    assert [(c.name, c.type) for c in column_schema(seed).columns] == [("siape", "varchar"), ("n", "integer")]
    assert column_schema({"columns": {}}) is None
    manifest = {"nodes": {
        "model.pgb.r404": {"resource_type": "model", "config": {"meta": {"rule_code": "R404"}}, "description": "x"},
        "model.pgb.other": {"resource_type": "model", "config": {"meta": {}}},
    }}
    assert [(c.name, c.type) for c in rule_columns(manifest)] == [("r404", "boolean")]


def test_export_file_and_its_seed_have_different_labels():
    assert export_asset_key("raw_tasks") == dg.AssetKey(["exports", "raw_tasks_file"])
    assert export_asset_key("raw_tasks").path[-1] != "raw_tasks"


def test_a_parse_is_skipped_only_while_nothing_it_read_changed(tmp_path):
    import os

    from orchestration.dbt_assets import PARSED_FOR_FILE, PARTIAL_PARSE_FILE, manifest_is_current, parsed_for_text

    project, target = tmp_path / "project", tmp_path / "project" / "target"
    (project / "models").mkdir(parents=True)
    (project / "seeds" / "demo").mkdir(parents=True)
    model, demo_seed = project / "models" / "m.sql", project / "seeds" / "demo" / "raw_x.csv"
    model.write_text("select 1", encoding="utf-8")
    demo_seed.write_text("a\n1\n", encoding="utf-8")
    (project / "seeds" / "raw_x.csv").symlink_to("demo/raw_x.csv")
    (project / "dbt_project.yml").write_text("name: x", encoding="utf-8")
    build_file = tmp_path / "pgb.duckdb.tmp-build"
    assert not manifest_is_current(project, target, build_file)  # never parsed
    target.mkdir()
    for name in ("manifest.json", PARTIAL_PARSE_FILE):
        (target / name).write_text("{}", encoding="utf-8")
    (target / PARSED_FOR_FILE).write_text(str(build_file), encoding="utf-8")  # an older parse, PGB_MONTH unset
    past = (target / "manifest.json").stat().st_mtime - 60
    for path in (model, demo_seed, project / "dbt_project.yml"):
        os.utime(path, (past, past))
    os.utime(project / "seeds" / "raw_x.csv", (past, past), follow_symlinks=False)
    assert not manifest_is_current(project, target, build_file)  # its state would re-parse seven files per run
    (target / PARSED_FOR_FILE).write_text(parsed_for_text(build_file), encoding="utf-8")
    assert manifest_is_current(project, target, build_file)
    assert not manifest_is_current(project, target, tmp_path / "other.duckdb.tmp-build")  # another profile
    os.utime(demo_seed, None)  # a seed edited through its link's target
    assert not manifest_is_current(project, target, build_file)
    os.utime(demo_seed, (past, past))
    os.utime(model, None)
    assert not manifest_is_current(project, target, build_file)
    os.utime(model, (past, past))
    assert manifest_is_current(project, target, build_file)
    later = (target / PARSED_FOR_FILE).stat().st_mtime + 5
    os.utime(target / PARTIAL_PARSE_FILE, (later, later))  # a `dbt parse` by hand, in another environment
    assert not manifest_is_current(project, target, build_file)
