"""The input files of the pipeline: the raw exports of contract section 1 and the reference seeds.

Every raw export is read either as the dbt seed `seeds/<export>.csv` or, when
PGB_EXPORTS_DIR is set, as `<export>.csv` / `<export>.parquet` in that folder
(PGB_EXPORTS_FORMAT). The reference seeds are the project's own and always
come from seeds/.
"""

from __future__ import annotations

import os
from pathlib import Path

from pgb_shared.settings import PROJECT_DIR

# Contract section 1: the raw exports, in the contract's order.
RAW_EXPORTS: tuple[str, ...] = (
    "raw_professionals",
    "raw_hr_periods",
    "raw_adhesions",
    "raw_sisref_intervals",
    "raw_sisref_occurrences",
    "raw_pgd_plans",
    "raw_pgd_goal_complements",
    "raw_tasks",
    "raw_task_assignments",
    "raw_task_events",
    "raw_sub_dispatches",
    "raw_sibe_status",
    "raw_aps",
    "raw_supervision_designations",
    "raw_supervision_tasks",
)

# Contract section 1, "Reference seeds owned by the project".
REFERENCE_SEEDS: tuple[str, ...] = ("ref_parameters", "ref_parameter_defaults", "ref_rules", "ref_sisref_codes")


def export_path(export: str, exports_dir: Path | None = None, project_dir: Path = PROJECT_DIR) -> Path:
    """The file dbt reads for an export: the seed, or the file in PGB_EXPORTS_DIR."""
    if exports_dir is None:
        return project_dir / "seeds" / f"{export}.csv"
    suffix = "parquet" if os.environ.get("PGB_EXPORTS_FORMAT", "csv") == "parquet" else "csv"
    return Path(exports_dir) / f"{export}.{suffix}"


def reference_seed_path(seed: str, project_dir: Path = PROJECT_DIR) -> Path:
    return project_dir / "seeds" / f"{seed}.csv"
