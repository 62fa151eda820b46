"""Read-only views for front ends: the grouped library, a paper's pages and outline,
annotations and the research log, read with plain sqlite3 (``Store.connect()``).

Each function opens one short read transaction and returns plain values, so
no session is ever held across an await, and no caller needs the ORM: the
write services (``annotations``, ``researchlog``) re-export what is here.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from paperlab.catalog import PaperRow, list_papers
from paperlab.errors import UsageError
from paperlab.lookup import require_topic, resolve_paper_id
from paperlab.store.values import LIST_MEMBERS, loads_list, me, parse_datetime, visible

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


# --------------------------------------------------------------------------- annotations


class AnnotationLike(Protocol):
    """What the JSON and the listings read of an annotation (a row or an ORM object)."""

    @property
    def id(self) -> int | None: ...

    @property
    def paper_id(self) -> str: ...

    @property
    def quote(self) -> str: ...

    @property
    def prefix(self) -> str: ...

    @property
    def suffix(self) -> str: ...

    @property
    def page(self) -> int | None: ...

    @property
    def char_start(self) -> int | None: ...

    @property
    def char_end(self) -> int | None: ...

    @property
    def comment(self) -> str: ...

    @property
    def color(self) -> str: ...

    @property
    def tags(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def updated_at(self) -> datetime: ...

    @property
    def kind(self) -> str: ...

    @property
    def owner(self) -> str: ...

    @property
    def shared(self) -> bool: ...


# What a highlight is for; "highlight" is the plain kind every old annotation has.
HIGHLIGHT_KINDS: tuple[str, ...] = ("highlight", "question", "key-claim", "to-cite")

# How exports name a kind where a reader sees it (a vault page line, a PDF pop-up).
HIGHLIGHT_KIND_LABELS: dict[str, str] = {
    "highlight": "Highlight",
    "question": "Question",
    "key-claim": "Key claim",
    "to-cite": "To cite",
}


def validate_highlight_kind(kind: str) -> str:
    """The canonical highlight kind for ``kind`` (a prefix will do), or a UsageError."""
    value = kind.strip().lower().replace("_", "-").replace(" ", "-")
    if value in HIGHLIGHT_KINDS:
        return value
    prefixed = [k for k in HIGHLIGHT_KINDS if value and k.startswith(value)]
    if len(prefixed) == 1:
        return prefixed[0]
    close = prefixed[:1] or difflib.get_close_matches(value, HIGHLIGHT_KINDS, n=1)
    guess = f"Did you mean {close[0]}? " if close else ""
    raise UsageError(
        f"Unknown highlight kind {kind!r}.",
        hint=f"{guess}Kinds: {', '.join(HIGHLIGHT_KINDS)}.",
    )


@dataclass(frozen=True)
class AnnotationView:
    """One annotation as stored (``tags`` is its JSON text, as on the table)."""

    id: int
    paper_id: str
    quote: str
    prefix: str
    suffix: str
    page: int | None
    char_start: int | None
    char_end: int | None
    comment: str
    color: str
    tags: str
    created_at: datetime
    updated_at: datetime
    kind: str = "highlight"
    owner: str = ""
    shared: bool = False


_ANNOTATION_COLUMNS = ", ".join(AnnotationView.__dataclass_fields__)


def annotation_order(annotation: AnnotationLike) -> tuple[bool, int, int, int]:
    """By page and offset, unanchored ones last."""
    return (
        annotation.page is None,
        annotation.page or 0,
        annotation.char_start or 0,
        annotation.id or 0,
    )


def list_annotations(store: Store, paper: str) -> list[AnnotationView]:
    """The paper's annotations the current user sees (their own and shared ones),
    by page and offset (unanchored ones last)."""
    with store.connect() as conn:
        paper_id = resolve_paper_id(conn, paper)
        rows = conn.execute(
            f"SELECT {_ANNOTATION_COLUMNS} FROM annotation a "
            f"WHERE a.paper_id = :p AND {visible('a')}",
            {"p": paper_id, **me()},
        ).all()
    return sorted((_annotation_view(row) for row in rows), key=annotation_order)


def _annotation_view(row: Any) -> AnnotationView:
    (aid, pid, quote, prefix, suffix, page, start, end, comment, color, tags, made, changed,
     kind, owner, shared) = row  # fmt: skip
    return AnnotationView(
        id=aid,
        paper_id=pid,
        quote=quote,
        prefix=prefix,
        suffix=suffix,
        page=page,
        char_start=start,
        char_end=end,
        comment=comment,
        color=color,
        tags=tags,
        created_at=parse_datetime(made) or datetime.min,
        updated_at=parse_datetime(changed) or datetime.min,
        kind=kind or "highlight",
        owner=owner,
        shared=bool(shared),
    )


@dataclass(frozen=True)
class AnnotatedPassage:
    """One annotation with the title of its paper (the annotations browser's row)."""

    annotation: AnnotationView
    title: str


def browse_annotations(
    store: Store, *, kind: str | None = None, tag: str | None = None
) -> list[AnnotatedPassage]:
    """Every paper's annotations the current user sees, by paper title then page order,
    keeping those of ``kind`` and carrying ``tag`` (exact, case-insensitive)."""
    query = (
        f"SELECT {', '.join('a.' + c for c in AnnotationView.__dataclass_fields__)}, "
        "COALESCE(p.title, a.paper_id) FROM annotation a LEFT JOIN paper p ON p.id = a.paper_id"
        f" WHERE {visible('a')}"
    )
    params: dict[str, Any] = me()
    if kind is not None:
        query += " AND a.kind = :kind"
        params["kind"] = validate_highlight_kind(kind)
    with store.connect() as conn:
        rows = conn.execute(query, params).all()
    wanted = tag.strip().lower() if tag else None
    found = []
    for row in rows:
        view = _annotation_view(row[:-1])
        if wanted and wanted not in {t.lower() for t in annotation_tags(view)}:
            continue
        found.append(AnnotatedPassage(view, str(row[-1])))
    found.sort(
        key=lambda p: (p.title.lower(), p.annotation.paper_id, annotation_order(p.annotation))
    )
    return found


def annotation_tags(annotation: AnnotationLike) -> list[str]:
    """The annotation's tags as a list."""
    return [str(t) for t in loads_list(annotation.tags)]


def annotation_to_json(annotation: AnnotationLike) -> dict[str, Any]:
    """An annotation as plain data (``--json``, exports)."""
    return {
        "id": annotation.id,
        "paper_id": annotation.paper_id,
        "page": annotation.page,
        "char_start": annotation.char_start,
        "char_end": annotation.char_end,
        "quote": annotation.quote,
        "prefix": annotation.prefix,
        "suffix": annotation.suffix,
        "comment": annotation.comment,
        "color": annotation.color,
        "kind": annotation.kind,
        "tags": annotation_tags(annotation),
        "anchored": annotation.page is not None,
        "owner": annotation.owner,
        "shared": bool(annotation.shared),
        "created_at": annotation.created_at.isoformat(),
        "updated_at": annotation.updated_at.isoformat(),
    }


def owner_label(owner: str, shared: bool) -> str:
    """How listings mark whose an item is: ``[alice] `` for another user's (shared)
    item, ``(shared) `` for one's own shared item, nothing for one's own private one."""
    from paperlab.settings import current_user

    if owner and owner != current_user():
        return f"[{owner}] "
    return "(shared) " if shared else ""


# --------------------------------------------------------------------------- research log

LOG_KINDS: tuple[str, ...] = ("idea", "question", "experiment", "result", "decision", "todo")


@dataclass(frozen=True)
class LogEntryView:
    """One log entry with the ids of what it links to."""

    id: int
    created_at: datetime
    kind: str
    text: str
    paper_ids: list[str]
    topic_slugs: list[str]
    owner: str = ""
    shared: bool = False

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["created_at"] = self.created_at.isoformat()
        return data


def validate_kind(kind: str) -> str:
    """The canonical kind for ``kind``, or a UsageError with a guess."""
    value = kind.strip().lower()
    if value in LOG_KINDS:
        return value
    prefixed = [k for k in LOG_KINDS if value and k.startswith(value)]
    close = prefixed[:1] or difflib.get_close_matches(value, LOG_KINDS, n=1)
    guess = f"Did you mean {close[0]}? " if close else ""
    raise UsageError(
        f"Unknown log entry kind {kind!r}.", hint=f"{guess}Kinds: {', '.join(LOG_KINDS)}."
    )


def as_utc(value: datetime) -> datetime:
    """Stored timestamps are UTC without a zone; say so (or convert an aware one)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def list_entries(
    store: Store,
    *,
    kind: str | None = None,
    paper: str | None = None,
    topic: str | None = None,
    limit: int | None = None,
) -> list[LogEntryView]:
    """The entries the current user sees (their own and shared ones), newest first,
    filtered by kind, linked paper and linked topic."""
    if limit is not None and limit < 1:
        raise UsageError(f"The limit must be at least 1, not {limit}.")
    joins: list[str] = []
    where: list[str] = [visible("l")]
    params: dict[str, Any] = me()
    if kind is not None:
        where.append("l.kind = :kind")
        params["kind"] = validate_kind(kind)
    with store.connect() as conn:
        if paper is not None:
            params["paper"] = resolve_paper_id(conn, paper)
            joins.append("JOIN log_paper lp ON lp.log_id = l.id AND lp.paper_id = :paper")
        if topic is not None:
            params["topic"] = require_topic(conn, topic.strip())
            joins.append("JOIN log_topic lt ON lt.log_id = l.id AND lt.topic_slug = :topic")
        statement = (
            "SELECT l.id, l.created_at, l.kind, l.text, l.owner, l.shared FROM log_entry l "
            + " ".join(joins)
            + " WHERE "
            + " AND ".join(where)
            + " ORDER BY l.created_at DESC, l.id DESC"
            + (" LIMIT :limit" if limit is not None else "")
        )
        params["limit"] = limit
        entries = conn.execute(statement, params).all()
        return _log_views(conn, entries)


def get_entry_view(store: Store, entry_id: int) -> LogEntryView | None:
    """One entry the current user sees, with its links, or None when there is none."""
    with store.connect() as conn:
        entries = conn.execute(
            "SELECT l.id, l.created_at, l.kind, l.text, l.owner, l.shared FROM log_entry l "
            f"WHERE l.id = :i AND {visible('l')}",
            {"i": entry_id, **me()},
        ).all()
        views = _log_views(conn, entries)
    return views[0] if views else None


def _log_views(conn: Any, entries: list[tuple[Any, ...]]) -> list[LogEntryView]:
    ids = [row[0] for row in entries]
    papers: dict[int, list[str]] = {}
    topics: dict[int, list[str]] = {}
    if ids:
        for log_id, paper_id in conn.execute(
            "SELECT log_id, paper_id FROM log_paper WHERE log_id IN :ids ORDER BY paper_id",
            {"ids": ids},
        ):
            papers.setdefault(log_id, []).append(paper_id)
        for log_id, slug in conn.execute(
            "SELECT log_id, topic_slug FROM log_topic WHERE log_id IN :ids ORDER BY topic_slug",
            {"ids": ids},
        ):
            topics.setdefault(log_id, []).append(slug)
    return [
        LogEntryView(
            id=int(entry_id),
            created_at=as_utc(parse_datetime(created) or datetime.min),
            kind=kind,
            text=text,
            paper_ids=papers.get(entry_id, []),
            topic_slugs=topics.get(entry_id, []),
            owner=owner,
            shared=bool(shared),
        )
        for entry_id, created, kind, text, owner, shared in entries
    ]


__all__ = [
    "HIGHLIGHT_KINDS",
    "LOG_KINDS",
    "NO_LIST",
    "AnnotatedPassage",
    "AnnotationView",
    "LibraryItem",
    "LogEntryView",
    "OutlineEntry",
    "annotation_order",
    "annotation_tags",
    "annotation_to_json",
    "as_utc",
    "browse_annotations",
    "get_entry_view",
    "library_items",
    "library_signature",
    "list_annotations",
    "list_entries",
    "load_outline",
    "load_pages",
    "load_paper",
    "owner_label",
    "validate_highlight_kind",
    "validate_kind",
]
