"""The `pgb` command's pure pieces: arguments, the partition range, the refusals before Dagster starts."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from orchestration.cli import (CLOSE_USAGE, brasilia_today, close_config, main, month_with_partition, parse_args,
                               partition_months, refuse_close_early)
from orchestration.partitions import monthly_partitions
from payroll.errors import CloseRefused
from payroll.ledger import Ledger
from payroll.months import Month
from payroll_samples import decided

REPO_ROOT = Path(__file__).resolve().parents[2]
PROGRAM_START = date(2025, 5, 19)
TODAY = date(2025, 8, 5)


def test_run_and_close_arguments():
    assert parse_args(["run"]).command == "run" and parse_args(["run"]).month is None
    assert parse_args(["run", "--month", "2025-06"]).month == "2025-06"
    close = parse_args(["close", "--month", "2025-07", "--reopen", "--reason", "SIAPE incompleto"])
    assert (close.command, close.month, close.reopen, close.reason) == ("close", "2025-07", True, "SIAPE incompleto")
    with pytest.raises(SystemExit):
        parse_args([])


@pytest.mark.parametrize("argv", [["close"], ["close", "--month"]])
def test_close_without_a_month_prints_the_usage_line(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == ["pgb close: --month is missing", CLOSE_USAGE]


@pytest.mark.parametrize("command", ["run", "close", "explain"])
def test_a_month_13_is_refused_by_argparse_with_the_range(command, capsys):
    with pytest.raises(SystemExit) as exit_status:
        parse_args([command, "--month", "2025-13"])
    assert exit_status.value.code == 2
    assert "'2025-13' is not a month: write YYYY-MM with the month 01 to 12" in capsys.readouterr().err
    assert parse_args([command, "--month", "2025-12"]).month == "2025-12"


def test_close_config_is_the_assets_config(tmp_path):
    arguments = parse_args(["close", "--month", "2025-07", "--reopen", "--reason", " why ", "--picture",
                            str(tmp_path / "p.png"), "--prepared-by", " Ana Operadora "])
    assert close_config(arguments) == {"close_package": {"reopen": True, "reason": "why",
                                                         "picture": str(tmp_path / "p.png"),
                                                         "prepared_by": "Ana Operadora"}}
    assert close_config(parse_args(["close", "--month", "2025-07"])) == {
        "close_package": {"reopen": False, "reason": "", "picture": "", "prepared_by": ""}}


def test_partition_months_match_the_dagster_partitions():
    first, last = partition_months(PROGRAM_START, TODAY)
    assert (first, last) == (Month(2025, 5), Month(2025, 7))
    keys = monthly_partitions(REPO_ROOT).get_partition_keys()
    now_first, now_last = partition_months(PROGRAM_START, brasilia_today())
    assert (keys[0], keys[-1]) == (now_first.partition_key, now_last.partition_key)


@pytest.mark.parametrize(("text", "message"), [
    ("2025-6", "YYYY-MM"),
    ("2025-08", "2025-08 has no partition"),  # not over yet
    ("2025-04", "2025-04 has no partition"),  # before the program
])
def test_months_without_a_partition_are_refused(text, message):
    with pytest.raises(CloseRefused, match=message):
        month_with_partition(text, PROGRAM_START, TODAY)


def test_refusals_before_anything_runs(tmp_path):
    ledger = Ledger(tmp_path / "ledger")
    ledger.write_close(Month(2025, 6), [decided("A")])

    def refuse(*argv):
        return refuse_close_early(parse_args(["close", *argv]), tmp_path, PROGRAM_START, TODAY)

    assert refuse("--month", "2025-07") == Month(2025, 7)
    with pytest.raises(CloseRefused, match="already closed"):
        refuse("--month", "2025-06")
    with pytest.raises(CloseRefused, match="--reason"):
        refuse("--month", "2025-06", "--reopen")
    with pytest.raises(CloseRefused, match="before the last closed month"):
        refuse("--month", "2025-05")
    assert refuse("--month", "2025-06", "--reopen", "--reason", "why") == Month(2025, 6)


def test_a_refused_close_answers_at_once_with_exit_status_2(tmp_path):
    """No Dagster run, no dbt: the refusal comes back in seconds and writes nothing."""
    env = {"PGB_REPORTS_DIR": str(tmp_path / "reports"), "DAGSTER_HOME": str(tmp_path / "dagster"),
           "PATH": "/usr/bin:/bin"}
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "orchestration.cli", "close", "--month", "2024-12"],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    assert result.returncode == 2, result.stderr
    assert "refused" in result.stderr and "2024-12 has no partition" in result.stderr
    assert not (tmp_path / "reports").exists() and not (tmp_path / "dagster").exists()
    print(f"refusal answered in {elapsed:.1f} s")  # a figure, not an assertion
