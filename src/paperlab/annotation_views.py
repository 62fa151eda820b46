"""Read-only views of annotations: one paper's, every paper's for the browser, and
their kinds, tags and JSON, read with plain sqlite3 (``Store.connect()``).

They live apart from the write service (``annotations``, which re-exports
them) so that ``paperlab annotations`` and the TUI list highlights without
importing the ORM, and apart from the library and log views so each stays
one job.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from paperlab.errors import UsageError
from paperlab.lookup import resolve_paper_id
from paperlab.store.values import loads_list, me, parse_datetime, visible

if TYPE_CHECKING:
    from paperlab.store import Store


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


__all__ = [
    "HIGHLIGHT_KINDS",
    "HIGHLIGHT_KIND_LABELS",
    "AnnotatedPassage",
    "AnnotationLike",
    "AnnotationView",
    "annotation_order",
    "annotation_tags",
    "annotation_to_json",
    "browse_annotations",
    "list_annotations",
    "validate_highlight_kind",
]
