"""The seeds are split (seeds/demo/, seeds/reference/) and the contract's fixture flow still works.

dbt reads every seed through the link of the same name in seeds/ (the
folders themselves are in .dbtignore). Contract section 6 copies a fixture
CSV "over the seed of the same name": whether that copy writes through the
link (cp, shutil.copy), replaces the link by a file, or overwrites the file
under seeds/demo/, dbt must load the fixture's rows, and see every seed once.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from contract_flow import DBT, REPO_ROOT

from pgb_shared.exports import RAW_EXPORTS, REFERENCE_SEEDS

FIXTURE_TASKS = REPO_ROOT / "tests" / "fixtures" / "pgb_rules" / "raw_tasks.csv"


def rows_in(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def test_every_seed_is_a_link_into_demo_or_reference():
    for name in RAW_EXPORTS + REFERENCE_SEEDS:
        link = REPO_ROOT / "seeds" / f"{name}.csv"
        folder = "demo" if name.startswith("raw_") else "reference"
        assert link.is_symlink(), f"seeds/{name}.csv should be a link into seeds/{folder}/"
        assert os.readlink(link) == f"{folder}/{name}.csv"
        assert (REPO_ROOT / "seeds" / folder / f"{name}.csv").is_file()
    ignored = (REPO_ROOT / ".dbtignore").read_text(encoding="utf-8").split()
    assert {"seeds/demo/", "seeds/reference/"} <= set(ignored)


def copy_with_links(destination: Path) -> Path:
    for entry in ("dbt_project.yml", "profiles.yml", ".dbtignore", "models", "macros", "seeds", "tests/generic"):
        source, target = REPO_ROOT / entry, destination / entry
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, symlinks=True)
        else:
            shutil.copy2(source, target)
    return destination


def through_the_link(project: Path) -> None:
    shutil.copy(FIXTURE_TASKS, project / "seeds" / "raw_tasks.csv")  # follows the link, like cp


def replacing_the_link(project: Path) -> None:
    (project / "seeds" / "raw_tasks.csv").unlink()
    shutil.copy(FIXTURE_TASKS, project / "seeds" / "raw_tasks.csv")


def over_the_demo_file(project: Path) -> None:
    shutil.copy(FIXTURE_TASKS, project / "seeds" / "demo" / "raw_tasks.csv")


@pytest.mark.parametrize("copy_fixture", [through_the_link, replacing_the_link, over_the_demo_file])
def test_a_fixture_copied_over_a_seed_replaces_it(tmp_path, copy_fixture):
    project = copy_with_links(tmp_path / "project")
    copy_fixture(project)
    env = {**os.environ, "PGB_DUCKDB_PATH": str(tmp_path / "seeds.duckdb"), "DO_NOT_TRACK": "1"}
    env.pop("PGB_EXPORTS_DIR", None)
    seeded = subprocess.run(
        [str(DBT), "seed", "--full-refresh", "--select", "raw_tasks", "ref_rules", "--project-dir", str(project),
         "--profiles-dir", str(project)], cwd=project, env=env, capture_output=True, text=True,
    )
    assert seeded.returncode == 0, seeded.stdout[-3000:]
    listed = subprocess.run(
        [str(DBT), "ls", "--resource-type", "seed", "--output", "json", "--output-keys", "name", "--quiet",
         "--project-dir", str(project), "--profiles-dir", str(project)], cwd=project, env=env, capture_output=True,
        text=True,
    )
    names = [json.loads(line)["name"] for line in listed.stdout.splitlines() if line.startswith("{")]
    assert sorted(names) == sorted(RAW_EXPORTS + REFERENCE_SEEDS)
    with duckdb.connect(str(tmp_path / "seeds.duckdb"), read_only=True) as con:
        loaded = con.execute("select count(*) from raw_tasks").fetchone()[0]
        rules = con.execute("select count(*) from ref_rules").fetchone()[0]
    assert loaded == rows_in(FIXTURE_TASKS) != rows_in(REPO_ROOT / "seeds" / "demo" / "raw_tasks.csv")
    assert rules == rows_in(REPO_ROOT / "seeds" / "reference" / "ref_rules.csv")
