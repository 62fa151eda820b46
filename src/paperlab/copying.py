"""Copy a whole library from one store to another: SQLite to a lab PostgreSQL and back.

Every table of the models is copied row for row with its keys (papers,
versions, pages, chunks, vectors, notes, annotations, the log, tags, topics,
lists, reading states and sessions), parents before children. Both stores are
opened (so migrated) first, hence at the same schema version. The derived
tables (full text, change counters) are filled by the target's own triggers.

Idempotent: a row whose primary key the target already has is not written
again. If the target's row differs, it is counted as a conflict and left as
the target has it: a copy never overwrites what is already in the library it
copies into. Each table is copied in batches, each batch one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection, Table

    from paperlab.store import Store

BATCH = 1000
# The schema's own bookkeeping: each store records its own migrations. PDFs
# kept in the database go one at a time, with a SQLite library's files (_copy_pdfs).
_NOT_COPIED = {"schema_migration", "pdf_blob"}


@dataclass
class TableCount:
    source: int = 0
    copied: int = 0
    present: int = 0  # already in the target, identical
    conflicts: int = 0  # already in the target under the same key, different: left alone


def copy_library(
    source: Store,
    target: Store,
    progress: Callable[[str, TableCount], None] | None = None,
) -> dict[str, dict[str, int]]:
    """Copy every row of ``source`` that ``target`` lacks; counts per table."""
    from sqlmodel import SQLModel

    import paperlab.store.models  # noqa: F401  (registers the tables)

    counts: dict[str, dict[str, int]] = {}
    for table in SQLModel.metadata.sorted_tables:
        if table.name in _NOT_COPIED:
            continue
        count = _copy_table(source, target, table)
        counts[table.name] = asdict(count)
        if progress is not None:
            progress(table.name, count)
    counts["pdf_blob"] = _copy_pdfs(source, target, progress)
    if target.dialect == "postgresql":
        _advance_identities(target)
    return counts


def _copy_pdfs(
    source: Store, target: Store, progress: Callable[[str, TableCount], None] | None
) -> dict[str, int]:
    """PDFs (``pdfblobs.copy_pdf_blobs``): never a batch of them in memory at once."""
    from paperlab.pdfblobs import copy_pdf_blobs

    seen, copied, present = copy_pdf_blobs(source, target)
    count = TableCount(source=seen, copied=copied, present=present)
    if progress is not None:
        progress("pdf_blob", count)
    return asdict(count)


def _copy_table(source: Store, target: Store, table: Table) -> TableCount:
    count = TableCount()
    key = list(table.primary_key.columns)
    with source.engine.connect() as reading:
        for rows in _batches(reading, table):
            count.source += len(rows)
            with target.write() as session:
                conn = session.connection()
                there = _existing(conn, table, key, rows)
                fresh = []
                for row in rows:
                    found = there.get(tuple(row[c.name] for c in key))
                    if found is None:
                        fresh.append(row)
                    elif _same(found, row):
                        count.present += 1
                    else:
                        count.conflicts += 1
                if fresh:
                    conn.execute(table.insert(), fresh)
                count.copied += len(fresh)
    return count


def _batches(conn: Connection, table: Table) -> Iterator[list[dict[str, Any]]]:
    from sqlalchemy import select

    order = list(table.primary_key.columns)
    result = conn.execution_options(yield_per=BATCH).execute(select(table).order_by(*order))
    for part in result.mappings().partitions(BATCH):
        yield [dict(row) for row in part]


def _existing(
    conn: Connection, table: Table, key: list[Any], rows: list[dict[str, Any]]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    from sqlalchemy import select, tuple_

    values = [tuple(row[c.name] for c in key) for row in rows]
    clause = key[0].in_([v[0] for v in values]) if len(key) == 1 else tuple_(*key).in_(values)
    found = conn.execute(select(table).where(clause)).mappings()
    return {tuple(row[c.name] for c in key): dict(row) for row in found}


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(_value(a[name]) == _value(b[name]) for name in a)


def _value(value: Any) -> Any:
    # psycopg may hand BYTEA back as a memoryview; floats survive both stores exactly.
    return bytes(value) if isinstance(value, memoryview) else value


def _advance_identities(target: Store) -> None:
    """Move each identity sequence past the ids the copy wrote explicitly.

    Otherwise the next note added on the server would be given id 1 again and
    fail on the primary key.
    """
    from sqlalchemy import text
    from sqlmodel import SQLModel

    with target.write() as session:
        conn = session.connection()
        for table in SQLModel.metadata.sorted_tables:
            if "id" not in table.c or table.name in _NOT_COPIED:
                continue
            sequence = conn.execute(
                text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}
            ).scalar()
            if sequence:
                conn.execute(
                    text(
                        f"SELECT setval(:s, GREATEST((SELECT MAX(id) FROM {table.name}), 1), "
                        f"(SELECT MAX(id) FROM {table.name}) IS NOT NULL)"
                    ),
                    {"s": sequence},
                )


__all__ = ["TableCount", "copy_library"]
