"""payments.csv, rejections.csv, held.csv, adjustments.csv: UTF-8, header row, '68.00' money."""

from __future__ import annotations

import csv
from pathlib import Path

from payroll.package import ClosePackage
from payroll.writers.tables import TABLES, as_text, header_of, rows_of


def write_csv_files(package: ClosePackage, folder: Path) -> list[Path]:
    written = []
    for table in TABLES:
        path = folder / f"{table}.csv"
        header = header_of(table)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            # Python 3.11's csv leaves a lone CR unquoted when the line ends in LF, and a reader then
            # splits the row there: such a row is written with every field quoted.
            quoted_writer = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_ALL)
            writer.writerow(header)
            for row in rows_of(package, table):
                cells = [as_text(row[column]) for column in header]
                (quoted_writer if any("\r" in cell for cell in cells) else writer).writerow(cells)
        written.append(path)
    return written
