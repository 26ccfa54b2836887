"""File fingerprints: the manifest of a close and the export assets record the same SHA-256."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB chunks (exports can be large)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_fingerprint(path: Path) -> dict:
    """{'exists': False} or {'exists': True, 'size_bytes': ..., 'sha256': ...}."""
    if not path.exists():
        return {"exists": False}
    return {"exists": True, "size_bytes": path.stat().st_size, "sha256": sha256_of(path)}
