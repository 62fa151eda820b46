"""A copy of a paper's PDF with every annotation as a real PDF highlight.

Each quote is searched on its anchored page first, then on every page; a
quote broken by a line end or hyphenation is found by its first and last
few words and highlighted from one to the other. The comment becomes the
highlight's pop-up text, so any PDF viewer shows it. Quotes that cannot be
located are reported, never fatal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from paperlab.annotation_views import HIGHLIGHT_KIND_LABELS
from paperlab.annotations import color_rgb
from paperlab.errors import ExtractionError, NotFoundError
from paperlab.export import atomic_write_bytes
from paperlab.settings import Settings
from paperlab.store import Store
from paperlab.store.models import Annotation, Paper, seen_by_me

_EDGE_WORDS = 5


def _popup_text(ann: Annotation) -> str:
    """The pop-up a viewer shows: the comment (else the quote), led by the kind unless plain."""
    text = ann.comment or ann.quote
    if ann.kind == "highlight":
        return text
    return f"{HIGHLIGHT_KIND_LABELS.get(ann.kind, ann.kind)}: {text}"


@dataclass(frozen=True)
class Missing:
    annotation_id: int | None
    quote: str
    page: int | None


@dataclass
class AnnotatedPdf:
    path: Path
    paper_id: str
    placed: int = 0
    missing: list[Missing] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "paper": self.paper_id,
            "placed": self.placed,
            "missing": [m.__dict__ for m in self.missing],
        }


def pdf_file(paper: Paper, settings: Settings) -> Path:
    """The stored PDF of ``paper`` (pdf_path is absolute or relative to the data dir)."""
    if not paper.pdf_path:
        raise NotFoundError(
            f"Paper {paper.id} has no PDF in the library.",
            hint=f"Fetch it first: paperlab fetch {paper.id}",
        )
    path = Path(paper.pdf_path)
    if not path.is_absolute():
        # Stored relative to the data dir (``pdfs/<stem>.pdf``); older rows
        # may name the file relative to the PDF folder.
        candidates = [settings.home / path, settings.pdf_dir / path]
        path = next((c for c in candidates if c.is_file()), candidates[0])
    if not path.is_file():
        raise NotFoundError(
            f"The PDF of {paper.id} is missing at {path}.",
            hint=f"Fetch it again: paperlab fetch {paper.id}",
        )
    return path


def _find(page: Any, quote: str) -> list[Any]:
    """Quads covering ``quote`` on ``page``; empty when not there."""
    from paperlab.extract.mupdf import load_pymupdf

    pymupdf = load_pymupdf()

    text = " ".join(quote.split())
    if not text:
        return []
    quads = page.search_for(text, quads=True)
    if quads:
        return list(quads)
    words = text.split(" ")
    if len(words) < 2 * _EDGE_WORDS:
        return []
    # Broken by hyphenation or a column: highlight from its start to its end.
    starts = page.search_for(" ".join(words[:_EDGE_WORDS]), quads=True)
    ends = page.search_for(" ".join(words[-_EDGE_WORDS:]), quads=True)
    if not starts or not ends:
        return []
    start = pymupdf.Point(starts[0].ul.x, (starts[0].ul.y + starts[0].ll.y) / 2)
    end = pymupdf.Point(ends[-1].ur.x, (ends[-1].ur.y + ends[-1].lr.y) / 2)
    if (end.y, end.x) <= (start.y, start.x):
        return []
    return [("range", start, end)]


def annotate_pdf(
    store: Store, settings: Settings, paper_text: str, out: Path | None = None
) -> AnnotatedPdf:
    """Write ``paper``'s PDF with its annotations as highlights to ``out``."""
    from paperlab.extract.mupdf import load_pymupdf
    from paperlab.library import resolve_paper

    pymupdf = load_pymupdf()
    with store.read() as session:
        paper = resolve_paper(session, paper_text)
        annotations = list(
            session.exec(
                select(Annotation)
                .where(Annotation.paper_id == paper.id, seen_by_me(Annotation))
                .order_by(col(Annotation.page), col(Annotation.id))
            ).all()
        )
    source = pdf_file(paper, settings)
    target = (
        Path(out)
        if out
        else Path(f"{(paper.citation_key or paper.id).replace('/', '_')}-annotated.pdf")
    )
    try:
        doc = pymupdf.open(source)
    except Exception as exc:  # PyMuPDF raises its own family for damaged files
        raise ExtractionError(
            f"Cannot open the PDF of {paper.id} ({exc}).", hint="Fetch it again."
        ) from None
    result = AnnotatedPdf(path=target, paper_id=paper.id)
    try:
        for ann in annotations:
            order = list(range(doc.page_count))
            if ann.page and 1 <= ann.page <= doc.page_count:
                order.remove(ann.page - 1)
                order.insert(0, ann.page - 1)
            for index in order:
                page = doc[index]
                found = _find(page, ann.quote)
                if not found:
                    continue
                if isinstance(found[0], tuple):
                    _, start, stop = found[0]
                    highlight = page.add_highlight_annot(start=start, stop=stop)
                else:
                    highlight = page.add_highlight_annot(found)
                highlight.set_colors(stroke=color_rgb(ann.color))
                # Viewers show the title as the highlight's author: whose it is.
                highlight.set_info(
                    content=_popup_text(ann), title=ann.owner, subject=ann.quote[:200]
                )
                highlight.update()
                result.placed += 1
                break
            else:
                result.missing.append(Missing(ann.id, ann.quote, ann.page))
        data = doc.tobytes(garbage=3, deflate=True)
    finally:
        doc.close()
    atomic_write_bytes(target, data)
    return result


__all__ = ["AnnotatedPdf", "Missing", "annotate_pdf", "pdf_file"]
