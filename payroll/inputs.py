"""The input files of a close: the 15 raw exports and the project's reference seeds.

Each is fingerprinted (rows, SHA-256) for the manifest and compared with the
SHA-256 the pipeline recorded when it checked the file. Its state (inode,
size, modification and change times) is taken before that and compared again
after the warehouse is read: a file written in between would make the package
disagree with its manifest, so the close stops instead. (The close used to
hash every file a second time for that: 0.45 s of a national month spent
after the read, to learn what the state says.)
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from pgb_shared import settings
from pgb_shared.exports import RAW_EXPORTS, REFERENCE_SEEDS, export_path, reference_seed_path
from pgb_shared.fingerprints import file_state, sha256_of


@dataclass(frozen=True)
class InputFile:
    name: str
    path: str  # relative to the project when inside it
    rows: int | None  # data rows (header excluded); None when the file is missing
    sha256: str | None

    def as_dict(self) -> dict:
        return asdict(self)


def input_paths(project_dir: Path) -> dict[str, Path]:
    exports_dir = settings.exports_dir(project_dir)
    paths = {export: export_path(export, exports_dir, project_dir) for export in RAW_EXPORTS}
    paths.update({seed: reference_seed_path(seed, project_dir) for seed in REFERENCE_SEEDS})
    return paths


def input_states(project_dir: Path) -> dict[str, tuple[int, int, int, int] | None]:
    """Each input file's state (pgb_shared.fingerprints.file_state): equal states, no write in between."""
    return {name: file_state(path) for name, path in input_paths(project_dir).items()}


def fingerprint_inputs(project_dir: Path) -> list[InputFile]:
    return [_fingerprint(name, path, project_dir) for name, path in input_paths(project_dir).items()]


def changed_inputs(checked_sha256: Mapping[str, str | None], current: list[InputFile]) -> list[str]:
    """Names of the files whose SHA-256 now differs from the one recorded when they were checked."""
    now = {item.name: item.sha256 for item in current}
    return [name for name, sha256 in checked_sha256.items() if now.get(name) != sha256]


def _fingerprint(name: str, path: Path, project_dir: Path) -> InputFile:
    shown = str(path.relative_to(project_dir)) if path.is_relative_to(project_dir) else str(path)
    if not path.exists():
        return InputFile(name, shown, None, None)
    return InputFile(name, shown, _row_count(path), sha256_of(path))


def _row_count(path: Path) -> int:
    if path.suffix == ".parquet":
        with duckdb.connect() as connection:
            return connection.execute("select count(*) from read_parquet(?)", [str(path)]).fetchone()[0]
    with path.open(newline="", encoding="utf-8") as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)
