"""The GX suites of the raw exports, on small files (no Dagster, no dbt)."""

import duckdb
import pytest
from orchestration_samples import DAMAGES, VALID_EXPORTS, set_cell, write_valid_exports

from expectations.contract import RAW_EXPORTS, load_contracts
from expectations.validation import validate_exports


@pytest.fixture(scope="module")
def exports_dir(tmp_path_factory):
    return write_valid_exports(tmp_path_factory.mktemp("exports"))


def _validate_with(exports_dir, export, text):
    """Validate `export` with `text` as its file, then put the valid file back."""
    path = exports_dir / f"{export}.csv"
    path.write_text(text, encoding="utf-8")
    try:
        [validation] = validate_exports([export], exports_dir=exports_dir)
    finally:
        path.write_text(VALID_EXPORTS[export], encoding="utf-8")
    return validation


def test_contracts_come_from_the_dbt_project():
    contracts = load_contracts()
    assert list(contracts) == list(RAW_EXPORTS)
    tasks = contracts["raw_tasks"]
    assert tasks.columns[:3] == ["task_id", "parent_task_id", "service_code"]
    assert tasks.column_types["concluded_at"] == "timestamp"
    assert ("task_id",) in tasks.keys
    assert tasks.enums["queue_type"] == ("ordinaria", "extraordinaria")
    assert ("task_id", "siape", "assigned_at") in contracts["raw_task_assignments"].keys
    assert contracts["raw_professionals"].siape_columns == ["siape"]


def test_valid_exports_pass(exports_dir):
    validations = validate_exports(exports_dir=exports_dir)
    assert [v.export for v in validations] == list(RAW_EXPORTS)
    assert all(v.success for v in validations), "\n".join(v.message() for v in validations)


def test_bundled_seeds_meet_the_contract():
    failed = [v.message() for v in validate_exports() if not v.success]
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_each_damage_is_named_with_its_column_and_line(exports_dir, damage):
    export, damage_text, column, line, expectation = DAMAGES[damage]
    validation = _validate_with(exports_dir, export, damage_text(VALID_EXPORTS[export]))
    assert not validation.success
    [failure] = [f for f in validation.failures if f.expectation == expectation]
    assert failure.export == export
    assert column in failure.column
    if line is not None:
        assert line in failure.row_numbers
        assert failure.unexpected_count >= 1
        assert f"line {line}" in validation.message()
    assert export in validation.message() and column in validation.message()


@pytest.mark.parametrize(
    ("export", "line", "column", "value", "expectation"),
    [
        ("raw_hr_periods", 3, "ceded_to", "", "expect_column_values_to_not_be_null"),  # cessao without organ
        ("raw_adhesions", 2, "enabled_from", "", "expect_column_values_to_not_be_null"),  # homologated, no date
        ("raw_hr_periods", 2, "end_date", "2025-01-09", "expect_column_pair_values_a_to_be_greater_than_b"),
        ("raw_task_events", 2, "task_id", "T99", "expect_column_values_to_be_null"),  # unknown task
        ("raw_sub_dispatches", 2, "is_automatic", "yes", "expect_column_values_to_be_in_set"),
        ("raw_pgd_plans", 2, "reference_month", "2025-06-15", "expect_column_values_to_match_regex"),
        ("raw_pgd_plans", 2, "net_target_points", "cem", "expect_column_values_to_match_regex"),
        ("raw_tasks", 2, "service_code", "12a45", "expect_column_values_to_match_regex"),
        ("raw_aps", 2, "opens_at", "7h", "expect_column_values_to_match_regex"),
        ("raw_tasks", 2, "task_id", "", "expect_column_values_to_not_be_null"),
    ],
)
def test_contract_rules(exports_dir, export, line, column, value, expectation):
    validation = _validate_with(exports_dir, export, set_cell(VALID_EXPORTS[export], line, column, value))
    failures = [f for f in validation.failures if f.expectation == expectation and f.column == column]
    assert failures, validation.message()
    assert line in failures[0].row_numbers


def test_siape_keeps_leading_zeros(exports_dir):
    # 0123456 is a valid SIAPE: read as text, it must not lose its zero.
    validation = _validate_with(exports_dir, "raw_professionals", VALID_EXPORTS["raw_professionals"])
    assert validation.success, validation.message()


def test_missing_file_and_empty_file(exports_dir):
    (exports_dir / "raw_aps.csv").unlink()
    try:
        [missing] = validate_exports(["raw_aps"], exports_dir=exports_dir)
    finally:
        (exports_dir / "raw_aps.csv").write_text(VALID_EXPORTS["raw_aps"], encoding="utf-8")
    assert "file not found" in missing.message()
    empty = _validate_with(exports_dir, "raw_aps", "")
    assert "no header" in empty.message()


def test_header_only_export_passes(exports_dir):
    header = VALID_EXPORTS["raw_tasks"].splitlines()[0] + "\n"
    validation = _validate_with(exports_dir, "raw_tasks", header)
    assert validation.success and validation.row_count == 0


def test_parquet_exports_are_validated_too(tmp_path, exports_dir, monkeypatch):
    parquet_dir = tmp_path / "parquet"
    parquet_dir.mkdir()
    with duckdb.connect() as connection:
        for export in ("raw_tasks", "raw_task_events"):
            text = VALID_EXPORTS[export]
            if export == "raw_task_events":
                text = set_cell(text, 3, "event_type", "telefonema")
            source = tmp_path / f"{export}.csv"
            source.write_text(text, encoding="utf-8")
            connection.execute(
                f"copy (select * from read_csv('{source}', all_varchar = true)) to '{parquet_dir / export}.parquet'"
            )
    monkeypatch.setenv("PGB_EXPORTS_FORMAT", "parquet")
    tasks, events = validate_exports(["raw_tasks", "raw_task_events"], exports_dir=parquet_dir)
    assert tasks.success, tasks.message()
    [failure] = events.failures
    assert failure.column == "event_type" and failure.row_numbers == (2,)  # Parquet: row 2 (no header)
