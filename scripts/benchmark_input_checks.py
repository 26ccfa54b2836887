"""Time the input checks (every GX suite) on a folder of exports, in a child process.

Runs `validate_exports` on the 15 files of a folder (CSV, or Parquet with
--format parquet) the way the Dagster step does, in a fresh Python process so
that the import of Great Expectations and the peak memory are those of a
real run. Prints rows and the verdict per export, wall time, CPU time and
the peak resident memory of the child. It asserts nothing: figures are for
people, not for CI.

    .venv/bin/python scripts/benchmark_input_checks.py --exports-dir /data/pgb/2025-07 --format parquet
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PYTHON = REPO_ROOT / ".venv" / "bin" / "python"

CHILD = """
import sys
from pathlib import Path
from expectations.validation import validate_exports
failed = 0
for validation in validate_exports(exports_dir=Path(sys.argv[1])):
    verdict = "ok" if validation.success else f"{len(validation.failures)} failed expectation(s)"
    failed += not validation.success
    print(f"  {validation.export:<32} {validation.row_count:>12,} rows  {verdict}")
sys.exit(1 if failed else 0)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exports-dir", type=Path, required=True, help="folder with the 15 raw_*.csv or .parquet files")
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--delivered-at", help="PGB_DELIVERED_AT for the run (default: each file's modification time)")
    arguments = parser.parse_args()

    env = {**os.environ, "PGB_EXPORTS_FORMAT": arguments.format}
    if arguments.delivered_at:
        env["PGB_DELIVERED_AT"] = arguments.delivered_at
    size = sum(path.stat().st_size for path in arguments.exports_dir.glob(f"raw_*.{arguments.format}"))
    print(f"input checks on {arguments.exports_dir} ({arguments.format}, {size / 2**20:,.0f} MiB)")
    started = time.perf_counter()
    child = subprocess.run([str(PYTHON), "-c", CHILD, str(arguments.exports_dir)], cwd=REPO_ROOT, env=env, check=False)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"wall {wall:.1f} s, CPU {usage.ru_utime + usage.ru_stime:.1f} s (user {usage.ru_utime:.1f}, "
          f"system {usage.ru_stime:.1f}), peak memory {usage.ru_maxrss / 1024:,.0f} MiB, exit status {child.returncode}")
    print(f"load average when it ended: {', '.join(f'{load:.1f}' for load in os.getloadavg())} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
