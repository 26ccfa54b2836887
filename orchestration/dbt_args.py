"""Small pure functions deciding what dbt is asked to do (tested on their own)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

LAYERS = ("staging", "intermediate", "marts", "reports")


def dbt_build_args(exports_dir: Path | None, raw_export_seeds: Iterable[str]) -> list[str]:
    """`dbt build` over the selection Dagster adds.

    --full-refresh: seeds are dropped and reloaded, so a changed export
    header never meets an old table. With PGB_EXPORTS_DIR set the staging
    views read the files, so the raw seeds are not loaded at all.
    No unit tests: they check the models' logic on fixed rows, not the data, and
    `make test` runs them; in a production build they cost time (16
    thread-seconds of a national close) and judge nothing about the month.
    """
    args = ["build", "--full-refresh", "--exclude-resource-type", "unit_test"]
    if exports_dir is not None:
        args += ["--exclude", " ".join(sorted(raw_export_seeds))]
    return args


def layer_of(resource_props: Mapping[str, Any]) -> str:
    """The Dagster group of a dbt node: its layer.

    Raw-export seeds are `exports` (the warehouse copy of the export),
    project-owned reference seeds are `reference`, models take the first
    folder under models/ (models/marts/supervision/x.sql -> marts).
    """
    resource_type = resource_props.get("resource_type")
    name = resource_props.get("name", "")
    if resource_type == "seed":
        return "exports" if name.startswith("raw_") else "reference"
    if resource_type == "source":
        return "exports"
    fqn = resource_props.get("fqn") or []
    folder = fqn[1] if len(fqn) > 2 else ""
    return folder if folder in LAYERS else "marts"



def dbt_month_selection(run_months: Sequence[date], every_month: Sequence[date]) -> str | None:
    """The value of PGB_MONTH (macros/pgb_rules.sql) for a run over `run_months`.

    None when the run covers every partition: dbt then rebuilds every month from
    the exports (a full rebuild). Otherwise one month 'YYYY-MM-01', or the range
    'YYYY-MM-01..YYYY-MM-01' of consecutive months the run materializes: dbt
    evaluates those months' tasks, keeps the others' verdicts, and revises the
    earlier tasks an NB reuse changes.
    """
    if not run_months:
        raise ValueError("a dbt run needs at least one month")
    if set(every_month) <= set(run_months):
        return None
    first, last = min(run_months), max(run_months)
    return f"{first:%Y-%m-%d}" if first == last else f"{first:%Y-%m-%d}..{last:%Y-%m-%d}"
