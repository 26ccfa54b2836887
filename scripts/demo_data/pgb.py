"""Demo data for the PGB close: a small INSS office, late May to July 2025.

`generate(rng)` returns the 12 PGB seeds (contract section 1) as lists of dicts.
The office has about 50 professionals whose ordinary hours are recorded in
Sisref; they do extraordinary-queue (PGB) tasks in the evenings, early
mornings and weekends, so the bulk of the tasks (built by a loop) is clean
and should be approved. A short, explicit list of planted scenarios
(SCENARIOS) breaks one thing each, so that every rule of contract section 3
fires on a few tasks, and adds boundary cases that must NOT fire and the
"held" cases of contract section 4.

Service codes other than 14875 and the four BI codes, queue codes, unit codes,
names and NBs are illustrative.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

PROGRAM_START = date(2025, 5, 19)
SISREF_FIRST_DAY = date(2025, 5, 2)  # the Sisref exports cover whole months May-July
LAST_DAY = date(2025, 7, 31)
MAY, JUNE, JULY = date(2025, 5, 1), date(2025, 6, 1), date(2025, 7, 1)
# 2025-05-01 (Dia do Trabalho) is before the range. Corpus Christi (2025-06-19)
# is a ponto facultativo the office does not work: no Sisref schedule that day,
# so any work on it is outside ordinary hours.
NO_WORK_DAYS = (date(2025, 6, 19),)

UNIT_CODES = ("23001010", "23001020", "23001030")  # APS codes of raw_aps (aps.py)
ORDINARY_QUEUE = "APS-ORD-21001"

# Tasks concluded per professional by the clean loop, per month.
NORMAL_TASKS_PER_MONTH = {MAY: (0, 2), JUNE: (16, 23), JULY: (16, 23)}
# Extra work is never planned closer than this to an ordinary interval.
SAFETY_MARGIN = timedelta(minutes=20)


# ---------------------------------------------------------------------------
# Planted scenarios: one entry per deliberate case, planted by the Office
# method plant_<name>. `count` is how many tasks (NB groups for same_nb_*) are
# planted; `expect` is what the close must say about them: rule codes that
# fire, "-" = approved (a boundary that must not fire), "held", or "out" (not
# evaluated). Where a scenario mixes both sides of a boundary, `why` says so.
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    name: str
    count: int
    expect: str
    why: str


SCENARIOS = (
    # Ordinary hours (Sisref intervals are half-open [start_at, end_at)).
    Scenario("conclusion_inside_interval", 3, "R404", "concluded 10:15 on a weekday, inside the morning interval"),
    Scenario("conclusion_at_interval_end", 2, "-", "concluded exactly at the afternoon end_at: outside"),
    Scenario("conclusion_in_night_shift", 2, "R404", "concluded 01:30, inside a 22:00-04:00 shift of the day before"),
    Scenario("conclusion_at_night_shift_end", 1, "-", "concluded exactly at the end of a shift crossing midnight"),
    Scenario("assignment_inside_interval", 3, "R429", "pulled at 09:05 on a weekday"),
    Scenario("assignment_at_interval_end", 1, "-", "pulled exactly at end_at"),
    Scenario("assignment_to_colleague_inside_interval", 1, "R424", "a colleague had it 09:05 (not the payee: no R429)"),
    Scenario("status_change_inside_interval", 3, "R403", "the payee changes the status at 14:30"),
    Scenario("status_change_by_colleague_inside_interval", 2, "-", "a colleague, not the payee, changes it at 14:30"),
    Scenario("subtask_created_inside_interval", 3, "R405", "the payee opens the avaliação social subtask at 09:40"),
    Scenario("comment_inside_interval", 3, "R407", "the payee comments at 11:20"),
    Scenario("attachment_inside_interval", 2, "R407", "the payee attaches a file at 15:45"),
    Scenario("comment_at_interval_start", 2, "R407", "comment exactly at a start_at: the start is inside"),
    Scenario("comment_at_interval_end", 2, "-", "comment exactly at end_at: the end is outside"),
    Scenario("dispatch_inside_interval", 3, "R406", "the payee's manual SUB dispatch at 15:05, within the task"),
    Scenario("dispatch_inside_interval_after_conclusion", 1, "-", "payee's 'outro' dispatch next day 10:00: after concluded_at"),
    Scenario("automatic_dispatch_inside_interval", 2, "-", "automatic dispatch at 11:00: not an act of the payee"),
    Scenario("work_on_vacation_day", 2, "R404", "concluded in the evening of a FER day (blocking: whole day ordinary)"),
    Scenario("work_on_sick_leave_day", 1, "R404", "concluded in the evening of an LTS day"),
    Scenario("work_on_time_off_day", 2, "-", "concluded 10:00 on an FCO day: not blocking, no interval that day"),
    Scenario("work_on_training_day_evening", 1, "-", "concluded 19:30 on a CAP day (previsto 08-17 only)"),
    Scenario("work_on_corpus_christi", 2, "-", "concluded 10:30 on 2025-06-19: no schedule that day"),
    # R409 and Quadro R409.
    Scenario("initial_recognition_without_dispatch", 2, "R409", "previdenciário, no SUB dispatch on the NB"),
    Scenario("dispatch_by_someone_else", 2, "R409", "the only deferimento is by a colleague (manual)"),
    Scenario("dispatch_with_decision_outro", 1, "R409", "the payee's only dispatch has decision 'outro'"),
    Scenario("automatic_dispatch_only", 1, "-", "only an automatic dispatch (null siape): R409 satisfied"),
    Scenario("bpc_sibe_aguardando_pericia", 1, "R409", "14875 with 'Aguardando perícia': allowed for BI only"),
    Scenario("bpc_sibe_missing", 1, "R409", "14875 whose NB has no SIBE row"),
    Scenario("bi_sibe_cancelado", 1, "R409", "BI 17436 with SIBE 'Cancelado'"),
    Scenario("bi_sibe_missing", 1, "R409", "BI 17775 whose NB has no SIBE row"),
    Scenario("bi_sibe_aguardando_pericia", 2, "-", "BI 17456/17776 with 'Aguardando perícia': allowed"),
    Scenario("bpc_concession_without_dispatch", 2, "-", "reconhecimento inicial assistencial, not 14875: no R409"),
    # R411.
    Scenario("created_and_concluded_by_payee", 3, "R411", "created by the payee after the program start"),
    Scenario("created_by_payee_before_program", 1, "-", "created by the payee on 2025-05-12, before the start"),
    Scenario("avaliacao_social_by_same_professional", 2, "-",
             "subtask created and concluded by the same social worker (R411 exempt), parent's NB and payee (no R430)"),
    # R420, R421, R424.
    Scenario("goal_complement", 3, "R420", "task counted in raw_pgd_goal_complements"),
    Scenario("nb_missing", 2, "R421", "nb null"),
    Scenario("nb_blank", 1, "R421", "nb of spaces only"),
    Scenario("two_assignees", 3, "R424", "assigned to a colleague first, then to the payee"),
    Scenario("reassigned_to_same_person", 1, "-", "two assignment rows, one siape"),
    # NB reuse among evaluated root tasks (R430/R432 look at all months).
    Scenario("same_nb_same_payee", 2, "R430", "pairs of root tasks, same NB and payee (one pair June/July)"),
    Scenario("same_nb_different_payees", 2, "R432", "2 and 3 payees: the first use stays valid"),
    Scenario("same_nb_different_payees_same_instant", 1, "R432", "tie on concluded_at: the lower task_id stays valid"),
    Scenario("same_nb_mixed_payees", 1, "R430 R432", "A, B, A: R430 on A's two, R432 on all but the first"),
    Scenario("same_nb_on_ordinary_queue_task", 1, "-", "the other task is in an ordinary queue: not evaluated"),
    # Professional situations (see SPECIAL_PROFESSIONALS).
    Scenario("licenca_sem_vencimento", 3, "R414", "concluded on 07-10 and 07-20 (last day) of the licence; 07-21 is fine"),
    Scenario("cedido_fora_do_mps", 3, "R415", "concluded while ceded to MEC"),
    Scenario("cedido_ao_mps", 2, "-", "concluded while ceded to MPS"),
    Scenario("afastamento_190_dias", 2, "R416", "two consecutive afastamentos merged into 190 days"),
    Scenario("afastamento_180_dias", 2, "-", "afastamento of exactly 180 days"),
    Scenario("afastamento_aberto", 3, "R416", "open afastamento: 150 days at June's end (held), 181 at July's end"),
    Scenario("afastamento_com_intervalo", 1, "-", "two afastamentos with one free day between: two runs < 180"),
    Scenario("inativo", 3, "R417", "concluded after retirement on 07-15 (07-14 is fine)"),
    Scenario("adesao_pendente", 3, "R401", "works PGB-MR while the adhesion is pendente"),
    Scenario("adesao_nao_homologada", 2, "R401", "works PGB-BI with a nao_homologado adhesion"),
    Scenario("desligado", 4, "R402", "enabled until 06-30: July tasks rejected, 06-30 is fine"),
    Scenario("fora_da_janela_de_habilitacao", 2, "R402", "concluded in the gap between two enabled windows"),
    Scenario("sem_adesao", 3, "R419", "works PGB-MR with no adhesion row for it"),
    Scenario("meta_pgd_abaixo_de_90", 3, "R410", "atividade pact, July achieved 75%"),
    Scenario("meta_pgd_nula", 2, "R410", "atividade pact, June achieved_points null"),
    # Program start boundary.
    Scenario("concluded_on_program_start_morning", 1, "-", "concluded 2025-05-19 06:30: evaluated"),
    Scenario("concluded_before_program_start", 2, "out", "concluded 2025-05-18 23:50: not evaluated"),
    # Held (contract section 4).
    Scenario("payee_not_in_siape", 2, "held", "the payee is missing from raw_professionals"),
    Scenario("payee_without_sisref_in_month", 3, "held", "the payee has no Sisref rows in July"),
)

# Professionals with a planted HR, adhesion or PGD situation (tag -> what it is).
SPECIAL_PROFESSIONALS = {
    "licenca_sem_vencimento": "licença sem vencimento 2025-07-01..2025-07-20 (R414)",
    "cedido_mec": "cedido ao MEC since 2025-06-16, open (R415)",
    "cedido_mps": "cedido ao MPS since 2025-04-01, open (R415 must not fire)",
    "afastado_190": "afastamentos 2025-01-02..04-30 and 05-01..07-10, consecutive: 190 days (R416)",
    "afastado_180": "afastamento 2025-01-06..2025-07-04: exactly 180 days (R416 must not fire)",
    "afastado_aberto": "afastamento open since 2025-02-01 (R416 from July on)",
    "afastado_com_intervalo": "afastamentos 2024-12-01..2025-03-31 and 2025-04-02..06-13 (not one run)",
    "inativo": "inatividade since 2025-07-15, open (R417)",
    "adesao_pendente": "adhesion to PGB-MR pendente (R401)",
    "adesao_nao_homologada": "adhesion to PGB-BI concluida but nao_homologado (R401)",
    "desligado": "enabled in PGB-RI-URB 2025-05-19..2025-06-30 (R402 in July)",
    "janela_com_intervalo": "enabled in PGB-RI-URB 05-19..06-10 and from 06-20 (R402 in the gap)",
    "sem_adesao": "works PGB-MR without any adhesion row (R419)",
    "adesao_cancelada_refeita": "a cancelada adhesion, then a homologated one for the same queue (clean)",
    "meta_abaixo_julho": "PGD atividade, July achieved 150.00 of 200.00 (R410)",
    "meta_nula_junho": "PGD atividade, June achieved_points null (R410)",
    "meta_exata_90": "PGD atividade, June achieved 173.97 of 193.30: exactly 90% (R410 must not fire)",
    "meta_produto_baixa": "PGD produto, July at 70% (R410 must not fire: not atividade)",
    "sem_sisref_julho": "no Sisref rows at all in July: July tasks held",
}
GHOST_SIAPE = "0998877"  # payee in PAT and Sisref but missing from the SIAPE export


BPC_CONCESSION = 11031  # its tasks open an avaliação social subtask
AVALIACAO_SOCIAL = 11311

# ---------------------------------------------------------------------------
# Office reference data.
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Service:
    code: int
    name: str
    category: str
    benefit_group: str
    queue: str
    weight: int  # share among the clean loop's root tasks (0 = subtask/planted only)


SERVICES = (
    Service(10011, "Aposentadoria por Idade Urbana", "reconhecimento_inicial", "previdenciario", "PGB-RI-URB", 14),
    Service(10021, "Aposentadoria por Tempo de Contribuição", "reconhecimento_inicial", "previdenciario",
            "PGB-RI-URB", 10),
    Service(10051, "Pensão por Morte Urbana", "reconhecimento_inicial", "previdenciario", "PGB-RI-URB", 8),
    Service(10071, "Salário-Maternidade Urbano", "reconhecimento_inicial", "previdenciario", "PGB-RI-URB", 6),
    Service(10012, "Aposentadoria por Idade Rural", "reconhecimento_inicial", "previdenciario", "PGB-RI-RUR", 8),
    Service(10072, "Salário-Maternidade Rural", "reconhecimento_inicial", "previdenciario", "PGB-RI-RUR", 5),
    Service(14875, "Acertos para análise", "reconhecimento_inicial", "assistencial", "PGB-BPC", 12),
    Service(11031, "Benefício Assistencial à Pessoa com Deficiência", "reconhecimento_inicial", "assistencial",
            "PGB-BPC", 7),
    Service(17456, "Acertos para Análise - BI Rural", "reconhecimento_inicial", "incapacidade_temporaria",
            "PGB-BI", 4),
    Service(17436, "Acertos para Análise - BI Urbano", "reconhecimento_inicial", "incapacidade_temporaria",
            "PGB-BI", 6),
    Service(17776, "Acertos pós-perícia SIBE - Rural", "reconhecimento_inicial", "incapacidade_temporaria",
            "PGB-BI", 2),
    Service(17775, "Acertos pós-perícia SIBE - Urbano", "reconhecimento_inicial", "incapacidade_temporaria",
            "PGB-BI", 3),
    Service(20011, "Revisão de Benefício", "revisao", "previdenciario", "PGB-MR", 7),
    Service(20031, "Manutenção - Atualização de Dados do Benefício", "manutencao", "previdenciario", "PGB-MR", 6),
    Service(20041, "Recurso Ordinário - Contrarrazões", "recurso", "previdenciario", "PGB-MR", 4),
    Service(20091, "Certidão de Tempo de Contribuição", "outro", "outro", "PGB-MR", 2),
    Service(11311, "Avaliação Social - BPC Pessoa com Deficiência", "avaliacao_social", "assistencial", "PGB-AS", 0),
)
SERVICE_BY_CODE = {service.code: service for service in SERVICES}
QUADRO_R409_SERVICES = (14875, 17456, 17436, 17776, 17775)  # R409 judged by the SIBE status
SIBE_SERVICES = QUADRO_R409_SERVICES + (BPC_CONCESSION,)  # NBs that get a SIBE status row
# Weighted SIBE statuses the clean loop uses: always inside the Quadro R409 list.
SIBE_STATUSES_CLEAN = {
    "assistencial": (("Deferido", 45), ("Indeferido", 30), ("Em processamento", 20), ("Desistido", 5)),
    "incapacidade_temporaria": (("Deferido", 35), ("Indeferido", 20), ("Aguardando perícia", 25),
                                ("Em processamento", 15), ("Desistido", 5)),
}
EXTRAORDINARY_QUEUES = ("PGB-RI-URB", "PGB-RI-RUR", "PGB-BPC", "PGB-BI", "PGB-MR", "PGB-AS")

# Sisref schedules: blocks of (start, end); an end before its start is the next day.
SCHEDULES = {
    "8h_standard": (("08:00", "12:00"), ("13:00", "17:00")),
    "8h_early": (("07:00", "11:00"), ("12:00", "16:00")),
    "8h_late": (("09:00", "13:00"), ("14:00", "18:00")),
    "6h_morning": (("07:00", "13:00"),),
    "6h_afternoon": (("13:00", "19:00"),),
    "night": (("22:00", "04:00"),),
}

# (role, social_service_degree, schedule, how many): 50 professionals. The
# planted situations of SPECIAL_PROFESSIONALS go to non-standard schedules
# first, so that plenty of untagged 08-12/13-17 professionals remain for the
# planted ordinary-hours cases.
ROSTER_PLAN = (
    ("analista", False, "8h_standard", 14),
    ("analista", False, "8h_early", 4),
    ("analista", False, "8h_late", 3),
    ("analista", False, "6h_afternoon", 2),
    ("analista", False, "night", 2),
    ("analista", True, "8h_standard", 2),
    ("tecnico", False, "8h_standard", 9),
    ("tecnico", False, "8h_early", 2),
    ("tecnico", False, "8h_late", 2),
    ("tecnico", False, "6h_morning", 2),
    ("assistente_social", True, "8h_standard", 3),
    ("assistente_social", True, "6h_morning", 2),
    ("outro", False, "8h_standard", 3),
)

FIRST_NAMES = (
    "Ana", "Bruno", "Carla", "Daniel", "Eduarda", "Fernando", "Gabriela", "Henrique", "Isabela", "João",
    "Juliana", "Leonardo", "Luciana", "Marcelo", "Mariana", "Natália", "Otávio", "Patrícia", "Rafael", "Renata",
    "Rodrigo", "Sabrina", "Thiago", "Vanessa", "Vinícius", "Adriana", "Cláudio", "Débora", "Fábio", "Helena",
    "Márcia", "Paulo", "Raimunda", "Sérgio", "Tatiane", "Wagner", "Aline", "Francisco", "Josefa", "Antônio",
)
SURNAMES = (
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes",
    "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes", "Vieira", "Barbosa",
    "Rocha", "Dias", "Nascimento", "Andrade", "Moreira", "Nunes", "Marques", "Machado", "Mendes", "Freitas",
    "Cardoso", "Ramos", "Gonçalves", "Santana", "Teixeira", "Araújo", "Cavalcanti", "Monteiro", "Moura", "Batista",
)


# ---------------------------------------------------------------------------
# Small time helpers.
# ---------------------------------------------------------------------------
def at(day: date, hhmm: str) -> datetime:
    hours, minutes = hhmm.split(":")
    return datetime.combine(day, time(int(hours), int(minutes)))


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def month_end(month: date) -> date:
    next_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return next_month - timedelta(days=1)


def month_of(day: date) -> date:
    return day.replace(day=1)


def in_ranges(day: date, ranges: list[tuple[date, date | None]]) -> bool:
    return any(first <= day and (last is None or day <= last) for first, last in ranges)


def is_workday(day: date) -> bool:
    return day.weekday() < 5 and day not in NO_WORK_DAYS


class NoSlot(Exception):
    """No time outside ordinary hours was found in the window asked for."""


@dataclass
class Professional:
    siape: str
    name: str
    role: str
    social_service_degree: bool
    unit_code: str
    schedule: str
    tag: str | None = None
    listed_in_siape: bool = True
    in_pgd: bool = True
    # queue -> enabled windows (from, until or None) of homologated adhesions
    queues: dict[str, list[tuple[date, date | None]]] = field(default_factory=dict)
    # days with neither Sisref rows nor clean-loop tasks (leave, cession, absence...)
    away: list[tuple[date, date | None]] = field(default_factory=list)
    # days left to planted tasks only (the clean loop does not work them)
    planted_only: list[tuple[date, date | None]] = field(default_factory=list)

    @property
    def does_social_evaluations(self) -> bool:
        return "PGB-AS" in self.queues

    def enabled_queues(self, day: date) -> list[str]:
        return [queue for queue, windows in self.queues.items() if in_ranges(day, windows)]


@dataclass
class TaskDraft:
    """A task and the rows that hang from it, before ids are numbered."""

    key: str
    task: dict
    assignments: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    dispatches: list[dict] = field(default_factory=list)
    sibe_status: str | None = None

    @property
    def payee(self) -> str:
        return self.task["concluded_by"]

    def add_event(self, event_type: str, occurred_at: datetime, siape: str | None) -> None:
        self.events.append({"task_id": self.key, "event_type": event_type, "occurred_at": occurred_at,
                            "siape": siape})


# ---------------------------------------------------------------------------
# The office.
# ---------------------------------------------------------------------------
class Office:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.professionals: list[Professional] = []
        self.by_tag: dict[str, Professional] = {}
        self.hr_periods: list[dict] = []
        self.adhesions: list[dict] = []
        self.intervals: list[dict] = []
        self.occurrences: list[dict] = []
        self.plans: list[dict] = []
        self.complements: list[dict] = []
        self.drafts: list[TaskDraft] = []
        self.draft_count = 0
        self.planted: list[tuple[str, str, str]] = []  # (scenario, task key, expect)
        self.intervals_by_day: dict[tuple[str, date], list[tuple[datetime, datetime]]] = defaultdict(list)
        self.work_dates: set[tuple[str, date]] = set()
        self.blocked_days: set[tuple[str, date]] = set()
        self.occurrence_days: dict[str, list[tuple[str, date]]] = defaultdict(list)
        self.used_nbs: set[str] = set()
        self.sibe: dict[str, str] = {}
        self.payee_cycle: dict[str, int] = defaultdict(int)

    # ----- ordinary hours (contract section 2) -------------------------------
    def is_ordinary(self, siape: str, instant: datetime) -> bool:
        return self.near_ordinary(siape, instant, timedelta(0))

    def near_ordinary(self, siape: str, instant: datetime, margin: timedelta = SAFETY_MARGIN) -> bool:
        if (siape, instant.date()) in self.blocked_days:
            return True
        return any(start - margin <= instant < end + margin
                   for start, end in self.intervals_by_day.get((siape, instant.date()), ()))

    def extra_between(self, siape: str, earliest: datetime, latest: datetime) -> datetime:
        """A random instant in [earliest, latest] well outside the ordinary hours, 06:00-23:59."""
        span = int((latest - earliest).total_seconds())
        if span <= 0:
            raise NoSlot
        for _ in range(300):
            instant = earliest + timedelta(seconds=self.rng.randrange(span))
            if instant.hour >= 6 and not self.near_ordinary(siape, instant):
                return instant
        raise NoSlot

    def extra_on_day(self, siape: str, day: date, after: datetime | None = None) -> datetime:
        earliest = max(at(day, "06:00"), after) if after else at(day, "06:00")
        return self.extra_between(siape, earliest, at(day, "23:30"))

    def inside(self, siape: str, day: date, hhmm: str) -> datetime:
        instant = at(day, hhmm)
        assert self.is_ordinary(siape, instant), (siape, instant)
        return instant

    def day_blocks(self, siape: str, day: date) -> list[tuple[datetime, datetime]]:
        """The day's intervals (starting on `day`) merged into blocks: previsto and realizado overlap."""
        spans = sorted(span for span in self.intervals_by_day.get((siape, day), ()) if span[0].date() == day)
        blocks: list[list[datetime]] = []
        for start, end in spans:
            if blocks and start <= blocks[-1][1]:
                blocks[-1][1] = max(blocks[-1][1], end)
            else:
                blocks.append([start, end])
        return [(start, end) for start, end in blocks]

    def block_end(self, siape: str, day: date) -> datetime:
        """The exact end of the day's last block: the first instant outside (end_at is exclusive)."""
        end = self.day_blocks(siape, day)[-1][1]
        assert not self.is_ordinary(siape, end) and self.is_ordinary(siape, end - timedelta(seconds=1))
        return end

    def block_start(self, siape: str, day: date) -> datetime:
        start = self.day_blocks(siape, day)[0][0]
        assert self.is_ordinary(siape, start) and not self.is_ordinary(siape, start - timedelta(seconds=1))
        return start

    # ----- picking helpers ----------------------------------------------------
    def pick_weighted(self, pairs):
        values, weights = zip(*pairs)
        return self.rng.choices(values, weights=weights)[0]

    def new_nb(self) -> str:
        while True:
            nb = f"{self.rng.randrange(10**10):010d}"
            if nb not in self.used_nbs:
                self.used_nbs.add(nb)
                return nb

    def listed(self) -> list[Professional]:
        return [prof for prof in self.professionals if prof.listed_in_siape]

    def colleague_of(self, *siapes: str) -> Professional:
        candidates = [prof for prof in self.listed() if prof.siape not in siapes and prof.tag is None]
        return self.rng.choice(candidates)

    def plain_payee(self, queue: str) -> Professional:
        """Untagged standard-schedule professionals enabled in `queue` since the start, in turn."""
        candidates = [prof for prof in self.professionals
                      if prof.tag is None and prof.schedule == "8h_standard"
                      and (PROGRAM_START, None) in prof.queues.get(queue, [])]
        chosen = candidates[self.payee_cycle[queue] % len(candidates)]
        self.payee_cycle[queue] += 1
        return chosen

    def is_plain_workday(self, siape: str, day: date) -> bool:
        return (siape, day) in self.work_dates and (siape, day) not in self.blocked_days

    def plain_workday(self, siape: str, month: date, *, weekdays=(0, 1, 2, 3, 4), next_day_too=False) -> date:
        """A random weekday of `month` with Sisref intervals and no occurrence for `siape`."""
        days = [day for day in days_between(month, month_end(month))
                if day.weekday() in weekdays and self.is_plain_workday(siape, day)
                and day >= PROGRAM_START + timedelta(days=3)
                and (not next_day_too or self.is_plain_workday(siape, day + timedelta(days=1)))]
        return self.rng.choice(days)

    def extra_near_day(self, siape: str, day: date, step: int = -1) -> datetime:
        """Extra time on `day`, or on the nearest earlier (step -1) or later (+1) day that has some."""
        for offset in range(10):
            try:
                return self.extra_on_day(siape, day + timedelta(days=step * offset))
            except NoSlot:
                continue
        raise NoSlot

    def service_for(self, queue: str) -> Service:
        """A simple root service of `queue` (no subtask), for planted tasks."""
        return {"PGB-RI-URB": SERVICE_BY_CODE[10011], "PGB-RI-RUR": SERVICE_BY_CODE[10012],
                "PGB-BPC": SERVICE_BY_CODE[14875], "PGB-BI": SERVICE_BY_CODE[17436],
                "PGB-MR": SERVICE_BY_CODE[20011]}[queue]

    # ----- task drafting --------------------------------------------------------
    def draft_task(self, payee: Professional, service: Service, concluded_at: datetime | None, *,
                   assigned_at: datetime | None = None, created_at: datetime | None = None,
                   created_by: str | None = None, nb: str | None = "new", parent: TaskDraft | None = None,
                   queue_code: str | None = None, status: str = "concluida",
                   lead_days: tuple[int, int] = (0, 3)) -> TaskDraft:
        """A clean task: every act of the payee is outside their ordinary hours.

        Only what the caller passes explicitly (concluded_at, assigned_at,
        created_at) may be inside ordinary hours.
        """
        rng = self.rng
        self.draft_count += 1
        key = f"k{self.draft_count:05d}"
        finished_at = concluded_at or at(LAST_DAY, "23:30")
        if nb == "new":
            nb = parent.task["nb"] if parent else self.new_nb()
        if created_at is None:
            created_at = datetime.combine(finished_at.date() - timedelta(days=rng.randint(lead_days[1] + 2, 70)),
                                          time(rng.randint(7, 20), rng.randrange(60), rng.randrange(60)))
            if rng.random() < 0.15:  # opened at the APS desk by a colleague, not by the system
                created_by = self.colleague_of(payee.siape).siape
        if assigned_at is None:
            earliest = max(created_at + timedelta(hours=1),
                           finished_at - timedelta(days=lead_days[1], hours=rng.randint(0, 12)))
            latest = finished_at - timedelta(days=lead_days[0], minutes=25)
            assigned_at = self.extra_between(payee.siape, earliest, latest)
        draft = TaskDraft(key=key, task={
            "task_id": key, "parent_task_id": parent.key if parent else None,
            "service_code": service.code, "service_name": service.name, "category": service.category,
            "benefit_group": service.benefit_group, "queue_code": queue_code or service.queue,
            "queue_type": "ordinaria" if queue_code == ORDINARY_QUEUE else "extraordinaria",
            "nb": nb, "created_at": created_at, "created_by": created_by, "status": status,
            "concluded_at": concluded_at, "concluded_by": payee.siape if concluded_at else None,
        })
        draft.assignments.append({"task_id": key, "siape": payee.siape, "assigned_at": assigned_at})
        if created_by is None:
            draft.add_event("status_change", created_at, None)  # the system opens the task
        self.add_payee_events(draft, payee, assigned_at, finished_at)
        if concluded_at:
            self.add_dispatches(draft, payee, service, assigned_at, concluded_at)
        if service.code in SIBE_SERVICES and nb:
            draft.sibe_status = self.pick_weighted(SIBE_STATUSES_CLEAN[service.benefit_group])
        return draft

    def payee_act_time(self, payee: Professional, earliest: datetime, latest: datetime) -> datetime:
        try:
            return self.extra_between(payee.siape, earliest, latest)
        except NoSlot:
            for fallback in (earliest + timedelta(minutes=2), latest - timedelta(minutes=2)):
                if not self.near_ordinary(payee.siape, fallback, timedelta(minutes=5)):
                    return fallback
            raise

    def add_payee_events(self, draft: TaskDraft, payee: Professional, assigned_at: datetime,
                         finished_at: datetime) -> None:
        rng = self.rng
        window = (assigned_at + timedelta(minutes=1), finished_at - timedelta(minutes=1))
        draft.add_event("status_change", self.payee_act_time(payee, *window), payee.siape)  # em análise
        if rng.random() < 0.5:
            draft.add_event("comment", self.payee_act_time(payee, *window), payee.siape)
        if rng.random() < 0.3:
            draft.add_event("attachment", self.payee_act_time(payee, *window), payee.siape)
        if rng.random() < 0.15:  # exigência: the payee asks, the citizen answers (system event)
            asked_at = self.payee_act_time(payee, *window)
            draft.add_event("status_change", asked_at, payee.siape)
            draft.add_event("status_change", asked_at + (finished_at - asked_at) / 2, None)
        if rng.random() < 0.08:  # a supervisor's note, at any hour: not an act of the payee
            supervisor = self.colleague_of(payee.siape)
            draft.add_event("comment", window[0] + (window[1] - window[0]) * rng.random(), supervisor.siape)

    def add_dispatches(self, draft: TaskDraft, payee: Professional, service: Service,
                       assigned_at: datetime, concluded_at: datetime) -> None:
        nb = draft.task["nb"]
        if not nb:
            return
        decision = self.pick_weighted((("deferimento", 65), ("indeferimento", 35)))
        if service.category == "reconhecimento_inicial" and service.code not in QUADRO_R409_SERVICES:
            if self.rng.random() < 0.15:  # SUB formatted it automatically, at any hour
                created_at = draft.task["created_at"]
                self.add_dispatch(draft, decision, created_at + (concluded_at - created_at) * self.rng.random(), None)
            else:
                self.add_dispatch(draft, decision, self.dispatch_time(payee, assigned_at, concluded_at), payee.siape)
        elif service.category in ("revisao", "manutencao") and self.rng.random() < 0.25:
            self.add_dispatch(draft, "outro", self.dispatch_time(payee, assigned_at, concluded_at), payee.siape)

    def dispatch_time(self, payee: Professional, assigned_at: datetime, concluded_at: datetime) -> datetime:
        """Usually shortly before the conclusion; else anywhere in the payee's extra time on the task."""
        try:
            return self.extra_between(payee.siape, max(assigned_at, concluded_at - timedelta(hours=3)),
                                      concluded_at - timedelta(minutes=1))
        except NoSlot:
            return self.payee_act_time(payee, assigned_at + timedelta(minutes=1), concluded_at - timedelta(minutes=1))

    @staticmethod
    def add_dispatch(draft: TaskDraft, decision: str, dispatched_at: datetime, siape: str | None) -> None:
        draft.dispatches.append({"nb": draft.task["nb"], "decision": decision, "dispatched_at": dispatched_at,
                                 "siape": siape, "is_automatic": siape is None})

    def draft_with_subtask(self, payee: Professional, concluded_at: datetime, *,
                           social_worker: Professional | None = None,
                           subtask_created_at: datetime | None = None) -> tuple[TaskDraft, TaskDraft]:
        """A BPC concession whose payee opens an avaliação social subtask for a social worker."""
        parent = self.draft_task(payee, SERVICE_BY_CODE[BPC_CONCESSION], concluded_at, lead_days=(5, 9))
        assigned_at = parent.assignments[0]["assigned_at"]
        if subtask_created_at is None:
            subtask_created_at = self.payee_act_time(payee, assigned_at + timedelta(minutes=5),
                                                     assigned_at + timedelta(days=2))
        parent.add_event("subtask_created", subtask_created_at, payee.siape)
        if social_worker is None:
            social_worker = self.rng.choice([prof for prof in self.listed()
                                             if prof.does_social_evaluations and prof.siape != payee.siape
                                             and prof.tag is None])
        evaluation_done = self.extra_between(social_worker.siape, subtask_created_at + timedelta(hours=20),
                                             concluded_at - timedelta(hours=2))
        subtask = self.draft_task(social_worker, SERVICE_BY_CODE[AVALIACAO_SOCIAL], evaluation_done,
                                  created_at=subtask_created_at, created_by=payee.siape, parent=parent,
                                  assigned_at=self.extra_between(social_worker.siape,
                                                                 subtask_created_at + timedelta(hours=1),
                                                                 evaluation_done - timedelta(minutes=30)))
        return parent, subtask

    def commit(self, *drafts: TaskDraft, scenario: Scenario | None = None) -> None:
        for draft in drafts:
            self.drafts.append(draft)
            if draft.sibe_status and draft.task["nb"]:
                self.sibe.setdefault(draft.task["nb"], draft.sibe_status)
            if scenario and draft.task["concluded_at"]:
                self.planted.append((scenario.name, draft.key, scenario.expect))

    # ----- building the office --------------------------------------------------
    def build(self) -> None:
        self.build_roster()
        self.build_hr_periods()
        self.build_adhesions()
        self.build_sisref()
        self.build_pgd_plans()
        for scenario in SCENARIOS:
            getattr(self, f"plant_{scenario.name}")(scenario)
        self.build_clean_tasks()
        self.build_out_of_scope_tasks()

    def build_roster(self) -> None:
        rng = self.rng
        names = [f"{first} {middle} {last}" for first in FIRST_NAMES for middle in SURNAMES for last in SURNAMES
                 if middle != last]
        chosen_names = rng.sample(names, 50)
        siapes: list[str] = []
        while len(siapes) < 50:
            # about one in eight registrations has a leading zero
            siape = f"0{rng.randrange(10**5, 10**6)}" if len(siapes) % 8 == 3 else f"{rng.randrange(10**6, 10**7)}"
            if siape not in siapes and siape != GHOST_SIAPE:
                siapes.append(siape)
        index = 0
        for role, degree, schedule, count in ROSTER_PLAN:
            for _ in range(count):
                self.professionals.append(Professional(
                    siape=siapes[index], name=chosen_names[index], role=role, social_service_degree=degree,
                    unit_code=UNIT_CODES[index % len(UNIT_CODES)], schedule=schedule))
                index += 1
        for prof in self.professionals:
            prof.queues = {queue: [(PROGRAM_START, None)] for queue in self.queues_for(prof)}
            prof.in_pgd = rng.random() < 0.8
        # A few joined the program later.
        for prof in rng.sample([p for p in self.professionals if p.schedule != "8h_standard"], 4):
            prof.queues = {queue: [(date(2025, 6, 2), None)] for queue in prof.queues}
        # Tags go to analysts/technicians without night shifts, non-standard schedules first.
        taggable = sorted((prof for prof in self.professionals
                           if prof.role in ("analista", "tecnico") and not prof.social_service_degree
                           and prof.schedule != "night"),
                          key=lambda prof: prof.schedule == "8h_standard")
        for tag, prof in zip(SPECIAL_PROFESSIONALS, taggable):
            prof.tag = tag
            self.by_tag[tag] = prof
        assert len(self.by_tag) == len(SPECIAL_PROFESSIONALS), "not enough standard professionals to tag"
        ghost = Professional(siape=GHOST_SIAPE, name="(ausente do SIAPE)", role="analista",
                             social_service_degree=False, unit_code=UNIT_CODES[0], schedule="8h_standard",
                             tag="ghost", listed_in_siape=False, in_pgd=False,
                             queues={"PGB-RI-URB": [(PROGRAM_START, None)]})
        self.professionals.append(ghost)
        self.by_tag["ghost"] = ghost

    def queues_for(self, prof: Professional) -> list[str]:
        if prof.role == "assistente_social":
            return ["PGB-AS"]
        if prof.role == "outro":
            return ["PGB-MR"]
        if prof.social_service_degree:
            return ["PGB-AS", "PGB-BPC", "PGB-RI-URB"]
        pool = ["PGB-RI-URB", "PGB-RI-RUR", "PGB-BPC", "PGB-BI", "PGB-MR"]
        chosen = ["PGB-RI-URB"] + self.rng.sample(pool[1:], self.rng.randint(1, 2))
        return [queue for queue in pool if queue in chosen]

    def build_hr_periods(self) -> None:
        tagged = self.by_tag
        periods = (  # (tag, kind, start, end, ceded_to)
            ("licenca_sem_vencimento", "licenca_sem_vencimento", date(2025, 7, 1), date(2025, 7, 20), None),
            ("cedido_mec", "cessao", date(2025, 6, 16), None, "MEC"),
            ("cedido_mps", "cessao", date(2025, 4, 1), None, "MPS"),
            ("afastado_190", "afastamento", date(2025, 1, 2), date(2025, 4, 30), None),
            ("afastado_190", "afastamento", date(2025, 5, 1), date(2025, 7, 10), None),
            ("afastado_180", "afastamento", date(2025, 1, 6), date(2025, 7, 4), None),
            ("afastado_aberto", "afastamento", date(2025, 2, 1), None, None),
            ("afastado_com_intervalo", "afastamento", date(2024, 12, 1), date(2025, 3, 31), None),
            ("afastado_com_intervalo", "afastamento", date(2025, 4, 2), date(2025, 6, 13), None),
            ("inativo", "inatividade", date(2025, 7, 15), None, None),
        )
        for tag, kind, start, end, ceded_to in periods:
            prof = tagged[tag]
            self.hr_periods.append({"siape": prof.siape, "kind": kind, "start_date": start, "end_date": end,
                                    "ceded_to": ceded_to})
            if not (kind == "cessao" and ceded_to == "MPS"):  # ceded to MPS keeps working in the PGB
                prof.away.append((start, end))
        # Ordinary short absences and an old cession of clean professionals (no rule fires).
        clean = [prof for prof in self.professionals if prof.tag is None and prof.role != "assistente_social"]
        for prof, (start, end) in zip(self.rng.sample(clean, 3), ((date(2025, 6, 2), date(2025, 6, 6)),
                                                                 (date(2025, 7, 14), date(2025, 7, 18)),
                                                                 (date(2025, 3, 10), date(2025, 3, 21)))):
            self.hr_periods.append({"siape": prof.siape, "kind": "afastamento", "start_date": start,
                                    "end_date": end, "ceded_to": None})
            prof.away.append((start, end))
        returned = self.rng.choice([p for p in clean if not p.away])
        self.hr_periods.append({"siape": returned.siape, "kind": "cessao", "start_date": date(2024, 3, 1),
                                "end_date": date(2025, 4, 30), "ceded_to": "MGI"})
        self.hr_periods.sort(key=lambda row: (row["start_date"], row["siape"]))
        for number, row in enumerate(self.hr_periods, start=1):
            row["period_id"] = f"HR{number:05d}"
        # Clean-loop gaps for the planted situations that are not HR periods.
        tagged["meta_abaixo_julho"].planted_only.append((JULY, LAST_DAY))
        tagged["meta_nula_junho"].planted_only.append((JUNE, month_end(JUNE)))
        tagged["sem_sisref_julho"].planted_only.append((JULY, LAST_DAY))
        tagged["ghost"].planted_only.append((MAY, LAST_DAY))

    def build_adhesions(self) -> None:
        tagged = self.by_tag
        tagged["desligado"].queues["PGB-RI-URB"] = [(PROGRAM_START, date(2025, 6, 30))]
        tagged["janela_com_intervalo"].queues["PGB-RI-URB"] = [(PROGRAM_START, date(2025, 6, 10)),
                                                               (date(2025, 6, 20), None)]
        tagged["sem_adesao"].queues.pop("PGB-MR", None)
        tagged["adesao_pendente"].queues.pop("PGB-MR", None)
        tagged["adesao_nao_homologada"].queues.pop("PGB-BI", None)
        rows = []
        for prof in self.professionals:
            for queue, windows in prof.queues.items():
                for enabled_from, enabled_until in windows:
                    rows.append(self.adhesion_row(prof, queue, "concluida", "homologado", enabled_from,
                                                  enabled_until))
        rows.append(self.adhesion_row(tagged["adesao_pendente"], "PGB-MR", "pendente", None, None, None,
                                      requested_on=date(2025, 6, 25)))
        rows.append(self.adhesion_row(tagged["adesao_nao_homologada"], "PGB-BI", "concluida", "nao_homologado",
                                      None, None))
        rows.append(self.adhesion_row(tagged["adesao_cancelada_refeita"], "PGB-RI-URB", "cancelada", None, None,
                                      None, requested_on=date(2025, 5, 5)))
        rows.sort(key=lambda row: (row["requested_at"], row["siape"], row["queue_code"]))
        for number, row in enumerate(rows):
            row["adhesion_task_id"] = str(1_650_000_000 + 17 * number)
        self.adhesions = rows

    def adhesion_row(self, prof, queue, status, homologation, enabled_from, enabled_until, requested_on=None):
        if requested_on is None:
            requested_on = (enabled_from or PROGRAM_START) - timedelta(days=self.rng.randint(3, 9))
        requested_at = datetime.combine(requested_on, time(self.rng.randint(8, 17), self.rng.randrange(60)))
        return {"siape": prof.siape, "queue_code": queue, "requested_at": requested_at, "status": status,
                "homologation": homologation, "enabled_from": enabled_from, "enabled_until": enabled_until}

    def build_sisref(self) -> None:
        rng = self.rng
        clean = [prof for prof in self.professionals if prof.tag is None and prof.schedule == "8h_standard"
                 and prof.role != "assistente_social"]
        picks = iter(rng.sample(clean, 12))
        occurrence_plan = (  # (code, first, last): weekdays in the range get the code
            ("FER", date(2025, 6, 23), date(2025, 7, 4)), ("FER", date(2025, 7, 14), date(2025, 7, 25)),
            ("FER", date(2025, 6, 2), date(2025, 6, 13)),
            ("LTS", date(2025, 6, 10), date(2025, 6, 11)), ("LTS", date(2025, 7, 3), date(2025, 7, 3)),
            ("LTS", date(2025, 7, 21), date(2025, 7, 23)),
            ("LPM", date(2025, 6, 9), date(2025, 6, 13)),
            ("FCO", date(2025, 6, 20), date(2025, 6, 20)), ("FCO", date(2025, 7, 11), date(2025, 7, 11)),
            ("FCO", date(2025, 6, 6), date(2025, 6, 6)),
            ("CAP", date(2025, 6, 24), date(2025, 6, 25)), ("CAP", date(2025, 7, 16), date(2025, 7, 16)),
        )
        occurrence_on: dict[tuple[str, date], str] = {}
        for code, first, last in occurrence_plan:
            prof = next(picks)
            for day in days_between(first, last):
                if is_workday(day):
                    occurrence_on[(prof.siape, day)] = code
                    self.occurrences.append({"siape": prof.siape, "occurrence_date": day, "occurrence_code": code})
                    self.occurrence_days[code].append((prof.siape, day))
                    if code in ("FER", "LTS", "LPM"):
                        self.blocked_days.add((prof.siape, day))
        for prof in self.professionals:
            for day in days_between(SISREF_FIRST_DAY, LAST_DAY):
                if not is_workday(day) or in_ranges(day, prof.away):
                    continue
                if prof.tag == "sem_sisref_julho" and day >= JULY:
                    continue
                code = occurrence_on.get((prof.siape, day))
                if code in ("FER", "LTS", "LPM", "FCO"):
                    continue  # a day off: no interval
                self.add_schedule_day(prof, day, with_realizado=code != "CAP")
        self.intervals.sort(key=lambda row: (row["siape"], row["start_at"], row["kind"]))
        self.occurrences.sort(key=lambda row: (row["siape"], row["occurrence_date"]))

    def add_schedule_day(self, prof: Professional, day: date, with_realizado: bool) -> None:
        for start_hhmm, end_hhmm in SCHEDULES[prof.schedule]:
            start = at(day, start_hhmm)
            end = at(day, end_hhmm)
            if end <= start:
                end += timedelta(days=1)  # night shift: ends the next day, work_date is the start day
            spans = [("previsto", start, end)]
            if with_realizado:
                spans.append(("realizado", start + timedelta(minutes=self.rng.randint(-10, 8)),
                              end + timedelta(minutes=self.rng.randint(-5, 15))))
            for kind, span_start, span_end in spans:
                self.intervals.append({"siape": prof.siape, "work_date": day, "kind": kind,
                                       "start_at": span_start, "end_at": span_end})
                self.work_dates.add((prof.siape, day))
                for touched in {span_start.date(), span_end.date()}:
                    self.intervals_by_day[(prof.siape, touched)].append((span_start, span_end))

    def build_pgd_plans(self) -> None:
        rng = self.rng
        for prof in self.listed():
            if not prof.in_pgd and prof.tag not in ("meta_abaixo_julho", "meta_nula_junho", "meta_exata_90",
                                                    "meta_produto_baixa"):
                continue
            for month in (MAY, JUNE, JULY):
                pact = self.pick_weighted((("atividade", 55), ("produto", 25), ("hibrido", 20)))
                target = Decimal(rng.randint(1500, 2400)) / 10
                achieved = (target * Decimal(rng.randint(92, 135)) / 100).quantize(Decimal("0.01"))
                if prof.tag == "meta_abaixo_julho" and month == JULY:
                    pact, target, achieved = "atividade", Decimal("200.00"), Decimal("150.00")
                elif prof.tag == "meta_nula_junho" and month == JUNE:
                    pact, target, achieved = "atividade", Decimal("180.00"), None
                elif prof.tag == "meta_exata_90" and month == JUNE:
                    # 0.9 * 193.30 = 173.97 exactly; as floats 173.97000000000003 (would wrongly fire)
                    pact, target, achieved = "atividade", Decimal("193.30"), Decimal("173.97")
                elif prof.tag == "meta_produto_baixa" and month == JULY:
                    pact, target, achieved = "produto", Decimal("200.00"), Decimal("140.00")
                self.plans.append({"siape": prof.siape, "reference_month": month, "pact_type": pact,
                                   "net_target_points": target.quantize(Decimal("0.01")),
                                   "achieved_points": achieved})
        self.plans.sort(key=lambda row: (row["siape"], row["reference_month"]))

    # ----- the clean bulk -------------------------------------------------------
    def build_clean_tasks(self) -> None:
        rng = self.rng
        for prof in self.professionals:
            if prof.role == "assistente_social" or prof.tag == "ghost":
                continue  # social workers get the avaliação social subtasks of BPC concessions
            for month, (fewest, most) in NORMAL_TASKS_PER_MONTH.items():
                days = [day for day in days_between(max(month, PROGRAM_START), month_end(month))
                        if not in_ranges(day, prof.away) and not in_ranges(day, prof.planted_only)
                        and prof.enabled_queues(day)]
                if not days:
                    continue
                for _ in range(rng.randint(fewest, most)):
                    self.add_one_clean_task(prof, days)

    def add_one_clean_task(self, prof: Professional, days: list[date]) -> None:
        for _ in range(20):
            day = self.rng.choice(days)
            queue = self.rng.choice([q for q in prof.enabled_queues(day) if q != "PGB-AS"] or ["-"])
            services = [(s, s.weight) for s in SERVICES if s.queue == queue and s.weight]
            if not services:
                return
            service = self.pick_weighted(services)
            if service.code == BPC_CONCESSION and day < JUNE:
                continue  # keep the whole subtask flow after the program start
            try:
                concluded_at = self.extra_on_day(prof.siape, day)
                if service.code == BPC_CONCESSION:
                    self.commit(*self.draft_with_subtask(prof, concluded_at))
                else:
                    self.commit(self.draft_task(prof, service, concluded_at))
                return
            except NoSlot:
                continue

    def build_out_of_scope_tasks(self) -> None:
        rng = self.rng
        workers = [prof for prof in self.listed() if prof.tag is None and prof.role != "assistente_social"
                   and prof.schedule != "night"]
        simple_services = [s for s in SERVICES if s.weight and s.code != BPC_CONCESSION]
        # Ordinary-queue work, done in ordinary hours: not evaluated.
        for _ in range(120):
            prof = rng.choice(workers)
            day = self.plain_workday(prof.siape, rng.choice((JUNE, JULY)))
            self.commit(self.draft_ordinary_task(prof, rng.choice(simple_services), day))
        # Open and cancelled extraordinary tasks.
        for number in range(40):
            prof = rng.choice(workers)
            queue = rng.choice([q for q in prof.enabled_queues(LAST_DAY) if q != "PGB-AS"])
            service = self.pick_weighted([(s, s.weight) for s in simple_services if s.queue == queue])
            status = ("pendente", "em_exigencia", "cancelada")[number % 3]
            draft = self.draft_task(prof, service, None, status=status,
                                    created_at=at(date(2025, 7, rng.randint(1, 25)), "09:00")
                                    + timedelta(minutes=rng.randrange(600)))
            if status == "cancelada" and number % 2:
                draft.assignments.clear()  # cancelled before anyone pulled it
                draft.events = [e for e in draft.events if e["siape"] is None]
                draft.add_event("status_change", draft.task["created_at"] + timedelta(days=2), None)
            self.commit(draft)

    def draft_ordinary_task(self, prof: Professional, service: Service, day: date) -> TaskDraft:
        block_start, block_end = self.day_blocks(prof.siape, day)[0]
        assigned_at = block_start + timedelta(minutes=self.rng.randint(15, 60))
        concluded_at = assigned_at + timedelta(minutes=self.rng.randint(20, 120))
        if concluded_at >= block_end:
            concluded_at = block_end - timedelta(minutes=10)
        draft = self.draft_task(prof, service, None, queue_code=ORDINARY_QUEUE, assigned_at=assigned_at,
                                created_at=assigned_at - timedelta(days=self.rng.randint(2, 40)))
        draft.events = [e for e in draft.events if e["siape"] is None]
        draft.add_event("status_change", assigned_at + timedelta(minutes=2), prof.siape)
        draft.task.update(status="concluida", concluded_at=concluded_at, concluded_by=prof.siape)
        if service.category == "reconhecimento_inicial" and service.code not in SIBE_SERVICES:
            self.add_dispatch(draft, "deferimento", concluded_at - timedelta(minutes=3), prof.siape)
        return draft

    # ----- planted scenarios (one method per entry of SCENARIOS) -------------------
    def planted_task(self, payee, concluded_at, *, queue="PGB-RI-URB", service=None, **kwargs):
        """A clean task assigned at least a day before its conclusion, for a scenario to alter."""
        return self.draft_task(payee, service or self.service_for(queue), concluded_at, lead_days=(1, 3), **kwargs)

    def plant_conclusion_inside_interval(self, scenario):
        for number in range(scenario.count):
            payee = self.plain_payee("PGB-MR")
            day = self.plain_workday(payee.siape, (JUNE, JULY)[number % 2])
            self.commit(self.planted_task(payee, self.inside(payee.siape, day, "10:15"), queue="PGB-MR"),
                        scenario=scenario)

    def plant_conclusion_at_interval_end(self, scenario):
        for number in range(scenario.count):
            payee = self.plain_payee("PGB-RI-URB")
            day = self.plain_workday(payee.siape, (JUNE, JULY)[number % 2])
            self.commit(self.planted_task(payee, self.block_end(payee.siape, day)), scenario=scenario)

    def night_worker(self) -> Professional:
        return next(prof for prof in self.professionals if prof.schedule == "night" and prof.tag is None)

    def plant_conclusion_in_night_shift(self, scenario):
        payee = self.night_worker()
        queue = next(iter(payee.enabled_queues(LAST_DAY)))
        for month in (JUNE, JULY)[: scenario.count]:
            # next_day_too keeps the end of the shift inside the export (not on 2025-08-01)
            shift_day = self.plain_workday(payee.siape, month, weekdays=(0, 1, 2, 3), next_day_too=True)
            concluded_at = self.inside(payee.siape, shift_day + timedelta(days=1), "01:30")
            self.commit(self.planted_task(payee, concluded_at, queue=queue), scenario=scenario)

    def plant_conclusion_at_night_shift_end(self, scenario):
        payee = self.night_worker()
        queue = next(iter(payee.enabled_queues(LAST_DAY)))
        shift_day = self.plain_workday(payee.siape, JULY, weekdays=(0, 1, 2, 3), next_day_too=True)
        concluded_at = self.block_end(payee.siape, shift_day)
        assert concluded_at.date() == shift_day + timedelta(days=1)
        self.commit(self.planted_task(payee, concluded_at, queue=queue), scenario=scenario)

    def plant_assignment_inside_interval(self, scenario):
        for number in range(scenario.count):
            payee = self.plain_payee("PGB-RI-URB")
            day = self.plain_workday(payee.siape, (JUNE, JULY)[number % 2])
            self.commit(self.planted_task(payee, self.extra_on_day(payee.siape, day),
                                          assigned_at=self.inside(payee.siape, day, "09:05")), scenario=scenario)

    def plant_assignment_at_interval_end(self, scenario):
        payee = self.plain_payee("PGB-RI-URB")
        day = self.plain_workday(payee.siape, JUNE)
        assigned_at = self.block_end(payee.siape, day)
        concluded_at = self.extra_on_day(payee.siape, day, after=assigned_at + timedelta(minutes=90))
        self.commit(self.planted_task(payee, concluded_at, assigned_at=assigned_at), scenario=scenario)

    def plant_assignment_to_colleague_inside_interval(self, scenario):
        payee = self.plain_payee("PGB-RI-URB")
        colleague = self.plain_payee("PGB-RI-URB")
        day = self.plain_workday(colleague.siape, JULY)
        concluded_at = self.extra_on_day(payee.siape, day, after=at(day, "19:30"))
        assigned_at = self.extra_between(payee.siape, at(day, "17:40"), concluded_at - timedelta(minutes=30))
        draft = self.planted_task(payee, concluded_at, assigned_at=assigned_at)
        draft.assignments.insert(0, {"task_id": draft.key, "siape": colleague.siape,
                                     "assigned_at": self.inside(colleague.siape, day, "09:05")})
        self.commit(draft, scenario=scenario)

    def plant_with_event(self, scenario, event_type, hhmm, *, by_colleague=False):
        for number in range(scenario.count):
            payee = self.plain_payee("PGB-RI-URB")
            day = self.plain_workday(payee.siape, (JUNE, JULY)[number % 2])
            draft = self.planted_task(payee, self.extra_on_day(payee.siape, day, after=at(day, "17:30")))
            actor = self.plain_payee("PGB-RI-URB") if by_colleague else payee
            draft.add_event(event_type, self.inside(actor.siape, day, hhmm), actor.siape)
            self.commit(draft, scenario=scenario)

    def plant_status_change_inside_interval(self, scenario):
        self.plant_with_event(scenario, "status_change", "14:30")

    def plant_status_change_by_colleague_inside_interval(self, scenario):
        self.plant_with_event(scenario, "status_change", "14:30", by_colleague=True)

    def plant_comment_inside_interval(self, scenario):
        self.plant_with_event(scenario, "comment", "11:20")

    def plant_attachment_inside_interval(self, scenario):
        self.plant_with_event(scenario, "attachment", "15:45")

    def plant_comment_at_block_edge(self, scenario, edge):
        for number in range(scenario.count):
            payee = self.plain_payee("PGB-RI-URB")
            day = self.plain_workday(payee.siape, (JUNE, JULY)[number % 2])
            instant = self.block_start(payee.siape, day) if edge == "start" else self.block_end(payee.siape, day)
            draft = self.planted_task(payee, self.extra_on_day(payee.siape, day, after=at(day, "17:45")))
            draft.add_event("comment", instant, payee.siape)
            self.commit(draft, scenario=scenario)

    def plant_comment_at_interval_start(self, scenario):
        self.plant_comment_at_block_edge(scenario, "start")

    def plant_comment_at_interval_end(self, scenario):
        self.plant_comment_at_block_edge(scenario, "end")

    def plant_subtask_created_inside_interval(self, scenario):
        for number in range(scenario.count):
            payee = self.plain_payee("PGB-BPC")
            day = self.plain_workday(payee.siape, (JUNE, JULY)[number % 2], weekdays=(0, 1, 2))
            concluded_at = self.extra_near_day(payee.siape, day + timedelta(days=3), step=+1)
            parent, subtask = self.draft_with_subtask(payee, concluded_at,
                                                      subtask_created_at=self.inside(payee.siape, day, "09:40"))
            self.commit(parent, scenario=scenario)
            self.commit(subtask)

    def plant_dispatch_inside_interval(self, scenario):
        for number in range(scenario.count):
            payee = self.plain_payee("PGB-RI-URB")
            day = self.plain_workday(payee.siape, (JUNE, JULY)[number % 2])
            draft = self.planted_task(payee, self.extra_on_day(payee.siape, day, after=at(day, "17:30")))
            draft.dispatches = []
            self.add_dispatch(draft, "deferimento", self.inside(payee.siape, day, "15:05"), payee.siape)
            self.commit(draft, scenario=scenario)

    def plant_dispatch_inside_interval_after_conclusion(self, scenario):
        payee = self.plain_payee("PGB-RI-URB")
        day = self.plain_workday(payee.siape, JUNE, weekdays=(0, 1, 2, 3), next_day_too=True)
        draft = self.planted_task(payee, self.extra_on_day(payee.siape, day))
        self.add_dispatch(draft, "outro", self.inside(payee.siape, day + timedelta(days=1), "10:00"), payee.siape)
        self.commit(draft, scenario=scenario)

    def plant_automatic_dispatch_inside_interval(self, scenario):
        for number in range(scenario.count):
            payee = self.plain_payee("PGB-RI-URB")
            day = self.plain_workday(payee.siape, (JUNE, JULY)[number % 2])
            draft = self.planted_task(payee, self.extra_on_day(payee.siape, day, after=at(day, "17:30")))
            draft.dispatches = []
            self.add_dispatch(draft, "deferimento", self.inside(payee.siape, day, "11:00"), None)
            self.commit(draft, scenario=scenario)

    def plant_on_occurrence_day(self, scenario, code, hhmm="20:10"):
        """Tasks concluded at hhmm on days with occurrence `code`, pulled before the occurrence."""
        days_with_code = self.occurrence_days[code]
        spread = days_with_code[:: max(1, len(days_with_code) // scenario.count)][: scenario.count]
        for siape, day in spread:
            payee = next(prof for prof in self.professionals if prof.siape == siape)
            queue = next(q for q in payee.enabled_queues(day) if q != "PGB-AS")
            before = day - timedelta(days=1)
            while (siape, before) in self.blocked_days:
                before -= timedelta(days=1)
            concluded_at = at(day, hhmm)
            assert self.is_ordinary(siape, concluded_at) == (code in ("FER", "LTS", "LPM"))
            self.commit(self.planted_task(payee, concluded_at, queue=queue,
                                          assigned_at=self.extra_near_day(siape, before)), scenario=scenario)

    def plant_work_on_vacation_day(self, scenario):
        self.plant_on_occurrence_day(scenario, "FER")

    def plant_work_on_sick_leave_day(self, scenario):
        self.plant_on_occurrence_day(scenario, "LTS")

    def plant_work_on_time_off_day(self, scenario):
        self.plant_on_occurrence_day(scenario, "FCO", "10:00")

    def plant_work_on_training_day_evening(self, scenario):
        self.plant_on_occurrence_day(scenario, "CAP", "19:30")

    def plant_work_on_corpus_christi(self, scenario):
        for _ in range(scenario.count):
            payee = self.plain_payee("PGB-RI-URB")
            concluded_at = at(NO_WORK_DAYS[0], "10:30") + timedelta(minutes=self.rng.randrange(60))
            self.commit(self.planted_task(payee, concluded_at), scenario=scenario)

    def plant_simple(self, scenario, queue, month_cycle=(JUNE, JULY), service=None):
        """Clean planted tasks for the caller to alter, one per count."""
        drafts = []
        for number in range(scenario.count):
            payee = self.plain_payee(queue)
            day = self.plain_workday(payee.siape, month_cycle[number % len(month_cycle)])
            drafts.append(self.planted_task(payee, self.extra_on_day(payee.siape, day), queue=queue,
                                            service=service))
        return drafts

    def plant_initial_recognition_without_dispatch(self, scenario):
        for draft in self.plant_simple(scenario, "PGB-RI-URB"):
            draft.dispatches = []
            self.commit(draft, scenario=scenario)

    def plant_dispatch_by_someone_else(self, scenario):
        for draft in self.plant_simple(scenario, "PGB-RI-RUR"):
            draft.dispatches = []
            colleague = self.colleague_of(draft.payee)
            self.add_dispatch(draft, "deferimento", draft.task["concluded_at"] - timedelta(minutes=40),
                              colleague.siape)
            self.commit(draft, scenario=scenario)

    def plant_dispatch_with_decision_outro(self, scenario):
        for draft in self.plant_simple(scenario, "PGB-RI-URB"):
            draft.dispatches = []
            self.add_dispatch(draft, "outro", draft.task["concluded_at"] - timedelta(minutes=4), draft.payee)
            self.commit(draft, scenario=scenario)

    def plant_automatic_dispatch_only(self, scenario):
        for draft in self.plant_simple(scenario, "PGB-RI-URB"):
            draft.dispatches = []
            self.add_dispatch(draft, "indeferimento", draft.task["created_at"] + timedelta(hours=30), None)
            self.commit(draft, scenario=scenario)

    def plant_with_sibe(self, scenario, service_codes, status):
        for number, draft in enumerate(self.plant_simple(scenario, SERVICE_BY_CODE[service_codes[0]].queue)):
            service = SERVICE_BY_CODE[service_codes[number % len(service_codes)]]
            draft.task.update(service_code=service.code, service_name=service.name)
            draft.sibe_status = status  # None: the NB gets no SIBE row
            self.commit(draft, scenario=scenario)

    def plant_bpc_sibe_aguardando_pericia(self, scenario):
        self.plant_with_sibe(scenario, (14875,), "Aguardando perícia")

    def plant_bpc_sibe_missing(self, scenario):
        self.plant_with_sibe(scenario, (14875,), None)

    def plant_bi_sibe_cancelado(self, scenario):
        self.plant_with_sibe(scenario, (17436,), "Cancelado")

    def plant_bi_sibe_missing(self, scenario):
        self.plant_with_sibe(scenario, (17775,), None)

    def plant_bi_sibe_aguardando_pericia(self, scenario):
        self.plant_with_sibe(scenario, (17456, 17776), "Aguardando perícia")

    def plant_bpc_concession_without_dispatch(self, scenario):
        for draft in self.plant_simple(scenario, "PGB-BPC", service=SERVICE_BY_CODE[BPC_CONCESSION]):
            draft.dispatches = []
            self.commit(draft, scenario=scenario)

    def plant_created_and_concluded_by_payee(self, scenario):
        for draft in self.plant_simple(scenario, "PGB-MR"):
            assigned_at = draft.assignments[0]["assigned_at"]
            draft.task.update(created_by=draft.payee, created_at=assigned_at - timedelta(minutes=3))
            draft.events = [e for e in draft.events if e["siape"] is not None]
            self.commit(draft, scenario=scenario)

    def plant_created_by_payee_before_program(self, scenario):
        for draft in self.plant_simple(scenario, "PGB-MR"):
            draft.task.update(created_by=draft.payee, created_at=at(date(2025, 5, 12), "18:20"))
            draft.events = [e for e in draft.events if e["siape"] is not None]
            self.commit(draft, scenario=scenario)

    def plant_avaliacao_social_by_same_professional(self, scenario):
        # An analyst with a Social Service degree handles the BPC concession,
        # opens the avaliação social subtask and does it herself.
        for number in range(scenario.count):
            payee = [p for p in self.listed() if p.role == "analista" and p.social_service_degree][number % 2]
            day = self.plain_workday(payee.siape, (JUNE, JULY)[number % 2])
            parent, subtask = self.draft_with_subtask(payee, self.extra_on_day(payee.siape, day),
                                                      social_worker=payee)
            self.commit(parent)
            self.commit(subtask, scenario=scenario)

    def plant_goal_complement(self, scenario):
        for draft in self.plant_simple(scenario, "PGB-RI-URB"):
            self.complements.append({"task_id": draft.key, "siape": draft.payee,
                                     "reference_month": month_of(draft.task["concluded_at"].date()),
                                     "points": Decimal("1.50")})
            self.commit(draft, scenario=scenario)

    def plant_nb_missing(self, scenario):
        for draft in self.plant_simple(scenario, "PGB-MR", service=SERVICE_BY_CODE[20091]):
            draft.task["nb"] = None
            draft.dispatches = []
            self.commit(draft, scenario=scenario)

    def plant_nb_blank(self, scenario):
        for draft in self.plant_simple(scenario, "PGB-MR", service=SERVICE_BY_CODE[20031]):
            draft.task["nb"] = "   "
            draft.dispatches = []
            self.commit(draft, scenario=scenario)

    def plant_two_assignees(self, scenario):
        for draft in self.plant_simple(scenario, "PGB-RI-URB"):
            colleague = self.colleague_of(draft.payee)
            first_pull = draft.assignments[0]["assigned_at"] - timedelta(days=1)
            draft.assignments.insert(0, {"task_id": draft.key, "siape": colleague.siape,
                                         "assigned_at": self.extra_near_day(colleague.siape, first_pull.date())})
            self.commit(draft, scenario=scenario)

    def plant_reassigned_to_same_person(self, scenario):
        for draft in self.plant_simple(scenario, "PGB-RI-URB"):
            first = draft.assignments[0]
            draft.assignments.insert(0, {**first, "assigned_at": self.extra_near_day(
                draft.payee, first["assigned_at"].date() - timedelta(days=1))})
            self.commit(draft, scenario=scenario)

    def plant_same_nb_group(self, scenario, payees_and_months, same_instant=False):
        """Root tasks sharing one NB, concluded in order by the given (payee, month)."""
        nb = self.new_nb()
        previous = None
        for payee, month in payees_and_months:
            if same_instant and previous:
                concluded_at = previous
            else:
                day = self.plain_workday(payee.siape, month)
                if previous and day <= previous.date():
                    day = previous.date() + timedelta(days=1)
                concluded_at = self.extra_near_day(payee.siape, day, step=+1)
            draft = self.planted_task(payee, concluded_at, queue="PGB-MR", nb=nb)
            self.commit(draft, scenario=scenario)
            previous = concluded_at

    def plant_same_nb_same_payee(self, scenario):
        for months in ((JUNE, JUNE), (JUNE, JULY))[: scenario.count]:
            payee = self.plain_payee("PGB-MR")
            self.plant_same_nb_group(scenario, [(payee, month) for month in months])

    def plant_same_nb_different_payees(self, scenario):
        self.plant_same_nb_group(scenario, [(self.plain_payee("PGB-MR"), JUNE), (self.plain_payee("PGB-MR"), JUNE)])
        self.plant_same_nb_group(scenario, [(self.plain_payee("PGB-MR"), JUNE), (self.plain_payee("PGB-MR"), JULY),
                                            (self.plain_payee("PGB-MR"), JULY)])

    def plant_same_nb_different_payees_same_instant(self, scenario):
        # a Saturday evening: outside everybody's ordinary hours
        concluded_at = at(date(2025, 7, 12), "19:42") + timedelta(seconds=17)
        nb = self.new_nb()
        for payee in (self.plain_payee("PGB-MR"), self.plain_payee("PGB-MR")):
            self.commit(self.planted_task(payee, concluded_at, queue="PGB-MR", nb=nb), scenario=scenario)

    def plant_same_nb_mixed_payees(self, scenario):
        first, other = self.plain_payee("PGB-MR"), self.plain_payee("PGB-MR")
        self.plant_same_nb_group(scenario, [(first, JUNE), (other, JULY), (first, JULY)])

    def plant_same_nb_on_ordinary_queue_task(self, scenario):
        for draft in self.plant_simple(scenario, "PGB-MR"):
            payee = next(prof for prof in self.professionals if prof.siape == draft.payee)
            day = self.plain_workday(payee.siape, JUNE)
            other = self.draft_ordinary_task(payee, SERVICE_BY_CODE[20011], day)
            other.task["nb"] = draft.task["nb"]
            self.commit(draft, scenario=scenario)
            self.commit(other)

    # Professional situations.
    def plant_for_tag(self, scenario, tag, days, queue=None):
        assert len(days) == scenario.count, scenario.name
        payee = self.by_tag[tag]
        for day in days:
            task_queue = queue or next(q for q in payee.queues if q != "PGB-AS")
            self.commit(self.planted_task(payee, self.extra_on_day(payee.siape, day), queue=task_queue),
                        scenario=scenario)

    def plant_licenca_sem_vencimento(self, scenario):
        self.plant_for_tag(scenario, "licenca_sem_vencimento", [date(2025, 7, 10), date(2025, 7, 20),
                                                                date(2025, 7, 21)])

    def plant_cedido_fora_do_mps(self, scenario):
        self.plant_for_tag(scenario, "cedido_mec", [date(2025, 6, 20), date(2025, 7, 3), date(2025, 7, 8)])

    def plant_cedido_ao_mps(self, scenario):
        self.plant_for_tag(scenario, "cedido_mps", [date(2025, 6, 14), date(2025, 7, 22)])

    def plant_afastamento_190_dias(self, scenario):
        self.plant_for_tag(scenario, "afastado_190", [date(2025, 6, 10), date(2025, 7, 9)])

    def plant_afastamento_180_dias(self, scenario):
        self.plant_for_tag(scenario, "afastado_180", [date(2025, 7, 1), date(2025, 7, 3)])

    def plant_afastamento_aberto(self, scenario):
        self.plant_for_tag(scenario, "afastado_aberto", [date(2025, 6, 27), date(2025, 7, 8), date(2025, 7, 29)])

    def plant_afastamento_com_intervalo(self, scenario):
        self.plant_for_tag(scenario, "afastado_com_intervalo", [date(2025, 6, 12)])

    def plant_inativo(self, scenario):
        self.plant_for_tag(scenario, "inativo", [date(2025, 7, 14), date(2025, 7, 16), date(2025, 7, 18)])

    def plant_adesao_pendente(self, scenario):
        self.plant_for_tag(scenario, "adesao_pendente", [date(2025, 6, 28), date(2025, 7, 2), date(2025, 7, 15)],
                           queue="PGB-MR")

    def plant_adesao_nao_homologada(self, scenario):
        self.plant_for_tag(scenario, "adesao_nao_homologada", [date(2025, 6, 17), date(2025, 7, 24)],
                           queue="PGB-BI")

    def plant_desligado(self, scenario):
        self.plant_for_tag(scenario, "desligado", [date(2025, 6, 30), date(2025, 7, 2), date(2025, 7, 9),
                                                   date(2025, 7, 19)], queue="PGB-RI-URB")

    def plant_fora_da_janela_de_habilitacao(self, scenario):
        self.plant_for_tag(scenario, "janela_com_intervalo", [date(2025, 6, 14), date(2025, 6, 16)],
                           queue="PGB-RI-URB")

    def plant_sem_adesao(self, scenario):
        self.plant_for_tag(scenario, "sem_adesao", [date(2025, 6, 11), date(2025, 7, 7), date(2025, 7, 26)],
                           queue="PGB-MR")

    def plant_meta_pgd_abaixo_de_90(self, scenario):
        self.plant_for_tag(scenario, "meta_abaixo_julho", [date(2025, 7, 4), date(2025, 7, 17), date(2025, 7, 30)])

    def plant_meta_pgd_nula(self, scenario):
        self.plant_for_tag(scenario, "meta_nula_junho", [date(2025, 6, 5), date(2025, 6, 26)])

    def plant_concluded_on_program_start_morning(self, scenario):
        payee = self.plain_payee("PGB-RI-URB")
        self.commit(self.planted_task(payee, at(PROGRAM_START, "06:30"),
                                      created_at=at(date(2025, 5, 2), "10:00")), scenario=scenario)

    def plant_concluded_before_program_start(self, scenario):
        payee = self.plain_payee("PGB-RI-URB")
        for concluded_at in (at(date(2025, 5, 16), "20:10"), at(date(2025, 5, 18), "23:50"))[: scenario.count]:
            self.commit(self.planted_task(payee, concluded_at), scenario=scenario)

    def plant_payee_not_in_siape(self, scenario):
        self.plant_for_tag(scenario, "ghost", [date(2025, 6, 18), date(2025, 7, 10)])

    def plant_payee_without_sisref_in_month(self, scenario):
        self.plant_for_tag(scenario, "sem_sisref_julho", [date(2025, 7, 3), date(2025, 7, 15), date(2025, 7, 24)])

    # ----- output ---------------------------------------------------------------
    def tables(self) -> dict[str, list[dict]]:
        self.task_ids = task_ids = self.number_tasks()
        tasks, assignments, events, dispatches = [], [], [], []
        for draft in self.drafts:
            task = dict(draft.task)
            task["task_id"] = task_ids[draft.key]
            task["parent_task_id"] = task_ids.get(task["parent_task_id"])
            tasks.append(task)
            assignments += [{**row, "task_id": task_ids[draft.key]} for row in draft.assignments]
            events += [{**row, "task_id": task_ids[draft.key]} for row in draft.events]
            dispatches += draft.dispatches
        tasks.sort(key=lambda row: row["task_id"])
        assignments.sort(key=lambda row: (row["task_id"], row["assigned_at"], row["siape"]))
        events.sort(key=lambda row: (row["occurred_at"], row["task_id"], row["event_type"], row["siape"] or ""))
        for number, row in enumerate(events, start=1):
            row["event_id"] = f"EV{number:07d}"
        dispatches.sort(key=lambda row: (row["dispatched_at"], row["nb"]))
        for number, row in enumerate(dispatches, start=1):
            row["dispatch_id"] = f"DSP{number:07d}"
        complements = [{**row, "task_id": task_ids[row["task_id"]]} for row in self.complements]
        professionals = [{"siape": p.siape, "name": p.name, "role": p.role,
                          "social_service_degree": p.social_service_degree, "unit_code": p.unit_code}
                         for p in sorted(self.listed(), key=lambda p: p.siape)]
        return {
            "raw_professionals": professionals,
            "raw_hr_periods": self.hr_periods,
            "raw_adhesions": self.adhesions,
            "raw_sisref_intervals": self.intervals,
            "raw_sisref_occurrences": self.occurrences,
            "raw_pgd_plans": self.plans,
            "raw_pgd_goal_complements": complements,
            "raw_tasks": tasks,
            "raw_task_assignments": assignments,
            "raw_task_events": events,
            "raw_sub_dispatches": dispatches,
            "raw_sibe_status": [{"nb": nb, "sibe_status": status} for nb, status in sorted(self.sibe.items())],
        }

    def number_tasks(self) -> dict[str, str]:
        """GET protocol numbers grow with creation time."""
        ordered = sorted(self.drafts, key=lambda draft: (draft.task["created_at"], draft.key))
        number = 1_700_000_000
        ids = {}
        for draft in ordered:
            number += self.rng.randint(1, 40)
            ids[draft.key] = str(number)
        return ids



def build_office(rng: random.Random) -> Office:
    office = Office(rng)
    office.build()
    return office


def generate(rng: random.Random) -> dict[str, list[dict]]:
    return build_office(rng).tables()


def generate_with_plan(rng: random.Random) -> tuple[dict[str, list[dict]], list[tuple[str, str, str]]]:
    """The tables and the planted tasks as (scenario, task_id, expect), for checking the close by hand."""
    office = build_office(rng)
    tables = office.tables()
    return tables, [(scenario, office.task_ids[key], expect) for scenario, key, expect in office.planted]
