"""Which row is which in two libraries: the identity of each table's rows for ``db copy``.

Two libraries number their notes, annotations, log entries, lists, chunks and
reading sessions each from 1, so an integer id says nothing across libraries.
Those rows are matched by what they are instead (``SURROGATE_IDENTITY``): a
note by its paper, a list by its name, a chunk by its paper and position, and
a row with no natural key (an annotation, a log entry) by its content. The
target gives a copied row a new id, and the rows that point at it (a note's
topics, a log entry's papers, a list's entries) are rewritten to that id.
Every other table is keyed by what it holds (a paper's arXiv id, a topic's
slug, a vector's content hash and model): its primary key is its identity.

A row whose identity the target already has is the same row when the
columns that say what it holds are equal; the columns in ``NOT_COMPARED``
say only when or where a library did something (when it added a paper, the
install path a list was loaded from), or are a vector, and are not compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Integer

if TYPE_CHECKING:
    from sqlalchemy import Table

# Who wrote a row is part of which row it is: two people's notes on one paper
# are two notes, and so are two people's highlights of one passage.
OWNER = "owner"

# Tables with integer ids of their own library: the columns that identify a row
# across libraries. Adding a column to an identity is adding it here.
SURROGATE_IDENTITY: dict[str, tuple[str, ...]] = {
    "reading_list": ("name",),
    "chunk": ("paper_id", "ordinal"),
    "note": ("paper_id", OWNER),
    "annotation": ("paper_id", OWNER, "quote", "prefix", "suffix", "created_at"),
    "log_entry": (OWNER, "created_at", "kind", "text"),
    "reading_session": ("paper_id", OWNER, "started_at"),
}

# Columns not compared: when or where the library holding the row did something,
# and a vector, which two machines compute for the same text and model up to
# float rounding (the target keeps the first, as concurrent clients do).
NOT_COMPARED: dict[str, tuple[str, ...]] = {
    "paper": ("added_at", "updated_at", "pdf_path"),  # pdf_path: under each client's home
    "citation_alias": ("created_at",),
    "paper_version": ("fetched_at",),
    "reading_list": ("loaded_at", "source_path"),  # source_path: the install's list file
    "library_setting": ("updated_at",),
    "note": ("created_at", "updated_at"),
    "annotation": ("updated_at",),
    "removed_paper": ("removed_at",),
    "paper_tag": ("created_at",),
    "vault_note": ("exported_at",),
    "reading_position": ("updated_at",),
    "paper_reference": ("online_checked_at",),
    "embedding": ("vector",),
}


@dataclass(frozen=True)
class TablePlan:
    """How one table is copied: how its rows are found in the target and compared."""

    table: Table
    identity: tuple[str, ...]
    compared: tuple[str, ...]  # equal in both libraries: the row is already there
    surrogate: bool  # an integer id of its own library: the target gives a new one
    remapped: dict[str, str]  # column -> surrogate table whose id it holds

    @property
    def name(self) -> str:
        return self.table.name


def is_surrogate(table: Table) -> bool:
    """A single integer primary key called ``id``: a number, not a name."""
    key = list(table.primary_key.columns)
    return len(key) == 1 and key[0].name == "id" and isinstance(key[0].type, Integer)


def copy_plans(tables: list[Table]) -> list[TablePlan]:
    """A plan per table, in the given (parents first) order."""
    surrogates = {t.name for t in tables if is_surrogate(t)}
    return [_plan(table, surrogates) for table in tables]


def _plan(table: Table, surrogates: set[str]) -> TablePlan:
    columns = [c.name for c in table.columns]
    surrogate = table.name in surrogates
    ignored = set(NOT_COMPARED.get(table.name, ()))
    if surrogate:
        ignored.add("id")
    if not surrogate:
        identity = tuple(c.name for c in table.primary_key.columns)
    elif table.name in SURROGATE_IDENTITY:
        identity = tuple(c for c in SURROGATE_IDENTITY[table.name] if c in columns or c != OWNER)
        missing = [c for c in identity if c not in columns]
        if missing:
            raise ValueError(f"{table.name} has no column {missing[0]} (SURROGATE_IDENTITY)")
    else:
        # A table with ids and no natural key: its content says which row it is.
        identity = tuple(c for c in columns if c not in ignored)
    remapped = {
        fk.parent.name: fk.column.table.name
        for fk in table.foreign_keys
        if fk.column.table.name in surrogates
    }
    return TablePlan(
        table=table,
        identity=identity,
        compared=tuple(c for c in columns if c not in ignored),
        surrogate=surrogate,
        remapped=remapped,
    )


__all__ = ["NOT_COMPARED", "OWNER", "SURROGATE_IDENTITY", "TablePlan", "copy_plans", "is_surrogate"]
