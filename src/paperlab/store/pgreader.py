"""Read-only connections to a lab library on PostgreSQL, on psycopg directly.

The same surface as ``reader.py``'s sqlite3 wrappers, so the read code
(catalog, views, search) runs unchanged on either store: ``execute`` with
``:name`` parameters (a list or tuple expands in place, for ``IN :ids``),
rows as tuples, ``first``/``scalar``/``all``. The statement is rewritten to
psycopg's ``%(name)s`` style here, once, instead of in every caller.

Each block reads inside one ``REPEATABLE READ READ ONLY`` transaction: one
consistent snapshot, like SQLite's deferred read transaction, and a server
that refuses any write made through it by mistake.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from paperlab.errors import StoreError
from paperlab.store.reader import Rows

if TYPE_CHECKING:
    import psycopg

CONNECT_TIMEOUT_S = 10
# A quoted literal or identifier (left alone), a :name parameter (not a ::cast), or a %.
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|(?<![:\w]):(\w+)|%")
_IN_LIST = re.compile(r"\b(NOT\s+)?IN\s+:(\w+)\b", re.IGNORECASE)


def libpq_url(url: str) -> str:
    """The libpq form of a SQLAlchemy URL (``postgresql+psycopg://`` -> ``postgresql://``)."""
    return "postgresql" + url[url.index("://") :]


def shown_url(url: str) -> str:
    """Where ``url`` points, for messages: host and database, never the password."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host:  # a Unix socket: ?host=/path
        found = re.search(r"[?&]host=([^&]+)", parts.query)
        host = unquote(found.group(1)) if found else "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}/{parts.path.strip('/')}"


def translate(statement: str, params: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """``statement`` with ``:name`` as ``%(name)s`` and ``%`` doubled.

    ``x IN :ids`` bound to a sequence becomes ``x = ANY(%(ids)s)`` with the
    sequence sent as one array: PostgreSQL has no empty ``IN ()``, and an
    empty array takes the column's type where an empty subquery would not.
    """
    given = dict(params or {})
    lists = {n for n, v in given.items() if isinstance(v, list | tuple)}
    if lists:

        def membership(match: re.Match[str]) -> str:
            name = match.group(2)
            if name not in lists:
                return match.group(0)
            return f"<> ALL(:{name})" if match.group(1) else f"= ANY(:{name})"

        statement = _IN_LIST.sub(membership, statement)
    values: dict[str, Any] = {}

    def place(match: re.Match[str]) -> str:
        text = match.group(0)
        if text == "%":
            return "%%"
        name = match.group(1)
        if name is None or name not in given:
            # A literal: psycopg reads every % of a statement, quoted or not.
            return text.replace("%", "%%")
        value = given[name]
        values[name] = list(value) if isinstance(value, tuple) else value
        return f"%({name})s"

    return _TOKEN.sub(place, statement), values


class PgReadConnection:
    """One psycopg connection inside one read-only snapshot transaction."""

    dialect = "postgresql"

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, statement: str, params: Mapping[str, Any] | None = None) -> Rows:
        sql, values = translate(statement, params)
        cursor = self.raw.cursor()
        cursor.execute(sql.encode(), values)  # bytes: the text is already in psycopg's form
        return Rows(cursor)  # type: ignore[arg-type]  # the same cursor protocol


def connect_raw(url: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """A psycopg connection to ``url``, or a StoreError in one sentence."""
    import psycopg

    try:
        return psycopg.connect(
            libpq_url(url), connect_timeout=CONNECT_TIMEOUT_S, autocommit=autocommit
        )
    except psycopg.Error as exc:
        raise unreachable_error(url, exc) from None


@contextmanager
def pg_read_connection(url: str) -> Iterator[PgReadConnection]:
    """A PgReadConnection for the block, then rolled back and closed."""
    import psycopg

    raw = connect_raw(url)
    try:
        raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield PgReadConnection(raw)
    except psycopg.OperationalError as exc:
        raise pg_store_error(url, exc) from None
    finally:
        raw.close()


def unreachable_error(url: str, exc: BaseException) -> StoreError:
    detail = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
    detail = detail.removeprefix("connection failed: ")[:200]
    return StoreError(
        f"Cannot reach the lab library at {shown_url(url)} ({detail}).",
        hint="Check that the server is running and that PAPERLAB_DATABASE_URL names it, "
        "your user and the database; unset PAPERLAB_DATABASE_URL to use your own "
        "SQLite library.",
    )


def pg_store_error(url: str, exc: BaseException) -> StoreError:
    """One clear sentence for a failure of the server or the connection to it."""
    orig = getattr(exc, "orig", None) or exc
    detail = (str(orig).strip().splitlines() or [type(orig).__name__])[0][:200]
    if getattr(orig, "sqlstate", None) == "42501":  # insufficient_privilege
        return StoreError(
            f"The lab library at {shown_url(url)} refused this change ({detail}).",
            hint="Ask the lab's database owner to grant your user write access.",
        )
    return StoreError(
        f"The lab library at {shown_url(url)} failed ({detail}); nothing was changed.",
        hint="Check that the server is still running and reachable, then try again.",
    )


def pg_schema_version(url: str) -> int:
    """The highest migration applied to the database at ``url`` (0 for a new one)."""
    with pg_read_connection(url) as conn:
        if conn.execute("SELECT to_regclass('schema_migration')").scalar() is None:
            return 0
        return int(conn.execute("SELECT MAX(version) FROM schema_migration").scalar() or 0)


__all__ = [
    "PgReadConnection",
    "connect_raw",
    "libpq_url",
    "pg_read_connection",
    "pg_schema_version",
    "pg_store_error",
    "shown_url",
    "translate",
    "unreachable_error",
]
