"""Is a process of this host still there? (Runs and the files beside the warehouse record their process.)"""

from __future__ import annotations

import os
from pathlib import Path


def process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), so a reused pid is not taken for the same
    process; None where /proc is not available."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, counted after the command name


def process_is_gone(pid: int, recorded_start: str | None = None) -> bool:
    """True when no process has `pid`, or (with the start time recorded for it) the pid now names another."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's live process
        return False
    return recorded_start is not None and process_start(pid) not in (None, recorded_start)
