"""Text -> LaTeX/BibTeX that compiles whatever a real arXiv title contains.

Decisions (see docs/export.md; the character tables are in latex_chars.py):

- Every LaTeX special character is escaped (``\\ { } % & _ $ # ^ ~ < > |``).
- Accented Latin letters become TeX accent macros (``é`` -> ``{\\'{e}}``), so
  the output is plain ASCII for Latin text: BibTeX sorts and case-changes it
  correctly, and pdflatex needs no font coverage for it.
- Greek letters and common math symbols become ``\\ensuremath{...}``.
- Inline math that arXiv titles carry (``$\\Lambda_{\\alpha}$``) is kept as
  math when it only uses well-known macros; anything else is escaped, so an
  unknown macro can never break compilation.
- Other scripts (CJK, Cyrillic, ...) are kept as UTF-8. :func:`unicode_preamble`
  declares each of them for pdflatex (a visible ``[U+XXXX]`` placeholder);
  under LuaLaTeX/XeLaTeX the document loads fontspec and prints the glyphs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from paperlab.export.latex_chars import ACCENTS as _ACCENTS
from paperlab.export.latex_chars import LETTERS as _LETTERS
from paperlab.export.latex_chars import MATH_CHARS as _MATH_CHARS
from paperlab.export.latex_chars import PUNCT as _PUNCT
from paperlab.export.latex_chars import SAFE_MATH_MACROS

_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "_": r"\_",
    "$": r"\$",
    "#": r"\#",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}

# In a .bib file a brace is a brace even after a backslash: BibTeX (and biber)
# count ``\{`` and ``\}`` when they look for a field's end, so one stray brace
# in a title or name breaks the entry and everything after it. There, a literal
# brace without a partner is written as a text command, which counts as
# balanced; pairs stay ``\{...\}``, which every BibTeX reader decodes.
_BIB_SPECIALS = {**_SPECIALS, "{": r"\textbraceleft{}", "}": r"\textbraceright{}"}

# Pandoc's rule: no space just inside the dollars, no digit right after the
# closing one, so "costs $5 and $6" stays text.
_MATH_RE = re.compile(r"(?<!\\)\$(?=\S)([^$]+?)(?<=\S)(?<!\\)\$(?!\d)")
_MACRO_RE = re.compile(r"\\([A-Za-z]+|.)")
_SAFE_MATH_CHARS = re.compile(r"^[A-Za-z0-9\s+\-*/=()\[\]<>,.;:'!|^_{}\\]*$")


def normalise_space(text: str) -> str:
    """Collapse runs of whitespace (arXiv titles carry hard line breaks)."""
    return " ".join(text.split())


def is_safe_math(body: str) -> bool:
    """True when ``body`` (between dollars) uses only known macros and balanced braces."""
    if not body.strip() or not _SAFE_MATH_CHARS.match(body):
        return False
    depth = 0
    for char in body:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    if depth:
        return False
    for match in _MACRO_RE.finditer(body):
        name = match.group(1)
        if name.isalpha():
            if name not in SAFE_MATH_MACROS:
                return False
        elif name not in "{}|,;:! ":
            return False
    return True


def split_math(text: str) -> list[tuple[bool, str]]:
    """Split ``text`` into (is_math, segment); math segments include their dollars."""
    parts: list[tuple[bool, str]] = []
    pos = 0
    for match in _MATH_RE.finditer(text):
        if not is_safe_math(match.group(1)):
            continue
        if match.start() > pos:
            parts.append((False, text[pos : match.start()]))
        parts.append((True, match.group(0)))
        pos = match.end()
    if pos < len(text):
        parts.append((False, text[pos:]))
    return parts


def _escape_char(char: str, specials: dict[str, str] = _SPECIALS) -> str:
    if char in specials:
        return specials[char]
    if ord(char) < 128:
        return char
    if char in _LETTERS:
        return _LETTERS[char]
    if char in _PUNCT:
        return _PUNCT[char]
    if char in _MATH_CHARS:
        return "\\ensuremath{" + _MATH_CHARS[char] + "}"
    decomposed = unicodedata.normalize("NFD", char)
    base, marks = decomposed[0], decomposed[1:]
    if ord(base) < 128 and marks and all(m in _ACCENTS for m in marks):
        out = base
        for mark in marks:
            out = "\\" + _ACCENTS[mark] + "{" + out + "}"
        return "{" + out + "}"
    compat = unicodedata.normalize("NFKD", char)
    if compat != char and all(ord(c) < 128 for c in compat):
        return "".join(_escape_char(c, specials) for c in compat)  # ligatures, full width
    if unicodedata.category(char) in ("Mn", "Cc", "Cf"):
        return ""  # stray combining marks, control and format characters
    return char  # another script: declared by unicode_preamble


def _paired_braces(text: str) -> set[int]:
    """Indices of the ``{`` and ``}`` in ``text`` that close each other."""
    paired: set[int] = set()
    opened: list[int] = []
    for i, char in enumerate(text):
        if char == "{":
            opened.append(i)
        elif char == "}" and opened:
            paired.update((opened.pop(), i))
    return paired


def _escape_chars(text: str, *, bibtex: bool = False) -> str:
    if not bibtex:
        return "".join(_escape_char(c) for c in text)
    paired = _paired_braces(text)
    return "".join(
        _SPECIALS[c] if i in paired else _escape_char(c, _BIB_SPECIALS) for i, c in enumerate(text)
    )


def escape_plain(text: str, *, bibtex: bool = False) -> str:
    """Escape ``text`` for LaTeX (or a .bib field) without keeping any math."""
    return _escape_chars(normalise_space(text), bibtex=bibtex)


def tex_escape(text: str, *, keep_math: bool = True, bibtex: bool = False) -> str:
    """Escape ``text`` for LaTeX, or with ``bibtex`` for a .bib field; keeps safe math.

    Kept ``$...$`` math has balanced braces (``is_safe_math``), so it is as
    safe in a .bib field as the escaped text around it.
    """
    text = normalise_space(text)
    if not keep_math:
        return escape_plain(text, bibtex=bibtex)
    return "".join(
        seg if is_math else _escape_chars(seg, bibtex=bibtex) for is_math, seg in split_math(text)
    )


def uncovered_chars(texts: Iterable[str]) -> list[str]:
    """Non-ASCII characters left in already-escaped ``texts`` (other scripts)."""
    found = {c for text in texts for c in text if ord(c) > 127}
    return sorted(found)


def unicode_preamble(escaped_texts: Iterable[str]) -> str:
    """Preamble lines that let pdflatex, LuaLaTeX and XeLaTeX all compile the text.

    pdflatex: T1 + utf8 + lmodern, and a ``\\DeclareUnicodeCharacter`` for each
    remaining character, printed as ``[U+XXXX]``. LuaLaTeX/XeLaTeX: fontspec.
    """
    chars = uncovered_chars(escaped_texts)
    declare = "\n".join(
        f"  \\DeclareUnicodeCharacter{{{ord(c):04X}}}{{\\paperlabglyph{{{ord(c):04X}}}}}"
        for c in chars
    )
    return "\n".join(
        [
            r"\usepackage{iftex}",
            r"\ifPDFTeX",
            r"  \usepackage[T1]{fontenc}",
            r"  \usepackage[utf8]{inputenc}",
            r"  \usepackage{lmodern}",
            r"  \newcommand{\paperlabglyph}[1]{{\footnotesize[U+#1]}}",
            *([declare] if declare else []),
            r"\else",
            r"  \usepackage{fontspec}",
            r"\fi",
        ]
    )


__all__ = [
    "SAFE_MATH_MACROS",
    "escape_plain",
    "is_safe_math",
    "normalise_space",
    "split_math",
    "tex_escape",
    "uncovered_chars",
    "unicode_preamble",
]
