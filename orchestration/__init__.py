"""Dagster orchestration of the PGB close: raw exports -> GX checks -> dbt -> reports."""
