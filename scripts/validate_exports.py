"""Great Expectations over the exports in PGB_EXPORTS_DIR (or --exports-dir): the benchmark's GX phase.

Prints one line per export and exits 1 when any suite fails, naming the file,
column and rows as the close does.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exports-dir", type=Path, default=os.environ.get("PGB_EXPORTS_DIR") or None,
                        help="folder of the exports (default $PGB_EXPORTS_DIR; file type from $PGB_EXPORTS_FORMAT)")
    arguments = parser.parse_args(argv)
    if arguments.exports_dir is None:
        parser.error("no exports folder: pass --exports-dir or set PGB_EXPORTS_DIR")
    from expectations.validation import validate_exports

    validations = validate_exports(exports_dir=Path(arguments.exports_dir))
    for validation in validations:
        print(validation.message())
    failed = [validation.export for validation in validations if not validation.success]
    print(f"{len(validations) - len(failed)} of {len(validations)} exports passed" + (f"; failed: {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
