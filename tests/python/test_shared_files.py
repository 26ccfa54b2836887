"""pgb_shared.files.append_file: every byte appended after what the target holds, by the kernel or, where it
cannot, by Python; and pgb_shared.fingerprints: the hash in large chunks, the state that a write changes."""

from __future__ import annotations

import errno
import hashlib
import os

import pytest

from pgb_shared import files
from pgb_shared.fingerprints import file_state, sha256_of

BODY = b"".join(f"T{n:07d},2025-06,decision,68.00\n".encode() for n in range(50_000))


def test_the_source_is_appended_after_what_the_target_holds(tmp_path):
    source, target = tmp_path / "rows.csv", tmp_path / "ledger.csv"
    source.write_bytes(BODY)
    with target.open("wb") as handle:
        handle.write(b"\xef\xbb\xbfheader\n")  # buffered, not yet written: append_file flushes it first
        files.append_file(source, handle)
        handle.write(b"last\n")
    assert target.read_bytes() == b"\xef\xbb\xbfheader\n" + BODY + b"last\n"


@pytest.mark.parametrize("copied_before_failing", [0, 1000])
def test_python_copies_what_the_kernel_did_not(tmp_path, monkeypatch, copied_before_failing):
    """copy_file_range refused at once (another file system) or after a first call: nothing lost, nothing twice."""
    source, target = tmp_path / "rows.csv", tmp_path / "ledger.csv"
    source.write_bytes(BODY)
    kernel_copy = os.copy_file_range
    calls = []

    def refusing(src, dst, count, *args):
        calls.append(count)
        if copied_before_failing and len(calls) == 1:
            return kernel_copy(src, dst, copied_before_failing)
        raise OSError(errno.EXDEV, "cross-device")

    monkeypatch.setattr(files.os, "copy_file_range", refusing)
    with target.open("wb") as handle:
        handle.write(b"header\n")
        files.append_file(source, handle)
    assert target.read_bytes() == b"header\n" + BODY
    assert len(calls) == (2 if copied_before_failing else 1)


def test_the_sha256_of_a_file_larger_than_a_chunk(tmp_path):
    path = tmp_path / "export.parquet"
    data = os.urandom(1 << 16) * 300  # 19.7 MB: more than one 16 MiB chunk
    path.write_bytes(data)
    assert sha256_of(path) == hashlib.sha256(data).hexdigest()


def test_a_write_in_place_changes_the_state_even_at_the_same_size(tmp_path):
    path = tmp_path / "raw_tasks.csv"
    path.write_text("task_id\nT01\n", encoding="utf-8")
    before = file_state(path)
    assert file_state(path) == before
    path.write_text("task_id\nT02\n", encoding="utf-8")
    assert file_state(path) != before
    assert file_state(tmp_path / "missing.csv") is None
