"""Benchmark the rule engine on scaled-up exports read from files.

Copies the bundled demo exports N times (every identifier suffixed with the
copy number, so the copies are independent offices), writes them as Parquet or
CSV into a scratch folder and runs `dbt seed` (reference seeds only) and
`dbt run` with PGB_EXPORTS_DIR pointing there, the way real volumes come in.
Prints rows, wall time, throughput and the peak memory of the dbt process.
It asserts nothing: figures are for people, not for CI.

    .venv/bin/python scripts/benchmark.py --copies 50 --format parquet
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT = REPO_ROOT / ".venv" / "bin" / "dbt"
IDENTIFIER_COLUMNS = {
    "siape", "concluded_by", "created_by", "supervisor_siape", "task_id", "parent_task_id", "event_id",
    "dispatch_id", "period_id", "adhesion_task_id", "nb", "aps_code",
}


def export_columns() -> dict[str, list[str]]:
    seeds = yaml.safe_load((REPO_ROOT / "seeds" / "_seeds.yml").read_text(encoding="utf-8"))["seeds"]
    return {seed["name"]: list(seed["config"]["column_types"]) for seed in seeds if seed["name"].startswith("raw_")}


def scaled_select(export: str, columns: list[str], copies: int) -> str:
    """SQL that repeats one export `copies` times with suffixed identifiers."""
    source = REPO_ROOT / "seeds" / f"{export}.csv"
    projections = [
        f"nullif(trim({column}), '') || '-' || copy_number as {column}"
        if column in IDENTIFIER_COLUMNS
        else column
        for column in columns
    ]
    return (
        f"select {', '.join(projections)} "
        f"from read_csv('{source}', header = true, all_varchar = true) "
        f"cross join range({copies}) as copies(copy_number)"
    )


def write_scaled_exports(folder: Path, copies: int, file_format: str) -> dict[str, int]:
    row_counts = {}
    with duckdb.connect() as connection:
        for export, columns in export_columns().items():
            target = folder / f"{export}.{file_format}"
            options = "(format parquet)" if file_format == "parquet" else "(header true)"
            connection.execute(f"copy ({scaled_select(export, columns, copies)}) to '{target}' {options}")
            row_counts[export] = connection.execute(f"select count(*) from '{target}'").fetchone()[0]
    return row_counts


def run_dbt(*args: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [str(DBT), *args, "--profiles-dir", str(REPO_ROOT), "--project-dir", str(REPO_ROOT), "--quiet"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=50, help="how many copies of the demo office (default 50)")
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pgb-benchmark-") as scratch:
        scratch_dir = Path(scratch)
        exports_dir = scratch_dir / "exports"
        exports_dir.mkdir()
        started = time.perf_counter()
        row_counts = write_scaled_exports(exports_dir, arguments.copies, arguments.format)
        print(f"wrote {sum(row_counts.values()):,} export rows in {time.perf_counter() - started:.1f} s")
        for export, count in row_counts.items():
            print(f"  {export:<32} {count:>12,}")

        env = {
            **os.environ,
            "PGB_DUCKDB_PATH": str(scratch_dir / "benchmark.duckdb"),
            "PGB_EXPORTS_DIR": str(exports_dir),
            "PGB_EXPORTS_FORMAT": arguments.format,
            "DO_NOT_TRACK": "1",
        }
        run_dbt("seed", "--select", "ref_rules", "ref_parameters", "ref_sisref_codes", "--target-path", str(scratch_dir / "target"), env=env)
        seconds = run_dbt("run", "--target-path", str(scratch_dir / "target"), env=env)
        with duckdb.connect(env["PGB_DUCKDB_PATH"], read_only=True) as connection:
            evaluated = connection.execute("select count(*) from fct_task_evaluations").fetchone()[0]
            outcomes = connection.execute(
                "select outcome, count(*) from fct_task_evaluations group by outcome order by outcome"
            ).fetchall()
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"dbt run: {seconds:.1f} s for {row_counts['raw_tasks']:,} tasks "
              f"({evaluated:,} evaluated, {evaluated / seconds:,.0f} evaluated tasks/s)")
        print("outcomes: " + ", ".join(f"{outcome} {count:,}" for outcome, count in outcomes))
        print(f"peak memory of the largest child process: {peak_mib:,.0f} MiB")
        print(f"warehouse file: {os.path.getsize(env['PGB_DUCKDB_PATH']) / 2**20:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
