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
            writer.writerow(header)
            writer.writerows([as_text(row[column]) for column in header] for row in rows_of(package, table))
        written.append(path)
    return written
