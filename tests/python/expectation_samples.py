"""Helpers for the input-check tests: validate one damaged export among valid ones."""

from __future__ import annotations

import shutil
from pathlib import Path

from orchestration_samples import VALID_EXPORTS

from expectations.contract import PROJECT_DIR
from expectations.validation import ExportValidation, validate_exports


def validate_text(exports_dir: Path, export: str, text: str | bytes, **options) -> ExportValidation:
    """Validate `export` with `text` as its file, then put the valid file back."""
    path = exports_dir / f"{export}.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    try:
        [validation] = validate_exports([export], exports_dir=exports_dir, **options)
    finally:
        path.write_text(VALID_EXPORTS[export], encoding="utf-8")
    return validation


def failures_of(validation: ExportValidation, expectation: str, column: str) -> list:
    return [f for f in validation.failures if f.expectation == expectation and f.column == column]


def project_copy(destination: Path) -> Path:
    """The parts of the project the suites read (seeds, staging models), to edit a reference seed."""
    for part in ("seeds", "models"):
        shutil.copytree(PROJECT_DIR / part, destination / part)
    return destination


def with_row(text: str, row: str) -> str:
    return text + row + "\n"
