"""Dense search on a lab server: pgvector's HNSW index beside the ``embedding`` rows.

The vectors stay where they are (``embedding.vector``, float32 BYTEA keyed by
content hash and model, written once by whichever client embeds a text
first). When the server has the ``vector`` extension, a side table holds the
same vectors as pgvector values::

    embedding_vector(content_hash, model, dim, vec vector)
        PRIMARY KEY (content_hash, model)
        FOREIGN KEY (content_hash, model) REFERENCES embedding ON DELETE CASCADE

filled by a trigger on ``embedding`` (so every writer is covered: this
client, an older client that knows nothing of pgvector, ``db copy``), with
the BYTEA decoded on the server by :data:`DECODE_FUNCTION`. Rows already in
``embedding`` when pgvector becomes available are copied in by the same
statement that creates the trigger. The side table is derived and is no
SQLModel table, so ``db copy`` and the schema comparison never see it.

One HNSW index per model and dimension, partial and typed
(``((vec::vector(384))) vector_ip_ops WHERE model = '...' AND dim = 384``):
pgvector indexes only a column of fixed dimension, and a typed expression
index on one untyped column serves any model without a table per dimension;
vectors are unit length, so inner product ranks as cosine does.

Set up lazily, on the first dense search or ``index`` of a process rather
than in a migration: a migration runs once, but the extension may be added to
the server later, and a user who may not create it must still get a working
library (the faiss cache, as before) rather than a failed migration.
``PAPERLAB_DENSE`` (auto | faiss | pgvector) chooses the path. The queries
against the side table are in :mod:`paperlab.search.pgvector_queries`.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from paperlab.errors import UsageError
from paperlab.search import text_hash

if TYPE_CHECKING:
    from paperlab.store import Store

DENSE_ENV = "PAPERLAB_DENSE"
DENSE_CHOICES = ("auto", "faiss", "pgvector")
SIDE_TABLE = "embedding_vector"
TRIGGER = "embedding_vector_sync"
# pg_advisory_xact_lock key: clients setting up one database at once do it once.
_SETUP_LOCK = 0x70677665  # "pgve"

# float32 little-endian BYTEA -> vector, in SQL: each word's sign, exponent and
# mantissa rebuilt in float8 (exact for every float32), then cast to real.
# (Bit operators share one precedence in PostgreSQL: hence the parentheses.)
# PostgreSQL has no bytea-to-float cast and pgvector's binary input is big-endian
# with a header, so this is the portable way to decode on the server.
DECODE_FUNCTION = """
CREATE OR REPLACE FUNCTION paperlab_f32_vector(raw bytea) RETURNS vector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT array_agg(
           (CASE WHEN e = 0 THEN m * 2::float8 ^ (-149)
                 ELSE (8388608 + m) * 2::float8 ^ (e - 150) END
            * (1 - 2 * s))::real
           ORDER BY i)::vector
  FROM (SELECT i, (w >> 31) & 1 AS s, (w >> 23) & 255 AS e, w & 8388607 AS m
        FROM (SELECT i, get_byte(raw, 4 * i)::bigint
                      + (get_byte(raw, 4 * i + 1)::bigint << 8)
                      + (get_byte(raw, 4 * i + 2)::bigint << 16)
                      + (get_byte(raw, 4 * i + 3)::bigint << 24) AS w
              FROM generate_series(0, length(raw) / 4 - 1) AS i) AS words) AS parts
$$
"""
# A vector pgvector refuses (NaN, infinity, too many dimensions) is left out of
# the side table instead of failing the INSERT that stores it in ``embedding``.
SAFE_DECODE_FUNCTION = """
CREATE OR REPLACE FUNCTION paperlab_vector_or_null(raw bytea, dims integer) RETURNS vector
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE v vector;
BEGIN
  IF raw IS NULL OR length(raw) <> 4 * dims OR dims < 1 THEN RETURN NULL; END IF;
  v := paperlab_f32_vector(raw);
  RETURN v;
EXCEPTION WHEN data_exception OR program_limit_exceeded THEN
  RETURN NULL;
END $$
"""
SIDE_TABLE_DDL = f"""
CREATE TABLE IF NOT EXISTS {SIDE_TABLE} (
    content_hash VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    dim INTEGER NOT NULL,
    vec vector NOT NULL,
    PRIMARY KEY (content_hash, model),
    FOREIGN KEY (content_hash, model) REFERENCES embedding (content_hash, model)
        ON DELETE CASCADE
)
"""
# SECURITY DEFINER: a lab member who may write ``embedding`` but was never
# granted the side table (made later, by whoever set pgvector up) still stores
# vectors; the fixed search_path is the one such a function must have.
SYNC_FUNCTION = f"""
CREATE OR REPLACE FUNCTION paperlab_embedding_vector_sync() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE v vector;
BEGIN
  v := paperlab_vector_or_null(NEW.vector, NEW.dim);
  IF v IS NULL THEN
    DELETE FROM {SIDE_TABLE} WHERE content_hash = NEW.content_hash AND model = NEW.model;
  ELSE
    INSERT INTO {SIDE_TABLE} (content_hash, model, dim, vec)
    VALUES (NEW.content_hash, NEW.model, NEW.dim, v)
    ON CONFLICT (content_hash, model) DO UPDATE SET dim = EXCLUDED.dim, vec = EXCLUDED.vec;
  END IF;
  RETURN NULL;
END $$
"""
SYNC_TRIGGER = f"""
CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OF vector, dim ON embedding
FOR EACH ROW EXECUTE FUNCTION paperlab_embedding_vector_sync()
"""
# Whoever may read the vectors in ``embedding`` may read them in the side table.
GRANT_READERS = f"""
DO $$
DECLARE who text;
BEGIN
  FOR who IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
             WHERE table_name = 'embedding' AND privilege_type = 'SELECT'
               AND grantee <> current_user LOOP
    EXECUTE 'GRANT SELECT ON {SIDE_TABLE} TO '
      || CASE WHEN who = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(who) END;
  END LOOP;
END $$
"""
_BACKFILL = f"""
INSERT INTO {SIDE_TABLE} (content_hash, model, dim, vec)
SELECT content_hash, model, dim, v
FROM (SELECT content_hash, model, dim, paperlab_vector_or_null(vector, dim) AS v
      FROM embedding {{where}}) AS decoded
WHERE v IS NOT NULL
ON CONFLICT DO NOTHING
"""
BACKFILL = _BACKFILL.format(where="")
BACKFILL_MODEL = _BACKFILL.format(where="WHERE model = %s")

_LOCK = threading.Lock()
# Per database URL: None once pgvector is set up there, else why it is not.
_STATE: dict[str, str | None] = {}
_INDEXES: set[tuple[str, str, int]] = set()


@dataclass(frozen=True)
class DensePath:
    """Which dense retriever a library uses, and why (for ``search -v``)."""

    name: str  # "pgvector" or "faiss"
    reason: str


def dense_choice() -> str:
    """``PAPERLAB_DENSE`` (read at call time): auto unless set."""
    value = (os.environ.get(DENSE_ENV) or "auto").strip().lower()
    if value not in DENSE_CHOICES:
        raise UsageError(
            f"{DENSE_ENV}={value[:40]!r} is not a dense search path.",
            hint=f"Use one of: {', '.join(DENSE_CHOICES)} (auto: pgvector when the lab "
            "server has it, else the local faiss cache).",
        )
    return value


def choose_dense_path(store: Store) -> DensePath:
    """pgvector on a lab server that has (or may create) the extension, else faiss.

    ``PAPERLAB_DENSE=faiss`` forces the local cache; ``=pgvector`` fails with
    one sentence where pgvector cannot be used instead of falling back.
    """
    choice = dense_choice()
    if choice == "faiss":
        return DensePath("faiss", f"{DENSE_ENV}=faiss")
    if store.dialect != "postgresql":
        if choice == "pgvector":
            raise UsageError(
                f"{DENSE_ENV}=pgvector needs a lab library on PostgreSQL.",
                hint=f"Set PAPERLAB_DATABASE_URL, or unset {DENSE_ENV}.",
            )
        return DensePath("faiss", "a SQLite library")
    why_not = enable_pgvector(store)
    if why_not is None:
        return DensePath("pgvector", "HNSW on the lab server")
    if choice == "pgvector":
        raise UsageError(
            f"{DENSE_ENV}=pgvector, but {why_not}.",
            hint="Ask the database owner to run CREATE EXTENSION vector in the lab "
            f"database, or unset {DENSE_ENV} to use the local faiss cache.",
        )
    return DensePath("faiss", why_not)


def enable_pgvector(store: Store) -> str | None:
    """Set up the side table, trigger and backfill once per database; None when ready.

    Otherwise the reason, in a few words: the extension is missing from the
    server, or this user may not create it (or the table and trigger).
    """
    url = str(getattr(store, "url", ""))
    with _LOCK:
        if url in _STATE:
            return _STATE[url]
        found = _installed(store)
        if found == "ready":
            reason = None
        elif found == "unreadable":
            reason = f"this user may not read {SIDE_TABLE} (ask the owner for SELECT on it)"
        else:
            reason = _install(url)
        _STATE[url] = reason
        return reason


def pgvector_in_use(store: Store) -> bool:
    """Does dense search on ``store`` go to the server? A read-only look (for
    ``index status``): set up already, and not turned off by ``PAPERLAB_DENSE``."""
    if store.dialect != "postgresql" or dense_choice() == "faiss":
        return False
    url = str(getattr(store, "url", ""))
    with _LOCK:
        if url in _STATE:
            return _STATE[url] is None
    return _installed(store) == "ready"


def forget_state() -> None:
    """Forget what this process learnt about servers (tests that change them)."""
    with _LOCK:
        _STATE.clear()
        _INDEXES.clear()


def _installed(store: Store) -> str:
    """ "ready", "unreadable" (set up, but this user may not read it) or "absent"."""
    with store.connect() as conn:
        row = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector'), "
            f"to_regclass('{SIDE_TABLE}') IS NOT NULL, "
            "EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = :t "
            "AND tgrelid = 'embedding'::regclass)",
            {"t": TRIGGER},
        ).first()
        if not (row and all(row)):
            return "absent"
        readable = conn.execute(f"SELECT has_table_privilege('{SIDE_TABLE}', 'SELECT')").scalar()
    return "ready" if readable else "unreadable"


def _install(url: str) -> str | None:
    import psycopg

    from paperlab.store.pgreader import connect_raw

    raw = connect_raw(url)
    try:
        with raw.transaction():
            raw.execute("SELECT pg_advisory_xact_lock(%s)", (_SETUP_LOCK,))
            try:
                with raw.transaction():  # a savepoint: a refusal leaves the rest usable
                    raw.execute("CREATE EXTENSION IF NOT EXISTS vector")
            except psycopg.Error as exc:
                return f"the vector extension is not available ({_first_line(exc)})"
            if _set_up_by_another(raw):
                return None  # a client that held the lock first did it all
            for statement in (DECODE_FUNCTION, SAFE_DECODE_FUNCTION, SIDE_TABLE_DDL, SYNC_FUNCTION):
                raw.execute(statement.encode())
            raw.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON embedding".encode())
            raw.execute(SYNC_TRIGGER.encode())
            raw.execute(GRANT_READERS.encode())
            raw.execute(BACKFILL.encode())
            # Statistics now, so the planner's first queries see the real size.
            raw.execute(f"ANALYZE {SIDE_TABLE}".encode())
    except psycopg.Error as exc:
        return f"pgvector could not be set up ({_first_line(exc)})"
    finally:
        raw.close()
    return None


def _set_up_by_another(raw: Any) -> bool:
    row = raw.execute(
        f"SELECT to_regclass('{SIDE_TABLE}') IS NOT NULL AND EXISTS (SELECT 1 FROM pg_trigger "
        "WHERE tgname = %s AND tgrelid = 'embedding'::regclass)",
        (TRIGGER,),
    ).fetchone()
    return bool(row and row[0])


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]


def hnsw_index_name(model: str, dim: int) -> str:
    return f"{SIDE_TABLE}_hnsw_{text_hash(model)[:12]}_{int(dim)}"


def ensure_hnsw(store: Store, model: str, dim: int) -> str:
    """The HNSW index for ``model``'s ``dim``-d vectors, built on first need; its name.

    Building takes a while on a large library (it is the server's share of
    the work a faiss rebuild does locally); every later client finds it.
    """
    import psycopg
    from psycopg import sql

    from paperlab.store.pgreader import connect_raw

    url = str(getattr(store, "url", ""))
    name = hnsw_index_name(model, dim)
    key = (url, model, int(dim))
    if key in _INDEXES:
        return name
    with store.connect() as conn:
        present = conn.execute("SELECT to_regclass(:n) IS NOT NULL", {"n": name}).scalar()
    if not present:
        raw = connect_raw(url)
        try:
            with raw.transaction():
                raw.execute("SELECT pg_advisory_xact_lock(%s)", (_SETUP_LOCK,))
                raw.execute(
                    sql.SQL(
                        "CREATE INDEX IF NOT EXISTS {name} ON {table} USING hnsw "
                        "((vec::vector({dim})) vector_ip_ops) WHERE model = {model} AND dim = {dim}"
                    ).format(
                        name=sql.Identifier(name),
                        table=sql.Identifier(SIDE_TABLE),
                        dim=sql.Literal(int(dim)),
                        model=sql.Literal(model),
                    )
                )
        except psycopg.Error:
            # Searching still works without it (an exact scan); the next process retries.
            return name
        finally:
            raw.close()
    _INDEXES.add(key)
    return name


def rebuild_server_vectors(store: Store, model: str) -> None:
    """Re-derive ``model``'s rows of the side table from ``embedding`` and drop its
    HNSW indexes (the next search or index builds them anew): ``index rebuild``."""
    from psycopg import sql

    from paperlab.store.pgreader import connect_raw

    url = str(getattr(store, "url", ""))
    raw = connect_raw(url)
    try:
        with raw.transaction():
            raw.execute("SELECT pg_advisory_xact_lock(%s)", (_SETUP_LOCK,))
            dims = raw.execute(
                "SELECT DISTINCT dim FROM embedding WHERE model = %s", (model,)
            ).fetchall()
            for (dim,) in dims:
                name = sql.Identifier(hnsw_index_name(model, int(dim)))
                raw.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(name))
            raw.execute(f"DELETE FROM {SIDE_TABLE} WHERE model = %s".encode(), (model,))
            raw.execute(BACKFILL_MODEL.encode(), (model,))
    finally:
        raw.close()
    with _LOCK:
        stale = {key for key in _INDEXES if key[0] == url and key[1] == model}
        _INDEXES.difference_update(stale)


__all__ = [
    "DENSE_CHOICES",
    "DENSE_ENV",
    "SIDE_TABLE",
    "DensePath",
    "choose_dense_path",
    "dense_choice",
    "enable_pgvector",
    "ensure_hnsw",
    "forget_state",
    "hnsw_index_name",
    "pgvector_in_use",
    "rebuild_server_vectors",
]
