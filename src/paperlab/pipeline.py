"""After a PDF lands: extract its text into pages and chunks, then embed them.

Used by `paperlab fetch` (for each download), `paperlab add` and
`paperlab index`. Re-extraction replaces a paper's pages and chunks in one
transaction and re-anchors its annotations; notes and annotations themselves
are never touched, so nothing the user wrote is lost.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from sqlmodel import col, delete, insert

from paperlab.errors import PaperlabError
from paperlab.pdferrors import MISSING, MISSING_HINT
from paperlab.references import replace_references
from paperlab.settings import Settings
from paperlab.store import Store
from paperlab.store.models import Chunk, Page, Paper, PipelineState, utcnow

if TYPE_CHECKING:
    from paperlab.extract.chunking import TextChunk
    from paperlab.extract.workers import Extraction, ExtractionPool, PendingExtraction

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
    hint: str | None = None  # what the user can do about ``reason``, when we know
    warnings: list[str] = field(default_factory=list)


# An extraction handed to a pool, or the outcome when there was nothing to hand it.
Started: TypeAlias = "PendingExtraction | ExtractOutcome"


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
    from paperlab.extract.workers import extract_with_references

    path = _pdf_to_extract(store, settings, paper_id)
    if isinstance(path, ExtractOutcome):
        return path
    return store_extraction(store, paper_id, extract_with_references(path, with_references))


def extract_papers(
    store: Store,
    settings: Settings,
    paper_ids: Sequence[str],
    *,
    prepare: Callable[[str], object] | None = None,
    with_references: bool = True,
) -> Iterator[ExtractOutcome]:
    """``extract_paper`` for each paper, in order, with the next PDFs extracted ahead.

    Up to ``settings.extract_workers`` processes extract the PDFs after the
    one being yielded, so whatever the caller does with an outcome (embedding
    it) overlaps with their extraction. ``prepare(paper_id)`` runs first for
    each paper (a lab library fetches its PDF there) and raises PaperlabError
    when the paper cannot be extracted; such a paper's outcome is a failure
    carrying the error's message and hint, and nothing is recorded on it.
    """
    from paperlab.extract.workers import ExtractionPool

    workers = settings.extract_workers if len(paper_ids) > 1 else 0
    ahead = max(1, 2 * workers)
    window: deque[tuple[str, Started]] = deque()
    todo = iter(paper_ids)
    with ExtractionPool(min(workers, len(paper_ids))) as pool:
        while True:
            for paper_id in islice(todo, ahead - len(window)):
                try:
                    if prepare is not None:
                        prepare(paper_id)
                except PaperlabError as exc:
                    refused = ExtractOutcome(paper_id, ok=False, reason=exc.message, hint=exc.hint)
                    window.append((paper_id, refused))
                    continue
                started = start_extraction(store, settings, pool, paper_id, with_references)
                window.append((paper_id, started))
            if not window:
                return
            yield finish_extraction(store, *window.popleft())


def start_extraction(
    store: Store,
    settings: Settings,
    pool: ExtractionPool,
    paper_id: str,
    with_references: bool = True,
) -> Started:
    """Hand the paper's PDF to ``pool``; the failed outcome when it has no PDF on disk."""
    path = _pdf_to_extract(store, settings, paper_id)
    return path if isinstance(path, ExtractOutcome) else pool.submit(path, with_references)


def finish_extraction(store: Store, paper_id: str, started: Started) -> ExtractOutcome:
    """Wait for a started extraction and store it (see ``store_extraction``)."""
    if isinstance(started, ExtractOutcome):
        return started
    return store_extraction(store, paper_id, started.result())


def _pdf_to_extract(store: Store, settings: Settings, paper_id: str) -> Path | ExtractOutcome:
    """The paper's PDF on disk, or the failed outcome (recorded on the paper) when there is none."""
    with store.read() as session:
        paper = session.get(Paper, paper_id)
        pdf_path = paper.pdf_path if paper else None
    if not pdf_path:
        return ExtractOutcome(paper_id, ok=False, reason="No PDF has been fetched yet.")
    path = resolve_pdf(settings, pdf_path)
    if not path.is_file():
        reason = MISSING.format(path=path)
        _mark_failed(store, paper_id, reason)
        return ExtractOutcome(paper_id, ok=False, reason=reason, hint=MISSING_HINT)
    return path


def store_extraction(store: Store, paper_id: str, extraction: Extraction) -> ExtractOutcome:
    """Replace the paper's pages, chunks and reference list with ``extraction``'s.

    A failed extraction is recorded on the paper; its old pages stay.
    """
    document, parsed = extraction.document, extraction.references
    if document is None:
        reason = extraction.error or "The PDF could not be read."
        _mark_failed(store, paper_id, reason)
        return ExtractOutcome(paper_id, ok=False, reason=reason, hint=extraction.hint)

    with store.write() as session:
        session.exec(delete(Chunk).where(col(Chunk.paper_id) == paper_id))
        session.exec(delete(Page).where(col(Page.paper_id) == paper_id))
        # Bulk inserts (one executemany each): adding ORM objects one by one
        # cost ~60 ms a paper, more than extracting it in a worker.
        pages = [{"paper_id": paper_id, "number": p.number, "text": p.text} for p in document.pages]
        if pages:
            session.execute(insert(Page), pages)
        if document.chunks:
            session.execute(insert(Chunk), [_chunk_row(paper_id, c) for c in document.chunks])
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


def _chunk_row(paper_id: str, chunk: TextChunk) -> dict[str, object]:
    return {
        "paper_id": paper_id,
        "ordinal": chunk.ordinal,
        "page_start": chunk.page_start,
        "page_end": chunk.page_end,
        "char_start": chunk.char_start,
        "char_end": chunk.char_end,
        "section": chunk.section,
        "is_reference": chunk.is_reference,
        "text": chunk.text,
        "content_hash": chunk.content_hash,
    }


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
    "extract_papers",
    "finish_extraction",
    "papers_needing_extraction",
    "resolve_pdf",
    "start_extraction",
    "store_extraction",
]
