"""Build the warehouse into a new file and swap it in only after success.

The published file (PGB_DUCKDB_PATH) is never opened for writing: a run
builds `<file>.tmp-build` (a copy of the published file when only part of
the project is rebuilt, a new file otherwise), and renames it over the
published one when dbt succeeded. The name is the same for every run (the
`duckdb` pool lets one run build at a time): dbt's profile points at it, and
a profile that changed from run to run would make dbt parse the whole project
again every time (about 3 s). A failed run leaves the published file as
it was; analysts reading it (read-only) never block the pipeline, because a
rename does not need the old file to be closed (on Linux/macOS).
"""

from __future__ import annotations

import ctypes
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


SYNC_FILE_RANGE_WRITE = 2  # <fcntl.h>: start writing the range's dirty pages, do not wait


def wal_of(database: Path) -> Path:
    return database.with_name(database.name + ".wal")


def build_file_for(final: Path) -> Path:
    """The file a run builds into (matches .gitignore's warehouse/*.tmp*)."""
    return final.with_name(f"{final.name}.tmp-build")


def remove_database(database: Path) -> None:
    for path in (database, wal_of(database)):
        path.unlink(missing_ok=True)


def start_writeback(path: Path) -> None:
    """Ask Linux to start writing `path`'s dirty pages to disk now, without waiting for it.

    A copy of the published warehouse lands in the page cache only; on a machine with a lot of memory the
    kernel does not write it out for about 30 s, so DuckDB's first checkpoint in the build (an fsync) would
    wait for the whole copy (2.5 GB at 24 national months). Started here, the writing overlaps dbt's own
    start. Elsewhere, or if the call fails, nothing happens: the data is the same either way.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        sync_file_range = libc.sync_file_range
    except (OSError, AttributeError):
        return
    sync_file_range.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    descriptor = os.open(path, os.O_RDONLY)
    try:
        sync_file_range(descriptor, 0, 0, SYNC_FILE_RANGE_WRITE)
    finally:
        os.close(descriptor)


def start_build_file(final: Path, build: Path, start_fresh: bool) -> None:
    """Create the build file: empty, or a copy of the published warehouse (its writing to disk started)."""
    build.parent.mkdir(parents=True, exist_ok=True)
    remove_database(build)
    if start_fresh or not final.exists():
        return
    shutil.copy2(final, build)
    if wal_of(final).exists():
        shutil.copy2(wal_of(final), wal_of(build))
    start_writeback(build)


def publish(build: Path, final: Path) -> None:
    """Atomically replace the published warehouse by the build file.

    A WAL is tied to its database file: the build's moves with it, and a
    stale one of the old file must not be replayed into the new file.
    """
    if wal_of(build).exists():
        os.replace(wal_of(build), wal_of(final))
    else:
        wal_of(final).unlink(missing_ok=True)
    os.replace(build, final)


@contextmanager
def building(final: Path, start_fresh: bool) -> Iterator[Path]:
    """Yield the build file; publish it if the block succeeds, delete it if not."""
    build = build_file_for(final)
    start_build_file(final, build, start_fresh)
    try:
        yield build
    except BaseException:
        remove_database(build)
        raise
    publish(build, final)


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the block (dbt reads PGB_DUCKDB_PATH from it)."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
