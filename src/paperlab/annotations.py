"""The annotations service: highlights anchored by the text they quote.

An annotation stores the exact quote as found in the extracted page text, a
little context before and after it, its page and character offsets (the W3C
TextQuoteSelector idea). Offsets are a cache: after a re-extraction or a new
version, ``reanchor_annotations`` finds every quote again by its text and
context. An annotation whose quote is gone is kept with ``page=None``; none is
ever deleted except by the user.

The matching itself (and choosing among repeated quotes) is in ``anchoring``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from paperlab.anchoring import (
    Anchor,
    PageIndex,
    locate,
    not_found_hint,
    occurrences,
    pick_occurrence,
)
from paperlab.annotation_views import (
    HIGHLIGHT_KINDS,
    annotation_order,
    annotation_tags,
    annotation_to_json,
    list_annotations,
    validate_highlight_kind,
)
from paperlab.errors import NotFoundError, UsageError
from paperlab.library import resolve_paper
from paperlab.store import Store
from paperlab.store.models import Annotation, Page, Paper, dumps, utcnow
from paperlab.store.values import check_owner

CONTEXT_CHARS = 32

# Highlight colours by name (RGB in 0..1, as PDF annotations want them); any
# "#rrggbb" is accepted too.
COLORS: dict[str, tuple[float, float, float]] = {
    "yellow": (1.0, 0.92, 0.23),
    "green": (0.55, 0.85, 0.45),
    "blue": (0.45, 0.7, 1.0),
    "pink": (1.0, 0.6, 0.8),
    "red": (1.0, 0.45, 0.45),
    "orange": (1.0, 0.7, 0.3),
    "purple": (0.75, 0.6, 1.0),
    "grey": (0.75, 0.75, 0.75),
}
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class ReanchorReport:
    """What ``reanchor_annotations`` did to a paper's annotations."""

    paper_id: str
    total: int = 0
    unchanged: int = 0
    moved: int = 0
    lost: tuple[int, ...] = field(default_factory=tuple)
    pages: int = 0


# --------------------------------------------------------------------------- service


def _pages(session: Session, paper_id: str) -> list[tuple[int, str]]:
    rows = session.exec(
        select(Page.number, Page.text).where(Page.paper_id == paper_id).order_by(col(Page.number))
    ).all()
    return [(int(n), t) for n, t in rows]


def validate_color(color: str) -> str:
    """A known colour name or ``#rrggbb``, lower-cased; UsageError with a guess otherwise."""
    value = color.strip().lower()
    if value == "gray":
        value = "grey"
    if value in COLORS or _HEX.fullmatch(value):
        return value
    close = difflib.get_close_matches(value, list(COLORS), n=1)
    guess = f"Did you mean {close[0]}? " if close else ""
    raise UsageError(
        f"Unknown colour {color!r}.", hint=f"{guess}Use one of {', '.join(COLORS)} or #rrggbb."
    )


def color_rgb(color: str) -> tuple[float, float, float]:
    """The RGB triple (0..1) of a stored colour; yellow for anything unreadable."""
    if _HEX.fullmatch(color):
        red, green, blue = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))
        return (red, green, blue)
    return COLORS.get(color, COLORS["yellow"])


def _clean_tags(tags: Iterable[str]) -> list[str]:
    out: list[str] = []
    for tag in tags:
        tag = tag.strip()
        if tag and tag not in out:
            out.append(tag)
    return out


def add_annotation(
    store: Store,
    paper: str,
    quote: str,
    *,
    page: int | None = None,
    comment: str = "",
    color: str = "yellow",
    tags: Iterable[str] = (),
    occurrence: int | None = None,
    near: int | None = None,
    kind: str = "highlight",
    shared: bool = False,
) -> Annotation:
    """Anchor ``quote`` in the paper's extracted text and store an annotation for it.

    A quote found more than once is refused (UsageError listing where) unless
    ``occurrence`` (1-based, in page order; on ``page`` when given) picks one,
    or ``near`` (a character offset on ``page``, as the reader's selection
    knows it) says which.
    """
    if not quote.strip():
        raise UsageError("The quote to annotate is empty.", hint="Pass the text with --quote.")
    color = validate_color(color)
    kind = validate_highlight_kind(kind)
    clean_tags = _clean_tags(tags)
    with store.write() as session:
        found = resolve_paper(session, paper)
        pages = _pages(session, found.id)
        if not any(text.strip() for _, text in pages):
            raise UsageError(
                f"{found.id} has no extracted text yet, so there is nothing to anchor to.",
                hint=f"Extract it first: paperlab index {found.id}",
            )
        if page is not None and page not in {n for n, _ in pages}:
            raise UsageError(
                f"{found.id} has no page {page} (it has pages 1-{max(n for n, _ in pages)}).",
                hint="Leave out --page to search every page.",
            )
        index = PageIndex(pages)
        places = occurrences(index, quote, page)
        if not places:
            where = f" (page {page} or any other page)" if page is not None else ""
            raise NotFoundError(
                f"The quote was not found in {found.id}{where}.",
                hint=not_found_hint(index, quote),
            )
        anchor = pick_occurrence(index, found.id, places, page, occurrence, near)
        text = index.text_of(anchor.page)
        now = utcnow()
        annotation = Annotation(
            paper_id=found.id,
            quote=text[anchor.start : anchor.end],
            prefix=text[max(0, anchor.start - CONTEXT_CHARS) : anchor.start],
            suffix=text[anchor.end : anchor.end + CONTEXT_CHARS],
            page=anchor.page,
            char_start=anchor.start,
            char_end=anchor.end,
            comment=comment,
            color=color,
            kind=kind,
            tags=dumps(clean_tags),
            created_at=now,
            updated_at=now,
            shared=shared,
        )
        session.add(annotation)
        session.flush()
        session.refresh(annotation)
        return annotation


def _annotations_of(session: Session, paper_id: str) -> list[Annotation]:
    rows = session.exec(select(Annotation).where(Annotation.paper_id == paper_id)).all()
    return sorted(rows, key=annotation_order)


def _get(session: Session, annotation_id: int) -> Annotation:
    """The annotation, read under a row lock, if it is the current user's to change.

    The lock (PostgreSQL's ``FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE`` already
    serialises writers) holds another client's edit of the same row until
    this one commits, so each edit applies to the row as the other left it.
    """
    annotation = session.get(Annotation, annotation_id, with_for_update=True)
    if annotation is None or not (annotation.shared or annotation.owner == _me()):
        raise NotFoundError(
            f"There is no annotation {annotation_id}.",
            hint="List a paper's annotations with: paperlab annotations ID",
        )
    check_owner(f"annotation {annotation_id}", annotation.owner)
    return annotation


def _me() -> str:
    from paperlab.settings import current_user

    return current_user()


def update_annotation(
    store: Store,
    annotation_id: int,
    *,
    comment: str | None = None,
    color: str | None = None,
    tags: Iterable[str] | None = None,
    kind: str | None = None,
    shared: bool | None = None,
) -> Annotation:
    """Change one of the user's annotations: comment, colour, tags, kind or sharing.

    None leaves a value as it is. Another user's annotation is refused
    (NotOwnerError naming its owner); one they did not share is not found.
    """
    new_color = validate_color(color) if color is not None else None
    new_kind = validate_highlight_kind(kind) if kind is not None else None
    new_tags = _clean_tags(tags) if tags is not None else None
    with store.write() as session:
        annotation = _get(session, annotation_id)
        if comment is not None:
            annotation.comment = comment
        if new_color is not None:
            annotation.color = new_color
        if new_tags is not None:
            annotation.tags = dumps(new_tags)
        if new_kind is not None:
            annotation.kind = new_kind
        if shared is not None:
            annotation.shared = shared
        annotation.updated_at = utcnow()
        session.add(annotation)
        session.flush()
        session.refresh(annotation)
        return annotation


def delete_annotation(store: Store, annotation_id: int) -> None:
    """Delete one of the user's annotations (NotFoundError when there is no such id)."""
    with store.write() as session:
        session.delete(_get(session, annotation_id))


def reanchor_annotations(store: Store, paper_id: str) -> ReanchorReport:
    """Find every annotation of a paper again in its (new) page text.

    Called after re-extraction or a new version. Annotations whose quote is
    gone keep their text, comment and context with ``page=None``; a later
    re-anchoring restores them if the quote comes back. With no extracted
    pages at all nothing is touched.
    """
    with store.write() as session:
        paper = session.get(Paper, paper_id) or resolve_paper(session, paper_id)
        pages = _pages(session, paper.id)
        annotations = _annotations_of(session, paper.id)
        if not any(text.strip() for _, text in pages):
            return ReanchorReport(paper.id, total=len(annotations), pages=len(pages))
        index = PageIndex(pages)
        unchanged = moved = 0
        lost: list[int] = []
        for annotation in annotations:
            anchor = index.locate(
                annotation.quote, annotation.prefix, annotation.suffix, annotation.page
            )
            if anchor is None:
                lost.append(annotation.id or 0)
                if annotation.page is None and annotation.char_start is None:
                    continue
                annotation.page = annotation.char_start = annotation.char_end = None
            elif (anchor.page, anchor.start, anchor.end) == (
                annotation.page,
                annotation.char_start,
                annotation.char_end,
            ):
                unchanged += 1
                continue
            else:
                moved += 1
                annotation.page = anchor.page
                annotation.char_start = anchor.start
                annotation.char_end = anchor.end
            annotation.updated_at = utcnow()
            session.add(annotation)
        return ReanchorReport(
            paper.id,
            total=len(annotations),
            unchanged=unchanged,
            moved=moved,
            lost=tuple(lost),
            pages=len(pages),
        )


__all__ = [
    "COLORS",
    "CONTEXT_CHARS",
    "HIGHLIGHT_KINDS",
    "Anchor",
    "ReanchorReport",
    "add_annotation",
    "annotation_tags",
    "annotation_to_json",
    "color_rgb",
    "delete_annotation",
    "list_annotations",
    "locate",
    "reanchor_annotations",
    "update_annotation",
    "validate_color",
    "validate_highlight_kind",
]
