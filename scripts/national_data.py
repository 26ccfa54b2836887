"""A national month of PGB exports, generated deterministically in DuckDB SQL.

    .venv/bin/python scripts/national_data.py --scale 1 --out /tmp/national           # 2025-06, Parquet
    .venv/bin/python scripts/national_data.py --scale 0.1 --months 3 --format both --out /tmp/national

Writes every raw export of contract section 1 into OUT/YYYY-MM/ (one folder per
monthly delivery), as typed Parquet (types of seeds/_seeds.yml) and/or CSV in
the contract's text format. The same arguments give byte-identical files.

Shape at scale 1 (a national month): 10,000 professionals with about 2 Sisref
intervals each per working day, about 1.2 M evaluated tasks with about 10
events each, about 1.1 assignments per task and about 0.9 SUB dispatches per
task. Every row is drawn from range() with hash() as the only source of
randomness: no Python row loops.

Most tasks are clean: their payee works them in an evening (or, for night
shifts, a morning) session well outside the Sisref intervals. Rules fire on:
- planted tasks, chosen by `seq % 1000` (PLANTED_TASKS): acts inside the
  payee's ordinary hours, R406/R409 dispatch cases, R411, R420, R421, R424,
  NB reuse (R430/R432, and across months), plus boundary cases that must not
  fire (an act exactly at end_at, an automatic dispatch, a colleague's act);
- special professionals, the last ~5% (SPECIAL_STATES): leave, cession,
  afastamento, inactivity, adhesion problems, PGD below target, and the
  `held` cases (payee missing from SIAPE, no Sisref in the month, no PGD target).
About 8% of the tasks are out of scope (ordinary queue, pending, in exigency,
cancelled). Codes, names, NBs and SIAPEs are invented.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_data.pgb import FIRST_NAMES, SERVICES, SURNAMES  # noqa: E402  (shared with the demo office)

SEEDS_YML = REPO_ROOT / "seeds" / "_seeds.yml"
SISREF_CODES_CSV = REPO_ROOT / "seeds" / "ref_sisref_codes.csv"
RAW_EXPORTS = (
    "raw_professionals", "raw_hr_periods", "raw_adhesions", "raw_sisref_intervals", "raw_sisref_occurrences",
    "raw_pgd_plans", "raw_pgd_goal_complements", "raw_tasks", "raw_task_assignments", "raw_task_events",
    "raw_sub_dispatches", "raw_sibe_status", "raw_aps", "raw_supervision_designations", "raw_supervision_tasks",
)

# Volumes at scale 1. ROOT_TASKS counts every root task of the delivery; about
# 92% of them are evaluated, and the BPC ones add an evaluated subtask each.
PROFESSIONALS = 10_000
ROOT_TASKS = 1_200_000
APS_COUNT = 1_600
APS_PER_GEX = 16
MEMORY_LIMIT = "4GB"  # DuckDB's, for the generation; larger scales spill to the temp directory
MIN_PROFESSIONALS = 20  # the special states and a few normal professionals must exist

ROOT_QUEUES = ("PGB-RI-URB", "PGB-RI-RUR", "PGB-MR", "PGB-BPC", "PGB-BI")
SOCIAL_WORKER_QUEUES = ("PGB-BPC", "PGB-BI", "PGB-AS")
BPC_CONCESSION = 11031  # opens an avaliação social subtask
AVALIACAO_SOCIAL = 11311
SIBE_SERVICES = (14875, BPC_CONCESSION, 17456, 17436, 17776, 17775)

# Planted tasks: seq % 1000 -> what is planted (always evaluated root tasks).
PLANTED_TASKS = {
    0: "source of the NB reused by k=16, 17 (and k=18 of the next month)",
    1: "R404: concluded inside the payee's morning interval",
    2: "R403: status change by the payee inside an interval",
    3: "R405: subtask created by the payee inside an interval",
    4: "R407: comment by the payee inside an interval",
    5: "R407: attachment by the payee inside an interval",
    6: "R406: manual deferimento by the payee inside an interval, within the task's lifetime",
    7: "R429: assignment to the payee inside an interval",
    8: "R424: also assigned to a colleague",
    9: "R411: created by the payee",
    10: "R420: counted as a PGD goal complement",
    11: "R421: no NB",
    12: "R421: blank NB",
    13: "R409: initial recognition, the payee's only dispatch is 'outro'",
    14: "R409: 14875 with SIBE 'Aguardando perícia'",
    15: "R409: BI 17436 with SIBE 'Cancelado'",
    16: "R430: same NB and payee as k=0",
    17: "R432: same NB as k=0, another payee",
    18: "R432 across months: NB of the previous month's k=0 task",
    20: "boundary, no rule: comment by the payee exactly at the day's last end_at",
    21: "boundary, no R406: automatic dispatch inside an interval",
    22: "boundary, no R403: a colleague changes the status inside the payee's interval",
    23: "R409: BI 17775 whose NB has no SIBE row",
    24: "R409: the only deferimento is a colleague's",
    25: "boundary, no R409: BI 17456 with 'Aguardando perícia'",
    26: "boundary, no R409: only an automatic dispatch",
    27: "R409 (v2): the payee's deferimento is from before the task was created",
}
PLANTED_SERVICES = {13: 10011, 14: 14875, 15: 17436, 23: 17775, 24: 10021, 25: 17456, 26: 10012, 27: 10051}
PLANTED_DISPATCH_CASES = (6, 13, 21, 24, 26, 27)
ALWAYS_EVALUATED_BELOW = 40  # seq % 1000 <= this is never drawn out of scope

# Special professionals (the last ones by index): state -> situation.
SPECIAL_STATES = {
    1: "R414: licença sem vencimento from day 16",
    2: "R415: cedido ao MEC from day 16",
    3: "no rule: cedido ao MPS since last year",
    4: "R416: afastamento since 175 days before the month, until day 12 (over 180 days from day 6)",
    5: "R417: inatividade from day 21",
    6: "R402: every adhesion enabled only until day 15",
    7: "R401: PGB-MR adhesion pendente (20% of the tasks in PGB-MR)",
    8: "R401: PGB-MR adhesion concluida, nao_homologado",
    9: "R419: no PGB-MR adhesion row",
    10: "R410: PGD atividade, achieved 75% of the target",
    11: "held: PGD atividade without net_target_points",
    12: "held: missing from raw_professionals",
    13: "held: no Sisref interval nor occurrence in the month",
    14: "R402: every adhesion enabled only from day 10",
}
SPECIAL_SHARE = 0.05

SIBE_STATUSES = {
    "assistencial": (("Deferido", 45), ("Indeferido", 30), ("Em processamento", 16), ("Em Processamento", 4),
                     ("Desistido", 5)),
    "incapacidade_temporaria": (("Deferido", 35), ("Indeferido", 20), ("Aguardando perícia", 25),
                                ("Em processamento", 15), ("Desistido", 5)),
}


# ---------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class MonthShape:
    """Everything the SQL of one monthly delivery depends on."""

    month_start: date
    scale: float
    professionals: int
    special_professionals: int
    root_tasks: int
    aps: int
    gex: int
    holidays: tuple[date, ...] = field(default=())
    # The PGB start the deliveries assume (adhesions are enabled from it): the
    # contract's 2025-05-19, or earlier for a long history (benchmark --program-start).
    program_start: date = date(2025, 5, 19)

    @property
    def month_end(self) -> date:
        following = (self.month_start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return following - timedelta(days=1)

    @property
    def days_in_month(self) -> int:
        return self.month_end.day

    @property
    def month_index(self) -> int:
        return self.month_start.year * 12 + self.month_start.month - 1

    @property
    def yymm(self) -> str:
        return self.month_start.strftime("%y%m")

    @property
    def normal_professionals(self) -> int:
        return self.professionals - self.special_professionals

    @property
    def normal_social_workers(self) -> int:
        # Social workers are the professionals whose index ends in 3.
        return (self.normal_professionals - 3) // 10 + 1


def month_shape(month_start: date, scale: float, program_start: date | None = None) -> MonthShape:
    if scale <= 0:
        raise ValueError(f"--scale must be positive, got {scale}")
    professionals = max(MIN_PROFESSIONALS, round(PROFESSIONALS * scale))
    special = max(len(SPECIAL_STATES), round(professionals * SPECIAL_SHARE))
    aps = max(3, round(APS_COUNT * scale))
    return MonthShape(
        month_start=month_start,
        scale=scale,
        professionals=professionals,
        special_professionals=special,
        root_tasks=max(1_000, round(ROOT_TASKS * scale)),
        aps=aps,
        gex=max(1, round(aps / APS_PER_GEX)),
        holidays=tuple(brazilian_holidays(month_start.year)),
        **({"program_start": program_start} if program_start else {}),
    )


def easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month = (h + leap - 7 * m + 114) // 31
    day = (h + leap - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def brazilian_holidays(year: int) -> list[date]:
    """National holidays and the federal pontos facultativos nobody works in Sisref."""
    fixed = [(1, 1), (4, 21), (5, 1), (9, 7), (10, 12), (11, 2), (11, 15), (11, 20), (12, 25)]
    sunday = easter(year)
    moving = [sunday - timedelta(days=48), sunday - timedelta(days=47), sunday - timedelta(days=2),
              sunday + timedelta(days=60)]  # Carnaval (Mon, Tue), Sexta-feira Santa, Corpus Christi
    return sorted({date(year, month, day) for month, day in fixed} | set(moving))


def parse_month(text: str) -> date:
    try:
        year, month = (int(part) for part in text.strip().split("-")[:2])
        return date(year, month, 1)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"month must be YYYY-MM, got {text!r}") from error


def following_months(first: date, count: int) -> list[date]:
    months = [first]
    while len(months) < count:
        last = months[-1]
        months.append(date(last.year + last.month // 12, last.month % 12 + 1, 1))
    return months


def export_column_types() -> dict[str, dict[str, str]]:
    """Column -> dbt seed type, in file order, for every raw export (seeds/_seeds.yml)."""
    seeds = yaml.safe_load(SEEDS_YML.read_text(encoding="utf-8"))["seeds"]
    return {seed["name"]: dict(seed["config"]["column_types"]) for seed in seeds if seed["name"] in RAW_EXPORTS}


def sisref_codes() -> tuple[list[str], list[str]]:
    """(blocking, non-blocking) occurrence codes of seeds/ref_sisref_codes.csv: the only codes used."""
    with SISREF_CODES_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    blocking = [row["occurrence_code"] for row in rows if row["blocks_extraordinary_work"].strip() == "true"]
    free = [row["occurrence_code"] for row in rows if row["blocks_extraordinary_work"].strip() != "true"]
    if not blocking:
        raise ValueError(f"{SISREF_CODES_CSV} has no blocking occurrence code to plant vacations with")
    return blocking, free


# ---------------------------------------------------------------------------
# SQL
# ---------------------------------------------------------------------------
def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_list(values) -> str:
    return "[" + ", ".join(sql_text(str(value)) for value in values) + "]"


MACROS = """
create or replace macro u01(a, b, c) as (hash(a, b, c) % 1000000) / 1000000.0;
create or replace macro pick(a, b, c, n) as cast(hash(a, b, c) % n as bigint);
create or replace macro jitter(a, b, c) as cast(hash(a, b, c) % 21 as integer) - 10;
create or replace macro siape_of(i) as lpad(cast((cast(i as hugeint) * 7654321 + 1357913) % 10000000 as varchar), 7, '0');
create or replace macro nb_of(month_index, seq) as lpad(cast(
    ((cast(month_index as hugeint) * 100000000 + seq) * 7919111117 + 1234567891) % 10000000000 as varchar), 10, '0');
create or replace macro minutes(n) as to_minutes(cast(n as bigint));
create or replace macro seconds(n) as to_seconds(cast(n as bigint));
"""


def reference_tables_sql(shape: MonthShape) -> str:
    """Service buckets, names and calendar: small tables the big ones join to."""
    bucket_rows = []
    for queue in ROOT_QUEUES:
        services = [service for service in SERVICES if service.queue == queue and service.weight > 0]
        total = sum(service.weight for service in services)
        bucket, cumulative = 0, 0
        for service in services:
            cumulative += service.weight
            while bucket < round(100 * cumulative / total):
                bucket_rows.append(f"({sql_text(queue)}, {bucket}, {service.code})")
                bucket += 1
    service_rows = [
        f"({service.code}, {sql_text(service.name)}, {sql_text(service.category)}, {sql_text(service.benefit_group)}, "
        f"{sql_text(service.queue)})"
        for service in SERVICES
    ]
    holidays = ", ".join(f"date '{day}'" for day in shape.holidays)
    return f"""
create or replace table service_buckets as
select * from (values {", ".join(bucket_rows)}) as t(queue_code, bucket, service_code);

create or replace table services as
select * from (values {", ".join(service_rows)}) as t(service_code, service_name, category, benefit_group, queue_code);

create or replace table calendar as
with days as (
    select cast(d as date) as day
    from generate_series(date '{shape.month_start}', date '{shape.month_end}', interval 1 day) as t(d)
),
flagged as (
    select day, day_of_month_number, isodow(day) <= 5 and day not in ({holidays}) as is_workday
    from (select day, cast(dayofmonth(day) as integer) as day_of_month_number from days)
)
select
    day,
    day_of_month_number,
    is_workday,
    -- The working day a planted in-hours act falls on: the last one on or
    -- before this day, or the first one after when the month has none before.
    coalesce(
        max(case when is_workday then day end) over (order by day rows between unbounded preceding and current row),
        min(case when is_workday then day end) over (order by day rows between current row and unbounded following)
    ) as inside_day
from flagged;
"""


def professionals_sql(shape: MonthShape) -> str:
    m, p, pn = shape.month_index, shape.professionals, shape.normal_professionals
    first_names, surnames = sql_list(FIRST_NAMES), sql_list(SURNAMES)
    return f"""
create or replace table professionals as
with base as (
    select
        i,
        siape_of(i) as siape,
        case when i > {pn} then (({p} - i) % {len(SPECIAL_STATES)}) + 1 else 0 end as state,
        i % 10 = 3 as is_social_worker,
        u01(i, 0, 'schedule') as schedule_draw,
        u01(i, {m}, 'block') as block_draw
    from range(1, {p} + 1) as t(i)
)
select
    i,
    siape,
    state,
    is_social_worker,
    case
        when is_social_worker then 'assistente_social'
        when i % 10 in (6, 7, 8) then 'tecnico'
        when i % 10 = 9 then 'outro'
        else 'analista'
    end as role,
    is_social_worker or u01(i, 0, 'degree') < 0.05 as social_service_degree,
    {first_names}[1 + pick(i, 0, 'first', {len(FIRST_NAMES)})] || ' '
    || {surnames}[1 + pick(i, 0, 'middle', {len(SURNAMES)})] || ' '
    || {surnames}[1 + pick(i, 0, 'last', {len(SURNAMES)})] as name,
    1 + pick(i, 0, 'unit', {shape.aps}) as unit_index,
    -- Sisref schedule: 8 h with a lunch break, 6 h, or a night shift crossing midnight.
    case
        when schedule_draw < 0.55 then '8h'
        when schedule_draw < 0.92 or is_social_worker then '6h'
        else 'night'
    end as shift_kind,
    case
        when schedule_draw < 0.15 then 420
        when schedule_draw < 0.45 then 480
        when schedule_draw < 0.55 then 540
        when schedule_draw < 0.75 then 420
        when schedule_draw < 0.92 or is_social_worker then 780
        else 1320
    end as shift_start_minute,
    pick(i, 0, 'q1', 5) as first_queue,
    (pick(i, 0, 'q1', 5) + 1 + pick(i, 0, 'q2', 4)) % 5 as second_queue,
    -- A blocked stretch this month: vacation (every working day of ten) or
    -- sick leave (the working days of the first five), in days 1-10 or 16-25.
    case when block_draw < 0.10 then 'vacation' when block_draw < 0.12 then 'sick' end as block_kind,
    1 + 15 * pick(i, {m}, 'window', 2) as block_first_day,
    case when u01(i, {m}, 'time_off') < 0.05 then 26 + pick(i, {m}, 'time_off_day', 3) end as time_off_day,
    case when u01(i, {m}, 'training') < 0.03 then 11 + pick(i, {m}, 'training_day', 5) end as training_day,
    -- Days without Sisref because the professional is away (special states).
    case state when 1 then 16 when 2 then 16 when 4 then 1 when 5 then 21 when 13 then 1 end as away_from_day,
    case state when 1 then 31 when 2 then 31 when 4 then 12 when 5 then 31 when 13 then 31 end as away_to_day,
    u01(i, 0, 'pgd') < 0.9 or state in (10, 11) as in_pgd,
    -- Social workers join the BPC, BI and avaliação social queues; the PGB-MR
    -- adhesion cases (states 7-9) work the root queues whatever their role.
    not is_social_worker or state in (7, 8, 9) as works_root_queues
from base;
"""


def professional_days_sql(shape: MonthShape) -> str:
    m = shape.month_index
    return f"""
create or replace table professional_days as
with crossed as (
    select
        p.i,
        p.siape,
        p.state,
        p.shift_kind,
        p.shift_start_minute,
        p.block_kind,
        c.day,
        c.day_of_month_number,
        c.is_workday,
        coalesce(
            p.block_kind is not null
            and c.is_workday
            and c.day_of_month_number between p.block_first_day
            and p.block_first_day + (case p.block_kind when 'vacation' then 9 else 4 end),
            false
        ) as is_blocked,
        coalesce(c.day_of_month_number = p.time_off_day and c.is_workday, false) as is_time_off,
        coalesce(c.day_of_month_number = p.training_day and c.is_workday, false) as is_training,
        coalesce(c.day_of_month_number between p.away_from_day and p.away_to_day, false) as is_away,
        jitter(p.i, {m} * 100 + c.day_of_month_number, 'j1') as j1,
        jitter(p.i, {m} * 100 + c.day_of_month_number, 'j2') as j2,
        jitter(p.i, {m} * 100 + c.day_of_month_number, 'j3') as j3,
        jitter(p.i, {m} * 100 + c.day_of_month_number, 'j4') as j4,
        p.shift_kind = '8h' and u01(p.i, {m} * 100 + c.day_of_month_number, 'previsto') < 0.10 as has_previsto_pair
    from professionals as p
    cross join calendar as c
)
select
    *,
    is_workday and not is_blocked and not is_time_off and not is_away as has_sisref,
    cast(day as timestamp) + minutes(shift_start_minute) as shift_start_at,
    -- A planted in-hours act: 75 minutes into the shift, inside its first interval.
    cast(day as timestamp) + minutes(shift_start_minute + 75) as inside_at,
    -- The end of the day's last interval: the first instant outside (end_at is exclusive).
    cast(day as timestamp) + minutes(
        case
            when shift_kind = '8h' then shift_start_minute + 540 + greatest(j4, case when has_previsto_pair then 0 else -100 end)
            else shift_start_minute + 360 + greatest(j2, 0)
        end
    ) as last_end_at
from crossed;
"""


def root_tasks_sql(shape: MonthShape) -> str:
    m, p, pn, r = shape.month_index, shape.professionals, shape.normal_professionals, shape.root_tasks
    queues = sql_list(ROOT_QUEUES)
    forced = " ".join(f"when {k} then {code}" for k, code in PLANTED_SERVICES.items())
    return f"""
create or replace table root_tasks as
with drawn as (
    select
        seq,
        seq % 1000 as k,
        u01({m}, seq, 'scope') as scope_draw,
        case
            when seq % 1000 = 16 then 1 + pick({m}, seq - 16, 'payee', {p})
            when seq % 1000 = 17 then 1 + (pick({m}, seq - 17, 'payee', {p}) + 1) % {p}
            when seq % 1000 between 1 and {ALWAYS_EVALUATED_BELOW} and seq % 1000 <> 18 then
                -- planted cases go to normal professionals who are not social workers
                case
                    when (1 + pick({m}, seq, 'planted', {pn})) % 10 = 3 then pick({m}, seq, 'planted', {pn})
                    else 1 + pick({m}, seq, 'planted', {pn})
                end
            else 1 + pick({m}, seq, 'payee', {p})
        end as payee_index,
        1 + pick({m}, seq, 'day', {shape.days_in_month}) as drawn_day
    from range(0, {r}) as t(seq)
),
scoped as (
    select
        drawn.*,
        case
            when k <= {ALWAYS_EVALUATED_BELOW} then 'evaluated'
            when scope_draw < 0.04 then 'ordinary'
            when scope_draw < 0.06 then 'pendente'
            when scope_draw < 0.07 then 'em_exigencia'
            when scope_draw < 0.08 then 'cancelada'
            else 'evaluated'
        end as scope,
        p.siape as payee_siape,
        p.state as payee_state,
        p.is_social_worker,
        p.shift_kind,
        p.unit_index,
        p.first_queue,
        p.second_queue,
        -- Clean work never falls on the payee's blocked stretch: move it 15 days.
        case
            when p.block_kind is not null and drawn_day between p.block_first_day and p.block_first_day + 9
                then case when p.block_first_day = 1 then drawn_day + 15 else drawn_day - 15 end
            else drawn_day
        end as conclusion_day_number,
        siape_of(1 + (payee_index + pick({m}, seq, 'colleague', {p} - 1)) % {p}) as colleague_siape
    from drawn
    inner join professionals as p on drawn.payee_index = p.i
),
queued as (
    select
        scoped.*,
        case
            when k in ({", ".join(str(k) for k in PLANTED_SERVICES)}) then null
            when payee_state in (7, 8, 9) then
                case when u01({m}, seq, 'queue') < 0.2 then 'PGB-MR' else 'PGB-RI-URB' end
            when is_social_worker then case when u01({m}, seq, 'queue') < 0.75 then 'PGB-BPC' else 'PGB-BI' end
            when u01({m}, seq, 'queue') < 0.7 then {queues}[1 + first_queue]
            when u01({m}, seq, 'queue') < 0.9 then {queues}[1 + second_queue]
            else {queues}[1 + pick({m}, seq, 'other_queue', 5)]
        end as drawn_queue,
        case k {forced} end as forced_service
    from scoped
),
timed as (
    select
        queued.*,
        coalesce(queued.forced_service, buckets.service_code) as service_code,
        c.day as conclusion_day,
        c.inside_day,
        d.inside_at,
        d.last_end_at,
        -- The payee's extraordinary session: evenings, or mornings for night shifts.
        cast(c.day as timestamp)
        + case
            when queued.shift_kind = 'night' then minutes(480 + pick({m}, seq, 'slot', 300))
            else minutes(1170 + pick({m}, seq, 'slot', 120))
        end
        + seconds(pick({m}, seq, 'slot_seconds', 60)) as session_start_drawn,
        600 + pick({m}, seq, 'duration', 6000) as session_seconds,
        -- Created 5 to 60 days before the conclusion day; the R411 cases 5 days
        -- before, so that they are created after the program start too.
        cast(c.day as timestamp) - to_days(case when k = 9 then 5 else 5 + pick({m}, seq, 'age', 56) end)
        + minutes(420 + pick({m}, seq, 'created_minute', 720)) as created_at
    from queued
    left join service_buckets as buckets
        on queued.drawn_queue = buckets.queue_code and pick({m}, queued.seq, 'service', 100) = buckets.bucket
    inner join calendar as c on queued.conclusion_day_number = c.day_of_month_number
    inner join professional_days as d on queued.payee_index = d.i and c.inside_day = d.day
)
select
    timed.seq,
    timed.k,
    timed.scope,
    timed.payee_index,
    timed.payee_siape,
    timed.colleague_siape,
    timed.unit_index,
    '{shape.yymm}' || lpad(cast(timed.seq as varchar), 8, '0') as task_id,
    timed.service_code,
    s.service_name,
    s.category,
    s.benefit_group,
    case when timed.scope = 'ordinary' then 'APS-ORD-' || cast(20000000 + timed.unit_index as varchar) else s.queue_code end
        as queue_code,
    case when timed.scope = 'ordinary' then 'ordinaria' else 'extraordinaria' end as queue_type,
    case
        when timed.k = 11 then null
        when timed.k = 12 then '   '
        when timed.k in (16, 17) then nb_of({m}, timed.seq - timed.k)
        when timed.k = 18 then nb_of({m} - 1, timed.seq - 18)
        else nb_of({m}, timed.seq)
    end as nb,
    timed.created_at,
    case
        when timed.k = 9 then timed.payee_siape
        when u01({m}, timed.seq, 'creator') < 0.25 then timed.colleague_siape
    end as created_by,
    case when timed.scope in ('evaluated', 'ordinary') then 'concluida' else timed.scope end as status,
    timed.conclusion_day,
    timed.inside_at,
    timed.last_end_at,
    timed.session_seconds,
    case
        when timed.k = 1 then timed.inside_at - seconds(timed.session_seconds)
        else timed.session_start_drawn
    end as session_start,
    case
        when timed.scope = 'ordinary' then timed.inside_at
        when timed.scope <> 'evaluated' then null
        when timed.k = 1 then timed.inside_at
        else timed.session_start_drawn + seconds(timed.session_seconds)
    end as concluded_at,
    case when timed.scope = 'evaluated' then 6 + pick({m}, timed.seq, 'events', 9) when timed.scope = 'ordinary' then 3 else 2 end
        as event_count,
    s.category = 'reconhecimento_inicial' and s.benefit_group = 'previdenciario' as is_initial_recognition
from timed
inner join services as s on timed.service_code = s.service_code;
"""


def subtasks_sql(shape: MonthShape) -> str:
    """An avaliação social subtask for every evaluated BPC concession, done by a social worker."""
    m = shape.month_index
    social_workers = shape.normal_social_workers
    return f"""
create or replace table subtasks as
with parents as (
    select
        r.*,
        -- The subtask is opened in the parent's session (its event j = 1).
        case
            when r.k = 3 then r.inside_at
            else r.session_start + seconds(r.session_seconds // r.event_count)
        end as opened_at,
        3 + 10 * pick({m}, r.seq, 'social_worker_1', {social_workers}) as first_choice,
        3 + 10 * pick({m}, r.seq, 'social_worker_2', {social_workers}) as second_choice
    from root_tasks as r
    where r.scope = 'evaluated' and r.service_code = {BPC_CONCESSION}
),
chosen as (
    select
        parents.*,
        -- Not on a day the first choice has blocked (vacation, sick leave).
        case when first_days.is_blocked then parents.second_choice else parents.first_choice end as social_worker_index
    from parents
    inner join professional_days as first_days
        on parents.first_choice = first_days.i and parents.conclusion_day = first_days.day
)
select
    chosen.seq,
    chosen.task_id as parent_task_id,
    '{shape.yymm}' || lpad(cast(chosen.seq + 90000000 as varchar), 8, '0') as task_id,
    chosen.nb,
    chosen.opened_at as created_at,
    chosen.payee_siape as created_by,
    siape_of(chosen.social_worker_index) as payee_siape,
    -- The social worker's own evening session, after 19:45.
    least(
        greatest(
            chosen.opened_at + minutes(20),
            cast(cast(chosen.opened_at as date) as timestamp) + minutes(1185 + pick({m}, chosen.seq, 'sub_slot', 120))
        ),
        cast(cast(chosen.opened_at as date) as timestamp) + minutes(1439)
    ) as concluded_at
from chosen;
"""


def export_sql(shape: MonthShape, blocking_codes: list[str], free_codes: list[str]) -> dict[str, str]:
    """One SELECT per raw export, columns by name; the writer orders and casts them."""
    m, yymm = shape.month_index, shape.yymm
    start, end = f"date '{shape.month_start}'", f"date '{shape.month_end}'"
    vacation_code = blocking_codes[0]
    sick_code = blocking_codes[1 % len(blocking_codes)]
    occurrences = [
        f"select siape, day as occurrence_date, case block_kind when 'vacation' then {sql_text(vacation_code)} "
        f"else {sql_text(sick_code)} end as occurrence_code from professional_days where is_blocked and state <> 13"
    ]
    if free_codes:
        occurrences.append(
            f"select siape, day, {sql_text(free_codes[0])} from professional_days where is_time_off and state <> 13"
        )
        occurrences.append(
            f"select siape, day, {sql_text(free_codes[1 % len(free_codes)])} from professional_days "
            "where is_training and has_sisref and state <> 13"
        )
    sibe_case = {
        group: " ".join(
            f"when u01({m}, seq, 'sibe') * 100 < {sum(w for _, w in pairs[: n + 1])} then {sql_text(status)}"
            for n, (status, _) in enumerate(pairs)
        )
        for group, pairs in SIBE_STATUSES.items()
    }
    root_queues = ", ".join(f"({n}, {sql_text(queue)})" for n, queue in enumerate(ROOT_QUEUES))
    social_queues = ", ".join(f"({n + 5}, {sql_text(queue)})" for n, queue in enumerate(SOCIAL_WORKER_QUEUES))
    return {
        "raw_professionals": """
            select siape, name, role, social_service_degree, cast(20000000 + unit_index as varchar) as unit_code
            from professionals where state <> 12 order by i
        """,
        "raw_hr_periods": f"""
            with periods as (
                select i, siape, 1 as kind_number, 'licenca_sem_vencimento' as kind,
                    {start} + 15 as start_date, {end} as end_date, null as ceded_to
                from professionals where state = 1
                union all select i, siape, 2, 'cessao', {start} + 15, null, 'MEC' from professionals where state = 2
                union all select i, siape, 2, 'cessao', {start} - 400, null, 'MPS' from professionals where state = 3
                union all select i, siape, 3, 'afastamento', {start} - 175, {start} + 11, null
                from professionals where state = 4
                union all select i, siape, 4, 'inatividade', {start} + 20, null, null from professionals where state = 5
                -- Old, closed periods that touch no rule.
                union all select i, siape, 5, 'afastamento', {start} - 300, {start} - 250, null
                from professionals where state = 0 and u01(i, 0, 'old_absence') < 0.03
                union all select i, siape, 6, 'cessao', {start} - 700, {start} - 400, 'MPS'
                from professionals where state = 0 and u01(i, 0, 'old_cession') < 0.01
            )
            select 'HR{yymm}' || siape || cast(kind_number as varchar) as period_id, siape, kind, start_date, end_date,
                ceded_to
            from periods order by i, kind_number
        """,
        "raw_adhesions": f"""
            with queues as (select * from (values {root_queues}, {social_queues}) as t(queue_number, queue_code)),
            rows as (
                select p.i, p.siape, q.queue_number, q.queue_code, p.state
                from professionals as p
                inner join queues as q
                    on (p.works_root_queues and q.queue_number < 5) or (not p.works_root_queues and q.queue_number >= 5)
                where not (p.state = 9 and q.queue_code = 'PGB-MR')
            )
            select
                'PAT' || siape || lpad(cast(queue_number as varchar), 2, '0') as adhesion_task_id,
                siape,
                queue_code,
                cast(date '{shape.program_start}' - 14 as timestamp) + interval 8 hour
                + minutes(pick(i, queue_number, 'requested', 14 * 600)) as requested_at,
                case when state = 7 and queue_code = 'PGB-MR' then 'pendente' else 'concluida' end as status,
                case
                    when state = 7 and queue_code = 'PGB-MR' then null
                    when state = 8 and queue_code = 'PGB-MR' then 'nao_homologado'
                    else 'homologado'
                end as homologation,
                case
                    when state in (7, 8) and queue_code = 'PGB-MR' then null
                    when state = 14 then {start} + 9
                    else date '{shape.program_start}'
                end as enabled_from,
                case when state = 6 then {start} + 14 end as enabled_until
            from rows
            union all
            -- An earlier request, cancelled and then made again.
            select
                'PAT' || siape || 'C' || lpad(cast(first_queue as varchar), 2, '0'),
                siape,
                ['PGB-RI-URB', 'PGB-RI-RUR', 'PGB-MR', 'PGB-BPC', 'PGB-BI'][1 + first_queue],
                cast(date '{shape.program_start}' - 29 as timestamp) + interval 8 hour + minutes(pick(i, 0, 'cancelled', 10 * 600)),
                'cancelada', null, null, null
            from professionals
            where works_root_queues and u01(i, 0, 'cancelled') < 0.05
            order by adhesion_task_id
        """,
        "raw_sisref_intervals": """
            with parts as (
                select siape, day, 1 as part, 'realizado' as kind, shift_start_at + minutes(j1) as start_at,
                    shift_start_at + minutes(case when shift_kind = '8h' then 240 else 360 end + j2) as end_at
                from professional_days where has_sisref
                union all
                select siape, day, 2, 'realizado', shift_start_at + minutes(300 + j3), shift_start_at + minutes(540 + j4)
                from professional_days where has_sisref and shift_kind = '8h'
                union all
                select siape, day, 3, 'previsto', shift_start_at,
                    shift_start_at + minutes(case when shift_kind = '8h' then 240 else 360 end)
                from professional_days where has_sisref and (shift_kind <> '8h' or has_previsto_pair)
                union all
                select siape, day, 4, 'previsto', shift_start_at + minutes(300), shift_start_at + minutes(540)
                from professional_days where has_sisref and has_previsto_pair
            )
            select siape, day as work_date, kind, start_at, end_at from parts order by siape, day, part
        """,
        "raw_sisref_occurrences": f"""
            select * from ({" union all ".join(occurrences)}) as o(siape, occurrence_date, occurrence_code)
            order by siape, occurrence_date, occurrence_code
        """,
        "raw_pgd_plans": f"""
            with plans as (
                select
                    i, siape, state,
                    case
                        when state in (10, 11) then 'atividade'
                        when u01(i, 0, 'pact') < 0.80 then 'atividade'
                        when u01(i, 0, 'pact') < 0.92 then 'produto'
                        else 'hibrido'
                    end as pact_type,
                    cast(150 + pick(i, {m}, 'target', 200) * 0.5 as decimal(18, 4)) as target
                from professionals where in_pgd
            )
            select
                siape,
                {start} as reference_month,
                pact_type,
                case when state = 11 then null else target end as net_target_points,
                case
                    when state = 10 then round(target * 0.75, 2)
                    when state = 11 then 120.00
                    when pact_type <> 'atividade' and u01(i, {m}, 'no_points') < 0.1 then null
                    else round(target * (0.95 + pick(i, {m}, 'achieved', 36) / 100.0), 2)
                end as achieved_points
            from plans order by i
        """,
        "raw_pgd_goal_complements": f"""
            select task_id, payee_siape as siape, {start} as reference_month, 1.5 as points
            from root_tasks where k = 10 order by seq
        """,
        "raw_tasks": f"""
            select * from (
                select seq, task_id, null as parent_task_id, service_code, service_name, category, benefit_group,
                    queue_code, queue_type, nb, created_at, created_by, status, concluded_at,
                    case when concluded_at is not null then payee_siape end as concluded_by
                from root_tasks
                union all
                select seq + 90000000, task_id, parent_task_id, {AVALIACAO_SOCIAL}, s.service_name, s.category,
                    s.benefit_group, s.queue_code, 'extraordinaria', nb, created_at, created_by, 'concluida',
                    concluded_at, payee_siape
                from subtasks cross join (select * from services where service_code = {AVALIACAO_SOCIAL}) as s
            ) order by seq
        """,
        "raw_task_assignments": f"""
            with assigned as (
                select seq, 1 as n, task_id, payee_siape as siape, session_start as assigned_at
                from root_tasks where scope = 'evaluated'
                union all
                select seq, 0, task_id, payee_siape, session_start - minutes(5)
                from root_tasks where scope = 'evaluated' and u01({m}, seq, 'reassigned') < 0.08
                union all
                select seq, 2, task_id, payee_siape, inside_at from root_tasks where k = 7
                union all
                select seq, 3, task_id, colleague_siape, created_at + minutes(60) from root_tasks where k = 8
                union all
                select seq, 1, task_id, payee_siape, inside_at - minutes(30) from root_tasks where scope = 'ordinary'
                union all
                select seq, 1, task_id, payee_siape, created_at + minutes(60)
                from root_tasks where scope not in ('evaluated', 'ordinary') and u01({m}, seq, 'pulled') < 0.7
                union all
                select seq + 90000000, 1, task_id, payee_siape, concluded_at - minutes(10) from subtasks
            )
            select task_id, siape, assigned_at from assigned order by seq, n
        """,
        "raw_task_events": f"""
            with numbered as (
                select r.*, e.j, u01({m}, r.seq * 16 + e.j, 'actor') as actor_draw,
                    u01({m}, r.seq * 16 + e.j, 'event_type') as type_draw
                from root_tasks as r
                inner join range(0, 15) as e(j) on e.j < r.event_count
            ),
            described as (
                select
                    seq, j, task_id,
                    case
                        when j = 0 then 'status_change'
                        when scope <> 'evaluated' then case when j = 1 then 'comment' else 'status_change' end
                        when j = 1 and k in (2, 22) then 'status_change'
                        when j = 1 and k = 3 then 'subtask_created'
                        when j = 1 and k in (4, 20) then 'comment'
                        when j = 1 and k = 5 then 'attachment'
                        when j = 1 and service_code = {BPC_CONCESSION} then 'subtask_created'
                        when type_draw < 0.40 then 'status_change'
                        when type_draw < 0.75 then 'comment'
                        else 'attachment'
                    end as event_type,
                    case
                        when j = 0 then created_at
                        when scope <> 'evaluated' then created_at + to_hours(j)
                        when j = 1 and k in (2, 3, 4, 5, 22) then inside_at
                        when j = 1 and k = 20 then last_end_at
                        when j = 1 and service_code = {BPC_CONCESSION} then session_start + seconds(session_seconds // event_count)
                        when actor_draw < 0.12 then created_at + to_hours(j)
                        when actor_draw < 0.20 then created_at + minutes(j)
                        else session_start + seconds(session_seconds * j // event_count)
                    end as occurred_at,
                    case
                        when j = 0 then null
                        when scope <> 'evaluated' then case when j = 1 then payee_siape end
                        when j = 1 and k = 22 then colleague_siape
                        when j = 1 and (k in (2, 3, 4, 5, 20) or service_code = {BPC_CONCESSION}) then payee_siape
                        when actor_draw < 0.12 then colleague_siape
                        when actor_draw < 0.20 then null
                        else payee_siape
                    end as siape
                from numbered
                union all
                select s.seq + 90000000, e.j, s.task_id,
                    ['status_change', 'comment', 'attachment', 'status_change'][1 + e.j],
                    case e.j when 0 then s.created_at else s.concluded_at - minutes([0, 8, 5, 1][1 + e.j]) end,
                    case when e.j > 0 then s.payee_siape end
                from subtasks as s cross join range(0, 4) as e(j)
            )
            select 'EV{yymm}' || lpad(cast(seq as varchar), 8, '0') || lpad(cast(j as varchar), 2, '0') as event_id,
                task_id, event_type, occurred_at, siape
            from described order by seq, j
        """,
        "raw_sub_dispatches": f"""
            with dispatched as (
                -- The main decision of an initial recognition: the payee's, in the session, or automatic.
                select seq, 1 as n, nb,
                    case when u01({m}, seq, 'decision') < 0.6 then 'deferimento' else 'indeferimento' end as decision,
                    case when u01({m}, seq, 'automatic') < 0.75 then session_start + seconds(session_seconds // 2)
                        else created_at + to_days(2) end as dispatched_at,
                    case when u01({m}, seq, 'automatic') < 0.75 then payee_siape end as siape,
                    u01({m}, seq, 'automatic') >= 0.75 as is_automatic
                from root_tasks
                where scope = 'evaluated' and is_initial_recognition and k not in {tuple(PLANTED_DISPATCH_CASES)}
                union all
                -- Other dispatches of the payee's session ('outro').
                select seq, 2, nb, 'outro', session_start + seconds(session_seconds // 3), payee_siape, false
                from root_tasks
                where scope = 'evaluated' and k not in {tuple(PLANTED_DISPATCH_CASES)}
                    and u01({m}, seq, 'other_dispatch') < case when is_initial_recognition then 0.3 else 0.83 end
                union all
                select seq, 1, nb, 'deferimento', inside_at, payee_siape, false from root_tasks where k = 6
                union all
                select seq, 1, nb, 'outro', session_start + seconds(session_seconds // 2), payee_siape, false
                from root_tasks where k = 13
                union all
                select seq, 1, nb, 'deferimento', inside_at, null, true from root_tasks where k = 21
                union all
                select seq, 1, nb, 'deferimento', session_start + seconds(session_seconds // 2), colleague_siape, false
                from root_tasks where k = 24
                union all
                select seq, 1, nb, 'indeferimento', created_at + to_days(2), null, true from root_tasks where k = 26
                union all
                select seq, 1, nb, 'deferimento', created_at - to_days(1), payee_siape, false from root_tasks where k = 27
                union all
                -- Ordinary-queue initial recognitions are decided in office hours.
                select seq, 1, nb, 'deferimento', inside_at - minutes(10), payee_siape, false
                from root_tasks where scope = 'ordinary' and is_initial_recognition
            )
            select 'DSP{yymm}' || lpad(cast(seq as varchar), 8, '0') || cast(n as varchar) as dispatch_id,
                nb, decision, dispatched_at, siape, is_automatic
            from dispatched where nb is not null and trim(nb) <> '' order by seq, n
        """,
        "raw_sibe_status": f"""
            with statuses as (
                select seq, nb,
                    case
                        when k in (14, 25) then 'Aguardando perícia'
                        when k = 15 then 'Cancelado'
                        when benefit_group = 'assistencial' then case {sibe_case["assistencial"]} end
                        else case {sibe_case["incapacidade_temporaria"]} end
                    end as sibe_status
                from root_tasks
                where service_code in {SIBE_SERVICES} and k <> 23 and nb is not null and trim(nb) <> ''
            )
            select nb, sibe_status from statuses
            qualify row_number() over (partition by nb order by seq) = 1
            order by seq
        """,
        "raw_aps": f"""
            select
                cast(20000000 + a as varchar) as aps_code,
                'APS ' || cast(a as varchar) as aps_name,
                cast(30000000 + 1 + (a - 1) % {shape.gex} as varchar) as gex_code,
                case when u01(a, 0, 'opens') < 0.5 then time '07:00' else time '08:00' end as opens_at,
                case when u01(a, 0, 'closes') < 0.3 then time '13:00' else time '17:00' end as closes_at,
                date '2005-01-01' + cast(pick(a, 0, 'opened', 5000) as integer) as active_from,
                case when u01(a, 0, 'closed') < 0.01 then date '2024-12-31' end as active_until
            from range(1, {shape.aps} + 1) as t(a) order by a
        """,
        "raw_supervision_designations": f"""
            with designations as (
                select a, 1 as n, siape_of(1 + pick(a, 0, 'serat', {shape.professionals})) as siape, 'serat_seat' as designated_by,
                    date '2021-09-01' as competence_from,
                    case when u01(a, 0, 'manager') < 0.1 then date '2024-12-31' end as competence_until
                from range(1, {shape.aps} + 1) as t(a)
                union all
                select a, 2, siape_of(1 + pick(a, 0, 'manager_siape', {shape.professionals})), 'gerente_aps',
                    date '2025-01-01', null
                from range(1, {shape.aps} + 1) as t(a) where u01(a, 0, 'manager') < 0.1
            )
            select siape, cast(20000000 + a as varchar) as aps_code, designated_by, competence_from, competence_until
            from designations order by a, n
        """,
        "raw_supervision_tasks": f"""
            with drawn as (
                select a,
                    case when u01(a, 0, 'manager') < 0.1 then siape_of(1 + pick(a, 0, 'manager_siape', {shape.professionals}))
                        else siape_of(1 + pick(a, 0, 'serat', {shape.professionals})) end as supervisor_siape,
                    cast({start} + cast(pick(a, {m}, 'created_day', {shape.days_in_month - 8}) as integer) as timestamp)
                    + minutes(480 + pick(a, {m}, 'created_minute', 480)) as created_at,
                    u01(a, {m}, 'status') as status_draw
                from range(1, {shape.aps} + 1) as t(a)
                where u01(a, {m}, 'supervised') < 0.85
            ),
            visited as (
                select drawn.*,
                    case when status_draw >= 0.05 then
                        cast(cast(created_at as date) + cast(1 + pick(a, {m}, 'visit_day', 3) as integer) as timestamp)
                        + minutes(450 + pick(a, {m}, 'visit_minute', 600))
                    end as visited_at
                from drawn
            )
            select
                'SUP{yymm}' || lpad(cast(a as varchar), 6, '0') as task_id,
                cast(20000000 + a as varchar) as aps_code,
                supervisor_siape,
                created_at,
                visited_at,
                case when status_draw >= 0.15 then visited_at + to_days(1 + pick(a, {m}, 'concluded_day', 4)) end
                    as concluded_at,
                case when status_draw < 0.05 then 'cancelada' when status_draw < 0.15 then 'pendente' else 'concluida' end
                    as status,
                case when u01(a, {m}, 'images') < 0.05 then 0 else 1 + pick(a, {m}, 'image_count', 6) end
                    as attachments_count,
                12 as additional_fields_total,
                case when u01(a, {m}, 'fields') < 0.1 then 8 else 12 end as additional_fields_filled
            from visited order by a
        """,
    }


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------
def typed_select(query: str, column_types: dict[str, str], text: bool) -> str:
    """The export in seeds/_seeds.yml's column order and types; as the contract's text when `text`."""
    columns = []
    for column, dbt_type in column_types.items():
        typed = f"cast({column} as {dbt_type})"
        if text and dbt_type == "timestamp":
            typed = f"strftime({typed}, '%Y-%m-%d %H:%M:%S')"
        elif text and dbt_type == "time":
            typed = f"left(cast({typed} as varchar), 5)"
        columns.append(f"{typed} as {column}")
    return f"select {', '.join(columns)} from ({query}) as export"


@dataclass
class GeneratedMonth:
    month: date
    folder: Path
    rows: dict[str, int]
    bytes_by_format: dict[str, int]


def write_month(
    connection: duckdb.DuckDBPyConnection, shape: MonthShape, folder: Path, formats: tuple[str, ...]
) -> GeneratedMonth:
    blocking, free = sisref_codes()
    for statement in (
        reference_tables_sql(shape), professionals_sql(shape), professional_days_sql(shape),
        root_tasks_sql(shape), subtasks_sql(shape),
    ):
        connection.execute(statement)
    folder.mkdir(parents=True, exist_ok=True)
    column_types = export_column_types()
    rows, sizes = {}, {file_format: 0 for file_format in formats}
    for export, query in export_sql(shape, blocking, free).items():
        for file_format in formats:
            target = folder / f"{export}.{file_format}"
            partial = target.with_name(target.name + ".partial")
            options = "(format parquet)" if file_format == "parquet" else "(format csv, header true)"
            select = typed_select(query, column_types[export], text=file_format == "csv")
            [(count,)] = connection.execute(f"copy ({select}) to '{partial}' {options}").fetchall()
            partial.replace(target)  # a file is complete or absent, never half written
            sizes[file_format] += target.stat().st_size
            rows[export] = count
    return GeneratedMonth(shape.month_start, folder, rows, sizes)


def generate(
    out_dir: Path,
    scale: float = 1.0,
    first_month: date = date(2025, 6, 1),
    months: int = 1,
    formats: tuple[str, ...] = ("parquet",),
    scratch_dir: Path | None = None,
    program_start: date | None = None,
) -> list[GeneratedMonth]:
    """Write `months` monthly deliveries into out_dir/YYYY-MM/; returns rows and sizes per month."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    generated = []
    with duckdb.connect() as connection:
        # Big intermediate tables may spill; keep that out of the working directory.
        connection.execute(f"set temp_directory = '{(scratch_dir or out_dir) / '.duckdb_tmp'}'")
        # The machine is shared: sort the big exports on disk rather than in 9 GB of memory (scale 4).
        connection.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
        connection.execute("set enable_progress_bar = false")
        connection.execute(MACROS)
        for month_start in following_months(first_month, months):
            shape = month_shape(month_start, scale, program_start)
            generated.append(write_month(connection, shape, out_dir / month_start.strftime("%Y-%m"), formats))
    return generated


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = a national month (default); 0.1, 4 ...")
    parser.add_argument("--month", type=parse_month, default=date(2025, 6, 1),
                        help="reference month YYYY-MM of the first delivery (default 2025-06)")
    parser.add_argument("--months", type=int, default=1, help="consecutive monthly deliveries (default 1)")
    parser.add_argument("--format", choices=["parquet", "csv", "both"], default="parquet")
    parser.add_argument("--out", type=Path, required=True, help="folder; each month goes to OUT/YYYY-MM/")
    arguments = parser.parse_args(argv)
    if arguments.months < 1:
        parser.error("--months must be at least 1")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_args(argv)
    formats = ("parquet", "csv") if arguments.format == "both" else (arguments.format,)
    started = time.perf_counter()
    generated = generate(arguments.out, arguments.scale, arguments.month, arguments.months, formats)
    seconds = time.perf_counter() - started
    for month in generated:
        sizes = ", ".join(f"{fmt} {size / 2**20:,.1f} MiB" for fmt, size in month.bytes_by_format.items())
        print(f"{month.folder}: {sum(month.rows.values()):,} rows ({sizes})")
        for export, count in month.rows.items():
            print(f"  {export:<32} {count:>12,}")
    print(json.dumps({"seconds": round(seconds, 1), "scale": arguments.scale, "months": arguments.months}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
