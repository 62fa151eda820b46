"""A lab library on PostgreSQL: the same ``Store`` surface as the SQLite one.

Writes go through SQLModel sessions on a SQLAlchemy engine with the psycopg
driver, reads through plain psycopg (``pgreader.py``), and opening the store
applies the PostgreSQL variants of pending migrations (``migrations_pg.py``).
Every write is one transaction: a server that goes away mid-command rolls it
back, so nothing half-done is ever stored, and the command fails with one
sentence and a hint.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paperlab.store.engine import Store
from paperlab.store.migrations import latest_version
from paperlab.store.pgreader import (
    CONNECT_TIMEOUT_S,
    pg_read_connection,
    pg_schema_version,
    pg_store_error,
    shown_url,
    unreachable_error,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

    from paperlab.store.reader import ReadConnection


class PgStore(Store):
    """One lab library on a PostgreSQL server. Migrates on open, like the SQLite store."""

    dialect = "postgresql"

    def __init__(self, url: str, home: Path | None = None) -> None:
        self.url = url
        self.path = Path(shown_url(url))  # for messages only: there is no file
        # Each client keeps its PDFs under its own PAPERLAB_HOME.
        self._home = home
        self.applied_migrations: list[int] = []
        self.backup_path: Path | None = None
        self.readonly = False
        if pg_schema_version(url) < latest_version():
            self._migrate()

    @property
    def home(self) -> Path:
        """This client's PAPERLAB_HOME: stored PDF paths are relative to it."""
        if self._home is None:
            from paperlab.settings import load_settings

            self._home = load_settings().home
        return self._home

    @cached_property
    def engine(self) -> Engine:
        from sqlalchemy import create_engine

        return create_engine(
            self.url,
            connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
            pool_pre_ping=True,
        )

    @cached_property
    def _writer(self) -> Engine:
        return self.engine

    def _migrate(self) -> None:
        from sqlalchemy.exc import DBAPIError

        from paperlab.store.migrations_pg import migrate_pg

        try:
            with self.engine.begin() as conn:
                self.applied_migrations = migrate_pg(conn)
        except DBAPIError as exc:
            raise self._error(exc) from None

    def _error(self, exc: BaseException) -> Exception:
        from sqlalchemy.exc import DBAPIError

        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return unreachable_error(self.url, exc)
        return pg_store_error(self.url, exc)

    @contextmanager
    def connect(self) -> Iterator[ReadConnection]:
        with pg_read_connection(self.url) as conn:
            yield conn  # type: ignore[misc]  # the same surface as ReadConnection

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on any error."""
        from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
        from sqlmodel import Session

        try:
            session = Session(self.engine, expire_on_commit=False)
        except (OperationalError, InterfaceError) as exc:
            raise self._error(exc) from None
        try:
            yield session
            session.commit()
        except DBAPIError as exc:
            _rollback(session)
            if not isinstance(exc, OperationalError | InterfaceError):
                raise  # a constraint error is the caller's to handle
            raise self._error(exc) from None
        except BaseException:
            _rollback(session)
            raise
        finally:
            session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        from sqlalchemy.exc import InterfaceError, OperationalError

        session = self.session()
        try:
            yield session
        except (OperationalError, InterfaceError) as exc:
            raise self._error(exc) from None
        finally:
            session.close()

    def schema_version(self) -> int:
        return pg_schema_version(self.url)


def _rollback(session: Any) -> None:
    """Roll back, even when the connection is already gone (the server did it then)."""
    from sqlalchemy.exc import DBAPIError

    with suppress(DBAPIError):
        session.rollback()


__all__ = ["PgStore"]
