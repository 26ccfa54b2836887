"""The exports' checks a command starts first, in a process of their own (see validate_exports_early).

Light on purpose (the standard library, the contracts' YAML and the file states): `pgb run` and `pgb close`
start the child before they import anything heavy, so it starts a few tenths of a second sooner. The child's
report is taken in expectations.validation (`_take_early_validation`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from expectations.contract import PROJECT_DIR, load_contracts
from pgb_shared.exports import export_path
from pgb_shared.fingerprints import file_state


@dataclass
class EarlyValidation:
    exports_dir: Path | None
    project_dir: Path
    names: list[str]
    files: dict[str, tuple[int, int, int, int] | None]  # before the child read anything
    process: subprocess.Popen
    receiver: BinaryIO  # the child writes its pickled validations here, then exits


_EARLY: EarlyValidation | None = None
_EARLY_LOCK = threading.Lock()


def validate_exports_early(exports_dir: Path | None, project_dir: Path = PROJECT_DIR) -> None:
    """Start validate_exports of every export now, in a child process, for the run this process launches next.

    GX is Python: its import (about 3 s) and its judging hold the interpreter's lock, so in the run's own
    process they would wait for, then follow, the start-up of Dagster and dbt (about 3 s more of Python).
    `pgb run` and `pgb close` start the checks in a process of their own (`python -m
    expectations.validation`, which imports nothing of Dagster) before that start-up. validate_exports
    takes the child's result only for the same folder and project, and only when no export changed since
    the child was started (inode, size, modification and change times); otherwise, or when the child
    failed, it validates in its own process, as it always did. Either way the same function gives the report.
    """
    global _EARLY
    drop_early_validation()
    project_dir = Path(project_dir)
    exports_dir = Path(exports_dir) if exports_dir is not None else None
    names = list(load_contracts(project_dir))
    files = {name: file_state(export_path(name, exports_dir, project_dir)) for name in names}
    read_end, write_end = os.pipe()
    command = [sys.executable, "-m", "expectations.validation", "--result-fd", str(write_end),
               "--project-dir", str(project_dir)]
    if exports_dir is not None:
        command += ["--exports-dir", str(exports_dir)]
    try:
        process = subprocess.Popen(command, pass_fds=(write_end,), stdin=subprocess.DEVNULL)
    finally:
        os.close(write_end)
    with _EARLY_LOCK:
        _EARLY = EarlyValidation(exports_dir, project_dir, names, files, process, os.fdopen(read_end, "rb"))


def drop_early_validation() -> None:
    """Stop a child validation nobody took (its command ends, or it did not match)."""
    early = taken_early_validation()
    if early is not None:
        stop(early)


def taken_early_validation() -> EarlyValidation | None:
    """The started validation, now this caller's alone (each is taken or dropped once)."""
    global _EARLY
    with _EARLY_LOCK:
        early, _EARLY = _EARLY, None
    return early


def stop(early: EarlyValidation) -> None:
    if early.process.poll() is None:
        early.process.kill()
    early.process.wait()
    early.receiver.close()
