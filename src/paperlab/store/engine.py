"""The SQLite engine: WAL, foreign keys, busy timeout, explicit transactions.

pysqlite's own transaction handling is switched off so we can say BEGIN
ourselves: reads use a deferred BEGIN, writes ``BEGIN IMMEDIATE``. An
immediate transaction takes the write lock up front, so two writers queue on
the busy timeout instead of one of them failing with "database is locked"
when it tries to upgrade a read lock (which no timeout can resolve).

Reads do not come through here at all: ``Store.connect()`` opens a plain
sqlite3 connection (``reader.py``), and the engine is built on the first
write or session, so read-only commands never import SQLAlchemy.

A library this process cannot write (a mounted snapshot, a read-only data
dir) is opened read-only: no migration, no WAL pragma, ``query_only`` on, and
``Store.write()`` refuses with one sentence before touching anything. Before
migrating an existing library, the engine backs it up (``backup.py``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paperlab.errors import StoreError
from paperlab.store.backup import (
    backup_database,
    backup_dir,
    is_writable,
    prune_automatic,
    readonly_uri,
    stamped_path,
)
from paperlab.store.migrations import latest_version
from paperlab.store.reader import (
    BUSY_TIMEOUT_MS,
    ReadConnection,
    damaged_row_error,
    is_damage,
    looks_damaged,
    read_connection,
)
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


def _on_connect_readonly(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # No journal_mode pragma: setting it would write the file's header.
    cursor.execute("PRAGMA query_only = ON")
    cursor.close()


def _on_begin(conn: Any) -> None:
    immediate = conn.get_execution_options().get(_IMMEDIATE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _make_engine(path: Path, *, readonly: bool = False) -> Engine:
    from sqlalchemy import create_engine, event

    args: dict[str, Any] = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    if readonly:
        uri = readonly_uri(path)
        engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, **args))
    else:
        engine = create_engine(f"sqlite:///{path}", connect_args=args)
    event.listen(engine, "connect", _on_connect_readonly if readonly else _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


class Store:
    """One library database. Cheap to create; migrates on open.

    Reads (``connect``) use the stdlib sqlite3 module; the SQLAlchemy engine
    behind sessions and writes is built on first use, so a command that only
    reads an up-to-date library never imports SQLAlchemy. A lab library on
    PostgreSQL is the subclass ``PgStore`` (``pgengine.py``); code that must
    speak a dialect of its own asks ``store.dialect``.
    """

    dialect = "sqlite"

    def __init__(self, path: Path, *, readonly: bool | None = None) -> None:
        self.path = path
        self.applied_migrations: list[int] = []
        self.backup_path: Path | None = None  # the copy made before migrating, if any
        self.readonly = path.exists() and not is_writable(path) if readonly is None else readonly
        if self.readonly:
            self._check_readonly_schema()
        elif not path.exists() or file_schema_version(path) < latest_version():
            self._migrate()

    @property
    def home(self) -> Path:
        """The folder stored PDF paths are relative to: the library file's."""
        return self.path.parent

    @cached_property
    def engine(self) -> Engine:
        return _make_engine(self.path, readonly=self.readonly)

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
                self.applied_migrations = migrate(conn, before=self._backup_before_migrating)
        except DatabaseError as exc:
            raise _store_error(self.path, exc) from None
        if self.backup_path is not None:
            prune_automatic(self.backup_path.parent)

    def _backup_before_migrating(self, version: int) -> None:
        """Copy the library, as last committed at schema ``version``, before migrating it.

        This process holds the write lock, so nothing changes in between; the
        copy reads through a second connection, which WAL lets see the last
        commit (the backup API would wait forever on the locked connection).
        """
        target = stamped_path(backup_dir(self.path), f"-before-v{latest_version()}")
        try:
            self.backup_path = backup_database(self.path, target)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"Could not back up {self.path} before upgrading it from schema {version} ({exc}).",
                hint="Free some disk space, or make backups/ in the data directory "
                "writable; the library was not changed.",
            ) from None

    def _check_readonly_schema(self) -> None:
        version = file_schema_version(self.path)
        if version < latest_version():
            raise StoreError(
                f"The library at {self.path} is read-only and needs an upgrade "
                f"(schema {version}; this paperlab uses {latest_version()}).",
                hint="Run paperlab once where the library is writable, or copy it "
                "somewhere writable and set PAPERLAB_HOME to the copy.",
            )

    def _refuse_write(self) -> StoreError:
        return StoreError(
            f"The library at {self.path.parent} is read-only, so this command cannot change it.",
            hint="Reading commands (list, show, search) still work; to change the library, "
            "make it writable, or copy it and set PAPERLAB_HOME to the copy.",
        )

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
        from sqlalchemy.exc import DatabaseError, OperationalError
        from sqlmodel import Session

        if self.readonly:
            raise self._refuse_write()
        session = Session(self._writer, expire_on_commit=False)
        try:
            yield session
            session.commit()
        except DatabaseError as exc:
            session.rollback()
            if not (isinstance(exc, OperationalError) or is_damage(exc)):
                raise  # a constraint error is the caller's to handle
            raise _store_error(self.path, exc) from None
        except MemoryError:
            session.rollback()
            if looks_damaged(self.path):
                raise damaged_row_error(self.path) from None
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        from sqlalchemy.exc import DatabaseError, OperationalError

        session = self.session()
        try:
            yield session
        except DatabaseError as exc:
            if not (isinstance(exc, OperationalError) or is_damage(exc)):
                raise
            raise _store_error(self.path, exc) from None
        finally:
            session.close()

    def schema_version(self) -> int:
        return file_schema_version(self.path)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


__all__ = ["Store", "latest_version"]
