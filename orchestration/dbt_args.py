"""Small pure functions deciding what dbt is asked to do (tested on their own)."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from expectations.contract import ExportContract, ReferenceRule

LAYERS = ("staging", "intermediate", "marts", "reports")


def dbt_build_args(
    exports_dir: Path | None,
    raw_export_seeds: Iterable[str],
    tests_repeated_elsewhere: Iterable[str] = (),
    node_fqns: Iterable[Sequence[str]] | None = None,
) -> list[str]:
    """`dbt build` over the selection Dagster adds.

    --full-refresh: seeds are dropped and reloaded, so a changed export
    header never meets an old table. With PGB_EXPORTS_DIR set the staging
    views read the files, so the raw seeds are not loaded at all.
    --no-write-json: dbt would write manifest.json twice and run_results.json,
    about 0.4 s of a national build that nothing reads; the run's dbt.log has
    every node's result and timing.
    No unit tests: they check the models' logic on fixed rows, not the data, and
    `make test` runs them; in a production build they cost time (16
    thread-seconds of a national close) and judge nothing about the month.
    Nor the data tests another check of the same run repeats exactly
    (`tests_repeated_elsewhere`): the staging models' tests that the exports'
    Great Expectations suites judge as strictly, on the same rows, earlier in
    the run (dbt_tests_judged_by_input_checks, about 3 s of a national build),
    and the rule models' row tests the stack of every rule repeats
    (dbt_tests_repeated_by_the_rule_stack, about 1 s). A test costs dbt some
    30 ms of Python, which the two threads take in turns.

    node_fqns: the fqn of every node of the manifest dbt runs on; given, the names left out are written as the
    few patterns of `exclusion_patterns` (dbt selects the same nodes, faster).
    """
    args = ["build", "--full-refresh", "--no-write-json", "--exclude-resource-type", "unit_test"]
    excluded = sorted(raw_export_seeds) if exports_dir is not None else []
    excluded += sorted(tests_repeated_elsewhere)
    if excluded and node_fqns is not None:
        excluded = exclusion_patterns(excluded, node_fqns)
    if excluded:
        args += ["--exclude", " ".join(excluded)]
    return args


_WILDCARDS = frozenset("*?[]")


def manifest_fqns(manifest: Mapping[str, Any]) -> list[list[str]] | None:
    """The fqn of every node dbt's selectors look at: each resource of the manifest that has one (models, tests,
    seeds, sources, unit tests, exposures...). None when a model is versioned: dbt matches those by other rules,
    which exclusion_patterns does not follow."""
    resources = [resource for section in manifest.values() if isinstance(section, Mapping)
                 for resource in section.values() if isinstance(resource, Mapping) and resource.get("fqn")]
    if any(resource.get("version") is not None for resource in resources):
        return None
    return [list(resource["fqn"]) for resource in resources]


def exclusion_patterns(names: Iterable[str], node_fqns: Iterable[Sequence[str]]) -> list[str]:
    """Few dbt selectors that select exactly the nodes `names` select among the nodes with `node_fqns`.

    dbt checks every node against every selector, and `dbt build` selects three times, so 160 names cost it
    about 0.4 s of one core before it runs anything. A plain name selects (fqn method) the nodes whose fqn
    ends with it or starts with it (a package); `<prefix>*` selects those whose name or whole dotted fqn starts
    with the prefix. Each name is replaced by `<prefix>*` for its shortest prefix that selects no node the
    names do not select; a name without one stays as it is. The patterns are computed from the manifest of
    the run, so a node added to the project later is never left out by them. Names with a dot or a wildcard
    (which dbt reads otherwise) are returned as they are.
    """
    wanted = set(names)
    if any(_WILDCARDS & set(name) or "." in name for name in wanted):
        return sorted(wanted)
    # Every string a pattern could match (each node's name and its dotted fqn), sorted: the strings with a given
    # prefix are one slice, and a running count of those of unwanted nodes tells whether the slice has any.
    strings = []
    for fqn in node_fqns:
        flat = [part for segment in fqn for part in segment.split(".")]
        is_wanted = fqn[-1] in wanted or flat[0] in wanted
        strings += [(fqn[-1], is_wanted), (".".join(flat), is_wanted)]
    strings.sort()
    texts = [text for text, _ in strings]
    unwanted_before = [0]
    for _, is_wanted in strings:
        unwanted_before.append(unwanted_before[-1] + (not is_wanted))

    def selects_only_wanted(prefix: str) -> bool:
        first, end = bisect_left(texts, prefix), bisect_left(texts, prefix + "\U0010ffff")
        return unwanted_before[end] == unwanted_before[first]

    patterns: list[str] = []
    left = sorted(wanted)
    while left:
        name = left[0]
        prefix = next((name[:cut] for cut in range(1, len(name) + 1) if selects_only_wanted(name[:cut])), None)
        if prefix is None:
            patterns.append(name)
            left = left[1:]
        else:
            patterns.append(prefix + "*")
            left = [other for other in left if not other.startswith(prefix)]
    return patterns


def _export_of_model(nodes: Mapping[str, Mapping[str, Any]], model_id: str | None, exports: Iterable[str]) -> str | None:
    """The raw export a staging model reads (pgb_export refs the export's seed), or None."""
    depends_on = ((nodes.get(model_id or "") or {}).get("depends_on") or {}).get("nodes") or []
    read = [export for export in exports if f"seed.{model_id.split('.')[1]}.{export}" in depends_on] if model_id else []
    return read[0] if len(read) == 1 else None


def _judged_by(test: Mapping[str, Any], contract: ExportContract, target: ExportContract | None) -> bool:
    """Does the export's suite judge this data test at least as strictly as dbt would on its staging model?"""
    metadata = test.get("test_metadata") or {}
    kind, arguments = metadata.get("name"), metadata.get("kwargs") or {}
    column = arguments.get("column_name")
    if kind == "unique":
        return (column,) in contract.keys  # compared as staging holds it (suites.key_columns)
    if kind == "unique_combination_of_columns":
        return tuple(arguments.get("combination") or ()) in contract.keys
    if kind == "not_null":  # the suites see a blank cell as null, as staging's nullif(trim(x), '') does
        return column in contract.required
    if kind == "accepted_values":
        # A blank cell is null for GX; staging keeps it as text only where it does not trim, and dbt then
        # refuses it: unless the column is required (GX refuses the blank), dbt's test stays.
        same_values = tuple(str(value) for value in arguments.get("values") or ()) == contract.enums.get(column)
        return same_values and (column in contract.required or column in contract.trimmed)
    if kind == "relationships":
        # GX compares trimmed values: the same as dbt only when staging trims both sides.
        field = arguments.get("field")
        return (
            target is not None
            and ReferenceRule(column, target.name, field) in contract.reference_rules
            and column in contract.trimmed
            and field in target.trimmed
        )
    return False


def dbt_tests_judged_by_input_checks(
    nodes: Mapping[str, Mapping[str, Any]], contracts: Mapping[str, ExportContract]
) -> list[str]:
    """The names of the dbt data tests on export staging models that the exports' GX suites repeat.

    `nodes`: the manifest's nodes. A test counts only when its kind, column(s) and values are exactly a
    rule of the export's contract (expectations/contract.py reads them from the same YAML), judged as
    strictly as dbt judges the staging model; any other test (a filtered one, a test on a computed
    column, a reference to a seed) stays in the build.
    """
    judged = []
    for node in nodes.values():
        if node.get("resource_type") != "test" or (node.get("config") or {}).get("where"):
            continue
        export = _export_of_model(nodes, node.get("attached_node"), contracts)
        if export is None:
            continue
        target_model = re.fullmatch(r"ref\('(\w+)'\)", ((node.get("test_metadata") or {}).get("kwargs") or {}).get("to") or "")
        target_id = f"model.{node['attached_node'].split('.')[1]}.{target_model.group(1)}" if target_model else None
        target_export = _export_of_model(nodes, target_id, contracts) if target_id else None
        target = contracts.get(target_export) if target_export else None
        if _judged_by(node, contracts[export], target):
            judged.append(node["name"])
    return sorted(judged)


# The model stacking every rule model's rows (models/intermediate/pgb/int_tasks__rule_violations.sql):
# `select task_id, '<rule code>' as rule_code, evidence from <rule model>`, union all, nothing filtered.
RULE_STACK_MODEL = "int_tasks__rule_violations"
# A rule model's row tests, and the stack's test that repeats each one for every rule at once.
_RULE_ROW_TESTS = {
    ("unique", ("task_id",)): ("unique_combination_of_columns", ("task_id", "rule_code")),
    ("not_null", ("task_id",)): ("not_null", ("task_id",)),
    ("not_null", ("evidence",)): ("not_null", ("evidence",)),
}


def _test_kind_and_columns(test: Mapping[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    metadata = test.get("test_metadata") or {}
    arguments = metadata.get("kwargs") or {}
    columns = (arguments.get("combination") or arguments.get("columns")
               or ([arguments["column_name"]] if arguments.get("column_name") else []))
    return metadata.get("name"), tuple(columns)


def dbt_tests_repeated_by_the_rule_stack(nodes: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The names of the rule models' row tests that the stack of every rule repeats in the same build.

    `nodes`: the manifest's nodes. RULE_STACK_MODEL copies each rule model's task_id and evidence
    unchanged, one rule_code per rule model, and drops no row. So a rule model's duplicate task_id is
    a duplicate (task_id, rule_code) of the stack, and its null task_id or evidence a null there: the
    stack's unfiltered `unique_combination_of_columns(task_id, rule_code)` and not-null tests of task_id
    and evidence (`not_null`, or `not_null_columns` listing them) fail for it too, and name the rule.
    A rule model is a model with a rule_code in its meta that the stack reads. A rule-model test is
    repeated only when the stack carries the corresponding test; filtered tests and any other test stay
    in the build.
    """
    stack = next((node for node in nodes.values()
                  if node.get("resource_type") == "model" and node.get("name") == RULE_STACK_MODEL), None)
    if stack is None:
        return []
    stack_tests = set()
    for node in nodes.values():
        if (node.get("resource_type") == "test" and not (node.get("config") or {}).get("where")
                and node.get("attached_node") == stack.get("unique_id")):
            kind, columns = _test_kind_and_columns(node)
            # tests/generic/not_null_columns.sql: a not_null on each of its columns
            stack_tests |= ({("not_null", (column,)) for column in columns} if kind == "not_null_columns"
                            else {(kind, columns)})
    stacked = set((stack.get("depends_on") or {}).get("nodes") or [])
    rule_models = {model_id for model_id in stacked
                   if (((nodes.get(model_id) or {}).get("config") or {}).get("meta") or {}).get("rule_code")}
    repeated = []
    for node in nodes.values():
        if node.get("resource_type") != "test" or (node.get("config") or {}).get("where"):
            continue
        if node.get("attached_node") not in rule_models:
            continue
        stack_test = _RULE_ROW_TESTS.get(_test_kind_and_columns(node))
        if stack_test is not None and stack_test in stack_tests:
            repeated.append(node["name"])
    return sorted(repeated)


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
