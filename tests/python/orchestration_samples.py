"""A tiny, valid set of the 15 raw exports, and ways to damage one.

The orchestration and expectation tests need rows to check (the bundled
seeds may be header-only) and a known-good starting point to damage. The rows
follow contract section 1; a few tasks are concluded in June 2025 so that the
close has something to evaluate.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

VALID_EXPORTS: dict[str, str] = {
    "raw_professionals": """siape,name,role,social_service_degree,unit_code
0123456,Ana Souza,analista,false,APS001
0765432,Bruno Lima,tecnico,false,APS001
1234567,Carla Dias,assistente_social,true,APS002
""",
    "raw_hr_periods": """period_id,siape,kind,start_date,end_date,ceded_to
HP1,0765432,afastamento,2025-01-10,2025-02-10,
HP2,1234567,cessao,2024-01-01,2024-12-31,MPS
""",
    "raw_adhesions": """adhesion_task_id,siape,queue_code,requested_at,status,homologation,enabled_from,enabled_until
AD1,0123456,Q-EXT-1,2025-05-10 09:00:00,concluida,homologado,2025-05-19,
AD2,0765432,Q-EXT-1,2025-05-11 10:00:00,concluida,homologado,2025-05-19,2025-12-31
AD3,1234567,Q-EXT-1,2025-05-12 11:00:00,pendente,,,
""",
    "raw_sisref_intervals": """siape,work_date,kind,start_at,end_at
0123456,2025-06-02,previsto,2025-06-02 08:00:00,2025-06-02 14:00:00
0123456,2025-06-02,realizado,2025-06-02 08:05:00,2025-06-02 14:02:00
0765432,2025-06-03,previsto,2025-06-03 22:00:00,2025-06-04 04:00:00
""",
    "raw_sisref_occurrences": """siape,occurrence_date,occurrence_code
0123456,2025-06-20,FER
""",
    "raw_pgd_plans": """siape,reference_month,pact_type,net_target_points,achieved_points
0123456,2025-06-01,atividade,100.0,95.5
0765432,2025-06-01,produto,80,
""",
    "raw_pgd_goal_complements": """task_id,siape,reference_month,points
T5,0765432,2025-06-01,1.5
""",
    "raw_tasks": """task_id,parent_task_id,service_code,service_name,category,benefit_group,queue_code,queue_type,nb,created_at,created_by,status,concluded_at,concluded_by
T1,,12345,Aposentadoria por idade,reconhecimento_inicial,previdenciario,Q-EXT-1,extraordinaria,1234567890,2025-06-01 10:00:00,,concluida,2025-06-02 19:00:00,0123456
T2,T1,12345,Aposentadoria por idade,reconhecimento_inicial,previdenciario,Q-EXT-1,extraordinaria,,2025-06-02 18:00:00,0123456,concluida,2025-06-02 18:30:00,0123456
T3,,14875,BPC,reconhecimento_inicial,assistencial,Q-EXT-1,extraordinaria,2222222222,2025-06-01 10:00:00,,concluida,2025-06-03 10:00:00,0765432
T4,,12345,Revisão,revisao,previdenciario,Q-ORD-1,ordinaria,3333333333,2025-06-01 10:00:00,,pendente,,
T5,,12345,Manutenção,manutencao,previdenciario,Q-EXT-1,extraordinaria,4444444444,2025-06-01 10:00:00,,concluida,2025-06-05 20:00:00,0765432
""",
    "raw_task_assignments": """task_id,siape,assigned_at
T1,0123456,2025-06-02 18:00:00
T3,0765432,2025-06-03 09:00:00
T5,0765432,2025-06-05 19:00:00
""",
    "raw_task_events": """event_id,task_id,event_type,occurred_at,siape
E1,T1,comment,2025-06-02 18:10:00,0123456
E2,T1,subtask_created,2025-06-02 18:15:00,0123456
E3,T3,status_change,2025-06-03 09:30:00,
""",
    "raw_sub_dispatches": """dispatch_id,nb,decision,dispatched_at,siape,is_automatic
D1,1234567890,deferimento,2025-06-02 18:45:00,0123456,false
D2,2222222222,indeferimento,2025-06-03 09:50:00,,true
""",
    "raw_sibe_status": """nb,sibe_status
2222222222,Indeferido
1234567890,Deferido
""",
    "raw_aps": """aps_code,aps_name,gex_code,opens_at,closes_at,active_from,active_until
APS001,APS Centro,GEX01,07:00,13:00,2020-01-01,
APS002,APS Norte,GEX01,08:00,14:00,2020-01-01,
""",
    "raw_supervision_designations": """siape,aps_code,designated_by,competence_from,competence_until
1234567,APS001,serat_seat,2021-01-01,
1234567,APS002,gerente_aps,2021-01-01,2022-12-31
""",
    "raw_supervision_tasks": """task_id,aps_code,supervisor_siape,created_at,visited_at,concluded_at,status,attachments_count,additional_fields_total,additional_fields_filled
S1,APS001,1234567,2021-10-05 09:00:00,2021-10-06 10:00:00,2021-10-07 12:00:00,concluida,3,5,5
S2,APS002,1234567,2021-12-03 09:00:00,,,pendente,0,5,2
""",
}


def write_valid_exports(folder: Path) -> Path:
    """Write the valid exports as <folder>/<export>.csv (over any seeds there)."""
    folder.mkdir(parents=True, exist_ok=True)
    for export, text in VALID_EXPORTS.items():
        (folder / f"{export}.csv").write_text(text, encoding="utf-8")
    return folder


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def set_cell(text: str, line: int, column: str, value: str) -> str:
    """Replace one cell; `line` is the CSV line number (header = 1)."""
    rows = _rows(text)
    rows[line - 1][rows[0].index(column)] = value
    return _text(rows)


def drop_column(text: str, column: str) -> str:
    rows = _rows(text)
    position = rows[0].index(column)
    return _text([row[:position] + row[position + 1 :] for row in rows])


def duplicate_line(text: str, line: int) -> str:
    rows = _rows(text)
    return _text([*rows, rows[line - 1]])


# Each damage: (export, function of the valid text, column the message must name,
# a CSV line the message must name or None, expectation type that must fail).
DAMAGES = {
    "duplicate_key": (
        "raw_tasks",
        lambda text: duplicate_line(text, 3),
        "task_id",
        3,
        "expect_column_values_to_be_unique",
    ),
    "end_before_start": (
        "raw_sisref_intervals",
        lambda text: set_cell(text, 3, "end_at", "2025-06-02 07:00:00"),
        "end_at",
        3,
        "expect_column_pair_values_a_to_be_greater_than_b",
    ),
    "malformed_siape": (
        "raw_professionals",
        lambda text: set_cell(text, 2, "siape", "123456"),
        "siape",
        2,
        "expect_column_values_to_match_regex",
    ),
    "value_outside_enum": (
        "raw_task_events",
        lambda text: set_cell(text, 4, "event_type", "telefonema"),
        "event_type",
        4,
        "expect_column_values_to_be_in_set",
    ),
    "missing_column": (
        "raw_hr_periods",
        lambda text: drop_column(text, "kind"),
        "kind",
        None,
        "expect_table_columns_to_match_ordered_list",
    ),
    # Contract v2: an occurrence code missing from ref_sisref_codes stops the run.
    "unknown_occurrence_code": (
        "raw_sisref_occurrences",
        lambda text: set_cell(text, 2, "occurrence_code", "XYZ"),
        "occurrence_code",
        2,
        "expect_column_values_to_be_in_set",
    ),
    "unparseable_timestamp": (
        "raw_task_assignments",
        lambda text: set_cell(text, 3, "assigned_at", "03/06/2025 09:00"),
        "assigned_at",
        3,
        "expect_column_values_to_match_strftime_format",
    ),
}


def scratch_pgb_environment(root: Path, exports: Path) -> dict[str, str]:
    """The environment of a real `pgb` process reading `exports`, with every other path under `root`
    (warehouse/pgb.duckdb, reports/, target/, logs/, dagster_home/)."""
    env = {
        **os.environ,
        "PGB_EXPORTS_DIR": str(exports),
        "PGB_DUCKDB_PATH": str(root / "warehouse" / "pgb.duckdb"),
        "PGB_REPORTS_DIR": str(root / "reports"),
        "PGB_DBT_TARGET_PATH": str(root / "target"),
        "DBT_LOG_PATH": str(root / "logs"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
        "DO_NOT_TRACK": "1",
    }
    env.pop("PGB_EXPORTS_FORMAT", None)
    return env


def use_scratch_paths(env, root: Path) -> Path:
    """With a pytest MonkeyPatch `env`: the warehouse (returned), dbt target and reports under `root`, exports
    from the project's seeds. For runs in this process (build_definitions, execute)."""
    warehouse = root / "warehouse" / "pgb.duckdb"
    env.setenv("PGB_DUCKDB_PATH", str(warehouse))
    env.setenv("PGB_DBT_TARGET_PATH", str(root / "target"))
    env.setenv("PGB_REPORTS_DIR", str(root / "reports"))
    env.delenv("PGB_EXPORTS_DIR", raising=False)
    env.setenv("DO_NOT_TRACK", "1")
    return warehouse
