"""Dagster orchestration: raw exports -> GX checks -> dbt -> previews and the close package.

The only package that imports Dagster. It calls expectations/ (the GX suites
over the exports) and payroll/ (the close package, ledger, adjustments); the
`pgb` command (cli.py) launches its jobs. See definitions.py for the graph.
"""
