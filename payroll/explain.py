"""`pgb explain`: one task's verdict, or a professional's month, read from the published warehouse.

Everything shown comes from the marts as dbt wrote them (fct_task_evaluations,
fct_task_rule_violations, fct_task_payments, fct_payee_month_payments): the
outcome, the rules with their title, legal source and evidence, the amounts.
Nothing is judged or summed again here. The warehouse is opened read-only, all
rows are fetched in one short session, and the connection is closed before
anything is formatted, so a run's swap of the file is never held up for long.

People read the result, so it is written in Portuguese with Brazilian money
(R$ 1.234,00) and dates (dd/mm/aaaa); the HTML statement can be handed to the
professional it is about.
"""

from __future__ import annotations

import contextlib
import html
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from payroll.money import brazilian_date, money, reais
from payroll.months import Month
from pgb_shared.settings import PROJECT_DIR

VERDICT_TABLES = ("fct_task_evaluations", "fct_task_rule_violations", "fct_task_payments", "fct_payee_month_payments")
OUTCOME_WORDS = {"approved": "aprovada", "rejected": "rejeitada", "held": "retida"}
OUTCOME_MEANING = {
    "approved": "paga pelo valor por tarefa em vigor na conclusão",
    "rejected": "não paga: ao menos uma regra do Anexo II a rejeita",
    "held": "não paga nem rejeitada: aguarda dados para poder ser julgada",
}

# One select serves the task and the statement: the verdict, the money of the
# task after the cap, and the payee's name and unit as the month's payment row has them.
TASK_COLUMNS = """
    evaluations.task_id, evaluations.payee_siape, evaluations.reference_month, evaluations.service_code,
    evaluations.service_name, evaluations.nb, evaluations.concluded_at, evaluations.outcome,
    evaluations.held_reason, evaluations.rejection_rules, payments.due_amount::varchar,
    payments.payable_amount::varchar, payments.capped_amount::varchar, month_payments.payee_name,
    month_payments.payee_unit_code
"""
TASK_JOINS = """
    from fct_task_evaluations as evaluations
    left join fct_task_payments as payments on evaluations.task_id = payments.task_id
    left join fct_payee_month_payments as month_payments
        on evaluations.payee_siape = month_payments.payee_siape
        and evaluations.reference_month = month_payments.reference_month
"""
ONE_TASK_SQL = f"select {TASK_COLUMNS} {TASK_JOINS} where evaluations.task_id = ?"
PAYEE_MONTH_TASKS_SQL = f"""
    select {TASK_COLUMNS} {TASK_JOINS}
    where evaluations.payee_siape = ? and evaluations.reference_month = ?
    order by evaluations.concluded_at, evaluations.task_id
"""
FINDING_COLUMNS = "task_id, rule_code, coalesce(rule_title, ''), coalesce(legal_source, ''), evidence"
TASK_FINDINGS_SQL = f"select {FINDING_COLUMNS} from fct_task_rule_violations where task_id = ? order by rule_code"
PAYEE_MONTH_FINDINGS_SQL = f"""
    select {FINDING_COLUMNS} from fct_task_rule_violations
    where payee_siape = ? and reference_month = ?
    order by task_id, rule_code
"""
PAYEE_MONTH_TOTALS_SQL = """
    select payee_name, payee_unit_code, approved_tasks, rejected_tasks, held_tasks,
        due_amount::varchar, capped_amount::varchar, amount::varchar
    from fct_payee_month_payments
    where payee_siape = ? and reference_month = ?
"""
# Only to say why an id has no verdict: the task exists but is not an evaluated task (contract 2).
RAW_TASK_SQL = "select queue_type, status, concluded_at from stg_get__tasks where task_id = ? limit 1"


class ExplainError(Exception):
    """Nothing to explain (unknown task, payee without tasks, no warehouse): the message says what and where."""


@dataclass(frozen=True)
class RuleFinding:
    rule_code: str
    title: str
    legal_source: str
    evidence: str


@dataclass(frozen=True)
class TaskVerdict:
    task_id: str
    payee_siape: str
    reference_month: Month
    service_code: int | None
    service_name: str | None
    nb: str | None
    concluded_at: datetime
    outcome: str
    held_reason: str | None
    rejection_rules: str
    due_amount: Decimal
    payable_amount: Decimal
    capped_amount: Decimal
    payee_name: str | None
    payee_unit_code: str | None
    findings: tuple[RuleFinding, ...] = ()


@dataclass(frozen=True)
class PayeeStatement:
    payee_siape: str
    month: Month
    payee_name: str | None
    payee_unit_code: str | None
    approved_tasks: int
    rejected_tasks: int
    held_tasks: int
    due_amount: Decimal
    capped_amount: Decimal
    amount: Decimal
    tasks: tuple[TaskVerdict, ...]


# ---------------------------------------------------------------- reading


@contextlib.contextmanager
def _published_warehouse(warehouse: Path):
    """A short read-only session on the published file, with the verdict tables checked."""
    if not warehouse.exists():
        raise ExplainError(f"the warehouse {warehouse} does not exist: build it first (pgb run).")
    # Views over export files name them relative to the project, as dbt did.
    with contextlib.chdir(PROJECT_DIR), duckdb.connect(str(warehouse), read_only=True) as connection:
        present = {row[0] for row in connection.execute("select table_name from information_schema.tables").fetchall()}
        missing = [table for table in VERDICT_TABLES if table not in present]
        if missing:
            raise ExplainError(f"{warehouse} has no {', '.join(missing)}: build the marts first (pgb run).")
        yield connection


def _task(row: tuple, findings: tuple[RuleFinding, ...]) -> TaskVerdict:
    (task_id, payee, reference_month, service_code, service_name, nb, concluded_at, outcome, held_reason,
     rules, due, payable, capped, name, unit) = row
    return TaskVerdict(
        task_id=task_id, payee_siape=payee, reference_month=Month.of(reference_month), service_code=service_code,
        service_name=service_name, nb=nb, concluded_at=concluded_at, outcome=outcome, held_reason=held_reason,
        rejection_rules=rules or "", due_amount=money(due), payable_amount=money(payable),
        capped_amount=money(capped), payee_name=name, payee_unit_code=unit, findings=findings,
    )


def _findings_by_task(rows: list[tuple]) -> dict[str, tuple[RuleFinding, ...]]:
    grouped: dict[str, list[RuleFinding]] = {}
    for task_id, code, title, source, evidence in rows:
        grouped.setdefault(task_id, []).append(RuleFinding(code, title, source, evidence))
    return {task_id: tuple(findings) for task_id, findings in grouped.items()}


def _why_not_evaluated(connection: duckdb.DuckDBPyConnection, task_id: str) -> str:
    try:
        row = connection.execute(RAW_TASK_SQL, [task_id]).fetchone()
    except duckdb.Error:  # staging not built in this warehouse: say only that there is no verdict
        return ""
    if row is None:
        return " (and no task with this id in the GET export either)"
    queue_type, status, concluded_at = row
    return (f": GET has it (queue_type {queue_type}, status {status}, concluded_at {concluded_at or 'empty'}), "
            "but only concluded tasks of an extraordinary queue since the program start are evaluated (contract 2)")


def read_task(warehouse: Path, task_id: str) -> TaskVerdict:
    """The verdict of one evaluated task; ExplainError when the warehouse has none."""
    task_id = task_id.strip()
    with _published_warehouse(warehouse) as connection:
        row = connection.execute(ONE_TASK_SQL, [task_id]).fetchone()
        if row is None:
            raise ExplainError(f"task {task_id!r} is not an evaluated task in {warehouse}"
                               f"{_why_not_evaluated(connection, task_id)}.")
        findings = _findings_by_task(connection.execute(TASK_FINDINGS_SQL, [task_id]).fetchall())
    return _task(row, findings.get(task_id, ()))


def read_statement(warehouse: Path, payee_siape: str, month: Month) -> PayeeStatement:
    """Every evaluated task of the payee in the month, with the month's totals from fct_payee_month_payments."""
    payee_siape = payee_siape.strip()
    with _published_warehouse(warehouse) as connection:
        totals = connection.execute(PAYEE_MONTH_TOTALS_SQL, [payee_siape, month.first_day]).fetchone()
        rows = connection.execute(PAYEE_MONTH_TASKS_SQL, [payee_siape, month.first_day]).fetchall()
        findings = _findings_by_task(
            connection.execute(PAYEE_MONTH_FINDINGS_SQL, [payee_siape, month.first_day]).fetchall())
    if totals is None or not rows:
        raise ExplainError(f"professional {payee_siape!r} has no evaluated task in {month} in {warehouse} "
                           "(SIAPE is 7 digits, leading zeros included).")
    name, unit, approved, rejected, held, due, capped, amount = totals
    return PayeeStatement(
        payee_siape=payee_siape, month=month, payee_name=name, payee_unit_code=unit,
        approved_tasks=int(approved), rejected_tasks=int(rejected), held_tasks=int(held),
        due_amount=money(due), capped_amount=money(capped), amount=money(amount),
        tasks=tuple(_task(row, findings.get(row[0], ())) for row in rows),
    )


# ---------------------------------------------------------------- pt-BR formats


def data_br(moment: date | datetime | None) -> str:
    """2025-06-03 -> '03/06/2025'; a timestamp keeps its time: '03/06/2025 14:30:00'."""
    return brazilian_date(moment, seconds=True)


def competencia(month: Month) -> str:
    """Month(2025, 6) -> '06/2025' (the payroll's 'competência')."""
    return f"{month.month:02d}/{month.year:04d}"


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def _payee_words(siape: str, name: str | None, unit: str | None) -> str:
    words = f"servidor {siape}"
    if name:
        words += f" ({name})"
    if unit:
        words += f", unidade {unit}"
    return words


def payment_words(task: TaskVerdict) -> str:
    """What the task pays, and why not when it pays nothing."""
    if task.outcome != "approved":
        return f"{reais(task.payable_amount)} (tarefa {OUTCOME_WORDS.get(task.outcome, task.outcome)})"
    words = reais(task.payable_amount)
    if task.capped_amount:
        words += f" (devido {reais(task.due_amount)}; o teto por profissional reteve {reais(task.capped_amount)})"
    return words


# ---------------------------------------------------------------- text


def task_lines(task: TaskVerdict) -> list[str]:
    outcome = OUTCOME_WORDS.get(task.outcome, task.outcome)
    service = f"serviço {task.service_code}" + (f" ({task.service_name})" if task.service_name else "")
    lines = [
        f"Tarefa {task.task_id}: {outcome.upper()} ({task.outcome}): {OUTCOME_MEANING.get(task.outcome, '')}",
        f"  {_payee_words(task.payee_siape, task.payee_name, task.payee_unit_code)}; "
        f"competência {competencia(task.reference_month)}",
        f"  {service}; NB {task.nb or '(vazio)'}; concluída em {data_br(task.concluded_at)}",
        f"  pagamento: {payment_words(task)}",
    ]
    if task.findings:
        lines.append(f"  {_plural(len(task.findings), 'regra rejeita', 'regras rejeitam')} a tarefa:")
        for finding in task.findings:
            lines += [
                f"    {finding.rule_code}: {finding.title}",
                f"      fonte: {finding.legal_source}",
                f"      evidência: {finding.evidence}",
            ]
    if task.outcome == "held":
        lines.append(f"  retida porque: {task.held_reason or '(motivo não registrado)'}")
    return lines


def statement_lines(statement: PayeeStatement) -> list[str]:
    lines = [
        f"Extrato PGB de {competencia(statement.month)}: "
        f"{_payee_words(statement.payee_siape, statement.payee_name, statement.payee_unit_code)}",
        f"  {'tarefa':<12} {'concluída em':<19}  {'resultado':<9}  {'regras':<12} {'valor':>12}",
    ]
    for task in statement.tasks:
        lines.append(f"  {task.task_id:<12} {data_br(task.concluded_at):<19}  "
                     f"{OUTCOME_WORDS.get(task.outcome, task.outcome):<9}  {task.rejection_rules:<12} "
                     f"{reais(task.payable_amount):>12}")
    lines += [
        f"  total: {_plural(statement.approved_tasks, 'aprovada', 'aprovadas')}, "
        f"{_plural(statement.rejected_tasks, 'rejeitada', 'rejeitadas')}, "
        f"{_plural(statement.held_tasks, 'retida', 'retidas')}; devido {reais(statement.due_amount)}, "
        f"retido pelo teto {reais(statement.capped_amount)}, a pagar {reais(statement.amount)}",
    ]
    rejected = [task for task in statement.tasks if task.findings]
    if rejected:
        lines.append("  Rejeições (regra, evidência):")
        for task in rejected:
            for finding in task.findings:
                lines.append(f"    {task.task_id} {finding.rule_code}: {finding.evidence}")
    held = [task for task in statement.tasks if task.outcome == "held"]
    if held:
        lines.append("  Retidas (motivo):")
        lines += [f"    {task.task_id}: {task.held_reason or '(motivo não registrado)'}" for task in held]
    return lines


# ---------------------------------------------------------------- HTML

PAGE_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1b1b1b; max-width: 64rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
td.valor, th.valor { text-align: right; white-space: nowrap; }
tr.total td { font-weight: bold; border-top: 2px solid #1b1b1b; }
.rejeitada { color: #a4000f; } .retida { color: #8a5a00; }
footer { margin-top: 2rem; font-size: 0.8rem; color: #555; }
"""


def _cell(text: object, css_class: str = "") -> str:
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<td{attribute}>{html.escape(str(text))}</td>"


def statement_html(statement: PayeeStatement, generated_on: date) -> str:
    """A self-contained pt-BR page of the statement; every value from the warehouse is escaped."""
    escape = html.escape
    who = _payee_words(statement.payee_siape, statement.payee_name, statement.payee_unit_code)
    rows = []
    for task in statement.tasks:
        outcome = OUTCOME_WORDS.get(task.outcome, task.outcome)
        rows.append("<tr>" + _cell(task.task_id) + _cell(data_br(task.concluded_at))
                    + _cell(task.service_name or task.service_code or "") + _cell(outcome, outcome)
                    + _cell(task.rejection_rules) + _cell(reais(task.payable_amount), "valor") + "</tr>")
    rows.append('<tr class="total">' + _cell("Total") + _cell("") + _cell("")
                + _cell(f"{statement.approved_tasks} aprovadas, {statement.rejected_tasks} rejeitadas, "
                        f"{statement.held_tasks} retidas") + _cell("") + _cell(reais(statement.amount), "valor")
                + "</tr>")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="pt-BR">',
        '<head><meta charset="utf-8">',
        f"<title>Extrato PGB {escape(competencia(statement.month))}: servidor {escape(statement.payee_siape)}</title>",
        f"<style>{PAGE_STYLE}</style></head>",
        "<body>",
        f"<h1>Pagamento extraordinário PGB: extrato de {escape(competencia(statement.month))}</h1>",
        f"<p>{escape(who[0].upper() + who[1:])}.</p>",
        "<p>Cada tarefa concluída em fila extraordinária vale o valor por tarefa em vigor na conclusão, "
        "salvo quando uma regra do Anexo II da Portaria PRES/INSS nº 1.839/2025 a rejeita; uma tarefa "
        "<em>retida</em> aguarda dados para ser julgada.</p>",
        "<table><thead><tr><th>Tarefa</th><th>Concluída em</th><th>Serviço</th><th>Resultado</th>"
        '<th>Regras</th><th class="valor">Valor</th></tr></thead><tbody>',
        *rows,
        "</tbody></table>",
        f"<p>Valor devido {escape(reais(statement.due_amount))}; retido pelo teto por profissional "
        f"{escape(reais(statement.capped_amount))}; <strong>a pagar {escape(reais(statement.amount))}</strong>.</p>",
    ]
    rejected = [task for task in statement.tasks if task.findings]
    if rejected:
        parts += ["<h2>Tarefas rejeitadas: regra e evidência</h2>",
                  "<table><thead><tr><th>Tarefa</th><th>Regra</th><th>Fonte legal</th><th>Evidência</th></tr>"
                  "</thead><tbody>"]
        for task in rejected:
            for finding in task.findings:
                parts.append("<tr>" + _cell(task.task_id) + _cell(f"{finding.rule_code}: {finding.title}")
                             + _cell(finding.legal_source) + _cell(finding.evidence) + "</tr>")
        parts.append("</tbody></table>")
    held = [task for task in statement.tasks if task.outcome == "held"]
    if held:
        parts += ["<h2>Tarefas retidas: motivo</h2>",
                  "<table><thead><tr><th>Tarefa</th><th>Motivo</th></tr></thead><tbody>"]
        parts += ["<tr>" + _cell(task.task_id) + _cell(task.held_reason or "(motivo não registrado)") + "</tr>"
                  for task in held]
        parts.append("</tbody></table>")
    parts += [
        f"<footer>Gerado em {escape(data_br(generated_on))} a partir do armazém de dados publicado "
        "(fct_task_evaluations, fct_task_rule_violations, fct_payee_month_payments). Valores antes de "
        "ajustes de meses já fechados, que constam do pacote de fechamento.</footer>",
        "</body></html>",
        "",
    ]
    return "\n".join(parts)


def default_statement_path(reports_dir: Path, statement: PayeeStatement) -> Path:
    """Where `--html` without a path writes: $PGB_REPORTS_DIR/extratos/extrato-<siape>-<YYYY-MM>.html."""
    return reports_dir / "extratos" / f"extrato-{statement.payee_siape}-{statement.month}.html"


def write_statement_html(statement: PayeeStatement, path: Path, generated_on: date) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(statement_html(statement, generated_on), encoding="utf-8")
    return path
