"""A paper's reference list: the references section's text, cut and parsed.

``extract_references`` takes what extraction already found (the cleaned
pages and the span of the references section) and needs no second look at
the PDF, so it adds a few milliseconds to an extraction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from paperlab.extract.cleanup import PageText
from paperlab.extract.refparse import ParsedReference, parse_entry
from paperlab.extract.refsplit import split_entries

# Longer lists are the rest of a book run on; a paper rarely cites more.
MAX_ENTRIES = 1000

_HEADING = re.compile(
    r"^\s*(?:[\dIVX]+\.?\s+)?(?:references?|bibliography|literature\s+cited|works\s+cited"
    r"|references\s+and\s+notes|cited\s+literature)\s*:?\s*",
    re.IGNORECASE,
)


def references_text(
    pages: Sequence[PageText],
    references_at: tuple[int, int] | None,
    references_end: tuple[int, int] | None,
) -> str:
    """The section's text from just after its heading to where it ends."""
    if references_at is None:
        return ""
    first, offset = references_at
    parts: list[str] = []
    for page in pages:
        if page.number < first:
            continue
        if references_end is not None and page.number > references_end[0]:
            break
        start = offset if page.number == first else 0
        stop = len(page.text)
        if references_end is not None and page.number == references_end[0]:
            stop = references_end[1]
        if stop > start:
            parts.append(page.text[start:stop])
    return _HEADING.sub("", "\n".join(parts), count=1)


def parse_references(text: str) -> list[ParsedReference]:
    """Every entry of a references section's text, parsed."""
    return [parse_entry(entry) for entry in split_entries(text)[:MAX_ENTRIES]]


def extract_references(
    pages: Sequence[PageText],
    references_at: tuple[int, int] | None,
    references_end: tuple[int, int] | None,
) -> list[ParsedReference]:
    """The parsed entries of the references section extraction marked."""
    return parse_references(references_text(pages, references_at, references_end))


__all__ = ["ParsedReference", "extract_references", "parse_references", "references_text"]
