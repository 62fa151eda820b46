"""PDF -> pages -> sections -> chunks with page anchors.

``extract_pdf`` is the one entry point for full extraction; ``identify_pdf``
is a cheap look at page 1. Both raise :class:`paperlab.errors.ExtractionError`
with a clear reason (encrypted, no pages, no text layer, damaged) and never
let a PyMuPDF exception escape. PyMuPDF is imported only when they run.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from paperlab.errors import ExtractionError
from paperlab.extract.chunking import TextChunk, chunk_pages, content_hash, split_sentences
from paperlab.extract.cleanup import PageText, clean_pages
from paperlab.extract.identify import PdfIdentity, guess_title, identify_pdf, title_rows
from paperlab.extract.pdf import open_document, read_metadata_title, read_pages, read_toc
from paperlab.extract.sections import Section, build_outline
from paperlab.ids import ArxivId
from paperlab.pdferrors import NO_TEXT, NO_TEXT_HINT

__all__ = [
    "ExtractedDocument",
    "ExtractionError",
    "PageText",
    "PdfIdentity",
    "Section",
    "TextChunk",
    "content_hash",
    "extract_pdf",
    "identify_pdf",
    "split_sentences",
]


@dataclass
class ExtractedDocument:
    """Everything extraction learned about one PDF."""

    pages: list[PageText]
    sections: list[Section]
    chunks: list[TextChunk]
    references_at: tuple[int, int] | None  # (page, offset) of the references heading
    arxiv_id: ArxivId | None  # from the side stamp on page 1
    title_guess: str | None
    page_count: int
    warnings: list[str] = field(default_factory=list)
    references_end: tuple[int, int] | None = None  # where the section after it starts

    @property
    def text(self) -> str:
        """All pages' text, separated by form feeds."""
        return "\f".join(page.text for page in self.pages)


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector, restoring its previous state afterwards.

    Extraction allocates a few hundred thousand short-lived, acyclic objects
    (PyMuPDF's span dicts, lines, rows), which set off ~600 collections per 36
    papers: ~5% of the time, more in a process with a large heap (a loaded
    embedding model). Nothing here makes reference cycles, so nothing is lost
    by collecting them later.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def extract_pdf(path: Path) -> ExtractedDocument:
    """Extract clean page text, sections and anchored chunks from the PDF at ``path``.

    Raises ExtractionError when the PDF is missing, damaged, encrypted, has no
    pages or no text layer. A page that fails to read is left empty and noted
    in ``warnings``; the other pages are kept.
    """
    with _cycle_collector_paused():
        return _extract(Path(path))


def _extract(path: Path) -> ExtractedDocument:
    warnings: list[str] = []
    doc = open_document(path)
    try:
        raw_pages = read_pages(doc, warnings)
        toc = read_toc(doc, warnings)
        metadata_title = read_metadata_title(doc)
        page_count = int(doc.page_count)
    finally:
        doc.close()
    if not any(page.char_count for page in raw_pages):
        if all(page.failed for page in raw_pages):
            raise ExtractionError(
                "The PDF is damaged and cannot be read (no page could be read).",
                "Download the PDF again or repair it (e.g. qpdf or mutool clean).",
            )
        raise ExtractionError(NO_TEXT, NO_TEXT_HINT)
    layouts, arxiv_id = clean_pages(raw_pages)
    title = guess_title(layouts[0], metadata_title)
    skip = {(1, row.offset) for row in title_rows(layouts[0])}
    outline = build_outline(layouts, toc, skip)
    pages = [PageText(layout.number, layout.text) for layout in layouts]
    chunks = chunk_pages(pages, outline.sections, outline.references_at, outline.references_end)
    return ExtractedDocument(
        pages=pages,
        sections=outline.sections,
        chunks=chunks,
        references_at=outline.references_at,
        arxiv_id=arxiv_id,
        title_guess=title,
        page_count=page_count,
        warnings=warnings,
        references_end=outline.references_end,
    )
