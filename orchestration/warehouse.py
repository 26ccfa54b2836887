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

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pgb_shared.fingerprints import file_state
from pgb_shared.processes import process_is_gone

# `<file>.tmp-<kind>-<pid>` beside the warehouse: a copy made ahead of the dbt step, a replaced file being freed.
COPY_AHEAD, REPLACED = "copy", "replaced"


def wal_of(database: Path) -> Path:
    return database.with_name(database.name + ".wal")


def build_file_for(final: Path) -> Path:
    """The file a run builds into (matches .gitignore's warehouse/*.tmp*)."""
    return final.with_name(f"{final.name}.tmp-build")


def remove_database(database: Path) -> None:
    for path in (database, wal_of(database)):
        path.unlink(missing_ok=True)


def copy_to_disk(source: Path, copy: Path) -> None:
    """Copy a DuckDB file and its WAL, and wait until the copy is on disk.

    A copy still in the page cache (2.5 GB at 24 national months) would be written out while dbt runs, and
    DuckDB's checkpoints and fsyncs in the build wait for it: the NB scope of month 24 took 4.0 s on such a
    copy and 2.0 s on a synced one. The fsync here costs about a second, done while the inputs are checked
    when the copy is made ahead (CopyAhead).
    """
    for file, target in ((source, copy), (wal_of(source), wal_of(copy))):
        if file is source or file.exists():
            shutil.copy2(file, target)
            descriptor = os.open(target, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)


def remove_files_of_dead_processes(final: Path) -> list[Path]:
    """Remove the copies ahead and the replaced warehouses a killed process left (`<file>.tmp-<kind>-<pid>`)."""
    removed = []
    for kind in (COPY_AHEAD, REPLACED):
        for path in final.parent.glob(f"{final.name}.tmp-{kind}-*"):
            pid = path.name.rsplit("-", 1)[-1].removesuffix(".wal")
            if pid.isdigit() and int(pid) != os.getpid() and process_is_gone(int(pid)):
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def _published_state(final: Path) -> tuple:
    return file_state(final), file_state(wal_of(final))


class CopyAhead:
    """A copy of the published warehouse made in a thread while the run checks its inputs, for the build to take.

    A partial run (one month) builds into a copy of the published file; at 24 national months that is 2.5 GB,
    read from disk when the file is cold (the month before's close). Copied while the exports' checks run, the
    copy leaves the dbt step's path. The build takes it only if the published file (and its WAL) kept the state
    it had before the copy started and still has: otherwise (another run published meanwhile) it copies anew.
    """

    def __init__(self, final: Path):
        self.final = final
        self.path = final.with_name(f"{final.name}.tmp-{COPY_AHEAD}-{os.getpid()}")
        self._state: tuple | None = None
        self._thread = threading.Thread(target=self._copy, name="pgb-warehouse-copy", daemon=True)

    def start(self) -> "CopyAhead":
        self._thread.start()
        return self

    def _copy(self) -> None:
        try:
            before = _published_state(self.final)
            if before[0] is None:
                return
            copy_to_disk(self.final, self.path)
            if _published_state(self.final) == before:
                self._state = before
        except OSError:
            self._state = None  # the dbt step copies the file itself

    def take(self, build: Path) -> bool:
        """Move the copy to `build` if it is still the published file's; False (and the copy removed) if not."""
        self._thread.join()
        if self._state is None or _published_state(self.final) != self._state:
            self.discard()
            return False
        if wal_of(self.path).exists():
            os.replace(wal_of(self.path), wal_of(build))
        os.replace(self.path, build)
        return True

    def discard(self) -> None:
        self._thread.join()
        remove_database(self.path)


_copies_ahead: dict[Path, CopyAhead | None] = {}  # by the published file's absolute path
_removals: list[threading.Thread] = []


def _key(final: Path) -> Path:
    return Path(os.path.abspath(final))


@contextmanager
def published_file_copied_ahead(final: Path) -> Iterator[None]:
    """Within the block, a partial run's build file comes from a copy of `final` started now (CopyAhead)."""
    remove_files_of_dead_processes(final)
    copy = CopyAhead(final).start() if final.exists() else None
    _copies_ahead[_key(final)] = copy
    try:
        yield
    finally:
        _copies_ahead.pop(_key(final), None)
        if copy is not None:
            copy.discard()  # nothing left when the build took it


def start_build_file(final: Path, build: Path, start_fresh: bool) -> str:
    """Create the build file: empty, or a copy of the published warehouse (on disk). Says which."""
    build.parent.mkdir(parents=True, exist_ok=True)
    remove_database(build)
    remove_files_of_dead_processes(final)
    copy = _copies_ahead.pop(_key(final), None)
    if start_fresh or not final.exists():
        if copy is not None:
            copy.discard()
        return "a new file"
    waited = time.perf_counter()
    if copy is not None and copy.take(build):
        how = (f"the copy of {final.name} made while the inputs were checked "
               f"(waited {time.perf_counter() - waited:.1f} s)")
    else:
        copy_to_disk(final, build)
        how = f"a copy of {final.name} ({time.perf_counter() - waited:.1f} s)"
    return how


def publish(build: Path, final: Path) -> None:
    """Atomically replace the published warehouse by the build file.

    A WAL is tied to its database file: the build's moves with it, and a
    stale one of the old file must not be replayed into the new file.
    The replaced file's blocks are freed in a thread (half a second for
    2.5 GB): it keeps a second name until then, removed by
    `finish_removals` or, after a crash, by the next run.
    """
    replaced = final.with_name(f"{final.name}.tmp-{REPLACED}-{os.getpid()}")
    replaced.unlink(missing_ok=True)
    try:
        os.link(final, replaced)
    except OSError:  # no published file yet, or a file system without hard links: the rename frees it
        pass
    if wal_of(build).exists():
        os.replace(wal_of(build), wal_of(final))
    else:
        wal_of(final).unlink(missing_ok=True)
    os.replace(build, final)
    if replaced.exists():
        removal = threading.Thread(target=replaced.unlink, kwargs={"missing_ok": True},
                                   name="pgb-replaced-removal", daemon=True)
        removal.start()
        _removals.append(removal)


def finish_removals() -> None:
    """Wait for the replaced warehouses' removal (before the process ends)."""
    while _removals:
        _removals.pop().join()


@contextmanager
def building(final: Path, start_fresh: bool, say: Callable[[str], None] | None = None) -> Iterator[Path]:
    """Yield the build file; publish it if the block succeeds, delete it if not. `say` hears how it started."""
    build = build_file_for(final)
    how = start_build_file(final, build, start_fresh)
    if say is not None:
        say(f"the build file starts as {how}")
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
