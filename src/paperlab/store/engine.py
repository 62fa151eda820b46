"""The SQLite engine: WAL, foreign keys, busy timeout, explicit transactions.

pysqlite's own transaction handling is switched off so we can say BEGIN
ourselves: reads use a deferred BEGIN, writes ``BEGIN IMMEDIATE``. An
immediate transaction takes the write lock up front, so two writers queue on
the busy timeout instead of one of them failing with "database is locked"
when it tries to upgrade a read lock (which no timeout can resolve).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DatabaseError, OperationalError

from paperlab.errors import StoreError
from paperlab.store.migrations import latest_version, migrate

if TYPE_CHECKING:
    from sqlmodel import Session

BUSY_TIMEOUT_MS = 30_000
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
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


class Store:
    """One library database. Cheap to create; migrates on open."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine = _make_engine(path)
        self._writer = self.engine.execution_options(**{_IMMEDIATE: True})
        self._open()

    def _open(self) -> None:
        try:
            with self._writer.begin() as conn:
                version = migrate(conn)
        except DatabaseError as exc:
            raise _store_error(self.path, exc) from None
        self.applied_migrations = version

    def session(self) -> Session:
        """A session for reading (deferred transaction). Close it promptly."""
        # SQLModel (and pydantic) load on first use: `paperlab search` works on
        # plain connections and starts ~0.2 s faster without them.
        from sqlmodel import Session

        return Session(self.engine, expire_on_commit=False)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A plain SQLAlchemy connection for reading (deferred transaction, rolled back)."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise _store_error(self.path, exc) from None

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on error."""
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
        with self.engine.connect() as conn:
            row = conn.exec_driver_sql("SELECT MAX(version) FROM schema_migration").first()
            return int(row[0] or 0) if row else 0

    def close(self) -> None:
        self.engine.dispose()


def _store_error(path: Path, exc: DatabaseError) -> StoreError:
    detail = str(exc.orig) if getattr(exc, "orig", None) else str(exc)
    if "locked" in detail or "busy" in detail:
        return StoreError(
            f"The library at {path} stayed locked by another paperlab process.",
            hint="Wait for the other command to finish, then try again.",
        )
    if "not a database" in detail or "malformed" in detail:
        return StoreError(
            f"The library file {path} is damaged ({detail}).",
            hint="Restore it from a backup, or move it away to start a new library.",
        )
    if "readonly" in detail or "unable to open" in detail or "disk" in detail:
        return StoreError(
            f"Cannot write the library at {path} ({detail}).",
            hint="Check free disk space and permissions, or set PAPERLAB_HOME elsewhere.",
        )
    return StoreError(f"The library at {path} failed: {detail}.")


__all__ = ["Store", "latest_version"]
