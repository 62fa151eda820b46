"""The annotations service: highlights anchored by the text they quote.

An annotation stores the exact quote as found in the extracted page text, a
little context before and after it, its page and character offsets (the W3C
TextQuoteSelector idea). Offsets are a cache: after a re-extraction or a new
version, ``reanchor_annotations`` finds every quote again by its text and
context. An annotation whose quote is gone is kept with ``page=None``; none is
ever deleted except by the user.

Matching forgives what PDF text extraction varies on: runs of whitespace,
words hyphenated at a line break, ligatures and typographic quotes; it tries
case-sensitive before case-insensitive, and a strict form before a loose one.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from paperlab.errors import NotFoundError, UsageError
from paperlab.library import resolve_paper
from paperlab.store import Store
from paperlab.store.models import Annotation, Page, Paper, dumps, utcnow
from paperlab.views import (
    annotation_order,
    annotation_tags,
    annotation_to_json,
    list_annotations,
)

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
class Anchor:
    """Where a quote sits: page number and character offsets into that page's text."""

    page: int
    start: int
    end: int


@dataclass(frozen=True)
class ReanchorReport:
    """What ``reanchor_annotations`` did to a paper's annotations."""

    paper_id: str
    total: int = 0
    unchanged: int = 0
    moved: int = 0
    lost: tuple[int, ...] = field(default_factory=tuple)
    pages: int = 0


# --------------------------------------------------------------------------- matching

_HYPHENS = "-\u2010\u2011\u00ad"
# A word broken at the end of a line: "stochas-\n tic".
_LINE_BREAK_HYPHEN = re.compile(r"(?<=\w)[-\u2010\u2011\u00ad][ \t]*\n\s*(?=\w)")
# Curly quotes, dashes, minus and no-break space as users type them.
_TYPOGRAPHIC = str.maketrans(
    "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u2013\u2014\u2212\u00a0", "''''\"\"\"--- "
)


def _normalise(text: str, *, loose: bool, fold: bool) -> tuple[str, list[int]]:
    """A comparison form of ``text`` and, per output char, its source index.

    Strict form: whitespace runs become one space and line-break hyphenation
    is joined. Loose form drops whitespace and hyphens altogether, so
    "state-\\nof-the-art", "stochas- tic" and "stochastic" all compare equal.
    """
    dropped: set[int] = set()
    for m in _LINE_BREAK_HYPHEN.finditer(text):
        dropped.update(range(m.start(), m.end()))
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if i in dropped or ch == "\u00ad":
            continue
        if ch.isspace():
            if loose or not out or out[-1] == " ":
                continue
            out.append(" ")
            index.append(i)
            continue
        if loose and ch in _HYPHENS:
            continue
        # ASCII needs no Unicode normalisation; skipping it keeps long pages fast.
        mapped = ch if ch < "\x80" else unicodedata.normalize("NFKC", ch.translate(_TYPOGRAPHIC))
        if fold:
            mapped = mapped.casefold()
        for piece in mapped:
            if loose and (piece.isspace() or piece in _HYPHENS):
                continue
            out.append(piece)
            index.append(i)
    return "".join(out), index


# How much better (0..1) another occurrence's context must match to beat the
# occurrence on the hinted page: page numbers shift between versions, context
# rarely does, but identical passages should stay where the user put them.
_HINT_BONUS = 0.3

# (loose, fold) in the order we trust them: exact-ish first.
_TIERS: tuple[tuple[bool, bool], ...] = ((False, False), (False, True), (True, False), (True, True))


class _PageIndex:
    """Page texts with their normalised forms, computed once per tier."""

    def __init__(self, pages: Sequence[tuple[int, str]]) -> None:
        self.pages = [(int(number), text or "") for number, text in pages]
        self._cache: dict[tuple[int, bool, bool], tuple[str, list[int]]] = {}

    def form(self, position: int, loose: bool, fold: bool) -> tuple[str, list[int]]:
        key = (position, loose, fold)
        if key not in self._cache:
            self._cache[key] = _normalise(self.pages[position][1], loose=loose, fold=fold)
        return self._cache[key]

    def find_all(self, quote: str, loose: bool, fold: bool) -> list[Anchor]:
        needle, _ = _normalise(quote, loose=loose, fold=fold)
        needle = needle.strip()
        if not needle:
            return []
        found: list[Anchor] = []
        for position, (number, _text) in enumerate(self.pages):
            hay, index = self.form(position, loose, fold)
            at = hay.find(needle)
            while at != -1:
                start = index[at]
                end = index[at + len(needle) - 1] + 1
                found.append(Anchor(number, start, end))
                at = hay.find(needle, at + 1)
        return found

    def text_of(self, page: int) -> str:
        for number, text in self.pages:
            if number == page:
                return text
        return ""

    def locate(
        self, quote: str, prefix: str = "", suffix: str = "", page_hint: int | None = None
    ) -> Anchor | None:
        first: list[Anchor] = []
        for loose, fold in _TIERS:
            candidates = self.find_all(quote, loose, fold)
            if not candidates:
                continue
            if page_hint is None or any(a.page == page_hint for a in candidates):
                return self._choose(candidates, prefix, suffix, page_hint)
            # Found, but not on the hinted page: a looser form may still find
            # it there, which beats a stricter match elsewhere.
            first = first or candidates
        return self._choose(first, prefix, suffix, page_hint) if first else None

    def _choose(
        self, candidates: list[Anchor], prefix: str, suffix: str, page_hint: int | None
    ) -> Anchor:
        if len(candidates) == 1:
            return candidates[0]
        parts = [part for part in (prefix, suffix) if part.strip()]
        if not parts:
            on_page = [a for a in candidates if a.page == page_hint]
            return (on_page or candidates)[0]

        def score(anchor: Anchor) -> float:
            text = self.text_of(anchor.page)
            total = 0.0
            if prefix.strip():
                before = text[max(0, anchor.start - len(prefix) - 8) : anchor.start]
                total += _similarity(prefix, before, from_end=True)
            if suffix.strip():
                after = text[anchor.end : anchor.end + len(suffix) + 8]
                total += _similarity(suffix, after, from_end=False)
            bonus = _HINT_BONUS if anchor.page == page_hint else 0.0
            return total / len(parts) + bonus

        # max() keeps the first of equal scores: document order breaks ties.
        return max(candidates, key=score)


def _similarity(expected: str, actual: str, *, from_end: bool) -> float:
    a, _ = _normalise(expected, loose=True, fold=True)
    b, _ = _normalise(actual, loose=True, fold=True)
    if not a or not b:
        return 0.0
    b = b[-len(a) :] if from_end else b[: len(a)]
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def locate(
    pages: Sequence[tuple[int, str]],
    quote: str,
    prefix: str = "",
    suffix: str = "",
    page_hint: int | None = None,
) -> Anchor | None:
    """Find ``quote`` in ``(page number, text)`` pairs; None when it is absent.

    When the quote occurs more than once, an occurrence on ``page_hint`` wins
    unless another one's surroundings match ``prefix``/``suffix`` clearly
    better (pages shift between versions); then the best context match; then
    document order. Offsets index the original page text.
    """
    return _PageIndex(pages).locate(quote, prefix, suffix, page_hint)


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


def _not_found_hint(index: _PageIndex, quote: str) -> str:
    """Point at the longest leading part of the quote that is in the text."""
    words = quote.split()
    for count in range(len(words) - 1, 2, -1):
        start = " ".join(words[:count])
        for loose, fold in _TIERS:
            hits = index.find_all(start, loose, fold)
            if hits:
                return (
                    f'Its start ("{start}") is on page {hits[0].page}; '
                    "check the words after it against the paper's text."
                )
    return (
        "Quote a passage exactly as the paper words it "
        "(spacing, case and line-break hyphens do not matter)."
    )


def add_annotation(
    store: Store,
    paper: str,
    quote: str,
    *,
    page: int | None = None,
    comment: str = "",
    color: str = "yellow",
    tags: Iterable[str] = (),
) -> Annotation:
    """Anchor ``quote`` in the paper's extracted text and store an annotation for it."""
    if not quote.strip():
        raise UsageError("The quote to annotate is empty.", hint="Pass the text with --quote.")
    color = validate_color(color)
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
        index = _PageIndex(pages)
        anchor = index.locate(quote, page_hint=page)
        if anchor is None:
            where = f" (page {page} or any other page)" if page is not None else ""
            raise NotFoundError(
                f"The quote was not found in {found.id}{where}.",
                hint=_not_found_hint(index, quote),
            )
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
            tags=dumps(clean_tags),
            created_at=now,
            updated_at=now,
        )
        session.add(annotation)
        session.flush()
        session.refresh(annotation)
        return annotation


def _annotations_of(session: Session, paper_id: str) -> list[Annotation]:
    rows = session.exec(select(Annotation).where(Annotation.paper_id == paper_id)).all()
    return sorted(rows, key=annotation_order)


def _get(session: Session, annotation_id: int) -> Annotation:
    annotation = session.get(Annotation, annotation_id)
    if annotation is None:
        raise NotFoundError(
            f"There is no annotation {annotation_id}.",
            hint="List a paper's annotations with: paperlab annotations ID",
        )
    return annotation


def update_annotation(
    store: Store,
    annotation_id: int,
    *,
    comment: str | None = None,
    color: str | None = None,
    tags: Iterable[str] | None = None,
) -> Annotation:
    """Change an annotation's comment, colour or tags (None leaves a value as it is)."""
    new_color = validate_color(color) if color is not None else None
    new_tags = _clean_tags(tags) if tags is not None else None
    with store.write() as session:
        annotation = _get(session, annotation_id)
        if comment is not None:
            annotation.comment = comment
        if new_color is not None:
            annotation.color = new_color
        if new_tags is not None:
            annotation.tags = dumps(new_tags)
        annotation.updated_at = utcnow()
        session.add(annotation)
        session.flush()
        session.refresh(annotation)
        return annotation


def delete_annotation(store: Store, annotation_id: int) -> None:
    """Delete one annotation (NotFoundError when there is no such id)."""
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
        index = _PageIndex(pages)
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
]
