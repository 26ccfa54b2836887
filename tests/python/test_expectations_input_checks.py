"""The blocking input checks of contract v2 and issue 11, each on a small bad CSV.

Every refusal must name the export, the column, the offending value(s) and
their CSV line numbers (header = line 1), through `validate_exports` as the
Dagster check calls it.
"""

import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from expectation_samples import failures_of, project_copy, validate_text, with_row
from orchestration_samples import VALID_EXPORTS, set_cell, write_valid_exports

from expectations.validation import validate_exports

IN_SET = "expect_column_values_to_be_in_set"
NOT_NULL = "expect_column_values_to_not_be_null"
BETWEEN = "expect_column_values_to_be_between"
PAIR = "expect_column_pair_values_a_to_be_greater_than_b"
NO_CONTROL = "expect_column_values_to_not_match_regex"


@pytest.fixture(scope="module")
def exports_dir(tmp_path_factory):
    return write_valid_exports(tmp_path_factory.mktemp("exports"))


@pytest.fixture(autouse=True)
def no_delivery_moment_set(monkeypatch):
    monkeypatch.delenv("PGB_DELIVERED_AT", raising=False)


# --- 1. contract v2 section 4: every Sisref occurrence code is in ref_sisref_codes ----------------


def test_unknown_occurrence_code_is_refused_with_its_rows(exports_dir):
    text = VALID_EXPORTS["raw_sisref_occurrences"]
    text = with_row(with_row(with_row(text, "0765432,2025-06-21,XYZ"), "0765432,2025-06-22,FER"), "1234567,2025-06-23,XYZ")
    validation = validate_text(exports_dir, "raw_sisref_occurrences", text)
    [failure] = failures_of(validation, IN_SET, "occurrence_code")
    assert failure.unexpected_count == 2
    assert failure.row_numbers == (3, 5)
    assert failure.values == ("XYZ", "XYZ")
    assert failure.distinct_values == (("XYZ", 2),)
    message = validation.message()
    assert "raw_sisref_occurrences" in message and "ref_sisref_codes" in message
    assert "line 3 'XYZ'" in message and "line 5 'XYZ'" in message


def test_occurrence_codes_compare_trimmed_as_staging_does(exports_dir):
    text = with_row(VALID_EXPORTS["raw_sisref_occurrences"], "0765432,2025-06-21, LTS ")
    validation = validate_text(exports_dir, "raw_sisref_occurrences", text)
    assert validation.success, validation.message()


def test_occurrence_codes_come_from_the_project_seed_even_with_an_exports_folder(tmp_path):
    """A code the project's Annex III table lists passes; the exports folder has no say."""
    project = project_copy(tmp_path / "project")
    codes = project / "seeds" / "ref_sisref_codes.csv"
    codes.write_text(codes.read_text(encoding="utf-8") + "XYZ,Código de teste,false\n", encoding="utf-8")
    exports = write_valid_exports(tmp_path / "exports")
    (exports / "ref_sisref_codes.csv").write_text("occurrence_code,description,blocks_extraordinary_work\n")
    (exports / "raw_sisref_occurrences.csv").write_text(
        with_row(VALID_EXPORTS["raw_sisref_occurrences"], "0765432,2025-06-21,XYZ"), encoding="utf-8"
    )
    [validation] = validate_exports(["raw_sisref_occurrences"], exports_dir=exports, project_dir=project)
    assert validation.success, validation.message()


# --- 2. issue 11: a concluida task carries its conclusion ---------------------------------------


@pytest.mark.parametrize("column", ["concluded_at", "concluded_by"])
def test_concluded_task_without_its_conclusion_is_refused(exports_dir, column):
    # Line 4 is T3, an extraordinary task; line 5 (T4) is pendente without conclusion: fine.
    validation = validate_text(exports_dir, "raw_tasks", set_cell(VALID_EXPORTS["raw_tasks"], 4, column, ""))
    [failure] = failures_of(validation, NOT_NULL, column)
    assert failure.row_numbers == (4,) and failure.unexpected_count == 1
    assert "concluida" in failure.rule
    assert f"column {column}" in validation.message() and "line 4" in validation.message()


def test_concluded_ordinary_task_without_conclusion_is_refused_too(exports_dir):
    text = VALID_EXPORTS["raw_tasks"].replace("Q-ORD-1,ordinaria,3333333333,2025-06-01 10:00:00,,pendente,,",
                                              "Q-ORD-1,ordinaria,3333333333,2025-06-01 10:00:00,,concluida,,")
    validation = validate_text(exports_dir, "raw_tasks", text)
    assert failures_of(validation, NOT_NULL, "concluded_at")[0].row_numbers == (5,)
    assert failures_of(validation, NOT_NULL, "concluded_by")[0].row_numbers == (5,)


# --- 3. issue 11: implausible values ------------------------------------------------------


def test_sisref_interval_longer_than_the_bound_is_refused(exports_dir):
    text = set_cell(VALID_EXPORTS["raw_sisref_intervals"], 3, "end_at", "2025-06-03 08:05:01")  # 24 h 1 s
    validation = validate_text(exports_dir, "raw_sisref_intervals", text)
    [failure] = [f for f in failures_of(validation, PAIR, "end_at") if "24 h" in f.rule]
    assert failure.row_numbers == (3,)
    assert failure.values == ("2025-06-03 08:05:01 (vs start_at 2025-06-02 08:05:00, hours 24.0003)",)
    assert "sisref_max_interval_hours" in validation.message()


def test_sisref_interval_of_exactly_the_bound_passes(exports_dir):
    text = set_cell(VALID_EXPORTS["raw_sisref_intervals"], 3, "end_at", "2025-06-03 08:05:00")
    validation = validate_text(exports_dir, "raw_sisref_intervals", text)
    assert validation.success, validation.message()


def test_sisref_bound_is_the_parameter_in_force(tmp_path):
    project = project_copy(tmp_path / "project")
    parameters = project / "seeds" / "ref_parameters.csv"
    shipped = parameters.read_text(encoding="utf-8")
    assert "sisref_max_interval_hours,24,2025-05-19,," in shipped
    parameters.write_text(
        shipped.replace("sisref_max_interval_hours,24,2025-05-19,,", "sisref_max_interval_hours,24,2025-05-19,2025-06-01,")
        + "sisref_max_interval_hours,48,2025-06-02,,test,2026-11-22\n",
        encoding="utf-8",
    )
    exports = write_valid_exports(tmp_path / "exports")
    (exports / "raw_sisref_intervals.csv").write_text(
        set_cell(VALID_EXPORTS["raw_sisref_intervals"], 3, "end_at", "2025-06-04 08:00:00"), encoding="utf-8"
    )
    [validation] = validate_exports(["raw_sisref_intervals"], exports_dir=exports, project_dir=project)
    assert validation.success, validation.message()  # 47 h 55 min, within the 48 h in force on 2025-06-02


@pytest.mark.parametrize(
    ("export", "column", "line"),
    [
        ("raw_pgd_plans", "net_target_points", 2),
        ("raw_pgd_plans", "achieved_points", 2),
        ("raw_pgd_goal_complements", "points", 2),
    ],
)
def test_negative_points_or_targets_are_refused(exports_dir, export, column, line):
    validation = validate_text(exports_dir, export, set_cell(VALID_EXPORTS[export], line, column, "-0.5"))
    [failure] = failures_of(validation, BETWEEN, column)
    assert failure.row_numbers == (line,) and failure.values == ("-0.5",)
    assert "not negative" in validation.message()


def test_zero_points_pass(exports_dir):
    validation = validate_text(exports_dir, "raw_pgd_plans", set_cell(VALID_EXPORTS["raw_pgd_plans"], 2, "achieved_points", "0"))
    assert validation.success, validation.message()


def test_conclusion_before_creation_is_refused_and_the_same_moment_passes(exports_dir):
    text = set_cell(VALID_EXPORTS["raw_tasks"], 4, "concluded_at", "2025-06-01 09:59:59")  # T3 created 10:00:00
    validation = validate_text(exports_dir, "raw_tasks", text)
    [failure] = failures_of(validation, PAIR, "concluded_at")
    assert failure.row_numbers == (4,)
    assert failure.values == ("2025-06-01 09:59:59 (vs created_at 2025-06-01 10:00:00)",)
    same = validate_text(exports_dir, "raw_tasks", set_cell(VALID_EXPORTS["raw_tasks"], 4, "concluded_at", "2025-06-01 10:00:00"))
    assert same.success, same.message()


@pytest.mark.parametrize(
    ("export", "column", "line"),
    [
        ("raw_tasks", "concluded_at", 3),
        ("raw_tasks", "created_at", 2),
        ("raw_task_events", "occurred_at", 3),
        ("raw_task_assignments", "assigned_at", 2),
        ("raw_sub_dispatches", "dispatched_at", 3),
        ("raw_sisref_intervals", "start_at", 2),
        ("raw_supervision_tasks", "visited_at", 2),
    ],
)
def test_timestamp_after_the_delivery_is_refused(exports_dir, monkeypatch, export, column, line):
    monkeypatch.setenv("PGB_DELIVERED_AT", "2025-07-01 00:00:00")
    text = set_cell(VALID_EXPORTS[export], line, column, "2030-01-01 10:00:00")
    if column == "start_at":  # keep the interval's own checks quiet
        text = set_cell(text, line, "end_at", "2030-01-01 12:00:00")
    validation = validate_text(exports_dir, export, text)
    [failure] = failures_of(validation, BETWEEN, column)
    assert failure.row_numbers == (line,) and failure.values[0].startswith("2030-01-01 10:00:00")
    assert "2025-07-01 00:00:00 (PGB_DELIVERED_AT)" in validation.message()


def test_delivery_moment_is_the_file_time_when_not_set(exports_dir):
    text = set_cell(VALID_EXPORTS["raw_task_events"], 2, "occurred_at", "2025-07-01 00:00:01")
    path = exports_dir / "raw_task_events.csv"
    path.write_text(text, encoding="utf-8")
    delivered = datetime(2025, 7, 1, tzinfo=ZoneInfo("America/Sao_Paulo")).timestamp()
    os.utime(path, (delivered, delivered))
    try:
        [validation] = validate_exports(["raw_task_events"], exports_dir=exports_dir)
    finally:
        path.write_text(VALID_EXPORTS["raw_task_events"], encoding="utf-8")
    [failure] = failures_of(validation, BETWEEN, "occurred_at")
    assert failure.row_numbers == (2,)
    assert "2025-07-01 00:00:00 (modification time of raw_task_events.csv)" in validation.message()


def test_exports_without_task_timestamps_are_not_bound_by_the_delivery(exports_dir, monkeypatch):
    monkeypatch.setenv("PGB_DELIVERED_AT", "2020-01-01 00:00:00")
    validation = validate_text(exports_dir, "raw_adhesions", VALID_EXPORTS["raw_adhesions"])
    assert validation.success, validation.message()  # requested_at 2025: PAT, not a task export


def test_a_delivery_moment_that_is_not_a_timestamp_is_refused(exports_dir, monkeypatch):
    monkeypatch.setenv("PGB_DELIVERED_AT", "ontem")
    validation = validate_text(exports_dir, "raw_tasks", VALID_EXPORTS["raw_tasks"])
    [failure] = [f for f in validation.failures if f.expectation == "delivery_moment"]
    assert "PGB_DELIVERED_AT='ontem'" in failure.rule


# --- 4. issue 11: control characters -----------------------------------------------------------


@pytest.mark.parametrize(("character", "shown"), [("\x00", "\\x00"), ("\x1b", "\\x1b"), ("\t", "\\t"), ("\x7f", "\\x7f")])
def test_control_character_in_a_name_is_refused(exports_dir, character, shown):
    text = set_cell(VALID_EXPORTS["raw_professionals"], 3, "name", f"Bruno{character}Lima")
    validation = validate_text(exports_dir, "raw_professionals", text)
    [failure] = failures_of(validation, NO_CONTROL, "name")
    assert failure.row_numbers == (3,)
    assert f"line 3 'Bruno{shown}Lima'" in validation.message()


def test_line_break_inside_a_quoted_cell_is_refused_and_later_lines_keep_their_numbers(exports_dir):
    text = set_cell(VALID_EXPORTS["raw_professionals"], 2, "name", "Ana\nSouza")  # the row spans lines 2-3
    text = set_cell(text, 4, "siape", "12345")  # 1234567's row, on line 5 of the file
    assert text.count("\n") == 5
    validation = validate_text(exports_dir, "raw_professionals", text)
    assert failures_of(validation, NO_CONTROL, "name")[0].row_numbers == (2,)
    [siape] = failures_of(validation, "expect_column_values_to_match_regex", "siape")
    assert siape.row_numbers == (5,)


def test_accented_names_pass(exports_dir):
    text = set_cell(VALID_EXPORTS["raw_professionals"], 2, "name", "Ana Conceição Brandão")
    assert validate_text(exports_dir, "raw_professionals", text).success


# --- 5. issue 11: a file that is not UTF-8 --------------------------------------------------------


def test_latin1_file_is_refused_with_its_line(exports_dir):
    text = VALID_EXPORTS["raw_aps"].replace("APS Norte", "APS São João").encode("latin-1")
    validation = validate_text(exports_dir, "raw_aps", text)
    [failure] = validation.failures
    assert failure.expectation == "read_file"
    assert failure.rule.startswith("line 3 is not UTF-8 (byte 0xe3")
    assert "must be UTF-8" in validation.message() and "raw_aps.csv" in validation.message()


def test_latin1_header_is_refused_at_line_1(exports_dir):
    text = VALID_EXPORTS["raw_aps"].replace("aps_name", "aps_nome_ção", 1).encode("latin-1")
    [failure] = validate_text(exports_dir, "raw_aps", text).failures
    assert failure.rule.startswith("line 1 is not UTF-8")


def test_utf8_bom_is_accepted(exports_dir):
    text = "\ufeff" + VALID_EXPORTS["raw_aps"].replace("APS Norte", "APS São João")
    validation = validate_text(exports_dir, "raw_aps", text.encode("utf-8"))
    assert validation.success and validation.row_count == 2, validation.message()


def test_semicolon_separated_file_is_refused_as_its_columns(exports_dir):
    validation = validate_text(exports_dir, "raw_aps", VALID_EXPORTS["raw_aps"].replace(",", ";"))
    [failure] = validation.failures
    assert failure.expectation == "expect_table_columns_to_match_ordered_list"
    assert "';'-separated" in failure.rule
