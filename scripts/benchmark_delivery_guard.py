"""Time the delivery guard's own work on a folder of exports: the distinct SIAPEs of each export.

The row count comes from the input check (already read); the guard reads
each export with a SIAPE column once more with DuckDB to count its distinct
SIAPEs (expectations.delivery.count_delivery). Prints, per export, rows,
distinct SIAPEs and seconds, then the total wall time, CPU time and peak
resident memory of this process. It asserts nothing: figures are for people.

    .venv/bin/python scripts/benchmark_delivery_guard.py --exports-dir /tmp/pgb-bench/data/scale-1_2025-06_1m_parquet/2025-06 --format parquet
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exports-dir", type=Path, required=True)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    arguments = parser.parse_args()
    os.environ["PGB_EXPORTS_FORMAT"] = arguments.format

    import duckdb

    from expectations.delivery import SIAPE_COLUMNS, count_delivery
    from pgb_shared.exports import RAW_EXPORTS, export_path

    started, cpu_started = time.perf_counter(), time.process_time()
    for export in RAW_EXPORTS:
        path = export_path(export, arguments.exports_dir)
        if export not in SIAPE_COLUMNS or not path.exists():
            continue
        begin = time.perf_counter()
        reader = "read_parquet" if arguments.format == "parquet" else "read_csv"
        with duckdb.connect() as connection:  # the row count the input check would hand over
            rows = connection.execute(f"select count(*) from {reader}(?)", [str(path)]).fetchone()[0]
        counted = time.perf_counter()
        count = count_delivery(export, path, rows)
        print(f"  {export:<30} {rows:>12,} rows {count.payees:>8,} distinct {count.siape_column:<16} "
              f"{time.perf_counter() - counted:6.2f} s (row count {counted - begin:.2f} s, not the guard's)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"guard total: {time.perf_counter() - started:.1f} s wall (with the row counts), "
          f"{time.process_time() - cpu_started:.1f} s CPU, peak {peak:,.0f} MiB; load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
