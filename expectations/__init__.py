"""Great Expectations suites guarding the raw exports of contract section 1.

Plain GX and pandas: no Dagster here (orchestration/export_checks.py turns a
validation into a blocking Dagster check).

contract.py    what each export must look like (from seeds/_seeds.yml and the staging tests)
suites.py      one GX suite per export, built in code
validation.py  read a file as text, validate it, report failures with CSV line numbers
"""
