"""The DuckDB screen in front of GX loses nothing, and the reader keeps line numbers exact.

`validate_exports` hands GX only the rows its DuckDB screen keeps. Each damage
below is validated twice, screened and with every row handed to GX, and both
reports must be identical: same failures, counts, lines and values.
"""

import datetime
import random

import duckdb
import pytest
from expectation_samples import failures_of, validate_text
from orchestration_samples import DAMAGES, VALID_EXPORTS, duplicate_line, set_cell, write_valid_exports

from expectations import validation as validation_module
from expectations.suites import TIMESTAMP_FORMAT, TIMESTAMP_REGEX
from expectations.validation import validate_exports

REGEX = "expect_column_values_to_match_regex"

# (export, damaged text) beyond orchestration_samples.DAMAGES: one per kind of check.
SCREEN_CASES = {
    **{name: (export, damage(VALID_EXPORTS[export])) for name, (export, damage, *_rest) in DAMAGES.items()},
    "blank_required_cell": ("raw_tasks", set_cell(VALID_EXPORTS["raw_tasks"], 3, "queue_code", "   ")),
    "blank_optional_enum": ("raw_adhesions", set_cell(VALID_EXPORTS["raw_adhesions"], 4, "homologation", "  ")),
    "enum_with_spaces": ("raw_task_events", set_cell(VALID_EXPORTS["raw_task_events"], 2, "event_type", " comment")),
    "unpadded_timestamp": ("raw_task_events", set_cell(VALID_EXPORTS["raw_task_events"], 3, "occurred_at", "2025-6-2 18:15:00")),
    "february_30": ("raw_hr_periods", set_cell(VALID_EXPORTS["raw_hr_periods"], 2, "start_date", "2025-02-30")),
    "fraction_of_second": ("raw_task_assignments", set_cell(VALID_EXPORTS["raw_task_assignments"], 2, "assigned_at", "2025-06-02 18:00:00.5")),
    "integer_with_sign": ("raw_supervision_tasks", set_cell(VALID_EXPORTS["raw_supervision_tasks"], 2, "attachments_count", "+3")),
    "unicode_digits_in_siape": ("raw_professionals", set_cell(VALID_EXPORTS["raw_professionals"], 2, "siape", "０１２３４５６")),
    "reference_with_spaces": ("raw_task_events", set_cell(VALID_EXPORTS["raw_task_events"], 2, "task_id", " T1 ")),
    "dangling_reference": ("raw_task_assignments", set_cell(VALID_EXPORTS["raw_task_assignments"], 3, "task_id", "T9")),
    "self_reference": ("raw_tasks", set_cell(VALID_EXPORTS["raw_tasks"], 4, "parent_task_id", "T99")),
    "duplicate_compound_key": ("raw_task_assignments", duplicate_line(VALID_EXPORTS["raw_task_assignments"], 2)),
    # Staging trims ids: " E1 " is E1 again, so the key repeats as staging holds it.
    "key_repeated_once_trimmed": ("raw_task_events", VALID_EXPORTS["raw_task_events"] + " E1 ,T1,comment,2025-06-02 18:20:00,0123456\n"),
    "compound_key_repeated_once_trimmed": (
        "raw_task_assignments", VALID_EXPORTS["raw_task_assignments"] + "T1 ,0123456,2025-06-02 18:00:00\n"
    ),
    "duplicate_with_blank_and_null": (
        "raw_sisref_occurrences",
        VALID_EXPORTS["raw_sisref_occurrences"] + "0123456,2025-06-21, \n0123456,2025-06-21,\n",
    ),
    "control_character": ("raw_professionals", set_cell(VALID_EXPORTS["raw_professionals"], 4, "name", "Carla\x00")),
    "line_break_in_cell": ("raw_aps", set_cell(VALID_EXPORTS["raw_aps"], 2, "aps_name", "APS\r\nCentro")),
    "unknown_code": ("raw_sisref_occurrences", set_cell(VALID_EXPORTS["raw_sisref_occurrences"], 2, "occurrence_code", "FERIAS")),
    "negative_points": ("raw_pgd_goal_complements", set_cell(VALID_EXPORTS["raw_pgd_goal_complements"], 2, "points", "-1")),
    "long_interval": ("raw_sisref_intervals", set_cell(VALID_EXPORTS["raw_sisref_intervals"], 4, "end_at", "2025-06-05 04:00:00")),
    "after_delivery": ("raw_sub_dispatches", set_cell(VALID_EXPORTS["raw_sub_dispatches"], 2, "dispatched_at", "2031-01-01 00:00:00")),
    "concluded_without_payee": ("raw_tasks", set_cell(VALID_EXPORTS["raw_tasks"], 6, "concluded_by", "")),
    "concluded_before_created": ("raw_tasks", set_cell(VALID_EXPORTS["raw_tasks"], 2, "concluded_at", "2025-05-31 23:00:00")),
    "required_when": ("raw_hr_periods", set_cell(VALID_EXPORTS["raw_hr_periods"], 3, "ceded_to", "")),
    "time_out_of_range": ("raw_aps", set_cell(VALID_EXPORTS["raw_aps"], 3, "closes_at", "24:00")),
    "decimal_with_comma": ("raw_pgd_plans", '"siape","reference_month","pact_type","net_target_points","achieved_points"\n0123456,2025-06-01,atividade,"100,5",95.5\n'),
}
# Variants the contract allows: the screen may keep them, GX must let them through.
ALLOWED_VARIANTS = {"blank_optional_enum", "reference_with_spaces"}


@pytest.fixture(scope="module")
def exports_dir(tmp_path_factory):
    return write_valid_exports(tmp_path_factory.mktemp("exports"))


@pytest.fixture(autouse=True)
def fixed_delivery(monkeypatch):
    monkeypatch.setenv("PGB_DELIVERED_AT", "2026-01-01 00:00:00")


def _report(validation):
    return [
        (f.column, f.expectation, f.rule, f.unexpected_count, f.row_numbers, f.values, f.distinct_values)
        for f in validation.failures
    ]


@pytest.mark.parametrize("case", sorted(SCREEN_CASES))
def test_screened_report_equals_the_report_on_every_row(exports_dir, case):
    export, text = SCREEN_CASES[case]
    screened = validate_text(exports_dir, export, text)
    every_row = validate_text(exports_dir, export, text, every_row=True)
    assert every_row.success == (case in ALLOWED_VARIANTS), every_row.message()
    assert _report(screened) == _report(every_row)
    assert screened.row_count == every_row.row_count


def test_stricter_formats_of_the_contract(exports_dir):
    """Zero-padded timestamps and dates, ASCII digits: what the contract writes and DuckDB casts."""
    _, text = SCREEN_CASES["unpadded_timestamp"]
    assert failures_of(validate_text(exports_dir, "raw_task_events", text), REGEX, "occurred_at")[0].row_numbers == (3,)
    _, text = SCREEN_CASES["unicode_digits_in_siape"]
    assert failures_of(validate_text(exports_dir, "raw_professionals", text), REGEX, "siape")[0].row_numbers == (2,)


def test_keys_compare_as_staging_trims_them(exports_dir):
    """The dbt unique tests of the staging models are not run again in production builds (see
    orchestration/dbt_args.py): GX must judge the key as staging holds it, trimmed."""
    export, text = SCREEN_CASES["key_repeated_once_trimmed"]
    [failure] = failures_of(validate_text(exports_dir, export, text), "expect_column_values_to_be_unique", "event_id")
    assert (failure.unexpected_count, failure.row_numbers, failure.values) == (2, (2, 5), ("E1", " E1 "))
    export, text = SCREEN_CASES["compound_key_repeated_once_trimmed"]
    [failure] = failures_of(
        validate_text(exports_dir, export, text), "expect_compound_columns_to_be_unique", "task_id,siape,assigned_at"
    )
    assert failure.row_numbers == (2, 5)
    assert all(value.startswith("task_id T1") for value in failure.values), failure.values


def test_valid_exports_keep_no_row_for_gx(exports_dir):
    for validation in validate_exports(exports_dir=exports_dir):
        assert validation.success and validation.screened_rows == 0, validation.message()


def test_more_kept_rows_than_gx_judges_at_once(exports_dir, monkeypatch):
    monkeypatch.setattr(validation_module, "JUDGED_ROWS_LIMIT", 2)
    text = VALID_EXPORTS["raw_task_events"]
    for line in (2, 3, 4):
        text = set_cell(text, line, "event_type", "telefonema")
    validation = validate_text(exports_dir, "raw_task_events", text)
    [failure] = validation.failures
    assert failure.row_numbers == (2, 3) and failure.unexpected_count == 2
    assert "GX judged the first 2 of the 3 rows" in validation.message()


def test_kept_rows_beyond_the_limit_that_pass_still_refuse(exports_dir, monkeypatch):
    """The screen keeps ' T1 ' (it joins raw values); GX, trimming, finds T1: it passes, but one row stays unjudged."""
    monkeypatch.setattr(validation_module, "JUDGED_ROWS_LIMIT", 1)
    text = set_cell(set_cell(VALID_EXPORTS["raw_task_events"], 2, "task_id", " T1"), 3, "task_id", "T1 ")
    validation = validate_text(exports_dir, "raw_task_events", text)
    [failure] = validation.failures
    assert failure.expectation == "judge_rows"


def test_timestamp_screen_never_passes_what_gx_refuses():
    """The screen's round trip through DuckDB's cast, against the suite's regex and strptime, on mutated timestamps."""
    generator = random.Random(11)
    templates = ["2025-06-02 18:30:00", "1999-12-31 23:59:59", "2024-02-29 00:00:00", "0999-01-01 00:00:00"]
    alphabet = "0123456789 -:+T.\tZ/"
    values = set(templates)
    while len(values) < 20_000:
        value = list(generator.choice(templates))
        for _ in range(generator.randint(1, 3)):
            position = generator.randrange(len(value))
            if generator.random() < 0.7:
                value[position] = generator.choice(alphabet)
            else:
                del value[position]
                value.insert(generator.randrange(len(value) + 1), generator.choice(alphabet))
        values.add("".join(value))

    def gx_accepts(value):
        try:
            datetime.datetime.strptime(value, TIMESTAMP_FORMAT)
        except ValueError:
            return False
        import re

        return re.match(TIMESTAMP_REGEX, value) is not None

    with duckdb.connect() as connection:
        connection.execute("create table candidates (v varchar)")
        connection.executemany("insert into candidates values (?)", [[value] for value in sorted(values)])
        passed = connection.execute(
            "select v from candidates where not (strlen(v) <> 19 or cast(try_cast(v as timestamp) as varchar) is distinct from v)"
        ).fetchall()
    passed = [row[0] for row in passed]
    assert len(passed) > 100  # the test means something
    assert [value for value in passed if not gx_accepts(value)] == []


# --- the reader ----------------------------------------------------------------------------


def test_blank_lines_do_not_shift_line_numbers(exports_dir):
    text = VALID_EXPORTS["raw_professionals"].replace("0765432,", "\n\n0765432,", 1)
    text = text.replace("1234567,Carla", "123456,Carla")
    validation = validate_text(exports_dir, "raw_professionals", text + "\n\n")
    [failure] = failures_of(validation, REGEX, "siape")
    assert failure.row_numbers == (6,)  # header, Ana, two blank lines, Bruno, Carla
    assert validation.row_count == 3


def test_crlf_line_ends_are_not_control_characters(exports_dir):
    text = VALID_EXPORTS["raw_professionals"].replace("\n", "\r\n")
    validation = validate_text(exports_dir, "raw_professionals", text.encode("utf-8"))
    assert validation.success, validation.message()
    damaged = set_cell(VALID_EXPORTS["raw_professionals"], 3, "role", "chefe").replace("\n", "\r\n")
    validation = validate_text(exports_dir, "raw_professionals", damaged.encode("utf-8"))
    assert failures_of(validation, "expect_column_values_to_be_in_set", "role")[0].row_numbers == (3,)


def test_row_with_too_many_fields_names_its_line(exports_dir):
    text = set_cell(VALID_EXPORTS["raw_aps"], 2, "aps_name", "APS\nCentro") + "APS003,Sul,GEX01,07:00,13:00,2020-01-01,,x\n"
    [failure] = validate_text(exports_dir, "raw_aps", text).failures
    assert failure.expectation == "read_file"
    assert failure.rule == "line 5 has 8 field(s), the header has 7"


def test_quote_never_closed_names_its_line(exports_dir):
    text = VALID_EXPORTS["raw_aps"] + 'APS003,"Sul,GEX01,07:00,13:00,2020-01-01,\n'
    [failure] = validate_text(exports_dir, "raw_aps", text).failures
    assert failure.expectation == "read_file" and "line 4" in failure.rule


def test_duplicate_header_is_reported_as_a_column(exports_dir):
    text = VALID_EXPORTS["raw_sibe_status"].replace("nb,sibe_status", "nb,nb", 1)
    [failure] = validate_text(exports_dir, "raw_sibe_status", text).failures
    assert failure.expectation == "expect_table_columns_to_match_ordered_list"
    assert "nb.1" in failure.rule


def test_typed_parquet_rows_are_checked_and_numbered(tmp_path, monkeypatch):
    """Parquet with real types (timestamps, booleans, decimals): row numbers, typed checks."""
    parquet_dir = tmp_path / "parquet"
    parquet_dir.mkdir()
    texts = {
        "raw_tasks": set_cell(VALID_EXPORTS["raw_tasks"], 3, "concluded_at", "2025-06-01 09:00:00"),
        "raw_task_events": set_cell(VALID_EXPORTS["raw_task_events"], 4, "occurred_at", "2031-01-01 00:00:00"),
        "raw_pgd_plans": set_cell(VALID_EXPORTS["raw_pgd_plans"], 3, "net_target_points", "-80"),
    }
    typed = {
        "raw_tasks": "created_at::timestamp as created_at, concluded_at::timestamp as concluded_at, "
        "service_code::integer as service_code",
        "raw_task_events": "occurred_at::timestamp as occurred_at",
        "raw_pgd_plans": "reference_month::date as reference_month, net_target_points::decimal(18,4) as net_target_points",
    }
    with duckdb.connect() as connection:
        for export, text in texts.items():
            source = tmp_path / f"{export}.csv"
            source.write_text(text, encoding="utf-8")
            connection.execute(
                f"copy (select * replace ({typed[export]}) from read_csv('{source}', all_varchar = true)) "
                f"to '{parquet_dir / export}.parquet'"
            )
    monkeypatch.setenv("PGB_EXPORTS_FORMAT", "parquet")
    tasks, events, plans = validate_exports(["raw_tasks", "raw_task_events", "raw_pgd_plans"], exports_dir=parquet_dir)
    [pair] = failures_of(tasks, "expect_column_pair_values_a_to_be_greater_than_b", "concluded_at")
    assert pair.row_numbers == (2,)  # Parquet: row 2 (no header line)
    assert failures_of(events, "expect_column_values_to_be_between", "occurred_at")[0].row_numbers == (3,)
    assert failures_of(plans, "expect_column_values_to_be_between", "net_target_points")[0].values == ("-80.0000",)


def test_line_numbers_stay_exact_in_a_file_duckdb_reads_in_parallel(tmp_path, monkeypatch):
    """700,000 events (about 40 MB): DuckDB splits the file between threads; lines must not move."""
    monkeypatch.setenv("PGB_DELIVERED_AT", "2026-01-01 00:00:00")
    exports = write_valid_exports(tmp_path / "exports")
    events = exports / "raw_task_events.csv"
    with duckdb.connect() as connection:
        connection.execute(
            f"""copy (
                select 'E' || i as event_id, 'T1' as task_id,
                       case when i in (123456, 654321) then 'telefonema' else 'comment' end as event_type,
                       '2025-06-02 18:10:00' as occurred_at, '0123456' as siape
                from range(700000) as t(i)
            ) to '{events}' (header true)"""
        )
    [validation] = validate_exports(["raw_task_events"], exports_dir=exports)
    [failure] = validation.failures
    assert failure.row_numbers == (123458, 654323)  # row i is on line i + 2
    assert validation.row_count == 700_000 and validation.screened_rows == 2
