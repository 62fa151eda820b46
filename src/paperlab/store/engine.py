"""The SQLite engine: WAL, foreign keys, busy timeout, explicit transactions.

pysqlite's own transaction handling is switched off so we can say BEGIN
ourselves: reads use a deferred BEGIN, writes ``BEGIN IMMEDIATE``. An
immediate transaction takes the write lock up front, so two writers queue on
the busy timeout instead of one of them failing with "database is locked"
when it tries to upgrade a read lock (which no timeout can resolve).

Reads do not come through here at all: ``Store.connect()`` opens a plain
sqlite3 connection (``reader.py``), and the engine is built on the first
write or session, so read-only commands never import SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paperlab.store.migrations import latest_version
from paperlab.store.reader import BUSY_TIMEOUT_MS, ReadConnection, read_connection
from paperlab.store.reader import schema_version as file_schema_version
from paperlab.store.reader import store_error as _store_error

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

_IMMEDIATE = "paperlab_immediate"


def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    # NORMAL is durable across application crashes in WAL mode; only a power
    # loss can drop the last transactions, never corrupt the file.
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _on_begin(conn: Any) -> None:
    immediate = conn.get_execution_options().get(_IMMEDIATE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _make_engine(path: Path) -> Engine:
    from sqlalchemy import create_engine, event

    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


class Store:
    """One library database. Cheap to create; migrates on open.

    Reads (``connect``) use the stdlib sqlite3 module; the SQLAlchemy engine
    behind sessions and writes is built on first use, so a command that only
    reads an up-to-date library never imports SQLAlchemy.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.applied_migrations: list[int] = []
        if not path.exists() or file_schema_version(path) < latest_version():
            self._migrate()

    @cached_property
    def engine(self) -> Engine:
        return _make_engine(self.path)

    @cached_property
    def _writer(self) -> Engine:
        return self.engine.execution_options(**{_IMMEDIATE: True})

    def _migrate(self) -> None:
        from sqlalchemy.exc import DatabaseError

        from paperlab.store.migrations import migrate

        try:
            with self._writer.begin() as conn:
                # Under BEGIN IMMEDIATE: a second process waits here, then
                # finds nothing left to apply.
                self.applied_migrations = migrate(conn)
        except DatabaseError as exc:
            raise _store_error(self.path, exc) from None

    def session(self) -> Session:
        """A session for reading (deferred transaction). Close it promptly."""
        # SQLModel (and pydantic) load on first use: read commands work on
        # plain sqlite3 connections and start without them.
        from sqlmodel import Session

        return Session(self.engine, expire_on_commit=False)

    @contextmanager
    def connect(self) -> Iterator[ReadConnection]:
        """A plain sqlite3 connection for reading (deferred transaction, rolled back)."""
        with read_connection(self.path) as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on error."""
        from sqlalchemy.exc import OperationalError
        from sqlmodel import Session

        session = Session(self._writer, expire_on_commit=False)
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise _store_error(self.path, exc) from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        session = self.session()
        try:
            yield session
        finally:
            session.close()

    def schema_version(self) -> int:
        return file_schema_version(self.path)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


__all__ = ["Store", "latest_version"]
