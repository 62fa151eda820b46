"""Read-only views for front ends: the grouped library, a paper's pages and outline,
and how listings mark whose an item is, read with plain sqlite3 (``Store.connect()``).

Each function opens one short read transaction and returns plain values, so
no session is ever held across an await, and no caller needs the ORM.
Annotations' views are in ``annotation_views`` and the research log's in
``log_views`` (each re-exported by its write service); ``owner_label`` stays
here because notes, annotations, log entries and search hits all use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from paperlab.catalog import PaperRow, list_papers
from paperlab.store.values import LIST_MEMBERS, me

if TYPE_CHECKING:
    from paperlab.store import Store
    from paperlab.store.models import Paper

NO_LIST = "(not in a reading list)"

# --------------------------------------------------------------------------- library


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
    with store.connect() as conn:
        entries = conn.execute(
            f"SELECT e.paper_id, l.name, l.title, e.week, e.position FROM {LIST_MEMBERS} e "
            "JOIN reading_list l ON l.id = e.list_id"
        ).all()
    placed: set[str] = set()
    items: list[LibraryItem] = []
    for paper_id, name, title, week, position in entries:
        row = rows.get(paper_id)
        if row is None:
            continue
        placed.add(row.id)
        items.append(LibraryItem(row, name, title, week, position))
    items.extend(
        LibraryItem(row, None, NO_LIST, None, 0) for pid, row in rows.items() if pid not in placed
    )
    return items


def library_signature(store: Store) -> tuple[object, ...]:
    """A cheap fingerprint that changes whenever papers, notes, free tags, the log or a
    reading state change (anyone's: a colleague's shared note shows up too)."""
    with store.connect() as conn:
        papers = conn.execute("SELECT COUNT(*), MAX(updated_at) FROM paper").first() or ()
        notes = conn.execute("SELECT COUNT(*), MAX(updated_at) FROM note").first() or ()
        logs = conn.execute("SELECT COUNT(*), MAX(id) FROM log_entry").first() or ()
        tags = conn.execute("SELECT COUNT(*), MAX(created_at) FROM paper_tag").first() or ()
        states = conn.execute("SELECT COUNT(*), MAX(updated_at) FROM reading_state").first()
    return (*papers, *notes, *logs, *tags, *(states or ()))


# --------------------------------------------------------------------------- one paper


def load_pages(store: Store, paper_id: str) -> list[tuple[int, str]]:
    """The paper's extracted pages as (number, text), in order."""
    with store.connect() as conn:
        rows = conn.execute(
            "SELECT number, text FROM page WHERE paper_id = :p ORDER BY number", {"p": paper_id}
        ).all()
    return [(int(n), str(t)) for n, t in rows]


@dataclass(frozen=True)
class OutlineEntry:
    section: str
    page: int
    offset: int


def load_outline(store: Store, paper_id: str) -> list[OutlineEntry]:
    """Section headings in reading order, each at its first chunk's page and offset.

    Papers extracted before figure labels were told apart from headings keep
    such labels in their chunks; entries with no word a heading is made of
    ("at at+1", "4 S 1 S 1") are left out here too.
    """
    from paperlab.extract.sections import plausible_heading

    with store.connect() as conn:
        rows = conn.execute(
            "SELECT section, page_start, char_start FROM chunk WHERE paper_id = :p "
            "ORDER BY ordinal",
            {"p": paper_id},
        ).all()
    out: list[OutlineEntry] = []
    last: str | None = None
    for section, page, offset in rows:
        if section and section != last and plausible_heading(section):
            out.append(OutlineEntry(section, int(page), int(offset)))
        last = section or last
    return out


def load_paper(store: Store, paper_id: str) -> Paper | None:
    """The paper, its ``reading_state`` the current user's (detached: never written back)."""
    with store.read() as session:
        from paperlab.store.models import Paper, PaperReadingState

        paper = session.get(Paper, paper_id)
        if paper is None:
            return None
        state = session.get(PaperReadingState, (paper_id, me()["me"]))
        session.expunge(paper)
        paper.reading_state = state.state if state is not None else "unread"
        return paper


# --------------------------------------------------------------------------- whose item


def owner_label(owner: str, shared: bool) -> str:
    """How listings mark whose an item is: ``[alice] `` for another user's (shared)
    item, ``(shared) `` for one's own shared item, nothing for one's own private one."""
    from paperlab.settings import current_user

    if owner and owner != current_user():
        return f"[{owner}] "
    return "(shared) " if shared else ""


__all__ = [
    "NO_LIST",
    "LibraryItem",
    "OutlineEntry",
    "library_items",
    "library_signature",
    "load_outline",
    "load_pages",
    "load_paper",
    "owner_label",
]
