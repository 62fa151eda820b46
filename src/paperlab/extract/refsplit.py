"""Cut a paper's references section into one string per entry.

Three layouts cover what arXiv papers print:

- bracketed labels, ``[12]`` or ``[KB14]``/``[Bel+15]``: every label that
  opens an entry is a cut (numbers must count up, so an in-entry "[5]" is
  not taken for one);
- numbered lines, ``12.`` or ``12 ``: the next number in sequence after the
  end of a sentence is a cut;
- author-year lists with no marker at all: the section's lines, where a line
  opens a new entry when the line before it ended a sentence and the line
  itself starts like an author list ("Bengio, Yoshua", "M. Bellemare,",
  "Kaiming He,").

Extraction joins the lines of a PDF text block with spaces and separates
blocks with newlines, so a wrapped entry may arrive as one line or several,
and several entries may share one line; author-year lists are then cut
again inside the line, at "Surname, I." after a sentence's end.
"""

from __future__ import annotations

import re

# An entry never needs more than this many characters; text past it is the
# rest of the section run on (an appendix the outline did not see).
MAX_ENTRY_CHARS = 1500
MIN_ENTRY_CHARS = 12

_BRACKET = re.compile(r"(?:^|(?<=\s))\[(?P<label>[^\[\]\s]{1,20}|\d{1,3})\](?=\s)")
_NUMBERED_LINE = re.compile(r"^\s*(?P<n>\d{1,3})\.?\s+(?=\S)", re.MULTILINE)
# Words a name list starts with: "Bengio, Yoshua", "M. Bellemare,", "Kaiming He,",
# "Yann N Dauphin,", "van der Maaten, L.", "Martín Abadi,", "LeCun, Y.".
_NAME = r"[A-Z\u00c0-\u024f][\w'’`´¨ˆ˜¸\-]*"
_PARTICLE = r"(?:(?:[Vv]an|[Vv]on|[Dd](?:er|en|e|a|i|el)|[Ll][ae]|dos|du|ten|ter)\s+)"
# An organisation as author: "BVLC. Caffe model zoo.", "NVIDIA. Technical brief".
_ORGANISATION = r"[A-Z][A-Z0-9&]{1,15}\.\s"
_INITIAL = r"[A-Z\u00c0-\u024f](?:\.|\b)(?:\s?-?[A-Z]\.)*"
_AUTHOR_START = re.compile(
    rf"^(?:{_ORGANISATION}|{_PARTICLE}*(?:{_NAME}\s*,\s*(?:{_INITIAL}|{_NAME})"  # Surname, Given
    rf"|(?:{_INITIAL}\s+|{_NAME}\s+){{1,3}}{_PARTICLE}*{_NAME}\s*(?:,|\.|\band\b|&|\(|$)))"
)
_SURNAME_FIRST = re.compile(
    rf"^(?:{_ORGANISATION}|{_PARTICLE}*{_NAME}\s*,\s*(?:{_INITIAL}|{_NAME}))"
)
_RUN_ON = re.compile(
    rf"(?<=[.)\]”\"])\s+(?={_PARTICLE}*{_NAME}\s*,\s*[A-Z\u00c0-\u024f]\.(?:-?[A-Z]\.)*[\s,])"
)
_ENDS_SENTENCE = re.compile(r"(?:[.?!)\]]|\b(?:19|20)\d\d[a-z]?\.?)\s*$")


def split_entries(text: str) -> list[str]:
    """The entries of a references section, in order, each on one line.

    ``text`` starts after the "References" heading. Blank or tiny pieces are
    dropped; each entry is whitespace-normalised.
    """
    text = text.strip()
    if not text:
        return []
    for cutter in (_by_brackets, _by_numbers, _by_lines):
        entries = cutter(text)
        if entries is not None:
            return [e for e in (_tidy(e) for e in entries) if len(e) >= MIN_ENTRY_CHARS]
    return []


def _tidy(entry: str) -> str:
    return " ".join(entry.split())[:MAX_ENTRY_CHARS]


def _by_brackets(text: str) -> list[str] | None:
    found = list(_BRACKET.finditer(text))
    if len(found) < 2 or found[0].start() > 40:
        return None  # the list must open with a label
    starts: list[int] = []
    numeric = found[0]["label"].isdigit()
    expected = int(found[0]["label"]) if numeric else 0
    for match in found:
        label = match["label"]
        if numeric:
            if not label.isdigit() or int(label) != expected:
                continue
            expected += 1
        elif label.isdigit() or not _opens_entry(text, match.start()):
            continue
        starts.append(match.start())
    if len(starts) < 2:
        return None
    return _cut(text, starts)


def _opens_entry(text: str, at: int) -> bool:
    """An alphabetic label opens an entry at the start of a line or after a sentence."""
    before = text[:at].rstrip()
    return not before or text[at - 1] == "\n" or before[-1] in ".?!)"


def _by_numbers(text: str) -> list[str] | None:
    first = _NUMBERED_LINE.match(text)
    if first is None or int(first["n"]) not in (0, 1):
        return None
    starts = [first.start()]
    expected = int(first["n"]) + 1
    position = first.end()
    while True:
        # The next number, at a line start or after a sentence's end.
        pattern = re.compile(
            rf"(?:^|(?<=\n)|(?<=[.?!)]\s))\s*{expected}\.?\s+(?=[A-Z\u00c0-\u024f])"
        )
        match = pattern.search(text, position)
        if match is None:
            break
        starts.append(match.start())
        position = match.end()
        expected += 1
    if len(starts) < 3:
        return None
    return _cut(text, starts)


def _cut(text: str, starts: list[int]) -> list[str]:
    ends = [*starts[1:], len(text)]
    return [text[a:b] for a, b in zip(starts, ends, strict=True)]


def _by_lines(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # When most entries open "Surname, Given" only such lines open one: a
    # wrapped "J. Mach. Learn. Res., 3" then stays with its entry.
    opening = [line for line in lines if _AUTHOR_START.match(line)]
    surname_first = sum(bool(_SURNAME_FIRST.match(line)) for line in opening)
    strict = bool(opening) and surname_first >= 0.6 * len(opening)
    entries: list[str] = []
    current = ""
    for line in lines:
        opens = _SURNAME_FIRST.match(line) if strict else _AUTHOR_START.match(line)
        if current and opens and _ENDS_SENTENCE.search(current) and _has_year(current):
            entries.append(current)
            current = line
        else:
            current = f"{current} {line}" if current else line
    if current:
        entries.append(current)
    cut: list[str] = []
    for entry in entries:
        pieces = _cut_run_on(entry)
        if cut and not _has_year(pieces[0]) and len(pieces) > 1:
            # "Neural Computation. 10(2): 251–276." opened a line, but it is the
            # end of the entry before, run together with the next entry.
            cut[-1] = f"{cut[-1]} {pieces.pop(0)}"
        cut.extend(pieces)
    return cut


def _cut_run_on(entry: str) -> list[str]:
    """Entries a PDF block ran together on one line ("... 1603.04467. Abbeel, P. and ...").

    A cut is made at "Surname, I." right after a sentence that does not end in
    an initial (inside an author list, "A. Agarwal, P. Barham", the name
    follows one), where the text after it holds a year and the text before it
    does too (or starts the line).
    """
    pieces: list[str] = []
    start = 0
    for match in _RUN_ON.finditer(entry):
        left = entry[start : match.start()]
        last = left.split()[-1] if left.split() else ""
        if _INITIAL_END.fullmatch(last) or len(left) < 20:
            continue
        if (start == 0 or _has_year(left)) and _has_year(entry[match.end() :]):
            pieces.append(left)
            start = match.end()
    pieces.append(entry[start:])
    return pieces


_INITIAL_END = re.compile(r"(?:[A-Z\u00c0-\u024f]\.-?)+")


def _has_year(entry: str) -> bool:
    """Entries in author-year lists print a year (or say why not); pieces rarely do."""
    return bool(_YEARISH.search(entry))


_YEARISH = re.compile(
    r"(?:1[89]|20)\d\d|https?://|\b(?:unpublished|in press|forthcoming|preprint|n\.d\.)", re.I
)


def is_author_start(text: str) -> bool:
    """Whether ``text`` begins like a list of authors (used to cut author-year lists)."""
    return bool(_AUTHOR_START.match(text.strip()))


__all__ = ["MAX_ENTRY_CHARS", "is_author_start", "split_entries"]
