"""Opening a PDF with PyMuPDF and reading each page as positioned text lines.

Everything that touches PyMuPDF lives here, so that its many exception types
(``RuntimeError``, ``pymupdf.FileDataError``, ``ValueError`` from MuPDF, ...)
are turned into :class:`~paperlab.errors.ExtractionError` in one place and the
rest of the package works on plain dataclasses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paperlab.errors import ExtractionError
from paperlab.extract.mupdf import load_pymupdf
from paperlab.pdferrors import (
    DAMAGED,
    DAMAGED_HINT,
    ENCRYPTED,
    ENCRYPTED_HINT,
    MISSING,
    MISSING_HINT,
    NO_PAGES,
    NO_PAGES_HINT,
)

# Span flag bit for bold text (PyMuPDF's TEXT_FONT_BOLD).
_BOLD_FLAG = 16
_HAS_LETTER = re.compile(r"[^\W\d_]")
_BOLD_NAMES = ("bold", "black", "heavy", "semibold", "demi", "medi")


@dataclass(slots=True)  # not frozen: a frozen dataclass is ~4x slower to build, per line
class RawLine:
    """One text line as MuPDF reports it, with the layout facts we reason on."""

    text: str
    block: int
    x0: float
    y0: float
    x1: float
    y1: float
    size: float  # largest font size among spans that carry letters
    bold: bool  # most letters are in a bold face
    horizontal: bool  # False for rotated text (margin stamps, axis labels)


@dataclass
class RawPage:
    """A page's lines in MuPDF's reading order, plus its size."""

    number: int  # 1-based
    width: float
    height: float
    lines: list[RawLine] = field(default_factory=list)
    failed: bool = False

    @property
    def char_count(self) -> int:
        return sum(len(line.text.strip()) for line in self.lines)


def quiet_mupdf() -> None:
    """Stop MuPDF from printing its warnings and errors on stderr."""
    pymupdf = load_pymupdf()

    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    # MuPDF keeps every warning in memory until read; a long batch must not grow it.
    pymupdf.TOOLS.reset_mupdf_warnings()


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    # MuPDF prefixes messages with a code such as "code=2: ".
    if text.startswith("code=") and ": " in text:
        text = text.split(": ", 1)[1]
    return text if len(text) <= 80 else text[:77] + "..."


def open_document(path: Path) -> Any:
    """Open ``path`` as a PDF, or raise ExtractionError saying why it cannot be read.

    Returns a ``pymupdf.Document`` that is not encrypted and has at least one page.
    The caller closes it.
    """
    pymupdf = load_pymupdf()

    quiet_mupdf()
    path = Path(path)
    if not path.is_file():
        raise ExtractionError(MISSING.format(path=path), MISSING_HINT)
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
    except OSError as exc:
        raise ExtractionError(DAMAGED.format(detail=_short(exc)), DAMAGED_HINT) from exc
    if not head:
        raise ExtractionError(DAMAGED.format(detail="empty file"), DAMAGED_HINT)
    if b"%PDF" not in head:
        raise ExtractionError(DAMAGED.format(detail="not a PDF file"), DAMAGED_HINT)
    try:
        # filetype="pdf": never let MuPDF guess another format from the bytes.
        doc = pymupdf.open(str(path), filetype="pdf")
    except Exception as exc:  # MuPDF raises several unrelated types here
        raise ExtractionError(DAMAGED.format(detail=_short(exc)), DAMAGED_HINT) from exc
    try:
        # An empty user password opens owner-password-only files (print/copy locks).
        if doc.needs_pass and not doc.authenticate(""):
            raise ExtractionError(ENCRYPTED, ENCRYPTED_HINT)
        if doc.page_count < 1:
            raise ExtractionError(NO_PAGES, NO_PAGES_HINT)
    except ExtractionError:
        doc.close()
        raise
    except Exception as exc:
        doc.close()
        raise ExtractionError(DAMAGED.format(detail=_short(exc)), DAMAGED_HINT) from exc
    return doc


def _bold_name(font: str) -> bool:
    """Whether a font's name says it is bold (for fonts whose flags do not)."""
    font = font.lower()
    return any(name in font for name in _BOLD_NAMES)


def _span_is_bold(span: dict[str, Any], bold_names: dict[str, bool]) -> bool:
    if span["flags"] & _BOLD_FLAG:
        return True
    font = span["font"]
    bold = bold_names.get(font)
    if bold is None:
        bold = bold_names[font] = _bold_name(font)
    return bold


def _line_from_dict(
    line: dict[str, Any], block: int, bold_names: dict[str, bool] | None = None
) -> RawLine | None:
    """One dict line as a RawLine; None when it holds only whitespace.

    ``bold_names`` caches `_bold_name` per font across the lines of a document:
    a page has thousands of spans but only a handful of fonts.
    """
    if bold_names is None:
        bold_names = {}
    spans = line["spans"]
    text = spans[0]["text"] if len(spans) == 1 else "".join([span["text"] for span in spans])
    if not text or text.isspace():
        return None
    size = 0.0
    letters = bold_letters = 0
    for span in spans:
        span_text = span["text"]
        # MuPDF makes each space it infers between words a span of its own.
        if span_text == " " or _HAS_LETTER.search(span_text) is None:
            continue  # math symbols and punctuation say nothing about the font
        n = len(span_text)
        if span["size"] > size:
            size = span["size"]
        letters += n
        if _span_is_bold(span, bold_names):
            bold_letters += n
    if not size:
        size = max((span["size"] for span in spans), default=0.0)
    dx, dy = line["dir"]
    x0, y0, x1, y1 = line["bbox"]
    return RawLine(
        text,
        block,
        float(x0),
        float(y0),
        float(x1),
        float(y1),
        round(float(size), 2),
        letters > 0 and bold_letters * 2 > letters,
        abs(dy) < 0.05 and dx > 0,
    )


def text_flags() -> int:
    """Flags for ``get_text("dict")``: ligatures expanded, no images, no dehyphenation.

    TEXT_DEHYPHENATE is left off on purpose: it drops every line-end hyphen,
    turning "gradient-\\nbased" into "gradientbased"; cleanup.py decides per word.
    """
    pymupdf = load_pymupdf()

    flags = pymupdf.TEXTFLAGS_DICT
    flags &= ~pymupdf.TEXT_PRESERVE_LIGATURES
    flags &= ~pymupdf.TEXT_PRESERVE_IMAGES
    return int(flags | pymupdf.TEXT_MEDIABOX_CLIP)


def read_page(
    doc: Any, index: int, flags: int | None = None, bold_names: dict[str, bool] | None = None
) -> RawPage:
    """Read page ``index`` (0-based); PyMuPDF errors propagate to the caller."""
    page = doc.load_page(index)
    data = page.get_text("dict", flags=text_flags() if flags is None else flags)
    raw = RawPage(
        number=index + 1,
        width=float(data.get("width") or page.rect.width),
        height=float(data.get("height") or page.rect.height),
    )
    if bold_names is None:
        bold_names = {}
    lines = raw.lines
    for block_no, block in enumerate(data.get("blocks", [])):
        if block.get("type", 0) != 0:
            continue
        for line in block.get("lines", []):
            parsed = _line_from_dict(line, block_no, bold_names)
            if parsed is not None:
                lines.append(parsed)
    return raw


def read_pages(doc: Any, warnings: list[str]) -> list[RawPage]:
    """Read every page; a page that fails is kept empty and noted in ``warnings``."""
    flags = text_flags()
    bold_names: dict[str, bool] = {}
    pages: list[RawPage] = []
    for index in range(doc.page_count):
        try:
            pages.append(read_page(doc, index, flags, bold_names))
        except Exception as exc:  # one bad page must not lose the others
            warnings.append(f"Page {index + 1} could not be read ({_short(exc)}); skipped.")
            pages.append(RawPage(number=index + 1, width=0.0, height=0.0, failed=True))
    return pages


def read_toc(doc: Any, warnings: list[str]) -> list[tuple[int, str, int]]:
    """The outline as (level, title, page) triples; [] when absent or unreadable."""
    try:
        toc = doc.get_toc(simple=True)
    except Exception as exc:
        warnings.append(f"The outline could not be read ({_short(exc)}); using fonts.")
        return []
    result: list[tuple[int, str, int]] = []
    for entry in toc:
        try:
            level, title, page = int(entry[0]), str(entry[1]), int(entry[2])
        except (TypeError, ValueError, IndexError):
            continue
        if 1 <= page <= doc.page_count and title.strip():
            result.append((level, " ".join(title.split()), page))
    return result


def read_metadata_title(doc: Any) -> str | None:
    """The document-info title, or None when missing or unreadable."""
    try:
        title = (doc.metadata or {}).get("title")
    except Exception:
        return None
    if not title:
        return None
    return " ".join(str(title).split()) or None
