"""`pgb`: the project's command, a thin launcher of Dagster materializations.

    pgb run [--month YYYY-MM]                         # make run: build the warehouse, print the previews
    pgb close --month YYYY-MM [--reopen --reason ...]  # make close: materialize close_package for the month
    pgb explain TASK_ID                               # one task's verdict, rules and evidence (no Dagster)
    pgb explain --payee SIAPE --month YYYY-MM [--html [PATH]]  # a professional's month
    pgb run|close ... --accept-shrunk EXPORT --reason ...  # accept a delivery smaller than the last accepted one

`pgb run` runs the job `build_warehouse` (every asset but close_package) for
every month since the program start, or one; it never closes a month.
`pgb close` runs the job `close_month`: the exports' checks, dbt, then the
asset close_package for that month's partition (see README, "Monthly payment
close"). Both run on the instance in $DAGSTER_HOME, so `dagster dev` lists them.

A close that must not happen (bad month, month already closed, out of
order, reopen without a reason) is refused here at once, before Dagster
starts. Exit status: 0 done; 1 the run failed; 2 refused, nothing changed.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from payroll.close import (
    LEDGER_FOLDER,
    check_can_close,
    check_can_reopen,
    check_earlier_months_closed,
    recover,
    reports_dir_problem,
)
from payroll.errors import CloseRefused
from payroll.ledger import Ledger
from payroll.money import brl
from payroll.months import Month
from pgb_shared import settings

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2
CLOSE_USAGE = "usage: pgb close --month YYYY-MM [--reopen --reason REASON] [--picture PNG] (e.g. --month 2025-06)"
EXPLAIN_USAGE = "usage: pgb explain TASK_ID | pgb explain --payee SIAPE --month YYYY-MM [--html [PATH]]"
HTML_DEFAULT = "default"  # `--html` without a path: a named file under $PGB_REPORTS_DIR/extratos/


def month_text(text: str) -> str:
    """argparse type of every --month: 'YYYY-MM' with the month 01 to 12, returned as written."""
    try:
        return str(Month.parse(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a month: write YYYY-MM with the month 01 to 12 (e.g. 2025-06)") from None


def siape_text(text: str) -> str:
    """argparse type of --payee: a SIAPE is 7 digits, leading zeros kept (contract 1)."""
    if not (len(text.strip()) == 7 and text.strip().isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a SIAPE: 7 digits, leading zeros included (e.g. 0913452)")
    return text.strip()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pgb", description="PGB extraordinary-payment pipeline (runs through Dagster).")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run",
        help="check the exports, build the warehouse and print every month's payments (closes nothing)",
        description="Materialize every asset but close_package (job build_warehouse) for every month since the "
        "program start, or one month, then print the payments per month and the supervision cycles.",
    )
    run.add_argument("--month", type=month_text, help="only this reference month's partition (YYYY-MM): its tasks are judged again, "
                     "the other months' verdicts are kept (e.g. after a late export for a closed month)")
    add_accept_shrunk(run)
    run.add_argument("--reason", help="why a shrunk export is accepted (recorded with the accepted delivery)")
    close = commands.add_parser(
        "close",
        usage=CLOSE_USAGE.removeprefix("usage: "),
        help="materialize close_package for a month: its frozen package and ledger file",
        description="Run the job close_month for the month's partition: the exports' checks, dbt, then "
        "$PGB_REPORTS_DIR/close-YYYY-MM/ and the month's file in $PGB_REPORTS_DIR/ledger/.",
    )
    # Not required= in argparse: a missing --month (or `--month` with no value, as `make close` without
    # MONTH once passed) gets the usage line, not argparse's "expected one argument".
    close.add_argument("--month", type=month_text, nargs="?", help="reference month, YYYY-MM (required)")
    close.add_argument("--reopen", action="store_true",
                       help="replace the newest close (its package is kept under reopened/); needs --reason")
    close.add_argument("--reason", help="why a closed month is reopened (recorded in manifest.json)")
    close.add_argument("--picture", type=Path, help="also write a PNG overview of the summary to this path")
    close.add_argument("--prepared-by", help="who prepares the close, named in summary.html's signature block "
                       "(default: the OS user)")
    add_accept_shrunk(close)
    add_explain_parser(commands)
    return parser.parse_args(argv)


def add_explain_parser(commands) -> None:
    explain = commands.add_parser(
        "explain",
        usage=EXPLAIN_USAGE.removeprefix("usage: "),
        help="one task's verdict with its rules and evidence, or a professional's month (reads the warehouse)",
        description="Read the published warehouse ($PGB_DUCKDB_PATH) read-only, without Dagster: a task's outcome, "
        "payment, the rules that fired (code, title, legal source, evidence) or why it is held; or, with --payee "
        "and --month, every task of that professional in the month with its verdict and the totals.",
    )
    explain.add_argument("task_id", nargs="?", help="the GET task id of an evaluated task")
    explain.add_argument("--payee", type=siape_text, help="the professional's SIAPE (7 digits), with --month")
    explain.add_argument("--month", type=month_text, help="reference month YYYY-MM, with --payee")
    explain.add_argument("--html", nargs="?", const=HTML_DEFAULT, metavar="PATH",
                         help="also write the statement as a pt-BR page to PATH (without PATH: "
                         "$PGB_REPORTS_DIR/extratos/extrato-SIAPE-YYYY-MM.html); with --payee")


def add_accept_shrunk(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--accept-shrunk", action="append", default=[], metavar="EXPORT",
        help="accept this export although it shrank beyond delivery_max_drop_share against the last accepted "
        "delivery (repeatable; needs --reason; recorded in the close manifest)",
    )


def check_accept_shrunk(arguments: argparse.Namespace) -> None:
    """CloseRefused when --accept-shrunk names no raw export or comes without a reason."""
    from pgb_shared.exports import RAW_EXPORTS

    unknown = [name for name in arguments.accept_shrunk if name not in RAW_EXPORTS]
    if unknown:
        raise CloseRefused(f"--accept-shrunk {', '.join(unknown)}: not a raw export (one of {', '.join(RAW_EXPORTS)}).")
    if arguments.accept_shrunk and not (arguments.reason or "").strip():
        raise CloseRefused("--accept-shrunk accepts a smaller delivery: say why with --reason '...' (it is recorded).")


def delivery_config(arguments: argparse.Namespace) -> dict[str, dict]:
    """The raw_exports step's config: the shrinks a person accepts, why, and who."""
    if not arguments.accept_shrunk:
        return {}
    import getpass
    import socket

    return {"raw_exports": {"accept_shrunk": list(dict.fromkeys(arguments.accept_shrunk)),
                            "reason": (arguments.reason or "").strip(),
                            "accepted_by": f"{getpass.getuser()}@{socket.gethostname()}"}}


def brasilia_today() -> date:
    return datetime.now(ZoneInfo(settings.TIMEZONE)).date()


def partition_months(program_start: date, today: date) -> tuple[Month, Month]:
    """(first, last) month with a partition: from the program start's month to the last complete month."""
    return Month.of(program_start), Month.of(today).previous()


def month_with_partition(text: str, program_start: date, today: date) -> Month:
    """The month of `text` (YYYY-MM); CloseRefused when it has no partition (not over yet, or before the program)."""
    try:
        month = Month.parse(text)
    except ValueError as error:
        raise CloseRefused(str(error)) from None
    first, last = partition_months(program_start, today)
    if not first <= month <= last:
        raise CloseRefused(f"{month} has no partition: months run from {first} to {last} "
                           "(a month can be closed once it has ended, and not before the program start).")
    return month


def refuse_close_early(arguments: argparse.Namespace, reports_dir: Path, program_start: date, today: date) -> Month:
    """Every refusal a close can get without building anything; returns the month when none applies."""
    month = month_with_partition(arguments.month, program_start, today)
    check_can_reopen(arguments.reopen, arguments.reason)
    check_accept_shrunk(arguments)
    ledger = Ledger(reports_dir / LEDGER_FOLDER)
    check_can_close(month, ledger, reports_dir, arguments.reopen)
    if not arguments.reopen:  # from the published warehouse, if any; the close checks again after its build
        check_earlier_months_closed(month, ledger, settings.warehouse_path(), settings.PROJECT_DIR)
    return month


def close_config(arguments: argparse.Namespace) -> dict[str, dict]:
    """The close_package asset's config for this command line."""
    return {"close_package": {
        "reopen": bool(arguments.reopen),
        "reason": (arguments.reason or "").strip(),
        "picture": str(arguments.picture.resolve()) if arguments.picture else "",
        "prepared_by": (getattr(arguments, "prepared_by", None) or "").strip(),
    }}


def close_lines(month: Month, metadata: dict) -> list[str]:
    totals = metadata["totals"].value
    money = {name: Decimal(str(totals[name])) for name in
             ("amount", "capped_amount", "adjustments_amount", "net_amount")}
    lines = [f"Closed {month}: {metadata['package'].value}"]
    if "previous_package" in metadata:
        lines.append(f"  previous package kept at {metadata['previous_package'].value}")
    lines += [
        f"  tasks approved {totals['approved_tasks']}, rejected {totals['rejected_tasks']}, held {totals['held_tasks']}",
        f"  amount {brl(money['amount'])} (capped {brl(money['capped_amount'])}), "
        f"adjustments {totals['adjustments_count']} = {brl(money['adjustments_amount'])}, "
        f"net to pay {brl(money['net_amount'])}",
        f"  manifest sha256 {metadata['manifest_sha256'].value}",
        f"  ledger: {metadata['ledger_file'].value}",
    ]
    return lines


def reports_dir_unusable(command: str) -> bool:
    """Say so (exit 1) before any work when PGB_REPORTS_DIR cannot be written."""
    problem = reports_dir_problem(settings.reports_dir())
    if problem:
        print(f"pgb {command}: {problem}", file=sys.stderr)
    return problem is not None


@contextmanager
def input_checks_started() -> Iterator[None]:
    """The exports' checks (GX, Python) start in a process of their own while this one imports Dagster and dbt
    and loads the definitions (Python too: the two would otherwise take turns on one lock). The run's check
    step takes their result when no export changed meanwhile (expectations.early.validate_exports_early);
    a result nobody took is dropped when the command ends."""
    from expectations.early import drop_early_validation, validate_exports_early

    validate_exports_early(settings.exports_dir(), settings.PROJECT_DIR)
    try:
        yield
    finally:
        drop_early_validation()


def dbt_imported_ahead() -> contextlib.AbstractContextManager[Path]:
    """dbt's import (about 1.4 s) done while the inputs are checked, at a low priority; its steps run in children of
    that process (orchestration.warm_dbt), each exactly the dbt command the step gives."""
    from orchestration.warm_dbt import installed_dbt, warm_dbt_started

    return warm_dbt_started(installed_dbt())


def warehouse_copied_ahead() -> contextlib.AbstractContextManager[None]:
    """A one-month run builds into a copy of the published warehouse: copied while the inputs are checked."""
    from orchestration.warehouse import published_file_copied_ahead

    return published_file_copied_ahead(settings.warehouse_path())


def close(arguments: argparse.Namespace) -> int:
    if not arguments.month:
        print(f"pgb close: --month is missing\n{CLOSE_USAGE}", file=sys.stderr)
        return EXIT_REFUSED
    if reports_dir_unusable("close"):
        return EXIT_FAILED
    recovery = recover(settings.reports_dir())  # a close a crash interrupted: finished or discarded
    for line in recovery.messages:
        print(f"pgb close: {line}")
    if any(str(month) == arguments.month.strip() for month in recovery.finished):  # not twice (nor reopened twice)
        print(f"Closed {arguments.month.strip()}: the close interrupted after its commit is now complete.")
        return EXIT_OK
    try:
        month = refuse_close_early(arguments, settings.reports_dir(), settings.program_start(), brasilia_today())
    except CloseRefused as refusal:
        print(f"pgb close: refused: {refusal}", file=sys.stderr)
        return EXIT_REFUSED
    with input_checks_started(), warehouse_copied_ahead(), dbt_imported_ahead():
        from orchestration.jobs import CLOSE_MONTH
        from orchestration.launch import CLOSE_MONTH_TAG, failure_report, materialize_with_progress
        from payroll.writers.charts import import_pyplot

        # While dbt builds (a child process), this one waits: it imports the charts' library then, not in
        # the package step (whose workbook and charts are the longer of its two threads).
        run, log_path = materialize_with_progress("close", CLOSE_MONTH, month.partition_key, month.partition_key,
                                                  {**close_config(arguments), **delivery_config(arguments)},
                                                  tags={CLOSE_MONTH_TAG: str(month)},
                                                  on_step_start={"pgb_dbt": import_pyplot})
    if run.refusals:  # another close got there first
        print("pgb close: " + "\n".join(run.refusals), file=sys.stderr)
        return EXIT_REFUSED
    if not run.success:
        print(f"pgb close: failed, nothing was closed:\n{failure_report(run)}\nFull log: {log_path}",
              file=sys.stderr)
        return EXIT_FAILED
    print("\n".join(close_lines(month, run.metadata_of("close_package"))))
    return EXIT_OK


def run(arguments: argparse.Namespace) -> int:
    if reports_dir_unusable("run"):
        return EXIT_FAILED
    program_start, today = settings.program_start(), brasilia_today()
    try:
        check_accept_shrunk(arguments)
        if arguments.month:
            first = last = month_with_partition(arguments.month, program_start, today)
        else:
            first, last = partition_months(program_start, today)
    except CloseRefused as refusal:
        print(f"pgb run: refused: {refusal}", file=sys.stderr)
        return EXIT_REFUSED
    with (input_checks_started(), warehouse_copied_ahead() if arguments.month else contextlib.nullcontext(),
          dbt_imported_ahead()):
        from orchestration.jobs import BUILD_WAREHOUSE
        from orchestration.launch import failure_report, materialize_with_progress
        from orchestration.summary import warehouse_summary

        outcome, log_path = materialize_with_progress("run", BUILD_WAREHOUSE, first.partition_key,
                                                      last.partition_key, delivery_config(arguments))
    if not outcome.success:
        print(f"{failure_report(outcome)}\nFull log: {log_path}", file=sys.stderr)
        return EXIT_FAILED
    print(warehouse_summary(settings.warehouse_path()))
    return EXIT_OK


def explain(arguments: argparse.Namespace) -> int:
    """`pgb explain`: no Dagster, one short read-only session on the published warehouse."""
    from payroll.explain import (ExplainError, default_statement_path, read_statement, read_task,
                                 statement_lines, task_lines, write_statement_html)

    by_task = arguments.task_id is not None
    by_payee = arguments.payee is not None or arguments.month is not None
    if by_task == by_payee or (by_payee and not (arguments.payee and arguments.month)) or (
            by_task and arguments.html):
        print(f"pgb explain: give a task id, or --payee and --month (--html goes with them)\n{EXPLAIN_USAGE}",
              file=sys.stderr)
        return EXIT_REFUSED
    warehouse = settings.warehouse_path()
    try:
        if by_task:
            print("\n".join(task_lines(read_task(warehouse, arguments.task_id))))
            return EXIT_OK
        statement = read_statement(warehouse, arguments.payee, Month.parse(arguments.month))
    except ExplainError as error:
        print(f"pgb explain: {error}", file=sys.stderr)
        return EXIT_FAILED
    print("\n".join(statement_lines(statement)))
    if arguments.html:
        path = (default_statement_path(settings.reports_dir(), statement) if arguments.html == HTML_DEFAULT
                else Path(arguments.html))
        written = write_statement_html(statement, path, brasilia_today())
        print(f"HTML: {written}")
    return EXIT_OK


COMMANDS = {"run": run, "close": close, "explain": explain}


def main(argv: list[str] | None = None) -> int:
    arguments = parse_args(argv)
    return COMMANDS[arguments.command](arguments)


def exit_now(code: int) -> None:
    """End the process without the interpreter's teardown of Dagster's and dbt's objects (about a second after
    a national close). By then everything is written and closed: the warehouse, the package and the ledger
    (each synced), Dagster's storage (its instance is closed when the run ends)."""
    from orchestration.warehouse import finish_removals

    finish_removals()  # a replaced warehouse's blocks, freed in a thread while the package was written
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
