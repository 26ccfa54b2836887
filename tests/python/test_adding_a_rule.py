"""Adding a rule is one SQL file plus one ref_rules.csv row (README, "Adding a rule").

In a scratch copy of the project loaded with the pgb_rules fixture, a made-up
rule R499 (one model that rejects every task of one payee) is dropped into
models/intermediate/pgb/rules/ with its ref_rules row, and nothing else is
edited: the rule must show up as the column r499 of fct_task_evaluations, in
rejection_rules and in fct_task_rule_violations with its title. Without the
ref_rules row the singular test that pairs rules and models must fail.
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import pytest

from contract_flow import REPO_ROOT, copy_project, query, run_dbt

NEW_RULE_SQL = """\
-- A made-up rule for the test: rejects every evaluated task of payee {payee}.
{{% macro pgb_rule__r499_made_up_for_a_test() %}}{{{{ return('R499') }}}}{{% endmacro %}}
with

evaluated_tasks as (

    select * from {{{{ ref('int_tasks__evaluated') }}}}

),

final as (

    select
        task_id,
        'Tarefa do servidor ' || payee_siape || ' (regra de teste).' as evidence
    from evaluated_tasks
    where payee_siape = '{payee}'

)

select * from final
"""


def _some_payee() -> str:
    with open(REPO_ROOT / "tests" / "fixtures" / "pgb_rules" / "raw_tasks.csv", newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["status"] == "concluida" and row["queue_type"] == "extraordinaria"]
    return rows[0]["concluded_by"]


def _scratch_project(tmp_path: Path, with_reference_row: bool) -> tuple[Path, dict[str, str], str]:
    project = copy_project(tmp_path / "project")
    shutil.copytree(REPO_ROOT / "tests" / "singular", project / "tests" / "singular")
    for fixture_csv in (REPO_ROOT / "tests" / "fixtures" / "pgb_rules").glob("raw_*.csv"):
        shutil.copy2(fixture_csv, project / "seeds" / fixture_csv.name)
    payee = _some_payee()
    rules_dir = project / "models" / "intermediate" / "pgb" / "rules"
    (rules_dir / "r499_made_up_for_a_test.sql").write_text(NEW_RULE_SQL.format(payee=payee), encoding="utf-8")
    if with_reference_row:
        with open(project / "seeds" / "ref_rules.csv", "a", newline="", encoding="utf-8") as handle:
            csv.writer(handle, lineterminator="\n").writerow(
                ["R499", "Regra inventada para o teste.", "Texto de teste.", "Nenhuma (teste)", "2025-05-19", ""]
            )
    env = {**os.environ, "PGB_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb")}
    env.pop("PGB_EXPORTS_DIR", None)
    env.pop("PGB_MONTH", None)
    return project, env, payee


def test_a_rule_file_and_its_reference_row_are_enough(tmp_path):
    project, env, payee = _scratch_project(tmp_path, with_reference_row=True)
    run_dbt(project, "seed", "--full-refresh", env=env)
    run_dbt(project, "run", env=env)
    warehouse = tmp_path / "warehouse.duckdb"

    flagged = query(warehouse, "select task_id, payee_siape, rejection_rules, outcome from fct_task_evaluations where r499")
    assert flagged, "the new rule column r499 flags no task"
    assert {row[1] for row in flagged} == {payee}
    assert all("R499" in row[2].split(",") and row[3] == "rejected" for row in flagged)
    assert all(row[2].split(",") == sorted(row[2].split(",")) for row in flagged)
    violations = query(
        warehouse, "select task_id, rule_title, evidence from fct_task_rule_violations where rule_code = 'R499'"
    )
    assert {row[0] for row in violations} == {row[0] for row in flagged}
    assert {row[1] for row in violations} == {"Regra inventada para o teste."}
    run_dbt(project, "test", "--select", "assert_every_rule_has_exactly_one_rule_model", env=env)


def test_a_rule_model_without_its_reference_row_fails_the_pairing_test(tmp_path):
    project, env, _ = _scratch_project(tmp_path, with_reference_row=False)
    run_dbt(project, "seed", "--full-refresh", env=env)
    run_dbt(project, "run", env=env)
    with pytest.raises(AssertionError, match="assert_every_rule_has_exactly_one_rule_model"):
        run_dbt(project, "test", "--select", "assert_every_rule_has_exactly_one_rule_model", env=env)
