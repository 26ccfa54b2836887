"""Write the bundled demo seeds (seeds/demo/raw_*.csv) from the deterministic generators.

Usage, from the repository root:
    .venv/bin/python scripts/generate_demo_data.py [OUTPUT_DIR]    # default: seeds/demo/

Every generator module in scripts/demo_data exposes
`generate(rng: random.Random) -> dict[str, list[dict]]`; each gets its own
`random.Random` with a fixed seed, so running this twice gives byte-identical
files. Column names and order come from seeds/_seeds.yml.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import random
import sys
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import yaml

SCRIPTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = SCRIPTS_DIR.parent
SEEDS_YML = REPO_ROOT / "seeds" / "_seeds.yml"

if str(SCRIPTS_DIR) not in sys.path:
    sys.path.insert(0, str(SCRIPTS_DIR))  # makes `demo_data` importable when run as a script

# (module, fixed seed): changing a seed changes every generated file of that module.
GENERATORS = (
    ("demo_data.pgb", 20250519),
    ("demo_data.aps", 20211001),
)


def seed_columns(seeds_yml: Path = SEEDS_YML) -> dict[str, list[str]]:
    """Seed name -> column names in contract order."""
    spec = yaml.safe_load(seeds_yml.read_text(encoding="utf-8"))
    return {seed["name"]: [column["name"] for column in seed["columns"]] for seed in spec["seeds"]}


def format_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def write_seed(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            if set(row) != set(columns):
                raise ValueError(f"{path.name}: row keys {sorted(row)} differ from the columns {columns}")
            writer.writerow([format_value(row[column]) for column in columns])


def load_generator(module_name: str):
    """The generator module, or None when it does not exist (yet)."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            return None
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output_dir", nargs="?", default=str(REPO_ROOT / "seeds" / "demo"),
                        help="folder the CSVs are written to (default: seeds/demo/)")
    args = parser.parse_args(argv)
    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    columns_by_seed = seed_columns()
    for module_name, seed in GENERATORS:
        module = load_generator(module_name)
        if module is None:
            print(f"note: {module_name} not found, its seeds were left as they are")
            continue
        for name, rows in module.generate(random.Random(seed)).items():
            if name not in columns_by_seed:
                raise ValueError(f"{module_name} returned {name!r}, which is not a seed in {SEEDS_YML.name}")
            write_seed(output_dir / f"{name}.csv", columns_by_seed[name], rows)
            print(f"{name}.csv: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
