"""The Dagster instance the project runs on ($DAGSTER_HOME, default .dagster_home/).

Its dagster.yaml limits every pool, hence the `duckdb` pool, to one step at a
time across runs: no two steps ever write the warehouse at once. Written once
if missing; a user's own dagster.yaml is left alone (it must keep the limit).

    python -m orchestration.instance     # what `make setup` should run
"""

from __future__ import annotations

import os
from pathlib import Path

from pgb_shared.settings import PROJECT_DIR

DAGSTER_YAML = """\
# Written by orchestration/instance.py. The `duckdb` pool (the dbt step) runs
# one step at a time: DuckDB allows a single writer.
concurrency:
  pools:
    default_limit: 1
    granularity: op
telemetry:
  enabled: false
"""


def dagster_home() -> Path:
    home = os.environ.get("DAGSTER_HOME") or str(PROJECT_DIR / ".dagster_home")
    return Path(home).expanduser().resolve()


def prepare_dagster_home() -> Path:
    """Create $DAGSTER_HOME with the pool limit, export it, and return it."""
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


if __name__ == "__main__":
    print(f"DAGSTER_HOME={prepare_dagster_home()}")
