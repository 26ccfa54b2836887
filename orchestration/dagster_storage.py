"""Dagster's SQLite storage, with the event log kept open instead of reopened for every event.

Dagster's own SQLite event log opens a new engine and connection for each event
it stores, commits with a full fsync and closes the connection again, which
checkpoints and deletes the write-ahead log every time: about 11 ms per event.
A `pgb run` over every month stores about 3,800 events (74 assets x 18 months,
their checks, the planned materializations), so that alone was over 20 s of a
run whose dbt work takes 7 s.

Here each database file (one per run, plus the cross-run index) keeps one open
connection while the process lives, in WAL mode with `synchronous=NORMAL`: a
commit is written to the log without waiting for the disk, so the last events
before a power cut may be lost, never the database. That is the event log, the
record of what Dagster did; the record of what was paid is the close ledger,
which keeps its own fsyncs (payroll/ledger.py).

Dagster hands a storage the events of one batch together (the planned
materializations and checks of a run, the partitions of one asset's result)
only when DAGSTER_EVENT_BATCH_SIZE is set; Dagster's SQLite storage would then
still store them one by one, several transactions each. This one asks for
batches when it is created (unless the variable is already set) and stores a
batch in one transaction per file, the rows of each table together, leaving
the rows Dagster's one-by-one storage leaves. A `pgb run` over every month has
one batch of 1,682 planned events and 74 of 18 materializations.

The layout on disk is Dagster's default (history/, history/runs/, schedules/),
so runs recorded before this storage stay visible. dagster.yaml names this class
(orchestration/instance.py writes it).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import yaml
from dagster._config import StringSource
from dagster._core.events import ASSET_CHECK_EVENTS, ASSET_EVENTS, BATCH_WRITABLE_EVENTS
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.schema import SqlEventLogStorageTable
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.base_storage import DagsterStorage
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._serdes import ConfigurableClassData
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

SQLITE_BUSY_TIMEOUT_SECONDS = 30  # as Dagster's: a reader in another process (dagster dev) may hold the file
OPEN_DATABASES = 8  # one per recent run, plus the index: older ones are closed
EVENT_BATCH_SIZE_VARIABLE = "DAGSTER_EVENT_BATCH_SIZE"  # read by Dagster on every event
# Larger than any batch Dagster forms for this project (a run's planned events: assets and checks x months),
# so a batch is one write; a longer one is simply written in parts of this size.
EVENT_BATCH_SIZE = 10_000
# The events store_event_batch writes in bulk: those Dagster may batch (planned materializations and checks,
# materializations, observations, failures to materialize), each an asset or an asset-check event.
BULK_EVENT_TYPES = frozenset(BATCH_WRITABLE_EVENTS) & (ASSET_EVENTS | ASSET_CHECK_EVENTS)


def _relaxed_sync(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("pragma journal_mode=wal")
    cursor.execute("pragma synchronous=normal")
    cursor.close()


class KeptOpenSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage whose per-shard connection stays open (see the module's docstring)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        # While store_event_batch runs: the thread storing it, and its open transaction on each file.
        self._batch_thread: int | None = None
        self._batch_connections: dict[str, Connection] = {}
        # Dagster looks these up for every asset event (has_table with a new connection each time): a table or
        # column once found stays until wipe().
        self._tables_found: set[str] = set()
        self._has_asset_key_index_cols = False
        super().__init__(base_dir, inst_data)
        os.environ.setdefault(EVENT_BATCH_SIZE_VARIABLE, str(EVENT_BATCH_SIZE))

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> KeptOpenSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            engine = self._engines.pop(shard, None)
            if engine is None:
                # One connection per file, shared by the threads of this process: every use holds the
                # storage's _db_lock, so two threads never use it at once.
                engine = create_engine(
                    self.conn_string_for_shard(shard),
                    poolclass=StaticPool,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
                )
                event.listen(engine, "connect", _relaxed_sync)
            self._engines[shard] = engine
            while len(self._engines) > OPEN_DATABASES:
                _, oldest = self._engines.popitem(last=False)
                oldest.dispose()
            return engine

    def _initialized_engine(self, shard: str) -> Engine:
        engine = self._engine(shard)
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator:
        if self._batch_thread == threading.get_ident():  # inside store_event_batch, which holds _db_lock
            connection = self._batch_connections.get(shard)
            if connection is None:
                connection = self._initialized_engine(shard).connect()
                connection.begin()
                self._batch_connections[shard] = connection
            yield connection
            return
        with self._db_lock:
            with self._initialized_engine(shard).connect() as connection, connection.begin():
                yield connection

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """Store the events as store_event would one by one, in one transaction per file (the run's and the index).

        Either every event of the batch is stored or none: on an error both transactions roll back, and
        Dagster then stores the events one by one.
        """
        with self._db_lock:
            self._batch_thread = threading.get_ident()
            try:
                if all(entry.is_dagster_event and entry.dagster_event_type in BULK_EVENT_TYPES for entry in events):
                    self._store_asset_events_in_bulk(events)
                else:  # not a batch Dagster forms today: its own code, event by event
                    for entry in events:
                        self.store_event(entry)
                for connection in self._batch_connections.values():
                    connection.commit()
            finally:
                for connection in self._batch_connections.values():
                    connection.close()  # rolls back what was not committed
                self._batch_connections = {}
                self._batch_thread = None

    def _store_asset_events_in_bulk(self, events: Sequence[EventLogEntry]) -> None:
        """What SqliteEventLogStorage.store_event does for each asset or asset-check event, with the rows of each
        table written together: the run's event rows in one statement; in the index, each event row (its id is
        needed), the indexed tags in one statement, one update of the asset's entry per asset instead of one
        per event (each kind of event sets the same columns every time, so the last event of each kind, in the
        batch's order, leaves what all of them would), and the checks' rows as Dagster writes them."""
        rows = [self._event_to_row(entry) for entry in events]
        for run_id in dict.fromkeys(entry.run_id for entry in events):
            with self.run_connection(run_id) as connection:
                connection.execute(SqlEventLogStorageTable.insert(),
                                   [row for entry, row in zip(events, rows) if entry.run_id == run_id])
        with self.index_connection() as connection:
            insert = SqlEventLogStorageTable.insert()
            event_ids = [connection.execute(insert, row).inserted_primary_key[0] for row in rows]
            asset_events = [(entry, event_id) for entry, event_id in zip(events, event_ids)
                            if entry.dagster_event_type in ASSET_EVENTS]
            if asset_events:
                self._store_asset_event_tags(connection, *map(list, zip(*asset_events)))
            last_of_each_kind: dict[tuple[str, str], tuple[EventLogEntry, int]] = {}
            for entry, event_id in asset_events:
                kind = (entry.dagster_event.asset_key.to_string(), entry.dagster_event_type)
                last_of_each_kind.pop(kind, None)  # re-inserted: the dict keeps the batch's order of the last ones
                last_of_each_kind[kind] = (entry, event_id)
            for entry, event_id in last_of_each_kind.values():
                self._store_asset_event(connection, entry, event_id)
        for entry, event_id in zip(events, event_ids):
            if entry.dagster_event_type in ASSET_CHECK_EVENTS:
                self.store_asset_check_event(entry, event_id)

    def has_table(self, table_name: str) -> bool:
        if table_name not in self._tables_found and super().has_table(table_name):
            self._tables_found.add(table_name)
        return table_name in self._tables_found

    def _has_asset_key_index_cols_on_connection(self, conn: Connection) -> bool:
        if not self._has_asset_key_index_cols:
            self._has_asset_key_index_cols = super()._has_asset_key_index_cols_on_connection(conn)
        return self._has_asset_key_index_cols

    def close_databases(self) -> None:
        with self._engines_lock:
            while self._engines:
                _, engine = self._engines.popitem()
                engine.dispose()

    def wipe(self) -> None:
        # Dagster deletes the run files here: none may stay open (a write would go to a deleted file).
        self.close_databases()
        self._tables_found.clear()
        self._has_asset_key_index_cols = False
        super().wipe()

    def dispose(self) -> None:
        self.close_databases()
        super().dispose()


class PgbSqliteStorage(DagsterSqliteStorage):
    """Dagster's default SQLite storage under $DAGSTER_HOME, with KeptOpenSqliteEventLogStorage as event log."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        # DagsterSqliteStorage.__init__ with the one storage changed (calling it would open Dagster's own event
        # log first, index shard included, only to throw it away).
        self.base_dir = base_dir
        self._run_storage = SqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = KeptOpenSqliteEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = SqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        DagsterStorage.__init__(self)

    @classmethod
    def config_type(cls):
        return {"base_dir": StringSource}

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> PgbSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)

    @property
    def event_storage_data(self) -> ConfigurableClassData | None:
        return ConfigurableClassData(
            __name__,
            KeptOpenSqliteEventLogStorage.__name__,
            yaml.dump({"base_dir": _event_logs_directory(self.base_dir)}, default_flow_style=False),
        )
