"""Contract section 6 on the APS supervision fixture (Portaria 916/2021, service 14615).

The fixture folder tests/fixtures/aps_supervision holds the three supervision
exports written by hand (10 APS in 2 GEX over 3 cycles, one case per flag and
boundary), header-only copies of the 12 other raw exports (so the bundled demo
data cannot leak in), and the expected outputs, derived by hand from contract
section 5: expected_cycles.csv for fct_aps_supervision_cycles and
expected_gex_summary.csv for fct_aps_supervision_gex_summary. Every row and
every expected column must match, in both directions.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from contract_flow import query, run_fixture

FIXTURE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "aps_supervision"
SUPERVISION_EXPORTS = {"raw_aps", "raw_supervision_designations", "raw_supervision_tasks"}


def _text(value: object) -> str:
    """The CSV spelling of a DuckDB value: booleans true/false, None empty, dates ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.4f}"
    return str(value)


def _expected(name: str) -> tuple[list[str], list[tuple[str, ...]]]:
    with open(FIXTURE_DIR / name, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, sorted(tuple(row) for row in reader)


def _actual(warehouse: Path, table: str, columns: list[str], key: str) -> list[tuple[str, ...]]:
    rows = query(warehouse, f"select {', '.join(columns)} from {table} order by {key}")
    return sorted(tuple(_text(value) for value in row) for row in rows)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_fixture(FIXTURE_DIR, tmp_path_factory.mktemp("aps_supervision"))


def test_fixture_folder_isolates_the_supervision_exports() -> None:
    """The 12 other raw exports are header-only, so no demo row reaches the run."""
    raw_files = sorted(FIXTURE_DIR.glob("raw_*.csv"))
    assert len(raw_files) == 15
    for path in raw_files:
        lines = path.read_text(encoding="utf-8").splitlines()
        if path.stem in SUPERVISION_EXPORTS:
            assert len(lines) > 1, path.name
        else:
            assert len(lines) == 1, f"{path.name} must be header-only"


def test_cycle_calendar(warehouse: Path) -> None:
    """Newest task created 2022-02-14: cycles 1-3; Feb 1 + 30 days = Mar 3."""
    rows = query(warehouse, "select cycle_number, cycle_start, cycle_deadline from int_supervision__cycles order by 1")
    assert [(n, s.isoformat(), d.isoformat()) for n, s, d in rows] == [
        (1, "2021-10-01", "2021-10-31"),
        (2, "2021-12-01", "2021-12-31"),
        (3, "2022-02-01", "2022-03-03"),
    ]


def test_aps_supervision_cycles_match_expected(warehouse: Path) -> None:
    columns, expected = _expected("expected_cycles.csv")
    actual = _actual(warehouse, "fct_aps_supervision_cycles", columns, "cycle_number, aps_code")
    missing = sorted(set(expected) - set(actual))
    unexpected = sorted(set(actual) - set(expected))
    assert not missing and not unexpected, f"columns {columns}\nmissing: {missing}\nunexpected: {unexpected}"
    assert len(actual) == len(expected)


def test_gex_summary_matches_expected(warehouse: Path) -> None:
    columns, expected = _expected("expected_gex_summary.csv")
    actual = _actual(warehouse, "fct_aps_supervision_gex_summary", columns, "cycle_number, gex_code")
    assert actual == expected, f"columns {columns}"


def test_flags_never_null_and_missing_clears_the_others(warehouse: Path) -> None:
    [(null_flags, missing_with_flags, bad_status)] = query(
        warehouse,
        """
        select
            count(*) filter (where s_missing is null or s_not_concluded is null or s_no_images is null
                or s_incomplete_fields is null or s_no_competence is null or s_outside_opening_hours is null),
            count(*) filter (where s_missing and (s_not_concluded or s_no_images or s_incomplete_fields
                or s_no_competence or s_outside_opening_hours)),
            count(*) filter (where status not in ('nao_supervisionada', 'conforme', 'nao_conforme'))
        from fct_aps_supervision_cycles
        """,
    )
    assert (null_flags, missing_with_flags, bad_status) == (0, 0, 0)
