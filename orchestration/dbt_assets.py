"""The dbt project as Dagster assets, grouped by layer.

Raw-export sources resolve to the export assets (exports/<name>) and each
raw seed depends on its export asset, so the graph reads
export -> GX check -> seed/staging -> intermediate (rules) -> marts -> reports,
and a failed blocking check stops the dbt step before anything is rebuilt.
"""


import importlib.metadata
import json
import os
import shutil
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from functools import cached_property
from zoneinfo import ZoneInfo
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.dbt_manifest import validate_manifest
from packaging.version import Version

from expectations.contract import load_contracts
from orchestration.dbt_args import (
    dbt_build_args,
    dbt_month_selection,
    dbt_tests_judged_by_input_checks,
    dbt_tests_repeated_by_the_rule_stack,
    layer_of,
    manifest_fqns,
)
from orchestration.export_checks import record_accepted_delivery
from orchestration.partitions import months_in_window
from orchestration.warehouse import build_file_for, building, environment
from orchestration.warm_dbt import installed_dbt, relay_in_use
from pgb_shared import settings
from pgb_shared.exports import RAW_EXPORTS

DUCKDB_POOL = "duckdb"  # limit 1 (see orchestration/instance.py): one warehouse writer at a time
RUN_TARGET_PREFIX = "dagster-"
# scripts/benchmark.py reads the dbt.log of the run it just timed, and a failed run's dbt.log
# helps whoever reads the failure: the newest few run folders stay, older ones are removed.
RUN_TARGETS_KEPT = 3
PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def prune_run_targets(target_dir: Path, keep: int = RUN_TARGETS_KEPT,
                      current: Path | None = None) -> tuple[list[Path], list[str]]:
    """Remove all but the `keep` newest dbt target folders of Dagster runs (target/dagster-<run>).

    `current`, the folder of the run that prunes, is kept whatever its time, and counts as the newest.
    Returns the removed folders and, for those that could not be removed, why: a cleanup that fails must
    not fail the run. Other content of target/ (the manifest Dagster loads) is not touched. A run prunes
    while its dbt builds (an idle thread then): deleting a folder of some 800 files dbt wrote takes up to 2 s
    on a disk mounted with `discard`.
    """
    if not target_dir.is_dir():
        return [], []
    runs = sorted((path for path in target_dir.glob(f"{RUN_TARGET_PREFIX}*") if path.is_dir()),
                  key=lambda path: (path == current, path.stat().st_mtime, path.name), reverse=True)
    removed, failures = [], []
    for stale in runs[keep:]:
        try:
            shutil.rmtree(stale)
            removed.append(stale)
        except OSError as error:
            failures.append(f"{stale}: {error}")
    return removed, failures


EXPORT_FILE_SUFFIX = "_file"
# fct_task_evaluations has one boolean column per rule model (macro pgb_rules): adding a rule needs no YAML
# column, so the column schema adds them from the manifest's rule models.
RULE_COLUMN_MODELS = frozenset({"fct_task_evaluations"})


def export_asset_key(export: str) -> dg.AssetKey:
    """exports/raw_tasks_file: the delivered file. The graph labels a node by the key's last part, so the
    file and the seed `raw_tasks` (the table dbt loads from it) must differ there, not only in the prefix."""
    return dg.AssetKey(["exports", f"{export}{EXPORT_FILE_SUFFIX}"])


def column_type(column: Mapping[str, Any], seed_column_types: Mapping[str, str]) -> str:
    """A column's type: `data_type` in the model's YAML, else the seed's `column_types`, else unknown."""
    return column.get("data_type") or seed_column_types.get(column.get("name", "")) or "?"


def column_schema(resource_props: Mapping[str, Any], extra: list[dg.TableColumn] = ()) -> dg.TableSchema | None:
    """The declared columns with their types, for `dagster/column_schema` (read from the manifest: free)."""
    columns = resource_props.get("columns") or {}
    seed_types = (resource_props.get("config") or {}).get("column_types") or {}
    if not columns and not seed_types and not extra:
        return None
    names = list(columns) + [name for name in seed_types if name not in columns]
    return dg.TableSchema(columns=[
        dg.TableColumn(
            name=name,
            type=column_type({"name": name, **columns.get(name, {})}, seed_types),
            description=columns.get(name, {}).get("description") or None,
        )
        for name in names
    ] + list(extra))


def rule_columns(manifest: Mapping[str, Any]) -> list[dg.TableColumn]:
    """One boolean column per rule model (meta rule_code), named after the code in lowercase (r404)."""
    rules = sorted(
        (node["config"]["meta"]["rule_code"], node.get("description") or "")
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model" and (node.get("config") or {}).get("meta", {}).get("rule_code")
    )
    return [
        dg.TableColumn(name=code.lower(), type="boolean", description=f"true when {code} rejects the task. {text}".strip())
        for code, text in rules
    ]


class PgbDbtTranslator(DagsterDbtTranslator):
    """Groups dbt nodes by layer and ties the raw exports to their export assets.

    `tests_repeated_elsewhere`: dbt tests that production builds do not run because another check of the
    same run repeats them (an export's GX suite, see dbt_args.dbt_tests_judged_by_input_checks, or the
    stack of every rule, dbt_args.dbt_tests_repeated_by_the_rule_stack), so they are no Dagster checks
    either: that other check is where such a failure shows.
    """

    def __init__(self, settings: DagsterDbtTranslatorSettings | None = None,
                 tests_repeated_elsewhere: frozenset[str] = frozenset()):
        super().__init__(settings)
        self.tests_repeated_elsewhere = tests_repeated_elsewhere

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project) -> dg.AssetCheckSpec | None:
        if manifest["nodes"].get(unique_id, {}).get("name") in self.tests_repeated_elsewhere:
            return None
        return super().get_asset_check_spec(asset_spec, manifest, unique_id, project)

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props.get("resource_type") == "source" and dbt_resource_props.get("name") in RAW_EXPORTS:
            return export_asset_key(dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str:
        return layer_of(dbt_resource_props)

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        """dagster-dbt's metadata, with column types taken from the manifest (YAML `data_type`, seed
        `column_types`) instead of "?": no query to the warehouse, so the national build pays nothing."""
        metadata = dict(super().get_metadata(dbt_resource_props))
        schema = column_schema(dbt_resource_props)
        if schema is not None:
            metadata["dagster/column_schema"] = schema
        return metadata

    def get_asset_spec(self, manifest, unique_id, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props.get("resource_type") == "seed" and props.get("name") in RAW_EXPORTS:
            # The seed is the warehouse copy of the export file: load it only after its check.
            file_key = export_asset_key(props["name"])
            spec = spec.replace_attributes(
                deps=[*spec.deps, dg.AssetDep(file_key)],
                description=f"Warehouse table {props['name']}: the export file {file_key.to_user_string()}, "
                f"loaded by `dbt seed` once its check passed. {props.get('description') or ''}".strip(),
                kinds={*spec.kinds, "seed"},
            )
        if props.get("resource_type") == "model" and props.get("name") in RULE_COLUMN_MODELS:
            schema = column_schema(props, extra=rule_columns(manifest))
            spec = spec.replace_attributes(metadata={**spec.metadata, "dagster/column_schema": schema})
        return spec


class PgbDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, without the dbt adapter it opens in this process before every command.

    dagster-dbt loads the profile and registers the adapter (about 2 s a command) only for
    `fetch_row_counts` and `fetch_column_metadata`, which this project does not use: its column types
    come from the manifest (PgbDbtTranslator.get_metadata) and dbt itself runs in a subprocess.
    """

    def cli(self, args, **kwargs):
        """dbt, or the relay to the dbt that a `pgb` command imported ahead (orchestration.warm_dbt) while that
        command runs: looked up at each call, since the definitions may outlive the command's block."""
        relay = relay_in_use()
        if relay is not None and self.dbt_executable != relay:
            return self.model_copy(update={"dbt_executable": relay}).cli(args, **kwargs)
        return super().cli(args, **kwargs)

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - the signature dagster-dbt calls
        return None

    @cached_property
    def _cli_version(self) -> Version:
        """The dbt-core installed beside this Python, read from its metadata: dagster-dbt runs `dbt --version`
        (1.4 s) once per resource, that is once per run and once per parse."""
        if Path(self.dbt_executable) == Path(sys.executable).parent / "dbt" or self.dbt_executable == relay_in_use():
            return Version(importlib.metadata.version("dbt-core"))
        return super()._cli_version


def dbt_resource(project: DbtProject) -> DbtCliResource:
    return PgbDbtCliResource(project_dir=project, dbt_executable=installed_dbt())


# What dbt parses (dbt_project.yml's paths, the profile, .dbtignore): an edit to any of them needs a new parse.
PARSED_PATHS = ("models", "macros", "seeds", "tests/generic", "tests/singular", "dbt_project.yml", "profiles.yml",
                ".dbtignore")
PARSED_FOR_FILE = "pgb_parsed_for.txt"  # beside the manifest: the environment of the parse (dbt_environment)


def dbt_environment(build_file: Path, months: str | None = None) -> dict[str, str]:
    """The environment variables dbt reads in a run: the file it builds, and its months (empty: every month).

    dbt's partial parse parses again every file that read an environment variable whose value differs from
    the parse's, so the set-up parse runs in this environment too (a run over every month). PGB_MONTH itself
    is read only when dbt executes (macros/pgb_rules.sql), so a month's run parses nothing again either.
    """
    return {"PGB_DUCKDB_PATH": str(build_file), "PGB_MONTH": months or ""}


def parsed_for_text(build_file: Path) -> str:
    """What PARSED_FOR_FILE holds after a parse for `build_file`."""
    return json.dumps(dbt_environment(build_file), sort_keys=True)


def newest_parsed_change(project_dir: Path) -> float:
    """The newest modification time among the files dbt parses (a seed link counts its target's time)."""
    newest = 0.0
    for name in PARSED_PATHS:
        path = project_dir / name
        files = [path] if path.is_file() else (p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []
        for file in files:
            newest = max(newest, file.stat().st_mtime, file.lstat().st_mtime)
    return newest


def manifest_is_current(project_dir: Path, target_dir: Path, build_file: Path) -> bool:
    """True when the last parse into `target_dir` was made in a run's environment for `build_file` and no parsed
    file changed since: parsing again would change nothing (and costs 2 s even when dbt's partial parse has
    nothing to do)."""
    manifest, parsed_for = target_dir / "manifest.json", target_dir / PARSED_FOR_FILE
    if not (manifest.exists() and parsed_for.exists() and (target_dir / PARTIAL_PARSE_FILE).exists()):
        return False
    if parsed_for.read_text(encoding="utf-8") != parsed_for_text(build_file):
        return False
    # A `dbt parse` run by hand since (another profile: dbt would parse everything again at every run)
    # rewrites the state after the record was written.
    if max(manifest.stat().st_mtime, (target_dir / PARTIAL_PARSE_FILE).stat().st_mtime) > parsed_for.stat().st_mtime:
        return False
    return manifest.stat().st_mtime >= newest_parsed_change(project_dir)


def parse_manifest(project: DbtProject, only_if_changed: bool = False) -> None:
    """`dbt parse` into the project's target path (writes nothing else).

    With the profile pointing at the build file, as in the runs' `dbt build`: dbt keeps its partial-parse
    state only for the profile it parsed with, and each run starts from this state (copy_parse_state).
    `only_if_changed`: nothing to do when manifest_is_current.
    """
    project_dir, target = Path(project.project_dir), Path(project.target_path)
    build_file = build_file_for(settings.warehouse_path(project_dir))
    if only_if_changed and manifest_is_current(project_dir, target, build_file):
        return
    (target / PARSED_FOR_FILE).unlink(missing_ok=True)
    with environment(**dbt_environment(build_file)):
        dbt_resource(project).cli(["parse", "--quiet"], target_path=target).wait()
    (target / PARSED_FOR_FILE).write_text(parsed_for_text(build_file), encoding="utf-8")


def copy_parse_state(project_target: Path, run_target: Path) -> None:
    """Start a run's dbt target folder from the project's partial-parse state, so `dbt build` parses only
    what changed (dagster-dbt would copy it from target/ only, not from PGB_DBT_TARGET_PATH)."""
    state = project_target / PARTIAL_PARSE_FILE
    if state.exists():
        run_target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(state, run_target / PARTIAL_PARSE_FILE)


def make_dbt_project(project_dir: Path) -> DbtProject:
    project = DbtProject(
        project_dir=project_dir,
        target_path=settings.dbt_target_dir(project_dir),
        profiles_dir=project_dir,
    )
    # `make setup` parses; a fresh clone that skipped it is parsed here rather
    # than failing to load, and `dagster dev` re-parses so edited models show up.
    if not project.manifest_path.exists() or os.environ.get("DAGSTER_IS_DEV_CLI"):
        parse_manifest(project)
    return project


def _every_dbt_asset_selected(context: AssetExecutionContext) -> bool:
    return set(context.selected_asset_keys) >= set(context.assets_def.keys)


def build_dbt_assets(project: DbtProject, partitions: dg.TimeWindowPartitionsDefinition) -> dg.AssetsDefinition:
    project_dir = Path(project.project_dir)
    # One run for a range of months (a backfill or `pgb run`): dbt takes the
    # range at once, and the models are partitioned down to the month.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        backfill_policy = dg.BackfillPolicy.single_run()

    manifest = validate_manifest(project.manifest_path)  # dagster-dbt's copy, read once per process
    tests_repeated_elsewhere = frozenset(
        dbt_tests_judged_by_input_checks(manifest["nodes"], load_contracts(project_dir))
        + dbt_tests_repeated_by_the_rule_stack(manifest["nodes"])
    )
    node_fqns = manifest_fqns(manifest)

    @dbt_assets(
        manifest=manifest,
        project=project,
        dagster_dbt_translator=PgbDbtTranslator(
            DagsterDbtTranslatorSettings(enable_asset_checks=True), tests_repeated_elsewhere
        ),
        name="pgb_dbt",
        pool=DUCKDB_POOL,
        partitions_def=partitions,
        backfill_policy=backfill_policy,
    )
    def pgb_dbt(context: AssetExecutionContext, dbt: DbtCliResource):
        """`dbt build` of the run's months into a build file, swapped in only when dbt succeeds.

        A run over every month rebuilds the warehouse from an empty file; a run
        over some months (PGB_MONTH) starts from a copy of the published one,
        whose other months it keeps.
        """
        final = settings.warehouse_path(project_dir)
        every_month = [date.fromisoformat(key) for key in partitions.get_partition_keys()]
        months = dbt_month_selection(months_in_window(context.partition_time_window), every_month)
        args = dbt_build_args(settings.exports_dir(project_dir), RAW_EXPORTS, tests_repeated_elsewhere, node_fqns)
        target = settings.dbt_target_dir(project_dir) / f"{RUN_TARGET_PREFIX}{context.run.run_id[:8]}"
        start_fresh = months is None and _every_dbt_asset_selected(context)
        target.mkdir(parents=True, exist_ok=True)  # the newest run folder from now on: the pruning keeps it
        # Older run folders would only pile up: removed beside dbt, while this thread waits for its output.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pgb-prune") as pruner:
            pruning = pruner.submit(prune_run_targets, target.parent, current=target)
            try:
                with building(final, start_fresh=start_fresh, say=context.log.info) as build:
                    context.log.info(
                        f"dbt builds {'every month' if months is None else months} into {build}; "
                        f"{final} is replaced only if it succeeds"
                    )
                    copy_parse_state(Path(project.target_path), target)
                    with environment(**dbt_environment(build, months)):
                        # Held back until the swap: a failed build must record no materialization.
                        events = list(dbt.cli(args, context=context, target_path=target).stream())
            finally:
                removed, failures = pruning.result()
                for stale in removed:
                    context.log.info(f"removed the old dbt target folder {stale}")
                for failure in failures:
                    context.log.warning(f"could not remove an old dbt target folder: {failure}")
        context.log.info(f"published {final}")
        # The exports this warehouse was built from become the delivery the next ones are compared with.
        accepted = record_accepted_delivery(context.instance, context.run.run_id, final,
                                            datetime.now(ZoneInfo(settings.TIMEZONE)).isoformat(timespec="seconds"))
        if accepted is not None:
            context.log.info(f"recorded the accepted delivery in {accepted}")
        yield from events

    return pgb_dbt


if __name__ == "__main__":
    # `make setup` and the benchmark parse here: the same profile as the runs' dbt build, so the partial-parse
    # state they leave is the one every run starts from.
    parse_manifest(DbtProject(project_dir=settings.PROJECT_DIR, target_path=settings.dbt_target_dir(),
                              profiles_dir=settings.PROJECT_DIR))
