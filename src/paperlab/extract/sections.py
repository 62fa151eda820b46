"""Section headings and the references section.

Two sources, in order of trust: the PDF outline (``doc.get_toc()``), located
in the page text by matching the heading while ignoring case, spaces and
punctuation; otherwise the fonts: numbered lines ("1 Introduction", "2.1
Method", "A Proofs") set bold or larger than the body text, the usual
unnumbered names ("Abstract", "References") and large lines.

The references section starts at a "References"/"Bibliography" heading and
ends at the next heading that looks like a new part of the paper (an outline
entry, an appendix, a numbered top-level heading), so appendices that follow
it are body text again.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from paperlab.extract.cleanup import PageLayout, Row

_NUMBERED = re.compile(
    r"^(?P<num>\d{1,2}(?:\.\d{1,2}){0,3}|[A-H](?:\.\d{1,2}){0,3}|(?P<roman>[IVX]{1,5})(?=\.))"
    r"\.?\s+(?P<title>\S.*)$"
)
_REFERENCES = re.compile(
    r"^(?:[\dIVX]+\.?\s+)?(?:references?|bibliography|literature\s+cited|works\s+cited"
    r"|references\s+and\s+notes|cited\s+literature)\s*:?$",
    re.IGNORECASE,
)
_APPENDIX = re.compile(
    r"^(?:appendix|appendices|supplementary|supplemental|[A-H](?:\.\d{1,2}){0,3}\.?\s+\S)",
    re.IGNORECASE,
)
_CAPTION = re.compile(r"^(?:fig\.|figure|table|algorithm|listing|eq\.|equation)\b", re.IGNORECASE)
KNOWN_HEADINGS = frozenset(
    {
        "abstract", "introduction", "related work", "related works", "background",
        "preliminaries", "method", "methods", "methodology", "approach", "model",
        "experiments", "experimental results", "experimental setup", "results",
        "evaluation", "discussion", "conclusion", "conclusions", "future work",
        "conclusions and future work", "conclusion and future work", "limitations",
        "acknowledgements", "acknowledgments", "acknowledgement", "acknowledgment",
        "references", "bibliography", "appendix", "appendices", "supplementary material",
        "contents", "summary", "outlook",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Section:
    """A heading: ``char_offset`` is where it starts in its page's cleaned text."""

    title: str
    level: int
    page: int
    char_offset: int


@dataclass(frozen=True)
class Outline:
    """Sections in reading order and the span of the references section."""

    sections: list[Section]
    references_at: tuple[int, int] | None
    references_end: tuple[int, int] | None


# A word a heading is made of: three letters or more, or an acronym ("RL", "AI").
_HEADING_WORD = re.compile(r"(?<![^\W\d_])(?:[^\W\d_]{3,}|[A-Z]{2,})(?![^\W\d_])")
# Lines set this much smaller than the body text are figure labels or footnotes.
MIN_HEADING_SIZE = 0.85


def plausible_heading(title: str) -> bool:
    """Whether a heading's words can make a heading: figure labels and math set
    large ("at at+1", "4 S 1 S 1", "φ(st)") have no word of three letters or an
    acronym once any numbering is taken off."""
    text = " ".join(title.split())
    numbered = _NUMBERED.match(text)
    if numbered:
        text = numbered["title"]
    return any(
        match.group().isupper() or len(match.group()) >= 3 for match in _HEADING_WORD.finditer(text)
    )


def is_references_title(title: str) -> bool:
    """True for "References", "7 REFERENCES", "Bibliography" and the like."""
    return bool(_REFERENCES.match(" ".join(title.split())))


def body_font_size(layouts: list[PageLayout]) -> float:
    """The font size that carries most characters (to half a point)."""
    by_size: dict[float, int] = {}
    for layout in layouts:
        for row in layout.rows:
            by_size[row.size] = by_size.get(row.size, 0) + len(row.text)
    # Rounded keys arrive in the order of their first row either way, so ties
    # in most_common resolve as they would counting row by row.
    weights: Counter[float] = Counter()
    for size, chars in by_size.items():
        weights[round(size * 2) / 2] += chars
    return weights.most_common(1)[0][0] if weights else 10.0


def squash(text: str) -> str:
    """Lowercase letters and digits only."""
    return "".join(ch.lower() for ch in text if ch.isalnum())


@lru_cache(maxsize=64)
def _loose_pattern(needle: str) -> re.Pattern[str]:
    """Match ``needle`` (squashed) ignoring case and anything between its characters.

    This tolerates spacing, small caps split into spans ("I NTRODUCTION"),
    punctuation and line breaks inside a heading.
    """
    return re.compile(r"[\W_]*".join(re.escape(ch) for ch in needle), re.IGNORECASE)


# Under IGNORECASE these non-ASCII letters match an ASCII one, and no others do;
# "\u0130" is also the only character whose lower() is two characters long.
_ASCII_FOLDS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_NOT_ALNUM = re.compile(r"[\W_]+")
_ALNUM_RUN = re.compile(r"[^\W_]+")


def _fold(text: str) -> str:
    """Lowercase, one character for one, with _ASCII_FOLDS applied."""
    return text.lower() if text.isascii() else text.translate(_ASCII_FOLDS).lower()


class SquashedText:
    """A page's letters and digits, folded, to find `_loose_pattern` matches with str.find.

    Compiling a regex per outline entry took most of the outline step. For an
    ASCII needle the answers are the same without one: the pattern skips
    exactly the characters that are not alphanumeric ([\\W_]), and under
    IGNORECASE an ASCII letter matches only its own two cases and the letters
    in _ASCII_FOLDS. Other needles still go through the regex.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._keys: str | None = None  # squashed on the first search: most lookups only match

    @property
    def keys(self) -> str:
        if self._keys is None:
            self._keys = _fold(_NOT_ALNUM.sub("", self.text))
        return self._keys

    def _keys_before(self, offset: int) -> int:
        return len(_NOT_ALNUM.sub("", self.text[:offset]))

    def match(self, needle: str, offset: int) -> bool:
        """Whether ``_loose_pattern(needle).match(text, offset)`` would match."""
        text = self.text
        if not needle.isascii():
            return _loose_pattern(needle).match(text, offset) is not None
        if offset >= len(text) or _fold(text[offset]) != needle[0]:
            return False  # the usual answer, without looking further
        # Squash a window that grows until it holds as many letters as the needle.
        width = 2 * len(needle) + 16
        while True:
            keys = _fold(_NOT_ALNUM.sub("", text[offset : offset + width]))
            if len(keys) >= len(needle) or offset + width >= len(text):
                return keys.startswith(needle)
            width *= 2

    def search(self, needle: str, start: int) -> int | None:
        """Where ``_loose_pattern(needle).search(text, start)`` would match."""
        if not needle.isascii():
            match = _loose_pattern(needle).search(self.text, start)
            return match.start() if match else None
        found = self.keys.find(needle, self._keys_before(start) if start else 0)
        if found < 0:
            return None
        seen = 0
        for run in _ALNUM_RUN.finditer(self.text):
            length = run.end() - run.start()
            if seen + length > found:
                return run.start() + found - seen
            seen += length
        return None  # not reached: ``found`` indexes one of the runs


def _locate(needle: str, layout: PageLayout, start: int, squashed: SquashedText) -> int | None:
    """Offset of ``needle`` (loosely) at a block start at or after ``start``, else anywhere."""
    for row in layout.rows:
        if row.first_in_block and row.offset >= start and squashed.match(needle, row.offset):
            return row.offset
    return squashed.search(needle, start)


def sections_from_toc(toc: list[tuple[int, str, int]], layouts: list[PageLayout]) -> list[Section]:
    """Place each outline entry at its heading in the page text."""
    sections: list[Section] = []
    last: tuple[int, int] = (0, 0)
    squashed: dict[int, SquashedText] = {}
    for level, title, page in toc:
        needles = [squash(title)]
        numbered = _NUMBERED.match(title)
        if numbered:
            needles.append(squash(numbered["title"]))
        needles = [n[:80] for n in needles if len(n) >= 2]
        if not needles:
            continue
        found: tuple[int, int] | None = None
        # Outline targets are sometimes one page early or late.
        for candidate in (page, page + 1, page - 1):
            if not 1 <= candidate <= len(layouts):
                continue
            start = last[1] if candidate == last[0] else 0
            layout = layouts[candidate - 1]
            if candidate not in squashed:
                squashed[candidate] = SquashedText(layout.text)
            for needle in needles:
                offset = _locate(needle, layout, start, squashed[candidate])
                if offset is not None:
                    found = (candidate, offset)
                    break
            if found:
                break
        if found is None:
            found = (page, last[1] if page == last[0] else 0)
        if found < last:
            found = last  # the outline is in reading order; never step back
        sections.append(Section(title, max(1, level), found[0], found[1]))
        last = found
    return sections


def _with_next_row(rows: list[Row], index: int) -> str:
    """A heading that wraps onto a second row of the same style."""
    row = rows[index]
    if index + 1 < len(rows) and row.block_rows <= 3:
        nxt = rows[index + 1]
        if not nxt.first_in_block and nxt.size == row.size and nxt.bold == row.bold:
            return f"{row.text} {nxt.text}"
    return row.text


def heading_of(text: str, row: Row, body: float) -> tuple[str, int] | None:
    """(title, level) when ``row`` looks like a heading, else None."""
    words = text.split()
    text = " ".join(words)
    # Cheapest tests first: this runs on the first row of every block.
    if not 2 <= len(text) <= 150 or len(words) > 16 or text[-1] in ",;":
        return None
    if sum(map(str.isalpha, text)) < 2 or _CAPTION.match(text):
        return None
    # Headings are never set smaller than the body: such lines are labels in a figure.
    if row.size < body * MIN_HEADING_SIZE or not plausible_heading(text):
        return None
    # All-caps lines alone in their block are headings in REVTeX and AMS styles.
    shouting = text.isupper() and row.block_rows <= 2
    distinct = row.size >= body * 1.08 or row.bold or shouting
    numbered = _NUMBERED.match(text)
    if numbered:
        title = numbered["title"]
        num = numbered["num"]
        if not distinct or not title[0].isupper() or text.endswith("."):
            return None
        if num[0].isdigit() and int(num.split(".")[0]) > 40:
            return None
        if num[0].isalpha() and len(words) > 10:
            return None
        return text, 1 if numbered["roman"] else num.count(".") + 1
    name = text.lower().rstrip(".:").strip()
    if name in KNOWN_HEADINGS and (distinct or row.block_rows == 1):
        return text.rstrip(".:"), 1
    big = row.size >= body * 1.3 and row.block_rows <= 2 and len(words) <= 12
    if big and not text.endswith(".") and sum(map(str.isalpha, text)) >= 4:
        return text, 1
    return None


def sections_from_fonts(
    layouts: list[PageLayout], skip: set[tuple[int, int]] | None = None
) -> list[Section]:
    """Headings found from numbering, known names and font size/weight."""
    skip = skip or set()
    body = body_font_size(layouts)
    sections: list[Section] = []
    for layout in layouts:
        for index, row in enumerate(layout.rows):
            if not row.first_in_block or (layout.number, row.offset) in skip:
                continue
            found = heading_of(_with_next_row(layout.rows, index), row, body)
            if found is None and row.block_rows > 1:
                found = heading_of(row.text, row, body)
            if found is not None:
                sections.append(Section(found[0], found[1], layout.number, row.offset))
    return sections


def _references_row(layouts: list[PageLayout]) -> Section | None:
    """The last line standing alone that reads "References" (or a synonym)."""
    found: Section | None = None
    for layout in layouts:
        for row in layout.rows:
            if row.first_in_block and is_references_title(row.text):
                found = Section(" ".join(row.text.split()), 1, layout.number, row.offset)
    return found


def _ends_references(section: Section, from_toc: bool) -> bool:
    if from_toc or _APPENDIX.match(section.title):
        return True
    numbered = _NUMBERED.match(section.title)
    return bool(numbered and numbered["num"].isdigit())


def build_outline(
    layouts: list[PageLayout],
    toc: list[tuple[int, str, int]],
    skip: set[tuple[int, int]] | None = None,
) -> Outline:
    """Sections (outline first, fonts otherwise) and where the references run."""
    from_toc = len(toc) >= 3
    sections = sections_from_toc(toc, layouts) if from_toc else []
    if not sections:
        from_toc = False
        sections = sections_from_fonts(layouts, skip)
    refs = [i for i, s in enumerate(sections) if is_references_title(s.title)]
    if refs:
        ref = sections[refs[-1]]
    else:
        found = _references_row(layouts)
        if found is None:
            return Outline(sections, None, None)
        ref = found
        sections = sorted([*sections, ref], key=lambda s: (s.page, s.char_offset))
    start = (ref.page, ref.char_offset)
    later = [s for s in sections if (s.page, s.char_offset) > start]
    if from_toc:
        # The outline may skip unlisted appendices; fonts can still find them.
        later_fonts = [
            s
            for s in sections_from_fonts(layouts, skip)
            if (s.page, s.char_offset) > start and _APPENDIX.match(s.title)
        ]
        known = {(s.page, s.char_offset) for s in sections}
        extra = [s for s in later_fonts if (s.page, s.char_offset) not in known]
        if extra:
            sections = sorted([*sections, *extra], key=lambda s: (s.page, s.char_offset))
            later = sorted([*later, *extra], key=lambda s: (s.page, s.char_offset))
    end: tuple[int, int] | None = None
    noise: set[Section] = set()
    for section in later:
        if _ends_references(section, from_toc):
            end = (section.page, section.char_offset)
            break
        noise.add(section)  # a bold line inside the reference list, not a heading
    sections = [s for s in sections if s not in noise]
    return Outline(sections, start, end)
