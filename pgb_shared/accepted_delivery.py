"""The accepted-delivery record beside the published warehouse (issue 11, the delivery guard).

`<PGB_DUCKDB_PATH>.accepted-delivery.json`: per raw export, the rows and
distinct SIAPEs of the delivery the published warehouse was built from (with
the run, when, and a person's acceptance of a shrink). expectations/ compares
new deliveries with it, orchestration/ writes it after a publish, payroll/
copies it into the close manifest: so it lives here, with no logic of theirs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

RECORD_SUFFIX = ".accepted-delivery.json"


class AcceptedDeliveryError(ValueError):
    """The record cannot be read: the run (or the close) must stop, naming the file."""


def record_path_for(warehouse: Path) -> Path:
    """The accepted-delivery record of a published warehouse, beside it."""
    return warehouse.with_name(warehouse.name + RECORD_SUFFIX)


def read_record(path: Path) -> dict | None:
    """The accepted record, or None when there is none yet (the first delivery)."""
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise AcceptedDeliveryError(
            f"{path}: the accepted-delivery record cannot be read ({error}); restore it from the backup, or remove "
            "it to start over (the next delivery is then taken as the first)."
        ) from None
    if not isinstance(record, dict) or not isinstance(record.get("exports"), dict):
        raise AcceptedDeliveryError(f"{path}: not an accepted-delivery record (no 'exports' object)")
    return record


def write_record(path: Path, entries: dict[str, dict]) -> Path:
    """Merge the run's export entries into the record, atomically: the old file or the new, never half."""
    record = read_record(path) or {"exports": {}}
    record["exports"].update(entries)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=2, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return path


def manifest_block(warehouse: Path) -> dict:
    """What the close manifest keeps: the record's path, rows and distinct SIAPEs per export, and every shrink a
    person accepted (export, counts before and after, reason, who, when)."""
    path = record_path_for(warehouse)
    exports = (read_record(path) or {"exports": {}})["exports"]
    return {
        "record": str(path),
        "exports": {name: {"rows": entry.get("rows"), "payees": entry.get("payees"), "run_id": entry.get("run_id")}
                    for name, entry in sorted(exports.items())},
        "accepted_shrinks": [entry["acceptance"] for _, entry in sorted(exports.items()) if entry.get("acceptance")],
    }
