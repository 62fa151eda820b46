"""Read-only views for front ends: a paper's pages and outline, the grouped library.

Each function opens one short read transaction and returns plain values, so
no session is ever held across an await.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select

from paperlab.library import PaperRow, list_papers
from paperlab.store import Store
from paperlab.store.models import Chunk, LogEntry, Note, Page, Paper, ReadingList, ReadingListEntry

NO_LIST = "(not in a reading list)"


@dataclass(frozen=True)
class LibraryItem:
    """One paper as the library screen shows it, inside one list/week group."""

    paper: PaperRow
    list_name: str | None
    list_title: str
    week: int | None
    position: int

    @property
    def group(self) -> str:
        week = f" · week {self.week}" if self.week is not None else ""
        return f"{self.list_title}{week}"


def library_items(store: Store) -> list[LibraryItem]:
    """Every paper once per reading list it is on (papers on no list come last)."""
    rows = {row.id: row for row in list_papers(store)}
    with store.read() as session:
        entries = session.exec(
            select(ReadingListEntry, ReadingList).join(
                ReadingList, col(ReadingList.id) == col(ReadingListEntry.list_id)
            )
        ).all()
        placed: set[str] = set()
        items: list[LibraryItem] = []
        for entry, rl in entries:
            row = rows.get(entry.paper_id)
            if row is None:
                continue
            placed.add(row.id)
            items.append(LibraryItem(row, rl.name, rl.title, entry.week, entry.position))
    items.extend(
        LibraryItem(row, None, NO_LIST, None, 0) for pid, row in rows.items() if pid not in placed
    )
    return items


def library_signature(store: Store) -> tuple[object, ...]:
    """A cheap fingerprint that changes whenever papers, notes or the log change."""
    with store.read() as session:
        papers = session.exec(select(func.count(), func.max(Paper.updated_at))).one()
        notes = session.exec(select(func.count(), func.max(Note.updated_at))).one()
        logs = session.exec(select(func.count(), func.max(LogEntry.id))).one()
    return (*papers, *notes, *logs)


def load_pages(store: Store, paper_id: str) -> list[tuple[int, str]]:
    """The paper's extracted pages as (number, text), in order."""
    with store.read() as session:
        rows = session.exec(
            select(Page.number, Page.text)
            .where(Page.paper_id == paper_id)
            .order_by(col(Page.number))
        ).all()
    return [(int(n), str(t)) for n, t in rows]


@dataclass(frozen=True)
class OutlineEntry:
    section: str
    page: int
    offset: int


def load_outline(store: Store, paper_id: str) -> list[OutlineEntry]:
    """Section headings in reading order, each at its first chunk's page and offset."""
    with store.read() as session:
        rows = session.exec(
            select(Chunk.section, Chunk.page_start, Chunk.char_start)
            .where(Chunk.paper_id == paper_id)
            .order_by(col(Chunk.ordinal))
        ).all()
    out: list[OutlineEntry] = []
    last: str | None = None
    for section, page, offset in rows:
        if section and section != last:
            out.append(OutlineEntry(section, int(page), int(offset)))
        last = section or last
    return out


def load_paper(store: Store, paper_id: str) -> Paper | None:
    with store.read() as session:
        return session.get(Paper, paper_id)


__all__ = [
    "NO_LIST",
    "LibraryItem",
    "OutlineEntry",
    "library_items",
    "library_signature",
    "load_outline",
    "load_pages",
    "load_paper",
]
