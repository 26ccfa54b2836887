"""The input checks a command starts first, in a process of their own (validate_exports_early).

validate_exports must give the child's report only when it is the report it would compute itself: same
folder and project, no export changed since the child started. Otherwise it validates in its own process.
"""

import os

import pytest
from orchestration_samples import VALID_EXPORTS, duplicate_line, write_valid_exports

from expectations import early as early_module
from expectations import validation as validation_module
from expectations.validation import drop_early_validation, validate_exports, validate_exports_early


@pytest.fixture
def exports_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PGB_DELIVERED_AT", "2026-01-01 00:00:00")
    folder = write_valid_exports(tmp_path / "exports")
    yield folder
    drop_early_validation()


def _report(validations):
    return [
        (v.export, v.row_count, v.evaluated, v.successful,
         [(f.column, f.expectation, f.unexpected_count, f.row_numbers, f.values) for f in v.failures])
        for v in validations
    ]


def _duplicate_a_task(folder):
    (folder / "raw_tasks.csv").write_text(duplicate_line(VALID_EXPORTS["raw_tasks"], 3), encoding="utf-8")


def test_the_child_gives_the_report_of_this_process(exports_dir, monkeypatch):
    _duplicate_a_task(exports_dir)
    validate_exports_early(exports_dir)
    judged_here = []
    monkeypatch.setattr(validation_module._Run, "judge", lambda *args: judged_here.append(args) or None)
    early = validate_exports(exports_dir=exports_dir)
    assert judged_here == []  # nothing was judged in this process: the report is the child's
    monkeypatch.undo()
    monkeypatch.setenv("PGB_DELIVERED_AT", "2026-01-01 00:00:00")
    assert _report(early) == _report(validate_exports(exports_dir=exports_dir))
    failed = [v for v in early if not v.success]
    assert [v.export for v in failed] == ["raw_tasks"]


def test_an_export_changed_after_the_start_is_validated_here(exports_dir):
    validate_exports_early(exports_dir)
    _duplicate_a_task(exports_dir)  # a new inode, size and times: the child's screen may predate it
    [tasks] = validate_exports(["raw_tasks"], exports_dir=exports_dir)
    assert not tasks.success and tasks.failures[0].expectation == "expect_column_values_to_be_unique"


def test_a_touched_export_is_validated_here(exports_dir, monkeypatch):
    validate_exports_early(exports_dir)
    path = exports_dir / "raw_tasks.csv"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    calls = []
    real_run = validation_module._Run
    monkeypatch.setattr(validation_module, "_Run", lambda *args: calls.append(args) or real_run(*args))
    assert all(v.success for v in validate_exports(exports_dir=exports_dir))
    assert len(calls) == 1  # screened again in this process


def test_another_folder_or_every_row_is_validated_here(exports_dir, tmp_path, monkeypatch):
    other = write_valid_exports(tmp_path / "other")
    _duplicate_a_task(other)
    validate_exports_early(exports_dir)
    [tasks] = validate_exports(["raw_tasks"], exports_dir=other)
    assert not tasks.success  # the other folder's file, not the child's
    validate_exports_early(exports_dir)
    calls = []
    real_run = validation_module._Run
    monkeypatch.setattr(validation_module, "_Run", lambda *args: calls.append(args) or real_run(*args))
    validate_exports(["raw_tasks"], exports_dir=exports_dir, every_row=True)
    assert len(calls) == 1


def test_a_child_that_dies_is_replaced_by_a_validation_here(exports_dir):
    _duplicate_a_task(exports_dir)
    validate_exports_early(exports_dir)
    early_module._EARLY.process.kill()
    [tasks] = validate_exports(["raw_tasks"], exports_dir=exports_dir)
    assert not tasks.success and tasks.failures[0].row_numbers == (3, 7)


def test_a_result_nobody_takes_is_dropped(exports_dir):
    validate_exports_early(exports_dir)
    child = early_module._EARLY.process
    drop_early_validation()
    assert early_module._EARLY is None and child.poll() is not None

