"""Copy a whole library into another, merging: SQLite to a lab PostgreSQL and back.

Every table of the models is copied (papers, versions, pages, chunks, vectors,
notes, annotations, the log, tags, topics, lists, reading states and
sessions), parents before children. Both stores are opened (so migrated)
first, hence at the same schema version. The derived tables (full text,
change counters) are filled by the target's own triggers.

Rows are matched by identity, not by id (``copykeys.py``): a paper by its
arXiv id, a note by its paper, a log entry by its time, kind and text. So two
personal libraries copied into one lab database merge: the second one's notes
on other papers are added, with new ids, and the links that point at them
(a note's topics, a log entry's papers, a list's entries) follow through an
old id -> new id map. A row the target already has is ``present`` when it
holds the same, a ``conflict`` when not: then the target's row stays as it
is, and so do its links (a link under a conflicting note is not added).
Copying again adds nothing. Each table is copied in batches, each batch one
transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from paperlab.copykeys import TablePlan, copy_plans

if TYPE_CHECKING:
    from sqlalchemy import Connection, Table

    from paperlab.store import Store

BATCH = 1000
CONFLICT_KEYS_SHOWN = 20  # per table, in the report; the count has them all
# The schema's own bookkeeping: each store records its own migrations. PDFs
# kept in the database go one at a time, with a SQLite library's files (_copy_pdfs).
_NOT_COPIED = {"schema_migration", "pdf_blob"}

Key = tuple[Any, ...]
Row = dict[str, Any]


@dataclass
class TableCount:
    source: int = 0
    copied: int = 0
    present: int = 0  # already in the target, the same
    conflicts: int = 0  # in the target under the same identity, different: left alone
    conflict_keys: list[dict[str, Any]] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # citation keys taken in the target

    def conflict(self, key: dict[str, Any]) -> None:
        self.conflicts += 1
        if len(self.conflict_keys) < CONFLICT_KEYS_SHOWN:
            self.conflict_keys.append(key)

    def to_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "source": self.source,
            "copied": self.copied,
            "present": self.present,
            "conflicts": self.conflicts,
            "conflict_keys": self.conflict_keys,
        }
        if self.renamed:
            shown["renamed"] = self.renamed
        return shown


@dataclass
class _Ids:
    """What the copy learnt of a surrogate table's rows, by their id in the source."""

    target: dict[int, int] = field(default_factory=dict)  # source id -> target id
    conflicting: set[int] = field(default_factory=set)  # the target's row differs
    shown: dict[int, dict[str, Any]] = field(default_factory=dict)  # the identity, for reports


def copy_library(
    source: Store,
    target: Store,
    progress: Callable[[str, TableCount], None] | None = None,
) -> dict[str, TableCount]:
    """Copy every row of ``source`` that ``target`` lacks; counts per table."""
    from sqlmodel import SQLModel

    import paperlab.store.models  # noqa: F401  (registers the tables)

    tables = [t for t in SQLModel.metadata.sorted_tables if t.name not in _NOT_COPIED]
    plans = copy_plans(tables)
    # Only the tables other rows point at need their ids remembered.
    ids = {parent: _Ids() for plan in plans for parent in plan.remapped.values()}
    counts: dict[str, TableCount] = {}
    for plan in plans:
        counts[plan.name] = _copy_table(source, target, plan, ids)
        if progress is not None:
            progress(plan.name, counts[plan.name])
    counts["pdf_blob"] = _copy_pdfs(source, target, progress)
    return counts


def _copy_pdfs(
    source: Store, target: Store, progress: Callable[[str, TableCount], None] | None
) -> TableCount:
    """PDFs (``pdfblobs.copy_pdf_blobs``): never a batch of them in memory at once."""
    from paperlab.pdfblobs import copy_pdf_blobs

    seen, copied, present = copy_pdf_blobs(source, target)
    count = TableCount(source=seen, copied=copied, present=present)
    if progress is not None:
        progress("pdf_blob", count)
    return count


def _copy_table(source: Store, target: Store, plan: TablePlan, ids: dict[str, _Ids]) -> TableCount:
    count = TableCount()
    # Surrogate rows are found by identity in memory: the identity may hold a
    # timestamp, which SQLite keeps as text and so cannot be matched in SQL.
    index = _identity_index(target, plan) if plan.surrogate else {}
    with source.engine.connect() as reading:
        for rows in _batches(reading, plan.table):
            count.source += len(rows)
            with target.write() as session:
                _copy_batch(session.connection(), plan, rows, ids, index, count)
    return count


def _copy_batch(
    conn: Connection,
    plan: TablePlan,
    rows: list[Row],
    ids: dict[str, _Ids],
    index: dict[Key, int],
    count: TableCount,
) -> None:
    own = ids.get(plan.name)
    placed = [_remapped(plan, row, ids) for row in rows]
    keys = [_key(plan, row) for row, _ in placed]
    there = _in_target(conn, plan, keys, index)
    fresh: dict[Key, Row] = {}
    source_ids: list[tuple[int, Key]] = []
    for (row, blocked), key, original in zip(placed, keys, rows, strict=True):
        if own is not None:
            own.shown[original["id"]] = _shown(plan, original, ids)
            source_ids.append((original["id"], key))
        found = there.get(key) or fresh.get(key)
        if found is not None and _same(plan, found, row):
            count.present += 1
            continue
        if found is not None or blocked:
            # Different in the target, or under a parent that is: left as the target has it.
            count.conflict(_shown(plan, original, ids))
            if own is not None:
                own.conflicting.add(original["id"])
            continue
        fresh[key] = row
    if fresh:
        if plan.name == "paper":
            _free_citation_keys(conn, list(fresh.values()), count)
        new_ids = _insert(conn, plan, list(fresh.values()))
        if plan.surrogate:
            index.update(zip(fresh, new_ids, strict=True))
        count.copied += len(fresh)
    if own is not None:  # a parent: its children follow these ids
        for source_id, key in source_ids:
            if key in index:
                own.target[source_id] = index[key]


def _remapped(plan: TablePlan, row: Row, ids: dict[str, _Ids]) -> tuple[Row, bool]:
    """The row with its parents' ids as the target has them, and whether to hold it back.

    A row is held back (not added) when a parent it belongs to differs in the
    target, or is not in the copy at all.
    """
    if not plan.remapped:
        return row, False
    row = dict(row)
    blocked = False
    for column, parent in plan.remapped.items():
        old = row[column]
        if old is None:
            continue
        parent_ids = ids[parent]
        blocked = blocked or old in parent_ids.conflicting or old not in parent_ids.target
        row[column] = parent_ids.target.get(old)
    return row, blocked


def _key(plan: TablePlan, row: Row) -> Key:
    return tuple(_value(row[c]) for c in plan.identity)


def _in_target(
    conn: Connection, plan: TablePlan, keys: list[Key], index: dict[Key, int]
) -> dict[Key, Row]:
    """The target's rows with these identities, by identity."""
    from sqlalchemy import select, tuple_

    table = plan.table
    if plan.surrogate:
        wanted = [index[k] for k in keys if k in index]
        if not wanted:
            return {}
        found = conn.execute(select(table).where(table.c.id.in_(wanted))).mappings()
    else:
        columns = [table.c[c] for c in plan.identity]
        wanted_keys = [k for k in keys if None not in k]  # a key with a missing parent
        if not wanted_keys:
            return {}
        clause = (
            columns[0].in_([k[0] for k in wanted_keys])
            if len(columns) == 1
            else tuple_(*columns).in_(wanted_keys)
        )
        found = conn.execute(select(table).where(clause)).mappings()
    rows = [dict(row) for row in found]
    return {_key(plan, row): row for row in rows}


def _insert(conn: Connection, plan: TablePlan, rows: list[Row]) -> list[int]:
    """Insert the rows; for a surrogate table, the ids the target gave them, in order."""
    table = plan.table
    if not plan.surrogate:
        conn.execute(table.insert(), rows)
        return []
    statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
    without_id = [{k: v for k, v in row.items() if k != "id"} for row in rows]
    return [int(r[0]) for r in conn.execute(statement, without_id)]


def _free_citation_keys(conn: Connection, papers: list[Row], count: TableCount) -> None:
    """A new paper whose citation key the target gives another paper takes the next free one.

    Keys are unique in a library; two libraries may each have a ``vaswani2017``
    for different papers. The target's paper keeps it, as it keeps every row.
    """
    from sqlalchemy import text

    from paperlab.citekeys import unique_key

    if not any(p["citation_key"] for p in papers):
        return
    taken = {
        str(row[0])
        for row in conn.execute(
            text(
                "SELECT citation_key FROM paper WHERE citation_key IS NOT NULL "
                "UNION SELECT key FROM citation_alias"
            )
        )
    }
    for paper in papers:
        key = paper["citation_key"]
        if not key:
            continue
        if key not in taken:
            taken.add(key)
            continue
        paper["citation_key"] = unique_key(key, taken.__contains__)
        taken.add(paper["citation_key"])
        count.renamed[key] = paper["citation_key"]


def _identity_index(target: Store, plan: TablePlan) -> dict[Key, int]:
    """Every row of a surrogate table in the target: identity -> id."""
    from sqlalchemy import select

    table = plan.table
    with target.engine.connect() as conn:
        result = conn.execute(select(table.c.id, *(table.c[c] for c in plan.identity)))
        return {tuple(_value(v) for v in row[1:]): int(row[0]) for row in result}


def _batches(conn: Connection, table: Table) -> Iterator[list[Row]]:
    from sqlalchemy import select

    order = list(table.primary_key.columns)
    result = conn.execution_options(yield_per=BATCH).execute(select(table).order_by(*order))
    for part in result.mappings().partitions(BATCH):
        yield [dict(row) for row in part]


def _same(plan: TablePlan, a: Row, b: Row) -> bool:
    return all(_value(a[name]) == _value(b[name]) for name in plan.compared)


def _shown(plan: TablePlan, row: Row, ids: dict[str, _Ids]) -> dict[str, Any]:
    """A row's identity as a report shows it: a parent by its own identity, not its id."""
    shown: dict[str, Any] = {}
    for column in plan.identity:
        value = row[column]
        parent = plan.remapped.get(column)
        if parent is not None and value in ids[parent].shown:
            shown[parent] = ids[parent].shown[value]
        else:
            shown[column] = value.isoformat() if isinstance(value, date | datetime) else value
    return shown


def _value(value: Any) -> Any:
    # psycopg may hand BYTEA back as a memoryview; floats survive both stores exactly.
    return bytes(value) if isinstance(value, memoryview) else value


__all__ = ["CONFLICT_KEYS_SHOWN", "TableCount", "copy_library"]
