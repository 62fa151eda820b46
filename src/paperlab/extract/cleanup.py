"""Turn raw PDF lines into clean page text.

Steps, all cheap string work on what pdf.py read:

* characters: ligatures (ﬁ ﬂ ﬀ ﬃ ﬄ ﬅ ﬆ) to ASCII, soft hyphens and control
  characters out, runs of spaces collapsed;
* the arXiv side stamp on page 1 is found, remembered and dropped;
* running headers and footers (lines repeated in the top or bottom margin of
  many pages) and bare page numbers are dropped;
* lines are joined into paragraphs, one paragraph (PDF block) per text line,
  repairing words hyphenated at a line end ("repre-\\nsentation").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from paperlab.extract.pdf import RawLine, RawPage
from paperlab.ids import ArxivId, find_id_in_text

LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}
_CHAR_MAP = str.maketrans(
    {
        **LIGATURES,
        "\u00ad": "",  # soft hyphen: invisible unless at a line end (handled below)
        "\u00a0": " ",
        "\t": " ",
        "\u200b": "",
        "\ufeff": "",
        **{chr(c): "" for c in range(32) if c not in (9, 10)},
        "\x7f": "",
    }
)
_SPACES = re.compile(r" {2,}")

# "arXiv:1608.03983v5 [cs.LG] 3 May 2017" when the stamp is not rotated.
_STAMP = re.compile(
    r"^\s*arXiv:\s*\S+\s+\[[\w.\-]+\]\s+\d{1,2}\s+[A-Za-z]{3,9}\.?\s+\d{4}\s*$", re.IGNORECASE
)
_PAGE_NUMBER = re.compile(
    r"^\s*(?:page\s+)?(?:\d{1,4}|[ivxlcdm]{1,7})(?:\s*(?:of|/)\s*\d{1,4})?\s*$", re.IGNORECASE
)
_DIGITS = re.compile(r"\d+")
_ENDS_WITH_YEAR = re.compile(r"(?<!\d)(?:1[89]|20)\d\d[a-z]?\)?\.\s*$")
# The lookbehind only lets a match start at a word's first letter, which finds
# the same compounds as without it but stops the engine retrying from every
# letter of every word.
_HYPHENATED = re.compile(r"(?<![A-Za-z])[A-Za-z]+(?:-[A-Za-z]+)+")
_WORD = re.compile(r"[A-Za-z]+")
_STEM_BEFORE_HYPHEN = re.compile(r"([A-Za-z][A-Za-z-]*)-$")
_LEADING_WORD = re.compile(r"[A-Za-z]+")
_ALNUM_WORD = re.compile(r"\w+")
_HAS_LETTER = re.compile(r"[^\W\d_]")

# Margins (fractions of the page height) where running headers/footers live.
_TOP_ZONE = 0.13
_BOTTOM_ZONE = 0.88


@dataclass(frozen=True)
class PageText:
    """The cleaned text of one page; ``number`` is 1-based."""

    number: int
    text: str


@dataclass(slots=True)  # not frozen: built once per visual line, and frozen is ~4x slower
class Row:
    """A visual line of a page after cleanup, with where it starts in the page text."""

    text: str
    offset: int
    size: float
    bold: bool
    y0: float
    first_in_block: bool
    block_rows: int


@dataclass
class PageLayout:
    """A page's cleaned text plus its rows (for heading detection)."""

    number: int
    height: float
    text: str = ""
    rows: list[Row] = field(default_factory=list)


@dataclass
class Vocabulary:
    """Words of the whole document, to decide whether a line-end hyphen is real."""

    hyphenated: set[str] = field(default_factory=set)
    words: set[str] = field(default_factory=set)
    # Lowercased page texts whose words are not in ``words`` yet: the word list
    # is only consulted for compounds also seen mid-line, so it is built on first use.
    pending: list[str] = field(default_factory=list)

    def has_word(self, word: str) -> bool:
        if self.pending:
            for text in self.pending:
                self.words.update(_WORD.findall(text))
            self.pending.clear()
        return word in self.words


def squash_words(text: str) -> list[str]:
    """The lowercased words of ``text`` (letters and digits), for loose comparison."""
    return [w.lower() for w in _ALNUM_WORD.findall(text)]


def fix_text(text: str) -> str:
    """Expand ligatures, drop invisible and control characters, collapse spaces."""
    # Most lines are printable ASCII, which the map leaves alone; checking that
    # is ~7x quicker than translate's per-character lookups.
    if not (text.isascii() and text.isprintable()):
        text = text.translate(_CHAR_MAP)
    return _SPACES.sub(" ", text) if "  " in text else text


def find_stamp(page: RawPage) -> tuple[ArxivId | None, int | None]:
    """The arXiv id of the side stamp on ``page`` and the index of its line."""
    for index, line in enumerate(page.lines):
        if not line.horizontal or _STAMP.match(line.text):
            found = find_id_in_text(line.text)
            if found is not None and "[" in line.text:
                return found, index
    return None, None


def _margin_key(line: RawLine, height: float) -> str | None:
    """A digits-blind key for a line in the top or bottom margin, else None."""
    if not line.horizontal or height <= 0:
        return None
    if line.y1 > height * _TOP_ZONE and line.y0 < height * _BOTTOM_ZONE:
        return None
    zone = "top" if line.y1 <= height * _TOP_ZONE else "bottom"
    text = " ".join(fix_text(line.text).lower().split())
    return f"{zone}:{_DIGITS.sub('#', text)}"


def running_lines(pages: list[RawPage]) -> dict[int, set[int]]:
    """Line indexes to drop per page number: repeated headers/footers, page numbers."""
    drop: dict[int, set[int]] = {}
    keys_per_page: dict[int, dict[str, list[int]]] = {}
    counts: Counter[str] = Counter()
    for page in pages:
        keys: dict[str, list[int]] = {}
        for index, line in enumerate(page.lines):
            key = _margin_key(line, page.height)
            if key is None:
                continue
            if _PAGE_NUMBER.match(line.text):
                drop.setdefault(page.number, set()).add(index)
                continue
            keys.setdefault(key, []).append(index)
        keys_per_page[page.number] = keys
        counts.update(keys.keys())
    live = sum(1 for page in pages if page.lines)
    if live < 3:
        return drop
    # Odd and even pages often carry different headers: 30% catches both.
    threshold = max(2, round(0.3 * live))
    for number, keys in keys_per_page.items():
        for key, indexes in keys.items():
            if counts[key] >= threshold:
                drop.setdefault(number, set()).update(indexes)
    return drop


def rotated_minority(page: RawPage) -> set[int]:
    """Rotated lines on a mostly horizontal page (axis labels, stamps): dropped."""
    rotated = [i for i, line in enumerate(page.lines) if not line.horizontal]
    if not rotated:
        return set()
    rotated_chars = sum(len(page.lines[i].text) for i in rotated)
    total = sum(len(line.text) for line in page.lines)
    # A landscape page whose whole text is rotated keeps it.
    return set(rotated) if rotated_chars * 2 < total else set()


def build_vocabulary(pages: list[RawPage]) -> Vocabulary:
    """Collect the document's words and hyphenated compounds seen mid-line."""
    return _vocabulary(["\n".join(fix_text(line.text) for line in page.lines) for page in pages])


def _vocabulary(page_texts: list[str]) -> Vocabulary:
    """The vocabulary of pages given as their fixed lines joined by newlines."""
    vocab = Vocabulary()
    for text in page_texts:
        # One regex pass per page, not per line: this runs on every line of the paper.
        text = text.lower()
        vocab.hyphenated.update(_HYPHENATED.findall(text))
        vocab.pending.append(text)
    return vocab


def _keep_hyphen(stem: str, tail: str, vocab: Vocabulary) -> bool:
    """True when "stem-" + "tail" at a line break is a real compound, not a split word."""
    if "-" in stem:  # "state-of-the-" + "art"
        return True
    joined = (stem + tail).lower()
    compound = f"{stem}-{tail}".lower()
    return compound in vocab.hyphenated and not vocab.has_word(joined)


def join_lines(previous: str, following: str, vocab: Vocabulary) -> tuple[str, str]:
    """How to glue two visual lines of one paragraph: (new previous, separator)."""
    if previous.endswith("-") and not previous.endswith("--") and following[:1].isalnum():
        stem = _STEM_BEFORE_HYPHEN.search(previous)
        tail = _LEADING_WORD.match(following)
        if stem and tail and following[0].islower():
            if _keep_hyphen(stem.group(1), tail.group(0), vocab):
                return previous, ""
            return previous[:-1], ""
        if stem:
            return previous, ""  # "CIFAR-" + "10": a real hyphen, no space
    return previous, " "


def _overlaps(a: RawLine, b: RawLine) -> bool:
    """Same visual row: vertical extents overlap by at least a third of the smaller."""
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    smaller = max(min(a.y1 - a.y0, b.y1 - b.y0), 0.1)
    return overlap >= smaller / 3


@dataclass(slots=True)
class _RowDraft:
    text: str
    size: float
    bold_chars: int
    chars: int
    y0: float
    last: RawLine


def _rows_of_block(lines: list[tuple[RawLine, str]]) -> list[_RowDraft]:
    """Rows of a block from its lines, each with its text already through fix_text."""
    rows: list[_RowDraft] = []
    for line, fixed in lines:
        text = fixed.strip()
        if "\u00ad" in line.text:
            # A soft hyphen that ends a line is the only visible mark of a split word.
            raw = line.text.rstrip()
            if raw.endswith("\u00ad"):
                text = fix_text(raw[:-1] + "-").strip()
        if not text:
            continue
        weight = len(text)
        if rows and _overlaps(rows[-1].last, line):
            row = rows[-1]
            row.text = f"{row.text} {text}"
            row.size = max(row.size, line.size)
            row.bold_chars += weight if line.bold else 0
            row.chars += weight
            row.last = line
            continue
        rows.append(_RowDraft(text, line.size, weight if line.bold else 0, weight, line.y0, line))
    return rows


def build_page(
    page: RawPage, drop: set[int], vocab: Vocabulary, fixed: list[str] | None = None
) -> PageLayout:
    """Assemble a page's text: one block per line, its rows joined with dehyphenation.

    ``fixed`` is ``fix_text`` of each line, when the caller has it already.
    """
    layout = PageLayout(number=page.number, height=page.height)
    if fixed is None:
        fixed = [fix_text(line.text) for line in page.lines]
    blocks: list[list[tuple[RawLine, str]]] = []
    last_block: int | None = None
    for index, line in enumerate(page.lines):
        if index in drop:
            continue
        if line.block != last_block:
            blocks.append([])
            last_block = line.block
        blocks[-1].append((line, fixed[index]))
    parts: list[str] = []
    rows = layout.rows
    length = 0
    for block in blocks:
        drafts = _rows_of_block(block)
        texts = [d.text for d in drafts]
        # Blocks without a single letter are tick labels, table numbers, page numbers;
        # but a reference's last line ("1735–1780, 1997.") is its year.
        if not texts or (
            _HAS_LETTER.search("\n".join(texts)) is None and not _ENDS_WITH_YEAR.search(texts[-1])
        ):
            continue
        if parts:
            # MuPDF starts a new block at hanging indents and column breaks, often
            # mid-sentence: a lowercase start continues the previous paragraph.
            previous = parts[-1]
            if texts[0][:1].islower() and previous[-1:] not in ".!?:":
                joined, separator = join_lines(previous, texts[0], vocab)
                length += len(joined) - len(previous) + len(separator)
                parts[-1] = joined + separator
            else:
                parts.append("\n")
                length += 1
        count = len(drafts)
        for i, draft in enumerate(drafts):
            text = texts[i]
            separator = ""
            if i + 1 < count:
                # join_lines only ever changes a row that ends with a hyphen.
                if text[-1] == "-":
                    text, separator = join_lines(text, texts[i + 1], vocab)
                else:
                    separator = " "
            rows.append(
                Row(
                    text=draft.text,
                    offset=length,
                    size=draft.size,
                    bold=draft.bold_chars * 2 > draft.chars,
                    y0=draft.y0,
                    first_in_block=i == 0,
                    block_rows=count,
                )
            )
            parts.append(text + separator)
            length += len(text) + len(separator)
    layout.text = "".join(parts)
    return layout


def clean_pages(pages: list[RawPage]) -> tuple[list[PageLayout], ArxivId | None]:
    """Clean every page; returns the layouts and the arXiv id of the side stamp."""
    arxiv_id: ArxivId | None = None
    drop = running_lines(pages)
    for page in pages:
        extra = rotated_minority(page)
        if page.number == 1:
            arxiv_id, stamp_index = find_stamp(page)
            if stamp_index is not None:
                extra.add(stamp_index)
        if extra:
            drop.setdefault(page.number, set()).update(extra)
    fixed = [[fix_text(line.text) for line in page.lines] for page in pages]
    vocab = _vocabulary(["\n".join(lines) for lines in fixed])
    layouts = [
        build_page(page, drop.get(page.number, set()), vocab, lines)
        for page, lines in zip(pages, fixed, strict=True)
    ]
    return layouts, arxiv_id
