"""Run the hand-written ordinary-hours query (ordinary_hours_baseline.sql) on export files.

    .venv/bin/python scripts/ordinary_hours_baseline.py --exports-dir /tmp/national/2025-06 --month 2025-06

The raw exports are not loaded: each `raw_*` relation is a view over its file
(Parquet as written; CSV read as text and cast with the types of
seeds/_seeds.yml, blanks as nulls, as the staging views do). The reference
seeds come from seeds/. Prints the pairs that fire per rule and the query's
own time; --out writes the (task_id, rule_code) pairs to a Parquet or CSV file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
QUERY = Path(__file__).resolve().with_name("ordinary_hours_baseline.sql")
SEEDS_DIR = REPO_ROOT / "seeds"
EXPORTS_READ = ("raw_tasks", "raw_task_events", "raw_task_assignments", "raw_sub_dispatches",
                "raw_sisref_intervals", "raw_sisref_occurrences")
REFERENCE_SEEDS = ("ref_parameters", "ref_sisref_codes")


def column_types() -> dict[str, dict[str, str]]:
    seeds = yaml.safe_load((SEEDS_DIR / "_seeds.yml").read_text(encoding="utf-8"))["seeds"]
    return {seed["name"]: dict(seed["config"]["column_types"]) for seed in seeds}


def typed_csv_view(name: str, path: Path, types: dict[str, str]) -> str:
    columns = ", ".join(
        f"nullif(trim({column}), '') as {column}" if kind == "varchar"
        else f"cast(nullif(trim({column}), '') as {kind}) as {column}"
        for column, kind in types.items()
    )
    return (f"create or replace view {name} as select {columns} "
            f"from read_csv('{path}', header = true, all_varchar = true)")


def define_relations(connection: duckdb.DuckDBPyConnection, exports_dir: Path, file_format: str) -> None:
    types = column_types()
    for export in EXPORTS_READ:
        path = exports_dir / f"{export}.{file_format}"
        if not path.exists():
            raise FileNotFoundError(f"{path}: export file not found")
        if file_format == "parquet":
            connection.execute(f"create or replace view {export} as select * from read_parquet('{path}')")
        else:
            connection.execute(typed_csv_view(export, path, types[export]))
    for seed in REFERENCE_SEEDS:
        connection.execute(typed_csv_view(seed, SEEDS_DIR / f"{seed}.csv", types[seed]))


def run(exports_dir: Path, month: str, file_format: str = "parquet", out: Path | None = None) -> dict:
    """Run the query; returns its seconds and the number of pairs per rule."""
    year, month_number = (int(part) for part in month.split("-")[:2])
    with duckdb.connect() as connection:
        define_relations(connection, Path(exports_dir), file_format)
        connection.execute(f"set variable month_start = date '{year:04d}-{month_number:02d}-01'")
        started = time.perf_counter()
        connection.execute(f"create temp table fired as {QUERY.read_text(encoding='utf-8')}")
        seconds = time.perf_counter() - started
        by_rule = dict(connection.execute("select rule_code, count(*) from fired group by all order by all").fetchall())
        if out is not None:
            options = "(format parquet)" if Path(out).suffix == ".parquet" else "(format csv, header true)"
            connection.execute(f"copy (select * from fired order by all) to '{out}' {options}")
    return {"query_seconds": round(seconds, 3), "pairs_by_rule": by_rule}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exports-dir", type=Path, required=True)
    parser.add_argument("--month", required=True, help="reference month YYYY-MM")
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--out", type=Path, help="write the (task_id, rule_code) pairs here (.parquet or .csv)")
    arguments = parser.parse_args(argv)
    result = run(arguments.exports_dir, arguments.month, arguments.format, arguments.out)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
