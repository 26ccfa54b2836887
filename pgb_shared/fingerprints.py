"""File fingerprints: the manifest of a close and the export assets record the same SHA-256."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in 16 MiB chunks (exports can be large; hashlib and the reads let go of Python's
    lock, and fewer chunks mean fewer waits to take it back while another thread runs Python)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(16 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_fingerprint(path: Path) -> dict:
    """{'exists': False} or {'exists': True, 'size_bytes': ..., 'sha256': ...}."""
    if not path.exists():
        return {"exists": False}
    return {"exists": True, "size_bytes": path.stat().st_size, "sha256": sha256_of(path)}


def file_state(path: Path) -> tuple[int, int, int, int] | None:
    """What changes whenever a file is rewritten, replaced or touched (inode, size, modification and change
    times, in ns); None when it is missing. No user can set a change time back: two equal states mean the file
    was not written in between (a fraction of a millisecond, the clock's tick on some systems, aside)."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns
