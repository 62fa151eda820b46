"""Where a quote is in a paper's page texts, and which occurrence the user means.

Matching forgives what PDF text extraction varies on: runs of whitespace,
words hyphenated at a line break, ligatures and typographic quotes; it tries
case-sensitive before case-insensitive, and a strict form before a loose one.
A quote found more than once is never anchored by guesswork when it is new:
the user picks one (``--occurrence``, ``--page``, or the reader's selection);
re-anchoring a stored annotation uses its context instead (``locate``).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from paperlab.errors import UsageError, clip


@dataclass(frozen=True)
class Anchor:
    """Where a quote sits: page number and character offsets into that page's text."""

    page: int
    start: int
    end: int


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


class PageIndex:
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
    return PageIndex(pages).locate(quote, prefix, suffix, page_hint)


def not_found_hint(index: PageIndex, quote: str) -> str:
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


def occurrences(index: PageIndex, quote: str, page: int | None) -> list[Anchor]:
    """Every place ``quote`` is, in the most exact form that finds it.

    With ``page``: the places on that page, found by any form; when it is on
    no form of that page, every place elsewhere (viewers label pages
    differently, so a wrong page still anchors).
    """
    elsewhere: list[Anchor] = []
    for loose, fold in _TIERS:
        found = index.find_all(quote, loose, fold)
        if found and page is None:
            return found
        on_page = [a for a in found if a.page == page]
        if on_page:
            return on_page
        elsewhere = elsewhere or found
    return elsewhere


_SHOWN_PLACES = 5  # a message lists this many occurrences, then counts the rest
_CONTEXT_WORDS = 3
# Characters of context each side and of the quote in a listing: five places
# and the sentence around them stay within the 500 characters a message shows.
_CONTEXT_LIMIT = 16
_QUOTE_LIMIT = 30


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _place(index: PageIndex, number: int, anchor: Anchor) -> str:
    """``2. p. 5 "…words before quote words after…"``, bounded."""
    text = index.text_of(anchor.page)
    before = " ".join(text[max(0, anchor.start - 80) : anchor.start].split()[-_CONTEXT_WORDS:])
    after = " ".join(text[anchor.end : anchor.end + 80].split()[:_CONTEXT_WORDS])
    quote = " ".join(text[anchor.start : anchor.end].split())
    # The listing's own "…" at both ends says the text goes on: cut plainly.
    before, after = before[-_CONTEXT_LIMIT:].lstrip(), after[:_CONTEXT_LIMIT].rstrip()
    middle = " ".join(part for part in (before, clip(quote, _QUOTE_LIMIT), after) if part)
    return f'{number}. p. {anchor.page} "…{middle}…"'


def pick_occurrence(
    index: PageIndex,
    paper_id: str,
    places: list[Anchor],
    page: int | None,
    occurrence: int | None,
    near: int | None,
) -> Anchor:
    """The one occurrence the user means; UsageError naming them all when unclear."""
    on_page = page is not None and all(a.page == page for a in places)
    where = f" on page {page} of" if on_page else " in"
    count = len(places)
    if occurrence is not None:
        if not 1 <= occurrence <= count:
            allowed = "1" if count == 1 else f"1-{count}"
            raise UsageError(
                f"The quote occurs {_times(count)}{where} {paper_id}, "
                f"so --occurrence must be {allowed} (got {occurrence}).",
                hint="Leave out --occurrence to see where it occurs.",
            )
        return places[occurrence - 1]
    if count == 1:
        return places[0]
    if near is not None and on_page:
        return min(places, key=lambda a: abs(a.start - near))
    listed = "; ".join(_place(index, n, a) for n, a in enumerate(places[:_SHOWN_PLACES], start=1))
    more = f"; and {count - _SHOWN_PLACES} more" if count > _SHOWN_PLACES else ""
    narrow = "" if on_page else ", or --page N to look on one page"
    raise UsageError(
        f"The quote occurs {_times(count)}{where} {paper_id}: {listed}{more}.",
        hint=f"Choose one with --occurrence K (1-{count}, in page order){narrow}, "
        "or quote a longer passage.",
    )
