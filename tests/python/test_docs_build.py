"""`make docs-build` (what `make docs` serves): dbt docs from a copy of the published warehouse, with the overview page.

The test holds a read-write connection on the "published" file the whole time:
DuckDB locks it, so the build would fail if it opened that file instead of its copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[2]


def make_docs(*variables: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PGB_", "DOCS_", "MAKE", "MFLAGS"))}
    return subprocess.run(["make", "--no-print-directory", "-o", ".venv/.installed", *variables], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True)


def test_docs_are_built_from_a_copy_with_the_overview(tmp_path):
    published, docs = tmp_path / "published" / "pgb.duckdb", tmp_path / "docs"
    published.parent.mkdir()
    with duckdb.connect(str(published)) as connection:
        connection.execute("create table fct_task_evaluations as select '1700000001' as task_id, 'approved' as outcome")
    before = hashlib.sha256(published.read_bytes()).hexdigest()
    with duckdb.connect(str(published)) as pipeline_holds_it:  # a writer's lock on the published file
        pipeline_holds_it.execute("select 1").fetchall()
        result = make_docs("docs", "DOCS_SERVE=0", f"PGB_DUCKDB_PATH={published}", f"DOCS_DIR={docs}")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"docs in {docs} (DOCS_SERVE=0: not served)" in result.stdout
    assert (docs / "index.html").exists() and (docs / "warehouse" / "pgb.duckdb").exists()
    manifest = json.loads((docs / "manifest.json").read_text(encoding="utf-8"))
    overview = manifest["docs"]["doc.pgb.__overview__"]["block_contents"]
    assert "ref_rules" in overview and "pgb explain" in overview and "fct_task_rule_violations" in overview
    catalog = json.loads((docs / "catalog.json").read_text(encoding="utf-8"))
    assert "model.pgb.fct_task_evaluations" in catalog["nodes"]  # read from the copy
    assert hashlib.sha256(published.read_bytes()).hexdigest() == before


def test_docs_without_a_warehouse_say_so(tmp_path):
    missing = tmp_path / "nothing.duckdb"
    result = make_docs("docs-build", f"PGB_DUCKDB_PATH={missing}", f"DOCS_DIR={tmp_path / 'docs'}")
    assert result.returncode == 2
    assert f"make docs: no warehouse at {missing}: build it first (make run)" in result.stderr
    assert not (tmp_path / "docs").exists()
