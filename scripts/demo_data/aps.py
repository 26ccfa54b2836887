"""Demo data for the APS supervision monitor (Portaria 916/2021, GET service 14615).

`generate(rng)` returns the rows of the three raw exports of the second system
of the contract (section 1): `raw_aps`, `raw_supervision_designations` and
`raw_supervision_tasks`, as lists of dicts keyed by column name. Values are
Python objects (`str`, `int`, `datetime.date`, `datetime.datetime`,
`datetime.time`, `None`); the entry point `scripts/generate_demo_data.py`
writes them to seeds/<name>.csv in the column order of seeds/_seeds.yml.

The data are invented: 30 APS in 3 Gerências Executivas, supervised over the
first 6 cycles (October 2021 to August 2022), with the gaps a real
monitoring finds: missed cycles, tasks created after the deadline, cancelled
tasks redone, late or missing conclusions, missing images, incomplete
additional fields, supervisors without SAG Gestão competence, visits outside
opening hours, and APS opened or closed between cycles. Every random choice
goes through the `rng` given, in a fixed order, so one seed gives one data set.
The newest task is created before 2022-10-01, so the calendar stops at cycle 6.
"""

from __future__ import annotations

import datetime as dt
import random

# Cycle calendar of the demo (contract section 5; ref_parameters aps_cycle_*):
# bimonthly from 2021-10-01, deadline = start + 30 days.
FIRST_CYCLE_START = dt.date(2021, 10, 1)
CYCLE_MONTHS = 2
WINDOW_DAYS = 30
CYCLES = 6
ADDITIONAL_FIELDS = 12  # the task form's additional fields (campos adicionais)

# Three invented Gerências Executivas, ten agencies each (codes are illustrative).
GEX = (
    ("23001000", "Vale do Rio Claro", ("Centro", "Jardim América", "Vila Nova", "São Bento", "Porto Alegre do Norte",
                                       "Santa Luzia", "Bela Vista", "Cruzeiro", "Alto da Serra", "Três Pontes")),
    ("23021000", "Serra Azul", ("Serra Azul", "Pedra Branca", "Lagoa Seca", "Campo Verde", "Boa Esperança",
                                "Rio Fundo", "Monte Alegre", "Cachoeira", "Santo Antônio", "Palmeiras")),
    ("23041000", "Litoral Sul", ("Praia Grande", "Enseada", "Barra Nova", "Ilha Comprida", "Porto Belo",
                                 "Canal", "Mangue Seco", "Farol", "Itapema do Sul", "Maré Alta")),
)
OPENING_HOURS = ((dt.time(7, 0), dt.time(13, 0)), (dt.time(8, 0), dt.time(14, 0)), (dt.time(7, 0), dt.time(17, 0)))


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    return dt.date(day.year + month_index // 12, month_index % 12 + 1, day.day)


def _cycles() -> list[tuple[int, dt.date, dt.date]]:
    starts = [_add_months(FIRST_CYCLE_START, CYCLE_MONTHS * index) for index in range(CYCLES)]
    return [(index + 1, start, start + dt.timedelta(days=WINDOW_DAYS)) for index, start in enumerate(starts)]


def _siape(rng: random.Random, used: set[str]) -> str:
    """A new 7-digit SIAPE; about a third start with 0 (kept as text)."""
    while True:
        value = rng.randint(100_000, 999_999) if rng.random() < 0.35 else rng.randint(1_000_000, 3_299_999)
        siape = f"{value:07d}"
        if siape not in used:
            used.add(siape)
            return siape


def _weekday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


def _aps_rows(rng: random.Random) -> list[dict]:
    rows = []
    for gex_code, region, places in GEX:
        for index, place in enumerate(places, start=1):
            opens_at, closes_at = OPENING_HOURS[rng.randrange(len(OPENING_HOURS))]
            rows.append({
                "aps_code": f"{gex_code[:5]}{index:02d}0",
                "aps_name": f"APS {place}",
                "gex_code": gex_code,
                "opens_at": opens_at,
                "closes_at": closes_at,
                "active_from": dt.date(2005 + rng.randrange(15), 1 + rng.randrange(12), 1),
                "active_until": None,
            })
    # Changes between cycles: one APS opens during cycle 3 (first supervised in cycle 4), one opens exactly
    # on the start of cycle 5, one closes the day before cycle 5 starts (last supervised in cycle 4).
    rows[9]["active_from"] = dt.date(2022, 3, 14)
    rows[9]["aps_name"] = "APS Três Pontes (nova)"
    rows[19]["active_from"] = dt.date(2022, 6, 1)
    rows[19]["aps_name"] = "APS Palmeiras (nova)"
    rows[28]["active_until"] = dt.date(2022, 5, 31)
    return rows


def _designations(rng: random.Random, aps_rows: list[dict]) -> tuple[list[dict], dict[str, list[str]], list[str]]:
    """SAG Gestão competences: two SERAT/SEAT supervisors per GEX, a few APS managers.

    Returns the rows, the competent supervisors of each APS (first = usual one) and a
    pool of servers with no competence anywhere (substitutes who supervise anyway).
    """
    used: set[str] = set()
    rows: list[dict] = []
    competent: dict[str, list[str]] = {row["aps_code"]: [] for row in aps_rows}
    for gex_code, _region, _places in GEX:
        gex_aps = [row for row in aps_rows if row["gex_code"] == gex_code]
        supervisors = [_siape(rng, used), _siape(rng, used)]
        for position, aps in enumerate(gex_aps):
            siape = supervisors[position % 2]
            competence_from = max(dt.date(2021, 9, 1), aps["active_from"])
            rows.append({
                "siape": siape,
                "aps_code": aps["aps_code"],
                "designated_by": "serat_seat",
                "competence_from": competence_from,
                "competence_until": None,
            })
            competent[aps["aps_code"]].append(siape)
        # The second supervisor of the first GEX loses the competence at the end of March 2022 and a new
        # designation only starts on 2022-04-11: visits in between (cycle 4) are without competence.
        if gex_code == GEX[0][0]:
            for row in rows:
                if row["siape"] == supervisors[1] and row["competence_until"] is None:
                    row["competence_until"] = dt.date(2022, 3, 31)
            rows.extend({
                "siape": supervisors[1],
                "aps_code": aps["aps_code"],
                "designated_by": "serat_seat",
                "competence_from": dt.date(2022, 4, 11),
                "competence_until": None,
            } for position, aps in enumerate(gex_aps) if position % 2 == 1)
        # Exceptionally the APS manager supervises (designated in SAG Gestão by the SERAT/SEAT).
        for aps in rng.sample(gex_aps, 2):
            manager = _siape(rng, used)
            rows.append({
                "siape": manager,
                "aps_code": aps["aps_code"],
                "designated_by": "gerente_aps",
                "competence_from": dt.date(2021, 12, 1),
                "competence_until": dt.date(2022, 6, 30),
            })
            competent[aps["aps_code"]].append(manager)
    substitutes = [_siape(rng, used) for _ in range(3)]
    return rows, competent, substitutes


def _task(rng: random.Random, task_id: str, aps: dict, supervisor: str, created_on: dt.date,
          deadline: dt.date) -> dict:
    """One ordinary supervision task; the caller then spoils some of them."""
    created_at = _at(created_on, 8 + rng.randrange(9), rng.randrange(60))
    visit_day = _weekday(created_on + dt.timedelta(days=rng.randrange(4)))
    opens, closes = aps["opens_at"], aps["closes_at"]
    open_minutes = (closes.hour * 60 + closes.minute) - (opens.hour * 60 + opens.minute)
    visit_minute = opens.hour * 60 + opens.minute + rng.randrange(open_minutes - 30)
    visited_at = _at(visit_day, visit_minute // 60, visit_minute % 60)
    if visited_at < created_at:
        created_at = visited_at - dt.timedelta(minutes=30 + rng.randrange(90))
    concluded_on = visit_day + dt.timedelta(days=rng.randrange(6))
    concluded_on = min(concluded_on, deadline)
    concluded_at = _at(concluded_on, 9 + rng.randrange(8), rng.randrange(60))
    if concluded_at < visited_at:
        concluded_at = visited_at + dt.timedelta(hours=2)
    return {
        "task_id": task_id,
        "aps_code": aps["aps_code"],
        "supervisor_siape": supervisor,
        "created_at": created_at,
        "visited_at": visited_at,
        "concluded_at": concluded_at,
        "status": "concluida",
        "attachments_count": 2 + rng.randrange(9),
        "additional_fields_total": ADDITIONAL_FIELDS,
        "additional_fields_filled": ADDITIONAL_FIELDS,
    }


def _tasks(rng: random.Random, aps_rows: list[dict], competent: dict[str, list[str]],
           substitutes: list[str]) -> list[dict]:
    rows: list[dict] = []
    counter = iter(range(1, 100_000))

    def next_id() -> str:
        return f"{1_846_150_000 + next(counter)}"

    for cycle_number, start, deadline in _cycles():
        for aps in aps_rows:
            if aps["active_from"] > start or (aps["active_until"] is not None and aps["active_until"] < start):
                continue
            roll = rng.random()
            if roll < 0.08:
                continue  # missed cycle: no task at all
            supervisor = competent[aps["aps_code"]][0]
            if len(competent[aps["aps_code"]]) > 1 and rng.random() < 0.5:
                supervisor = competent[aps["aps_code"]][1]  # the manager supervised this time
            if rng.random() < 0.05:
                supervisor = substitutes[rng.randrange(len(substitutes))]  # no SAG Gestão competence
            created_on = _weekday(start + dt.timedelta(days=rng.randrange(WINDOW_DAYS - 8)))
            if roll < 0.12:
                # created after the deadline: counts for no cycle, the APS is not supervised
                created_on = _weekday(deadline + dt.timedelta(days=1 + rng.randrange(15)))
                rows.append(_task(rng, next_id(), aps, supervisor, created_on, created_on + dt.timedelta(days=10)))
                continue
            if roll < 0.17:
                # created by mistake and cancelled, then created again (the second one is the chosen task)
                cancelled = _task(rng, next_id(), aps, supervisor, created_on, deadline)
                cancelled.update(status="cancelada", visited_at=None, concluded_at=None, attachments_count=0,
                                 additional_fields_filled=0)
                rows.append(cancelled)
                created_on = _weekday(created_on + dt.timedelta(days=1 + rng.randrange(3)))
                if roll < 0.18:
                    continue  # cancelled and never redone: not supervised
            task = _task(rng, next_id(), aps, supervisor, created_on, deadline)
            if rng.random() < 0.06:
                task["attachments_count"] = 0  # no images in the Anexos Detalhados
            if rng.random() < 0.08:
                task["additional_fields_filled"] = ADDITIONAL_FIELDS - 1 - rng.randrange(4)
            if rng.random() < 0.06:
                # visit outside opening hours: just at closing time or later, or before opening
                if rng.random() < 0.5:
                    closes = aps["closes_at"]
                    late = _at(task["visited_at"].date(), closes.hour, closes.minute)
                    task["visited_at"] = late + dt.timedelta(minutes=rng.choice((0, 20, 45)))
                else:
                    opens = aps["opens_at"]
                    task["visited_at"] = _at(task["visited_at"].date(), opens.hour, opens.minute) - dt.timedelta(
                        minutes=rng.choice((15, 40)))
                task["created_at"] = min(task["created_at"], task["visited_at"] - dt.timedelta(minutes=20))
                if task["concluded_at"] < task["visited_at"]:
                    task["concluded_at"] = task["visited_at"] + dt.timedelta(hours=1)
            late_roll = rng.random()
            if late_roll < 0.07:
                # concluded after the deadline
                task["concluded_at"] = _at(deadline + dt.timedelta(days=1 + rng.randrange(20)), 10, rng.randrange(60))
            elif late_roll < 0.11:
                # never concluded; sometimes the visit is not even recorded
                task.update(status="pendente", concluded_at=None)
                if rng.random() < 0.4:
                    task["visited_at"] = None
            rows.append(task)
    return rows


def generate(rng: random.Random) -> dict[str, list[dict]]:
    """Rows of raw_aps, raw_supervision_designations and raw_supervision_tasks."""
    aps_rows = _aps_rows(rng)
    designations, competent, substitutes = _designations(rng, aps_rows)
    tasks = _tasks(rng, aps_rows, competent, substitutes)
    return {
        "raw_aps": aps_rows,
        "raw_supervision_designations": designations,
        "raw_supervision_tasks": tasks,
    }
