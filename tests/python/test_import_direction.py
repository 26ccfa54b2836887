"""Dependencies point one way: orchestration/ -> expectations/, payroll/ -> pgb_shared/.

Read from the source (AST), so an import inside a function counts too. Only
orchestration/ may import Dagster (dagster, dagster_dbt) or orchestration;
pgb_shared imports none of the project's packages. Tests and scripts aside.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("orchestration", "expectations", "payroll", "pgb_shared")
ORCHESTRATION_ONLY = {"dagster", "dagster_dbt", "dagster_webserver", "orchestration"}
# package -> the project's packages it may import (besides itself)
ALLOWED = {
    "orchestration": {"expectations", "payroll", "pgb_shared"},
    "expectations": {"pgb_shared"},
    "payroll": {"pgb_shared"},
    "pgb_shared": set(),
}


def imported_top_level_names(path: Path) -> dict[str, int]:
    """Top-level module name -> first line importing it (absolute imports only; relative ones stay inside)."""
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            found.setdefault(name.split(".")[0], node.lineno)
    return found


def python_files() -> list[tuple[str, Path]]:
    return [(package, path) for package in PACKAGES for path in sorted((REPO_ROOT / package).rglob("*.py"))]


def scanned_files() -> list:
    return [pytest.param(package, path, id=str(path.relative_to(REPO_ROOT))) for package, path in python_files()]


def test_every_package_is_scanned():
    scanned = {package for package, _ in python_files()}
    assert scanned == set(PACKAGES)
    # No other top-level Python package slips past the rule (tests and scripts aside).
    others = {path.parent.name for path in REPO_ROOT.glob("*/__init__.py")} - set(PACKAGES) - {"scripts", "tests"}
    assert others == set(), f"new top-level package(s) {others}: add them to this test's rules"


@pytest.mark.parametrize(("package", "path"), scanned_files())
def test_imports_point_one_way(package, path):
    imports = imported_top_level_names(path)
    forbidden = {name: line for name, line in imports.items()
                 if (name in set(PACKAGES) - {package} - ALLOWED[package])
                 or (package != "orchestration" and name in ORCHESTRATION_ONLY)}
    where = path.relative_to(REPO_ROOT)
    assert forbidden == {}, ", ".join(f"{where}:{line} imports {name}" for name, line in forbidden.items())


def test_the_scan_catches_a_forbidden_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\n\ndef f():\n    from dagster import asset\n    import orchestration.cli\n",
                      encoding="utf-8")
    assert imported_top_level_names(sample) == {"os": 1, "dagster": 4, "orchestration": 5}
