"""The monthly PGB payment close: frozen packages, a durable ledger, adjustments.

    pgb close --month 2025-06

runs the pipeline through Dagster, then writes reports/close-2025-06/
(payments, rejections, held tasks, adjustments, XLSX, HTML summary, manifest)
and appends that close's decisions to the ledger in reports/ledger/.
"""
