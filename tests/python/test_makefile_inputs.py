"""Issue 11, shell injection through make: the Makefile's variables are checked before anything runs and
never reach a shell as code. Each refused call stops in check-month / check-bench, before setup."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")


def make(*args: str, guard: Path) -> subprocess.CompletedProcess:
    """make in the project; VENV/PY/DBT point at a plain file, so if a check ever let a call through, setup
    fails at once instead of installing into the shared venv or starting a national benchmark."""
    guard.write_text("not a venv")
    env = {k: v for k, v in os.environ.items() if k not in {"MONTH", "SCALE", "PHASES", "FORMAT", "BENCH_ARGS"}}
    env.pop("MAKEFLAGS", None)
    tools = [f"VENV={guard}", f"PY={guard}/python", f"DBT={guard}/dbt"]
    return subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), *args, *tools], capture_output=True,
                          text=True, env=env, timeout=60)


def payloads(folder: Path) -> list[str]:
    return [f"2025-13; touch {folder}/pwned", f"2025-06$(shell touch {folder}/pwned)", f"2025-06`touch {folder}/pwned`",
            f"$(touch {folder}/pwned)"]


@pytest.mark.parametrize("index", range(4))
def test_close_with_a_payload_in_month_refuses_and_runs_nothing(tmp_path, index):
    payload = payloads(tmp_path)[index]
    result = make("close", f"MONTH={payload}", guard=tmp_path / "guard")
    assert result.returncode != 0
    assert "is not a month YYYY-MM" in result.stderr and "usage: make close MONTH=YYYY-MM" in result.stderr
    assert not (tmp_path / "pwned").exists()
    assert "orchestration" not in result.stdout  # setup and the close never started


def test_close_without_month_prints_the_usage_line(tmp_path):
    result = make("close", guard=tmp_path / "guard")
    assert result.returncode != 0
    assert "MONTH is missing" in result.stderr and "usage: make close MONTH=YYYY-MM" in result.stderr
    assert "argparse" not in result.stderr and "the following arguments are required" not in result.stderr


@pytest.mark.parametrize(("month", "accepted"), [("2025-06", True), ("2025-12", True), ("2025-01", True),
                                                  ("2025-13", False), ("2025-00", False), ("2025-6", False),
                                                  ("2025-06\n", False), ("25-06", False)])
def test_check_month_accepts_only_yyyy_mm_with_month_01_to_12(tmp_path, month, accepted):
    assert (make("check-month", f"MONTH={month}", guard=tmp_path / "guard").returncode == 0) is accepted


@pytest.mark.parametrize(("variable", "value"), [("SCALE", "1; touch {folder}/pwned"), ("SCALE", "abc"),
                                                 ("PHASES", "seed;touch {folder}/pwned"),
                                                 ("FORMAT", "csv$(touch {folder}/pwned)"), ("FORMAT", "xlsx")])
def test_bench_with_a_bad_variable_refuses_and_runs_nothing(tmp_path, variable, value):
    result = make("bench", f"{variable}={value.format(folder=tmp_path)}", guard=tmp_path / "guard")
    assert result.returncode != 0
    assert f"make bench: {variable}=" in result.stderr and "usage: make bench" in result.stderr
    assert not (tmp_path / "pwned").exists()
    assert "benchmark.py" not in result.stdout


def test_bench_variables_that_are_fine_pass_the_check(tmp_path):
    result = make("check-bench", "SCALE=0.1", "PHASES=seed,models,rule_models,baseline", "FORMAT=csv",
                  guard=tmp_path / "guard")
    assert result.returncode == 0, result.stderr


def test_bench_args_reach_the_shell_only_as_a_quoted_variable(tmp_path):
    """A dry run prints the recipe as the shell would get it: the payload is not in it, only "$BENCH_ARGS"."""
    payload = f"--history 3; touch {tmp_path}/pwned"
    result = make("-n", "bench", "SCALE=0.1", f"BENCH_ARGS={payload}", guard=tmp_path / "guard")
    assert result.returncode == 0, result.stderr
    assert "pwned" not in result.stdout
    assert '<<< "$BENCH_ARGS"' in result.stdout and '"${bench_args[@]}"' in result.stdout
    assert not (tmp_path / "pwned").exists()
