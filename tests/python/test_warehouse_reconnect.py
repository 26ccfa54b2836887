"""What the README ("Querying the result", "The warehouse swap") tells analysts: after the pipeline swaps the
warehouse file by a rename, a process sees the new file only once every connection it had to that path is
closed. DuckDB keeps one database instance per path and process, and a new connect reuses it while any
connection to it is open."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb


def make_warehouse(path, version: str) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create table fct_version as select ? as version", [version])


def version_of(con) -> str:
    return con.execute("select version from fct_version").fetchall()[0][0]


def test_a_new_connect_sees_the_swapped_file_only_after_every_old_connection_is_closed(tmp_path):
    published, build = tmp_path / "pgb.duckdb", tmp_path / "pgb.duckdb.tmp-run"
    make_warehouse(published, "old")
    make_warehouse(build, "new")

    analyst = duckdb.connect(str(published), read_only=True)
    assert version_of(analyst) == "old"
    os.replace(build, published)  # what the pgb_dbt step does after a successful build

    assert version_of(analyst) == "old"  # an open session keeps reading the file it opened
    with duckdb.connect(str(published), read_only=True) as reconnected_too_early:
        assert version_of(reconnected_too_early) == "old"  # the same instance, not the new file
    other_process = subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; print(duckdb.connect(sys.argv[1], read_only=True)"
         ".execute('select version from fct_version').fetchall()[0][0])", str(published)],
        capture_output=True, text=True, check=True)
    assert other_process.stdout.strip() == "new"  # a new process has no instance to reuse
    analyst.close()

    with duckdb.connect(str(published), read_only=True) as reconnected:
        assert version_of(reconnected) == "new"
