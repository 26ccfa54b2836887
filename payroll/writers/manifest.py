"""manifest.json: what the close was made from, and the checksums of what it wrote.

Only `closed_at`, `git`, `run` (the Dagster run id, who prepared the close),
the checksum of summary.html (its signature block names who and when) and
`reopened` change when the same inputs are closed again. The document is a
dict assembled from small sections: a new field is one more section.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
from decimal import Decimal
from pathlib import Path

from payroll.inputs import InputFile
from payroll.package import ClosePackage
from pgb_shared.fingerprints import sha256_of

# The tools whose versions decide the verdicts and the package (read from the installed distributions: GX is
# not imported for this).
TOOL_DISTRIBUTIONS = {"dbt": "dbt-core", "dbt_duckdb": "dbt-duckdb", "duckdb": "duckdb", "dagster": "dagster",
                      "great_expectations": "great_expectations"}


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


def tool_versions() -> dict[str, str | None]:
    versions = {}
    for name, distribution in TOOL_DISTRIBUTIONS.items():
        try:
            versions[name] = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def run_section(package: ClosePackage) -> dict:
    """Who prepared the close, in which Dagster run (None when closed outside Dagster, e.g. by a test)."""
    signature = package.signature
    return {
        "dagster_run_id": signature.run_id if signature else None,
        "prepared_by": signature.prepared_by if signature else None,
        "prepared_at": signature.prepared_at.isoformat(timespec="seconds") if signature else None,
    }


def row_counts(package: ClosePackage) -> dict[str, int]:
    return {
        "payments.csv": len(package.payments),
        "tasks.csv": package.month_db.execute("select count(*) from month_tasks").fetchone()[0],
        "rejections.csv": package.rejections.count,
        "held.csv": package.held.count,
        "adjustments.csv": len(package.adjustments),
    }


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
        "run": run_section(package),
        "git": git,
        "versions": tool_versions(),
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
        "row_counts": row_counts(package),
        "files": {path.name: sha256_of(path) for path in sorted(package_files)},
        "reopened": reopened,
    }


def write_manifest(document: dict, path: Path) -> Path:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=_json_default) + "\n", encoding="utf-8")
    return path
