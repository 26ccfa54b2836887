"""What orchestration/, expectations/ and payroll/ share, and nothing else.

settings.py      paths and knobs from the environment (PGB_DUCKDB_PATH, PGB_EXPORTS_DIR...), the program start
exports.py       the raw exports of contract section 1 and the reference seeds, and where each file is read
fingerprints.py  SHA-256 and size of a file
accepted_delivery.py  the record of the last accepted delivery, beside the warehouse (the delivery guard)

It imports none of those three packages (nor Dagster): they all import it.
"""
