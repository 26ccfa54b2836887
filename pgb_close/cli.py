"""`pgb close --month YYYY-MM`: the monthly payment close (see README, "Monthly payment close").

Exit status: 0 closed; 1 the pipeline or the close failed (nothing written);
2 refused (already closed, out of order, bad month), nothing changed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orchestration import settings
from pgb_close.errors import CloseFailed, CloseRefused
from pgb_close.money import brl
from pgb_close.months import Month


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pgb", description="PGB extraordinary-payment close.")
    commands = parser.add_subparsers(dest="command", required=True)
    close = commands.add_parser(
        "close",
        help="run the pipeline for a month and write its frozen close package",
        description="Run the pipeline through Dagster for the month, then write "
        "$PGB_REPORTS_DIR/close-YYYY-MM/ and record the close in $PGB_REPORTS_DIR/ledger/.",
    )
    close.add_argument("--month", required=True, help="reference month, YYYY-MM")
    close.add_argument("--reopen", action="store_true",
                       help="replace the newest close (its package is kept under reopened/); needs --reason")
    close.add_argument("--reason", help="why a closed month is reopened (recorded in manifest.json)")
    close.add_argument("--picture", type=Path, help="also write a PNG overview of the summary to this path")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_args(argv)
    from pgb_close.close import close_month
    from pgb_close.pipeline import build_warehouse, check_month_can_run

    try:
        month = Month.parse(arguments.month)
        check_month_can_run(month)
        result = close_month(
            month,
            reports_dir=settings.reports_dir(),
            project_dir=settings.PROJECT_DIR,
            build_warehouse=build_warehouse,
            reopen=arguments.reopen,
            reason=arguments.reason,
            picture=arguments.picture,
        )
    except (CloseRefused, ValueError) as refusal:
        print(f"pgb close: refused: {refusal}", file=sys.stderr)
        return 2
    except CloseFailed as failure:
        print(f"pgb close: failed, nothing was written:\n{failure}", file=sys.stderr)
        return 1
    totals = result.package.totals
    print(f"Closed {month}: {result.folder}")
    if result.kept_package:
        print(f"  previous package kept at {result.kept_package}")
    print(f"  tasks approved {totals['approved_tasks']}, rejected {totals['rejected_tasks']}, held {totals['held_tasks']}")
    print(f"  amount {brl(totals['amount'])} (capped {brl(totals['capped_amount'])}), "
          f"adjustments {totals['adjustments_count']} = {brl(totals['adjustments_amount'])}, "
          f"net to pay {brl(totals['net_amount'])}")
    print(f"  ledger: {result.ledger_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
