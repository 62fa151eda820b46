"""Read-only connections on the stdlib ``sqlite3`` module: the fast path for reads.

Listing, showing and searching only read, and importing SQLAlchemy (let alone
SQLModel and pydantic) costs more at start-up than the queries themselves:
~0.3 s of a cold ``paperlab search`` and nearly all of a ``paperlab list``.
So reads go through these thin wrappers, and writes and migrations stay on
SQLAlchemy (``engine.py``), which loads only when something is written.

The surface is the little of SQLAlchemy's the read code uses: ``execute``
with ``:name`` parameters, and ``first``/``scalar``/``all``/iteration over the
result. A list or tuple parameter expands in place, so ``id IN :ids`` works as
it does with an expanding ``bindparam``.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from paperlab.errors import StoreError
from paperlab.store.backup import is_writable, readonly_uri

BUSY_TIMEOUT_MS = 30_000
_INLINE_MAX = 64  # longer sequence parameters go as one JSON array (see _expand)
# A quoted literal or identifier (left alone), or a :name parameter.
_PARAM = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|(?<![:\w]):(\w+)")


class Rows:
    """The rows of one statement (tuples), read lazily like a SQLAlchemy result."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._cursor)

    def first(self) -> tuple[Any, ...] | None:
        row = self._cursor.fetchone()
        self._cursor.close()
        return row

    def scalar(self) -> Any:
        row = self.first()
        return row[0] if row is not None else None

    def all(self) -> list[tuple[Any, ...]]:
        return self._cursor.fetchall()


class ReadConnection:
    """One connection inside one deferred (snapshot) transaction; it cannot write."""

    dialect = "sqlite"  # PgReadConnection says "postgresql"

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def execute(self, statement: str, params: Mapping[str, Any] | None = None) -> Rows:
        if params and any(isinstance(v, list | tuple) for v in params.values()):
            statement, params = _expand(statement, params)
        return Rows(self.raw.execute(statement, params or {}))


def _expand(statement: str, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """``:ids`` bound to a sequence becomes ``(:ids_0, :ids_1, ...)``, or, when
    the sequence is long, one JSON array read back by ``json_each``.

    SQLite looks a named parameter up among the others one by one, so preparing
    a statement with thousands of them (a search within 10,000 papers) took
    ~0.7 s; one array parameter keeps it to a parse of the array.
    """
    out: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, list | tuple) and len(value) > _INLINE_MAX:
            out[name] = json.dumps(list(value))
        elif isinstance(value, list | tuple):
            out.update({f"{name}_{i}": v for i, v in enumerate(value)})
        else:
            out[name] = value

    def place(match: re.Match[str]) -> str:
        name = match.group(1)
        value = params.get(name) if name else None
        if not isinstance(value, list | tuple):
            return match.group(0)
        if len(value) > _INLINE_MAX:
            return f"(SELECT value FROM json_each(:{name}))"
        # An empty IN () is valid SQLite and matches nothing, as it should.
        return "(" + ", ".join(f":{name}_{i}" for i in range(len(value))) + ")"

    return _PARAM.sub(place, statement), out


def open_raw(path: Path) -> sqlite3.Connection:
    """A raw autocommit connection with the library's busy timeout, unable to write."""
    # A library this process cannot write (a mounted snapshot) opens through a
    # read-only URI: a plain open would try to create the -shm/-wal files.
    target: str | Path = path if not path.exists() or is_writable(path) else readonly_uri(path)
    raw = sqlite3.connect(
        target,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        check_same_thread=False,
        uri=isinstance(target, str),
    )
    raw.execute("PRAGMA query_only = ON")
    return raw


@contextmanager
def read_connection(path: Path) -> Iterator[ReadConnection]:
    """A ReadConnection on ``path`` for the length of the block, then rolled back."""
    try:
        raw = open_raw(path)
    except sqlite3.DatabaseError as exc:
        raise store_error(path, exc) from None
    try:
        raw.execute("BEGIN")
        yield ReadConnection(raw)
    except sqlite3.DatabaseError as exc:
        if not _is_store_failure(exc):
            raise  # a bad statement is a bug, not a damaged or busy library
        raise store_error(path, exc) from None
    except MemoryError:
        if looks_damaged(path):
            raise damaged_row_error(path) from None
        raise
    finally:
        raw.close()  # closing rolls the read transaction back


def looks_damaged(path: Path) -> bool:
    """Does ``PRAGMA quick_check`` fail on ``path``?

    A garbled row can claim a size no allocation meets, and SQLite then says
    "out of memory"; a failing quick_check tells that from a real shortage.
    """
    try:
        raw = open_raw(path)
    except sqlite3.DatabaseError:
        return True
    try:
        return [r[0] for r in raw.execute("PRAGMA quick_check(1)")] != ["ok"]
    except (sqlite3.DatabaseError, MemoryError):
        return True
    finally:
        raw.close()


def damaged_row_error(path: Path) -> StoreError:
    return StoreError(
        f"The library file {path} is damaged (a stored row is garbled).", hint=REPAIR_HINT
    )


def _is_store_failure(exc: sqlite3.DatabaseError) -> bool:
    # "locked", "disk I/O error" are OperationalError; "not a database" and
    # "malformed" are the bare DatabaseError. Syntax errors and misuse are
    # OperationalError too, so look at the message for those.
    if type(exc) is sqlite3.DatabaseError:
        return True
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc)
        return not ("syntax error" in text or "no such" in text)
    return False


def schema_version(path: Path) -> int:
    """The highest migration applied to the file at ``path`` (0 for a new file)."""
    with read_connection(path) as conn:
        if not conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migration'"
        ).first():
            return 0
        return int(conn.execute("SELECT MAX(version) FROM schema_migration").scalar() or 0)


# SQLITE_CORRUPT, SQLITE_NOTADB: extended codes keep the primary one in the low byte.
_DAMAGE_CODES = {11, 26}
REPAIR_HINT = (
    "Run `paperlab doctor` to see what is damaged, then `paperlab doctor --repair` "
    "(it keeps a copy of the damaged file)."
)


def is_damage(exc: BaseException) -> bool:
    """Does a database error (sqlite3's or SQLAlchemy's) mean the file is damaged?"""
    orig = getattr(exc, "orig", None) or exc
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in _DAMAGE_CODES:
        return True
    detail = str(orig)
    # Text that is not UTF-8 was never written by paperlab: garbled bytes.
    return any(m in detail for m in ("malformed", "not a database", "decode to UTF-8"))


def store_error(path: Path, exc: BaseException) -> StoreError:
    """One clear sentence for a database failure (``exc`` is sqlite3's or SQLAlchemy's)."""
    orig = getattr(exc, "orig", None)
    detail = str(orig) if orig else str(exc)
    detail = detail.splitlines()[0][:200] if detail else type(exc).__name__
    if is_damage(exc):
        shown = "unreadable text" if "decode to UTF-8" in detail else detail
        return StoreError(f"The library file {path} is damaged ({shown}).", hint=REPAIR_HINT)
    if "locked" in detail or "busy" in detail:
        return StoreError(
            f"The library at {path} stayed locked by another paperlab process.",
            hint="Wait for the other command to finish, then try again.",
        )
    if "readonly" in detail or "unable to open" in detail or "disk" in detail:
        return StoreError(
            f"Cannot write the library at {path} ({detail}).",
            hint="Check free disk space and permissions, or set PAPERLAB_HOME elsewhere.",
        )
    return StoreError(f"The library at {path} failed: {detail}.")


__all__ = [
    "REPAIR_HINT",
    "ReadConnection",
    "Rows",
    "damaged_row_error",
    "is_damage",
    "looks_damaged",
    "open_raw",
    "read_connection",
    "schema_version",
    "store_error",
]
