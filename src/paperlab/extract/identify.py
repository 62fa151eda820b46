"""Which paper is this PDF? The arXiv stamp and a title guess, from page 1 only.

Cheap enough to run on every PDF a user adds by hand: it reads the metadata
and the first page, nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from paperlab.extract.cleanup import PageLayout, Row, clean_pages, squash_words
from paperlab.extract.pdf import open_document, read_metadata_title, read_page
from paperlab.ids import ArxivId

# Metadata titles that name the tool or file rather than the paper.
_JUNK_TITLE = re.compile(
    r"^(?:untitled|title|paper|document|article|manuscript|slide\s*\d*|"
    r"powerpoint presentation|microsoft word\b.*|.*\.(?:dvi|pdf|docx?|tex|ps|indd)|"
    r"arxiv:.*|\W*|\d+)$",
    re.IGNORECASE,
)
_TITLE_ZONE = 0.5  # the title sits in the top half of page 1


@dataclass(frozen=True)
class PdfIdentity:
    """What page 1 and the metadata say about a PDF."""

    arxiv_id: ArxivId | None
    title: str | None
    page_count: int


def _runs(rows: list[Row], similar: float) -> list[list[Row]]:
    """Consecutive rows of about the same font size."""
    runs: list[list[Row]] = []
    for row in rows:
        if runs and abs(row.size - runs[-1][0].size) <= runs[-1][0].size * similar:
            runs[-1].append(row)
        else:
            runs.append([row])
    return runs


def title_rows(layout: PageLayout) -> list[Row]:
    """The rows of page 1 that hold the title: the largest text in the top half.

    When no text stands out (AMS and REVTeX set titles at body size), the
    largest run of all-caps rows is taken instead.
    """
    zone = [
        row for row in layout.rows if layout.height <= 0 or row.y0 < layout.height * _TITLE_ZONE
    ]
    zone = [row for row in zone if any(c.isalpha() for c in row.text)]
    if not zone:
        return []
    sizes = sorted(row.size for row in layout.rows)
    median = sizes[len(sizes) // 2]
    # Small caps make a title's rows differ a little in their largest letters.
    runs = _runs(zone, 0.12)
    largest = max(runs, key=lambda run: max(r.size for r in run))
    if max(r.size for r in largest) >= median * 1.15:
        return largest
    shouting = [
        run
        for run in runs
        if run[0].size >= median and all(r.text.isupper() for r in run)
        and len(" ".join(r.text for r in run).split()) >= 3
    ]  # fmt: skip
    return max(shouting, key=lambda run: run[0].size) if shouting else []


def _good_metadata(title: str | None, page_text: str) -> bool:
    if not title or _JUNK_TITLE.match(title.strip()) or len(title) < 6:
        return False
    # The metadata must agree with the page, or it is left over from a template.
    words = squash_words(title)
    page = set(squash_words(page_text))
    return bool(words) and sum(w in page for w in words) >= 0.7 * len(words)


def guess_title(layout: PageLayout, metadata_title: str | None) -> str | None:
    """The paper's title: trusted metadata, else the largest text on page 1."""
    if _good_metadata(metadata_title, layout.text):
        return metadata_title
    rows = title_rows(layout)
    text = " ".join(" ".join(row.text for row in rows).split())
    if 6 <= len(text) <= 300:
        return text
    return None


def identify_pdf(path: Path) -> PdfIdentity:
    """The stamped arXiv id, a title guess and the page count, from page 1 only.

    Raises ExtractionError when the PDF cannot be opened (see extract_pdf).
    """
    doc = open_document(Path(path))
    try:
        page_count = int(doc.page_count)
        metadata_title = read_metadata_title(doc)
        try:
            first = read_page(doc, 0)
        except Exception:  # a broken first page still leaves the metadata
            return PdfIdentity(None, metadata_title, page_count)
    finally:
        doc.close()
    layouts, arxiv_id = clean_pages([first])
    return PdfIdentity(arxiv_id, guess_title(layouts[0], metadata_title), page_count)
