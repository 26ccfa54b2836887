"""manifest.json: what the close was made from, and the checksums of what it wrote.

Only `closed_at` and `git` change when the same inputs are closed again.
"""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from pathlib import Path

from payroll.inputs import InputFile
from payroll.package import ClosePackage
from pgb_shared.fingerprints import sha256_of


def git_state(project_dir: Path) -> dict:
    def git(*args: str) -> str | None:
        try:
            result = subprocess.run(["git", "-C", str(project_dir), *args], capture_output=True, text=True, check=True)
        except (OSError, subprocess.CalledProcessError):
            return None
        return result.stdout.strip()

    commit = git("rev-parse", "HEAD")
    changes = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "uncommitted_changes": bool(changes) if changes is not None else None}


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {value!r}")


def manifest_document(
    package: ClosePackage,
    closed_at: str,
    git: dict,
    inputs: list[InputFile],
    exports_dir: str | None,
    package_files: list[Path],
    ledger_file: str,
    ledger_sha256: str,
    reopened: dict | None,
) -> dict:
    return {
        "month": str(package.month),
        "closed_at": closed_at,
        "git": git,
        "ledger_start": str(package.ledger_start),
        "ledger_file": {"path": ledger_file, "sha256": ledger_sha256, "rows": len(package.ledger_entries)},
        "inputs": {"exports_dir": exports_dir, "files": [item.as_dict() for item in inputs]},
        "parameters": [
            {
                "name": row.name,
                "value": row.value,
                "effective_from": row.effective_from,
                "effective_to": row.effective_to,
                "published_on": row.published_on,
                "legal_source": row.legal_source,
            }
            for row in package.parameters
        ],
        "totals": package.totals,
        "row_counts": {
            "payments.csv": len(package.payments),
            "rejections.csv": len(package.rejections),
            "held.csv": len(package.held),
            "adjustments.csv": len(package.adjustments),
        },
        "files": {path.name: sha256_of(path) for path in sorted(package_files)},
        "reopened": reopened,
    }


def write_manifest(document: dict, path: Path) -> Path:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=_json_default) + "\n", encoding="utf-8")
    return path
