"""A run's `dbt build` starts from the set-up parse's partial-parse state and parses nothing again.

dbt parses again every file that read an environment variable whose value differs from the parse it
starts from. The set-up parse left PGB_MONTH unset while every run sets it (empty for every month), so
each `pgb run` re-parsed seven models and YAML files (about a second); and every monthly close, whose
month no parse had seen, did the same. The set-up parse now sets the variables as a run over every month
does, and PGB_MONTH is read only when dbt executes (macros/pgb_rules.sql), so no run parses again.
"""

import json
import re
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.dbt_assets import copy_parse_state, dbt_environment, dbt_resource, parse_manifest
from orchestration.warehouse import build_file_for, environment

REPO_ROOT = Path(__file__).resolve().parents[2]
PARTIAL_PARSE = re.compile(r"Partial parsing enabled: (\d+) files deleted, (\d+) files added, (\d+) files changed")


def files_parsed_again(project: DbtProject, state: Path, run_target: Path, months: str | None) -> int:
    """The files dbt parses again when a run over `months` starts from the parse state in `state`."""
    copy_parse_state(state, run_target)
    build_file = build_file_for(Path(project.target_path).parent / "pgb.duckdb")
    with environment(**dbt_environment(build_file, months)):
        dbt_resource(project).cli(["parse"], target_path=run_target).wait()
    for line in (run_target / "dbt.log").read_text(encoding="utf-8").splitlines():
        found = PARTIAL_PARSE.search(json.loads(line)["info"]["msg"])
        if found:
            return sum(int(count) for count in found.groups())
    raise AssertionError(f"dbt did not parse partially from {state}")


def test_a_run_over_every_month_or_one_month_parses_nothing_again(tmp_path, monkeypatch):
    monkeypatch.setenv("PGB_DUCKDB_PATH", str(tmp_path / "pgb.duckdb"))
    monkeypatch.delenv("PGB_MONTH", raising=False)  # as in `make setup`
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    project = DbtProject(project_dir=REPO_ROOT, target_path=tmp_path / "target", profiles_dir=REPO_ROOT)
    parse_manifest(project)
    assert files_parsed_again(project, tmp_path / "target", tmp_path / "every_month", None) == 0
    # A month's run (a close) neither: the month is read only when dbt executes, never while it parses.
    assert files_parsed_again(project, tmp_path / "target", tmp_path / "june", "2025-06-01") == 0
