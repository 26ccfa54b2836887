"""Time the close package alone (payroll.close.close_month) on a built warehouse: prints figures, asserts nothing.

The package phase of `pgb close` without Dagster, GX or dbt: read the
snapshot, find the adjustments, write the CSVs (DuckDB COPY), close.xlsx
(openpyxl write-only), summary.html, the ledger file and the manifest
(which hashes every input export). Build the warehouse first, e.g. for a
generated national month:

    .venv/bin/python scripts/national_data.py --scale 1 --out /tmp/pkg-national
    export PGB_EXPORTS_DIR=/tmp/pkg-national/2025-06 PGB_EXPORTS_FORMAT=parquet PGB_DUCKDB_PATH=/tmp/pkg.duckdb
    .venv/bin/dbt seed && .venv/bin/dbt run
    .venv/bin/python scripts/benchmark_package.py --month 2025-06

It closes into a fresh scratch reports folder (the ledger starts empty), so
it can run again on the same warehouse. Peak memory is this process's
maximum RSS; "extra" is that peak minus the RSS once the libraries are imported.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from payroll.close import close_month  # noqa: E402
from payroll.months import Month  # noqa: E402
from pgb_shared import settings  # noqa: E402


def rss_mib() -> float:
    """The current resident set of this process (Linux /proc), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", required=True, help="reference month YYYY-MM")
    parser.add_argument("--keep", type=Path, help="copy the package written to this folder")
    arguments = parser.parse_args()
    month = Month.parse(arguments.month)
    warehouse = settings.warehouse_path(REPO_ROOT)
    baseline = rss_mib()
    with tempfile.TemporaryDirectory(prefix="pgb-package-") as scratch:
        reports = Path(scratch) / "reports"
        wall, cpu = time.perf_counter(), time.process_time()
        result = close_month(month, reports_dir=reports, project_dir=REPO_ROOT, warehouse=warehouse)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        sizes = {path.name: path.stat().st_size for path in sorted(result.folder.iterdir())}
        if arguments.keep:
            shutil.copytree(result.folder, arguments.keep, dirs_exist_ok=True)
    totals = result.package.totals
    print(f"month {month}: {totals['evaluated_tasks']:,} evaluated tasks, {totals['payees']:,} payees, "
          f"{result.package.rejections.count:,} rejection rows, {result.package.held.count:,} held")
    print(f"package: {wall:.1f} s wall, {cpu:.1f} s CPU (this process; DuckDB threads included)")
    print(f"memory: peak RSS {peak:,.0f} MiB, {peak - baseline:,.0f} MiB above the {baseline:,.0f} MiB after imports")
    for name, size in sizes.items():
        print(f"  {name:<16} {size / 2**20:9.1f} MiB")


if __name__ == "__main__":
    main()
