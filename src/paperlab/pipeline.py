"""After a PDF lands: extract its text into pages and chunks, then embed them.

Used by `paperlab fetch` (for each download), `paperlab add` and
`paperlab index`. Re-extraction replaces a paper's pages and chunks in one
transaction and re-anchors its annotations; notes and annotations themselves
are never touched, so nothing the user wrote is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import col, delete

from paperlab.errors import ExtractionError
from paperlab.references import replace_references
from paperlab.settings import Settings
from paperlab.store import Store
from paperlab.store.models import Chunk, Page, Paper, PipelineState, utcnow

NO_TEXT_TO_INDEX = (
    "No text to index: nothing is left once running headers, page numbers"
    " and the arXiv stamp are removed."
)


@dataclass
class ExtractOutcome:
    paper_id: str
    ok: bool
    pages: int = 0
    chunks: int = 0
    references: int = 0
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)


def resolve_pdf(settings: Settings, pdf_path: str) -> Path:
    """Stored PDF paths are relative to the data dir so a library can move."""
    path = Path(pdf_path)
    return path if path.is_absolute() else settings.home / path


def extract_paper(
    store: Store, settings: Settings, paper_id: str, *, with_references: bool = True
) -> ExtractOutcome:
    """Extract one paper's PDF into Page and Chunk rows; record failures on the paper.

    The references section is parsed into the paper version's reference list
    in the same transaction (``with_references=False`` skips it: the bench
    measures what it costs).
    """
    from paperlab.extract import extract_pdf
    from paperlab.extract.references import extract_references

    with store.read() as session:
        paper = session.get(Paper, paper_id)
        pdf_path = paper.pdf_path if paper else None
    if not pdf_path:
        return ExtractOutcome(paper_id, ok=False, reason="No PDF has been fetched yet.")
    path = resolve_pdf(settings, pdf_path)
    try:
        if not path.is_file():
            raise ExtractionError(f"The PDF file {path} is missing.")
        document = extract_pdf(path)
    except ExtractionError as exc:
        _mark_failed(store, paper_id, exc.message)
        return ExtractOutcome(paper_id, ok=False, reason=exc.message)
    parsed = (
        extract_references(document.pages, document.references_at, document.references_end)
        if with_references
        else None
    )

    with store.write() as session:
        session.exec(delete(Chunk).where(col(Chunk.paper_id) == paper_id))
        session.exec(delete(Page).where(col(Page.paper_id) == paper_id))
        for page in document.pages:
            session.add(Page(paper_id=paper_id, number=page.number, text=page.text))
        for chunk in document.chunks:
            session.add(
                Chunk(
                    paper_id=paper_id,
                    ordinal=chunk.ordinal,
                    page_start=chunk.page_start,
                    page_end=chunk.page_end,
                    char_start=chunk.char_start,
                    char_end=chunk.char_end,
                    section=chunk.section,
                    is_reference=chunk.is_reference,
                    text=chunk.text,
                    content_hash=chunk.content_hash,
                )
            )
        paper = session.get(Paper, paper_id)
        if paper is not None and parsed is not None:
            replace_references(session.connection(), paper_id, paper.pdf_version or 0, parsed)
        if paper is not None:
            # No chunk means nothing to embed: without this the paper would be
            # marked indexed with no text at all, and search would look empty.
            if document.chunks:
                paper.state = PipelineState.EXTRACTED.value
                paper.state_reason = "; ".join(document.warnings[:3]) or None
            else:
                paper.state, paper.state_reason = PipelineState.FAILED.value, NO_TEXT_TO_INDEX
            if not paper.title and document.title_guess:
                paper.title = document.title_guess
            paper.updated_at = utcnow()
            session.add(paper)
    _reanchor(store, paper_id)
    return ExtractOutcome(
        paper_id,
        ok=bool(document.chunks),
        pages=len(document.pages),
        chunks=len(document.chunks),
        references=len(parsed or []),
        reason=None if document.chunks else NO_TEXT_TO_INDEX,
        warnings=list(document.warnings),
    )


def embed_paper(store: Store, settings: Settings, paper_id: str) -> int:
    """Embed one paper's chunks that have no vector yet; returns how many were embedded.

    The faiss file is not touched here: callers batch that into one
    ``index_pending`` at the end of a run, so a list of papers rewrites it once.
    """
    from paperlab.embedding import embed_texts, missing_chunk_texts
    from paperlab.search.embedder import load_embedder

    with store.connect() as conn:
        pending = missing_chunk_texts(conn, settings.embed_model, paper_id)
    if not pending:
        return 0
    return embed_texts(store, load_embedder(settings), pending)


def _reanchor(store: Store, paper_id: str) -> None:
    from paperlab.annotations import reanchor_annotations

    reanchor_annotations(store, paper_id)


def _mark_failed(store: Store, paper_id: str, reason: str) -> None:
    with store.write() as session:
        paper = session.get(Paper, paper_id)
        if paper is not None:
            paper.state = PipelineState.FAILED.value
            paper.state_reason = reason
            paper.updated_at = utcnow()
            session.add(paper)


def papers_needing_extraction(
    store: Store, ids: list[str] | None = None, *, include_failed: bool = False
) -> list[str]:
    """Papers that have a PDF but no extracted text yet (or were asked for by id)."""
    from sqlmodel import select

    with store.read() as session:
        query = select(Paper.id).where(col(Paper.pdf_path).is_not(None))
        if ids is not None:
            query = query.where(col(Paper.id).in_(ids))
        else:
            states = [PipelineState.FETCHED.value]
            if include_failed:
                states.append(PipelineState.FAILED.value)
            query = query.where(col(Paper.state).in_(states))
        return list(session.exec(query.order_by(col(Paper.added_at))).all())


__all__ = [
    "NO_TEXT_TO_INDEX",
    "ExtractOutcome",
    "embed_paper",
    "extract_paper",
    "papers_needing_extraction",
    "resolve_pdf",
]
