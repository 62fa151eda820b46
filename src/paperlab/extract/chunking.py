"""Sentence-boundary chunks with a small overlap and exact page anchors.

Each page's text is cut into sentences (and at paragraph breaks, section
headings and the bounds of the references section). Sentences are grouped
into chunks of about 150-300 words; a chunk carries the last sentence or two
of its predecessor (up to ~40 words) for context. Chunks may run across pages
but never mix the references section with body text. ``char_start`` and
``char_end`` index the cleaned page text, so
``pages[page_start - 1].text[char_start:]`` starts with the chunk's text.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from dataclasses import dataclass

from paperlab.extract.cleanup import PageText
from paperlab.extract.sections import Section

MIN_WORDS = 150
TARGET_WORDS = 220
MAX_WORDS = 300
OVERLAP_WORDS = 40
SPLIT_UNIT_WORDS = 200  # a "sentence" longer than this (tables, lists) is cut up
TAIL_WORDS = 60  # a last chunk shorter than this joins its predecessor

# Tokens after which a period does not end a sentence (compared lowercased,
# without the final period).
ABBREVIATIONS = frozenset(
    {
        "al", "e.g", "i.e", "eg", "ie", "cf", "vs", "viz", "resp", "approx", "etc.al",
        "fig", "figs", "eq", "eqs", "eqn", "eqns", "sec", "secs", "sect", "tab", "tabs",
        "ref", "refs", "thm", "lem", "prop", "def", "cor", "rem", "alg", "app", "appx",
        "ch", "chap", "vol", "vols", "no", "nos", "pp", "p", "ed", "eds", "dr", "mr",
        "mrs", "ms", "prof", "st", "jr", "sr", "inc", "ltd", "co", "corp", "dept",
        "univ", "et", "ph.d", "m.sc", "b.sc", "n.b", "ex", "obs", "min", "max",
    }
)  # fmt: skip
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_TOKEN_BEFORE = re.compile(r"(\S+)$")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class TextChunk:
    """A passage of the paper with exact anchors into the cleaned page text."""

    ordinal: int
    page_start: int
    page_end: int
    char_start: int
    char_end: int
    section: str | None
    is_reference: bool
    text: str
    content_hash: str


def normalise(text: str) -> str:
    """NFKC with whitespace collapsed: the form that is hashed."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def content_hash(text: str) -> str:
    """sha256 hex of the normalised text."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def _ends_sentence(text: str, dot: int) -> bool:
    """Whether the terminator at ``dot`` really closes a sentence."""
    if text[dot] != ".":
        return True
    # Only a short window: searching from 0 would make splitting quadratic.
    token = _TOKEN_BEFORE.search(text, max(0, dot - 40), dot + 1)
    if token is None:
        return True
    word = token.group(1).lstrip("([\"'“‘").rstrip(".").lower()
    if word in ABBREVIATIONS:
        return False
    # Initials ("J. Smith", "A. B. Jones") and single letters.
    return not (len(word) == 1 and word.isalpha())


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans (start, end) of ``text[start:end]``, trimmed of whitespace.

    Paragraph breaks (newlines) always end a sentence. Periods after common
    abbreviations ("et al.", "e.g.", "Fig.", "Eq."), initials and inside
    numbers do not.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []

    def add(a: int, b: int) -> None:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            spans.append((a, b))

    line_start = start
    while line_start < end:
        line_end = text.find("\n", line_start, end)
        if line_end < 0:
            line_end = end
        cursor = line_start
        for m in _BOUNDARY.finditer(text, line_start, line_end):
            first_dot = m.start()
            if _ends_sentence(text, first_dot):
                add(cursor, m.end())
                cursor = m.end()
        add(cursor, line_end)
        line_start = line_end + 1
    return spans


@dataclass(slots=True)
class _Unit:
    page_start: int
    start: int
    page_end: int
    end: int
    words: int
    section: int  # index into sections, -1 before the first heading
    is_reference: bool


def _cut_long(page: int, text: str, a: int, b: int) -> list[tuple[int, int, int]]:
    """Split an over-long span into pieces of ~150 words: (start, end, words)."""
    # str.split and the regex's \s agree on what whitespace is; split counts
    # without building a match object per word.
    count = len(text[a:b].split())
    if count <= SPLIT_UNIT_WORDS:
        return [(a, b, count)]
    words = [m.span() for m in _WORD.finditer(text, a, b)]
    pieces = []
    for i in range(0, len(words), MIN_WORDS):
        group = words[i : i + MIN_WORDS]
        pieces.append((group[0][0], group[-1][1], len(group)))
    return pieces


def _boundaries(
    pages: list[PageText], sections: list[Section], refs: tuple[tuple[int, int] | None, ...]
) -> dict[int, list[int]]:
    cuts: dict[int, list[int]] = {}
    for section in sections:
        cuts.setdefault(section.page, []).append(section.char_offset)
    for anchor in refs:
        if anchor is not None:
            cuts.setdefault(anchor[0], []).append(anchor[1])
    return {page: sorted(set(offsets)) for page, offsets in cuts.items()}


def _units(
    pages: list[PageText],
    sections: list[Section],
    references_at: tuple[int, int] | None,
    references_end: tuple[int, int] | None,
) -> list[_Unit]:
    cuts = _boundaries(pages, sections, (references_at, references_end))
    anchors = [(s.page, s.char_offset) for s in sections]
    last_anchor = len(anchors) - 1
    units: list[_Unit] = []
    section_index = -1
    for page in pages:
        text = page.text
        edges = [0, *[c for c in cuts.get(page.number, []) if 0 < c < len(text)], len(text)]
        first_of_page = True
        for a, b in itertools.pairwise(edges):
            for s_start, s_end in split_sentences(text, a, b):
                pos = (page.number, s_start)
                while section_index < last_anchor and anchors[section_index + 1] <= pos:
                    section_index += 1
                in_refs = (
                    references_at is not None
                    and pos >= references_at
                    and (references_end is None or pos < references_end)
                )
                for p_start, p_end, words in _cut_long(page.number, text, s_start, s_end):
                    unit = _Unit(page.number, p_start, page.number, p_end, words,
                                 section_index, in_refs)  # fmt: skip
                    if first_of_page and units and _continues(units[-1], unit, pages):
                        prev = units[-1]
                        prev.page_end, prev.end = unit.page_end, unit.end
                        prev.words += unit.words
                    else:
                        units.append(unit)
                    first_of_page = False
    return units


def _continues(prev: _Unit, unit: _Unit, pages: list[PageText]) -> bool:
    """A sentence cut by a page break: no terminator before, lowercase after."""
    if prev.page_end != unit.page_start - 1 or prev.section != unit.section:
        return False
    if prev.is_reference != unit.is_reference or prev.words + unit.words > SPLIT_UNIT_WORDS:
        return False
    last = pages[prev.page_end - 1].text[prev.end - 1]
    first = pages[unit.page_start - 1].text[unit.start]
    return last not in ".!?:" and first.islower()


def _group(units: list[_Unit]) -> list[tuple[int, int]]:
    """Unit index ranges [a, b) per chunk; consecutive ranges may overlap."""
    groups: list[tuple[int, int]] = []
    region_start = 0
    for i in range(1, len(units) + 1):
        if i == len(units) or units[i].is_reference != units[i - 1].is_reference:
            groups.extend(_group_region(units, region_start, i))
            region_start = i
    return groups


def _words(units: list[_Unit], a: int, b: int) -> int:
    return sum(u.words for u in units[a:b])


def _group_region(units: list[_Unit], first: int, stop: int) -> list[tuple[int, int]]:
    """Chunks of one region (body or references) between unit ``first`` and ``stop``."""
    groups: list[tuple[int, int]] = []
    start, words = first, 0
    for i in range(first, stop):
        unit = units[i]
        if i > start:
            if unit.section != units[i - 1].section and words >= MIN_WORDS // 2:
                # A new section starts a new chunk, without overlap.
                groups.append((start, i))
                start, words = i, 0
            elif words + unit.words > MAX_WORDS and words >= MIN_WORDS // 2:
                groups.append((start, i))
                start = _overlap_start(units, start, i)
                words = _words(units, start, i)
        words += unit.words
        if words >= TARGET_WORDS and i + 1 < stop and units[i + 1].section == unit.section:
            groups.append((start, i + 1))
            start = _overlap_start(units, start, i + 1)
            words = _words(units, start, i + 1)
    if start < stop:
        groups.append((start, stop))
    if len(groups) >= 2:
        # A short tail that continues its predecessor's section joins it.
        (pa, pb), (a, b) = groups[-2], groups[-1]
        if (
            _words(units, a, b) < TAIL_WORDS
            and units[a].section == units[pb - 1].section
            and _words(units, pa, b) <= MAX_WORDS + TAIL_WORDS
        ):
            groups[-2:] = [(pa, b)]
    return groups


def _overlap_start(units: list[_Unit], start: int, end: int) -> int:
    """Index where the next chunk starts: the last 1-2 units within OVERLAP_WORDS."""
    k = end
    words = 0
    while k - 1 > start and end - (k - 1) <= 2:
        candidate = units[k - 1]
        if words + candidate.words > OVERLAP_WORDS or candidate.section != units[end - 1].section:
            break
        words += candidate.words
        k -= 1
    return k


def _slice(pages: list[PageText], page_start: int, start: int, page_end: int, end: int) -> str:
    if page_start == page_end:
        return pages[page_start - 1].text[start:end]
    parts = [pages[page_start - 1].text[start:]]
    parts.extend(pages[p - 1].text for p in range(page_start + 1, page_end))
    parts.append(pages[page_end - 1].text[:end])
    return "\n".join(parts)


def chunk_pages(
    pages: list[PageText],
    sections: list[Section],
    references_at: tuple[int, int] | None = None,
    references_end: tuple[int, int] | None = None,
) -> list[TextChunk]:
    """Cut cleaned pages into overlapping chunks anchored to page offsets."""
    sections = sorted(sections, key=lambda s: (s.page, s.char_offset))
    units = _units(pages, sections, references_at, references_end)
    chunks: list[TextChunk] = []
    for a, b in _group(units):
        first, last = units[a], units[b - 1]
        text = _slice(pages, first.page_start, first.start, last.page_end, last.end)
        chunks.append(
            TextChunk(
                ordinal=len(chunks),
                page_start=first.page_start,
                page_end=last.page_end,
                char_start=first.start,
                char_end=last.end,
                section=sections[first.section].title if first.section >= 0 else None,
                is_reference=first.is_reference,
                text=text,
                content_hash=content_hash(text),
            )
        )
    return chunks
