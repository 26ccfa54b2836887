"""`dagster dev` can load the project's definitions from a fresh clone.

A fresh clone holds the repository's files and nothing generated: no
target/, no warehouse, no Dagster home. The documented set-up (`make setup`:
install, `dbt parse`, the Dagster home) is replayed with the existing .venv,
then `dagster definitions validate` loads the code location exactly as
`dagster dev` does (pyproject.toml [tool.dagster], from the clone's root).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def repository_files() -> list[str]:
    """What a clone would contain: tracked files and new ones not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [name for name in listed if (REPO_ROOT / name).is_file()]


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory):
    clone = tmp_path_factory.mktemp("clone") / "pgb"
    for name in repository_files():
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, clone / name)
    assert not (clone / "target").exists() and not (clone / "warehouse" / "pgb.duckdb").exists()
    return clone


def clone_environment(clone: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PGB_", "DAGSTER_", "DBT_"))}
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(clone),  # the clone's packages, not the repository's
        DAGSTER_HOME=str(clone / ".dagster_home"),
        DBT_PROFILES_DIR=str(clone),
        DO_NOT_TRACK="1",
    )
    return env


def run(command: list[str], clone: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=clone, env=clone_environment(clone), capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def test_definitions_load_from_a_fresh_clone_after_setup(fresh_clone):
    # The set-up steps of `make setup` that matter here (the venv exists already).
    run([str(VENV_BIN / "dbt"), "parse", "--quiet"], fresh_clone)
    assert (fresh_clone / "target" / "manifest.json").exists()
    run([sys.executable, "-m", "orchestration.instance"], fresh_clone)
    assert "default_limit: 1" in (fresh_clone / ".dagster_home" / "dagster.yaml").read_text()

    validated = run([str(VENV_BIN / "dagster"), "definitions", "validate"], fresh_clone)
    assert "pgb" in validated.stdout + validated.stderr  # the code location of [tool.dagster]

    listed = run(
        [
            sys.executable,
            "-c",
            "import json, orchestration.definitions as d; g = d.defs.resolve_asset_graph();"
            "print(d.__file__); print(json.dumps(sorted({g.get(k).group_name for k in g.get_all_asset_keys()})))",
        ],
        fresh_clone,
    )
    module_file, groups = listed.stdout.strip().splitlines()[-2:]
    assert Path(module_file).is_relative_to(fresh_clone)
    assert {"exports", "staging", "intermediate", "marts", "reports"} <= set(json.loads(groups))
