"""The payroll library: the frozen monthly package, the durable ledger, adjustments.

It reads what the warehouse decided and priced (fct_task_evaluations,
fct_task_rule_violations, fct_task_payments, fct_payee_month_payments) and
never decides an outcome or computes an amount, a cap or a parameter in
force itself. From those it writes $PGB_REPORTS_DIR/close-YYYY-MM/
(payments, rejections, held tasks, adjustments, XLSX, HTML summary,
manifest) and the month's ledger file in $PGB_REPORTS_DIR/ledger/.

It imports neither Dagster nor orchestration/: the Dagster asset
`close_package` (orchestration/close_package.py) calls `close.close_month`.
"""
