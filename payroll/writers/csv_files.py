"""The package's machine CSVs: RFC 4180, UTF-8 with a BOM (so Excel reads the accents), '.' decimals ('68.00').

payments.csv and adjustments.csv (one row per professional or adjustment)
are written from Python. The task-level files, tasks.csv (every verdict),
rejections.csv and held.csv, are written by DuckDB's COPY from the
snapshot's in-memory tables: a national month's 1.2 million rows never
become Python objects. COPY cannot write a BOM, so it writes a scratch
file that is then appended after the BOM (by the kernel: pgb_shared.files).
"""

from __future__ import annotations

import csv
from pathlib import Path

from payroll.package import ClosePackage
from payroll.writers.tables import PYTHON_TABLES, SQL_TABLES, as_text, header_of, rows_of, select_sql
from pgb_shared.files import append_file

BOM = "\ufeff".encode()


def write_csv_files(package: ClosePackage, folder: Path) -> list[Path]:
    return write_python_tables(package, folder) + write_sql_tables(package, folder)


def write_python_tables(package: ClosePackage, folder: Path) -> list[Path]:
    """payments.csv and adjustments.csv, from the package's Python rows."""
    return [write_python_table(package, table, folder / f"{table}.csv") for table in PYTHON_TABLES]


def write_sql_tables(package: ClosePackage, folder: Path) -> list[Path]:
    """tasks.csv, rejections.csv and held.csv, by DuckDB's COPY from the snapshot's tables."""
    return [copy_sql_table(package, table, folder / f"{table}.csv") for table in SQL_TABLES]


def write_python_table(package: ClosePackage, table: str, path: Path) -> Path:
    header = header_of(table)
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        # Python 3.11's csv leaves a lone CR unquoted when the line ends in LF, and a reader then
        # splits the row there: such a row is written with every field quoted.
        quoted_writer = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        for row in rows_of(package, table):
            cells = [as_text(row[column]) for column in header]
            (quoted_writer if any("\r" in cell for cell in cells) else writer).writerow(cells)
    return path


def copy_sql_table(package: ClosePackage, table: str, path: Path) -> Path:
    """COPY (select ...) to a scratch file, then BOM + its bytes to `path`."""
    scratch = path.with_name(f".{path.name}.copy")
    package.month_db.execute(
        f"copy ({select_sql(table)}) to '{_sql_path(scratch)}' (format csv, header, delimiter ',', quote '\"', "
        "new_line '\\n')"
    )
    with path.open("wb") as target:
        target.write(BOM)
        append_file(scratch, target)
    scratch.unlink()
    return path


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
