"""How an export file is read for its checks: header, rows, line numbers, read errors.

DuckDB reads the file (one export at a time, never whole into pandas): a CSV
with every cell as text, exactly comma / double quote / UTF-8 as the contract
says (nothing is guessed: a `;` file shows up as one wrong column), a Parquet
file with its own types. Each row gets `__row`, its 0-based position in the
file, and `line_numbers` turns positions into the numbers people look up:
CSV line numbers (header = line 1; a quoted cell spanning lines and a blank
line count as the lines they are) or Parquet row numbers (first row = 1).

A file that cannot be read raises `UnreadableExport` with a sentence naming
the line (a Latin-1 byte, a row with too many fields, a quote never closed).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROW = "__row"  # the 0-based position of a row in its file, added to every relation
_CHUNK_BYTES = 1 << 24
# C0 control characters and DEL: no contract column holds them (see suites.CONTROL_CHARACTERS_REGEX).
_CONTROL_BYTE_LIMIT = 0x20
_LF, _CR, _DEL = 0x0A, 0x0D, 0x7F


class UnreadableExport(Exception):
    """The file cannot be read as the contract's CSV or as Parquet; the message says where."""


@dataclass(frozen=True)
class ByteScan:
    """What a pass over a CSV's raw bytes shows (the data rows are counted by DuckDB)."""

    line_feeds: int  # b"\n" in the file
    ends_with_line_feed: bool
    trailing_blank_lines: int  # empty lines after the last row (harmless, not rows)
    stray_control_bytes: bool  # a C0 byte other than CR/LF, or DEL, somewhere
    lone_carriage_returns: bool  # a CR that does not end a line


def scan_bytes(path: Path) -> ByteScan:
    """Count line feeds, look for control bytes and check UTF-8, 16 MiB at a time.

    DuckDB checks UTF-8 only in the columns a query reads, so the whole file
    is checked here (numpy for the counts; a chunk of pure ASCII, the usual
    case, needs no decoding). Raises UnreadableExport at the first byte that
    is not UTF-8.
    """
    line_feeds = low_bytes = carriage_returns = deletes = crlf_pairs = 0
    previous_last = -1
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    buffer = bytearray(_CHUNK_BYTES)
    tail = b""
    with path.open("rb", buffering=0) as handle:
        while size := handle.readinto(buffer):
            data = memoryview(buffer)[:size]
            chunk = np.frombuffer(buffer, dtype=np.uint8, count=size)
            line_feeds += int(np.count_nonzero(chunk == _LF))
            low_bytes += int(np.count_nonzero(chunk < _CONTROL_BYTE_LIMIT))
            deletes += int(np.count_nonzero(chunk == _DEL))
            returns = int(np.count_nonzero(chunk == _CR))
            if returns:
                carriage_returns += returns
                crlf_pairs += int(np.count_nonzero((chunk[:-1] == _CR) & (chunk[1:] == _LF)))
                crlf_pairs += int(previous_last == _CR and chunk[0] == _LF)
            previous_last = int(chunk[-1])
            pending = decoder.getstate()[0]
            if pending or int(chunk.max()) >= 0x80:  # plain ASCII is UTF-8 as it is
                try:
                    decoder.decode(data)
                except UnicodeDecodeError as error:
                    raise _not_utf8(path, error, offset - len(pending) + error.start) from None
            offset += size
            tail = (tail + bytes(data[max(0, size - 64) :]))[-64:]
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        raise _not_utf8(path, error, offset - len(error.object) + error.start) from None
    stripped = tail.rstrip(b"\r\n")
    trailing = tail[len(stripped) :].count(b"\n") - 1 if tail.endswith(b"\n") else 0
    return ByteScan(
        line_feeds=line_feeds,
        ends_with_line_feed=tail.endswith(b"\n"),
        trailing_blank_lines=max(trailing, 0) if stripped else 0,
        stray_control_bytes=low_bytes - line_feeds - carriage_returns + deletes > 0,
        lone_carriage_returns=carriage_returns != crlf_pairs,
    )


def sql_text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


@dataclass
class ExportFile:
    """One export file: its header and the SQL that reads its rows with `__row`."""

    path: Path
    header: list[str]  # column names as written in the file (duplicates made unique, as pandas does)
    source_types: dict[str, str]  # column -> DuckDB type as read (VARCHAR for every CSV column)
    relation_sql: str  # `select __row, <columns> from ...`
    is_parquet: bool
    row_count: int = 0
    _byte_scan: ByteScan | None = None

    @property
    def first_line(self) -> int:
        """Line (CSV) or row (Parquet) number of the first data row."""
        return 1 if self.is_parquet else 2

    def byte_scan(self) -> ByteScan | None:
        """The CSV's byte scan, done once; raises UnreadableExport when the file is not UTF-8."""
        if self.is_parquet:
            return None
        if self._byte_scan is None:
            self._byte_scan = scan_bytes(self.path)
        return self._byte_scan

    def one_line_per_row(self) -> bool:
        """True when row i is on line i + 2: no cell spans lines and no blank line sits between rows."""
        if self.is_parquet:
            return True
        scan = self.byte_scan()
        lines = scan.line_feeds + (0 if scan.ends_with_line_feed else 1) - scan.trailing_blank_lines
        return lines == self.row_count + 1

    def cells_free_of_control_characters(self) -> bool:
        """For a CSV: no byte of the file can be a control character inside a cell.

        Line feeds and carriage returns are allowed only as line ends: when
        every line is one row, none of them is inside a cell.
        """
        if self.is_parquet:
            return False
        scan = self.byte_scan()
        return not scan.stray_control_bytes and not scan.lone_carriage_returns and self.one_line_per_row()

    def line_numbers(self, rows: np.ndarray) -> np.ndarray:
        """The line (CSV) or row (Parquet) number of each 0-based row position."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.one_line_per_row():
            return rows + self.first_line
        return _csv_record_lines(self.path, rows, single_column=len(self.header) == 1)


# --- opening ---------------------------------------------------------------------


def _unique_names(names: list[str]) -> list[str]:
    """`a, a` -> `a, a.1`, like pandas, so the column check can name the duplicate."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        if name in seen:
            seen[name] += 1
            unique.append(f"{name}.{seen[name]}")
        else:
            seen[name] = 0
            unique.append(name)
    return unique


def _line_and_column_at(path: Path, byte_offset: int) -> tuple[int, int]:
    """1-based line and byte-in-line of a byte offset, counted in chunks."""
    line, line_start, position = 1, 0, 0
    with path.open("rb") as handle:
        while position < byte_offset:
            chunk = handle.read(min(_CHUNK_BYTES, byte_offset - position))
            if not chunk:
                break
            line += chunk.count(b"\n")
            last_feed = chunk.rfind(b"\n")
            if last_feed != -1:
                line_start = position + last_feed + 1
            position += len(chunk)
    return line, byte_offset - line_start + 1


def _not_utf8(path: Path, error: UnicodeDecodeError, byte_offset: int) -> UnreadableExport:
    """`byte_offset`: where the bad byte sits in the file."""
    line, column = _line_and_column_at(path, byte_offset)
    byte = error.object[error.start : error.start + 1].hex()
    return UnreadableExport(
        f"line {line} is not UTF-8 (byte 0x{byte} at byte {column} of the line): "
        "exports must be UTF-8 encoded; convert the file (e.g. from Latin-1) and deliver it again"
    )


_BOM = codecs.BOM_UTF8


def _read_header(path: Path) -> list[str]:
    if not path.exists():
        raise FileNotFoundError(path)
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    skipped = len(_BOM) if head.startswith(_BOM) else 0
    try:
        text = head[skipped:].decode("utf-8")
    except UnicodeDecodeError as error:
        first_feed = head.find(b"\n", skipped)
        if first_feed == -1 or skipped + error.start <= first_feed:
            raise _not_utf8(path, error, skipped + error.start) from None
        text = head[skipped : skipped + error.start].decode("utf-8")  # a later line: reported when read
    record = next(csv.reader(io.StringIO(text, newline="")), None)
    if not record or not any(name.strip() for name in record):
        raise UnreadableExport("file is empty (no header row)")
    return _unique_names(record)


def open_csv(path: Path) -> ExportFile:
    header = _read_header(path)
    positions = {name: f"c{index}" for index, name in enumerate(header)}
    columns_sql = "{" + ", ".join(f"{sql_text(p)}: 'VARCHAR'" for p in positions.values()) + "}"
    # Nothing is sniffed: comma, double quote, UTF-8, a header line, every cell text.
    reader = (
        f"read_csv({sql_text(str(path))}, header = true, auto_detect = false, columns = {columns_sql}, "
        "delim = ',', quote = '\"', escape = '\"', strict_mode = true, null_padding = false, "
        "encoding = 'utf-8')"
    )
    select = ", ".join(f'"{p}" as "{name}"' for name, p in positions.items())
    # With insertion order preserved (the default, set again by the caller),
    # row_number() over () numbers rows in file order.
    relation_sql = f"select row_number() over () - 1 as {ROW}, {select} from {reader}"
    return ExportFile(
        path=path, header=header, source_types=dict.fromkeys(header, "VARCHAR"), relation_sql=relation_sql,
        is_parquet=False,
    )


def open_parquet(connection, path: Path) -> ExportFile:
    if not path.exists():
        raise FileNotFoundError(path)
    try:
        described = connection.execute(f"describe select * from read_parquet({sql_text(str(path))})").fetchall()
    except Exception as error:  # noqa: BLE001 - duckdb raises several kinds for a broken file
        raise UnreadableExport(f"not a readable Parquet file: {_first_line(error)}") from None
    header = [row[0] for row in described]
    select = ", ".join(f'"{name}"' for name in header)
    relation_sql = (
        f"select file_row_number as {ROW}, {select} "
        f"from read_parquet({sql_text(str(path))}, file_row_number = true)"
    )
    return ExportFile(
        path=path, header=header, source_types={row[0]: str(row[1]).upper() for row in described},
        relation_sql=relation_sql, is_parquet=True,
    )


def open_export(connection, path: Path) -> ExportFile:
    """Read the header (CSV) or schema (Parquet); raise FileNotFoundError or UnreadableExport."""
    return open_parquet(connection, path) if path.suffix == ".parquet" else open_csv(path)


# --- read errors with exact lines ----------------------------------------------------


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _first_malformed_record(path: Path, field_count: int) -> str | None:
    """The first row whose fields do not match the header, by its first line."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        line_after_previous = 0
        try:
            for record in reader:
                start = line_after_previous + 1
                line_after_previous = reader.line_num
                if record and len(record) != field_count and start > 1:
                    return f"line {start} has {len(record)} field(s), the header has {field_count}"
        except csv.Error as error:
            return f"line {line_after_previous + 1} cannot be parsed as CSV ({error}): is a quote never closed?"
    return None


def explain_read_error(export_file: ExportFile, error: Exception) -> UnreadableExport:
    """Turn DuckDB's error about a CSV into a sentence with the file's own line number."""
    if export_file.is_parquet:
        return UnreadableExport(f"Parquet file cannot be read: {_first_line(error)}")
    text = str(error)  # UTF-8 was checked by the byte scan before DuckDB read the file
    malformed = _first_malformed_record(export_file.path, len(export_file.header))
    if malformed:
        return UnreadableExport(malformed)
    duckdb_line = re.search(r"Line: (\d+)", text)
    where = f" (near row {int(duckdb_line.group(1)) - 1})" if duckdb_line else ""
    return UnreadableExport(f"file cannot be read as CSV{where}: {_first_line(error)}")


def _csv_record_lines(path: Path, rows: np.ndarray, single_column: bool) -> np.ndarray:
    """First line of each wanted row, walking the file with Python's csv reader.

    Only used when some cell spans lines or a blank line sits between rows
    (then row i is not on line i + 2). DuckDB skips blank lines in files of
    several columns and reads them as an empty row in a one-column file: the
    walk does the same.
    """
    wanted = np.unique(rows)
    found: dict[int, int] = {}
    if not len(wanted):
        return rows.copy()
    last_wanted = int(wanted[-1])
    wanted_set = set(wanted.tolist())
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)  # the header
        line_after_previous = reader.line_num
        row = 0
        for record in reader:
            start = line_after_previous + 1
            line_after_previous = reader.line_num
            if not record and not single_column:
                continue
            if row in wanted_set:
                found[row] = start
            if row >= last_wanted:
                break
            row += 1
    return np.array([found.get(int(row), -1) for row in rows], dtype=np.int64)
