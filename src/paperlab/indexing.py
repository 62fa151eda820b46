"""Indexing service: make the library searchable by meaning, and report how far it is.

``index_pending`` is what fetch, import, repair and ``paperlab index`` each
finish with, so they agree on what "indexed" means: every
passage, note, annotation and log text has a vector (``embedding``), papers
whose chunks are all embedded move to "indexed", and the dense index that
serves search is brought up to date: the faiss file (``vectorsync``) or, on a
lab server with pgvector, the server's HNSW index. ``rebuild_index``
re-derives every derived table and file from the stored rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from paperlab.embedding import (
    Item,
    embed_texts,
    existing_hashes,
    missing_chunk_texts,
    model_dim,
    small_items,
)
from paperlab.errors import EmbeddingError
from paperlab.search.embedder import Embedder, Progress, embedding_plan, load_embedder
from paperlab.search.lexical import rebuild_fts
from paperlab.search.vectors import FileState, VectorPaths, forget_cache
from paperlab.search.vectors_pg import (
    choose_dense_path,
    ensure_hnsw,
    pgvector_in_use,
    rebuild_server_vectors,
)
from paperlab.settings import Settings
from paperlab.store import Store
from paperlab.vectorsync import embedded_chunk_aggregate, faiss_state, sync_vectors


@dataclass
class IndexReport:
    """What one ``index_pending`` run did."""

    model: str
    embedded: dict[str, int] = field(default_factory=dict)  # kind -> texts embedded
    papers_indexed: list[str] = field(default_factory=list)
    vectors_added: int = 0
    vectors_removed: int = 0
    rebuilt: bool = False
    faiss_state: str = FileState.MISSING.value  # state found before this run
    # "pgvector": the lab server's HNSW index serves dense search, and no faiss
    # cache is built (vectors_added then counts the vectors stored on the server).
    dense_path: str = "faiss"

    @property
    def total_embedded(self) -> int:
        return sum(self.embedded.values())


def _mark_papers_indexed(store: Store, model: str) -> list[str]:
    """extracted -> indexed for papers whose every non-reference chunk has a vector."""
    pending_clause = (
        "NOT EXISTS (SELECT 1 FROM chunk c LEFT JOIN embedding e "
        "ON e.content_hash = c.content_hash AND e.model = :m "
        "WHERE c.paper_id = paper.id AND NOT c.is_reference AND e.content_hash IS NULL)"
    )
    from sqlalchemy import bindparam
    from sqlalchemy import text as sql

    with store.write() as session:
        conn = session.connection()
        ids = [
            str(r[0])
            for r in conn.execute(
                sql(f"SELECT id FROM paper WHERE state = 'extracted' AND {pending_clause}"),
                {"m": model},
            )
        ]
        if ids:
            conn.execute(
                sql(
                    "UPDATE paper SET state = 'indexed', state_reason = NULL, updated_at = :t "
                    "WHERE id IN :ids"
                ).bindparams(bindparam("ids", expanding=True)),
                {"t": _utcnow(), "ids": ids},
            )
    return ids


def _utcnow() -> Any:
    from paperlab.store.models import utcnow  # SQLModel loads only when writing

    return utcnow()


def index_pending(
    store: Store,
    settings: Settings,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
) -> IndexReport:
    """Embed every chunk, note, annotation and log text lacking a vector; update faiss.

    The model is loaded only when something needs embedding. Papers whose
    chunks are all embedded move from "extracted" to "indexed".
    """
    model = embedder.model_name if embedder is not None else settings.embed_model
    if model != settings.embed_model:
        raise EmbeddingError(
            f"The embedder is {model!r} but the library is configured for "
            f"{settings.embed_model!r}.",
            hint="Pass an embedder for PAPERLAB_EMBED_MODEL, or change the setting.",
        )
    report = IndexReport(model=model)
    with store.connect() as conn:
        chunks = missing_chunk_texts(conn, model)
        items = small_items(conn)
        have = existing_hashes(conn, model, [i.hash for i in items])
    pending_small: dict[str, Item] = {}
    for item in items:
        if item.hash not in have and item.hash not in pending_small:
            pending_small[item.hash] = item
    chunk_hashes = {h for h, _ in chunks}
    pending = chunks + [(h, i.text) for h, i in pending_small.items() if h not in chunk_hashes]
    if pending:
        embedder = embedder or load_embedder(settings)
        embed_texts(store, embedder, pending, progress)
        if chunks:
            report.embedded["passage"] = len(chunks)
        for item in pending_small.values():
            report.embedded[item.kind] = report.embedded.get(item.kind, 0) + 1
    report.papers_indexed = _mark_papers_indexed(store, model)
    if choose_dense_path(store).name == "pgvector":
        # The trigger has put every stored vector into the server's side table.
        with store.connect() as conn:
            dim = model_dim(conn, model)
        if dim is not None:
            ensure_hnsw(store, model, dim)
        report.dense_path = "pgvector"
        report.vectors_added = report.total_embedded
        return report
    result = sync_vectors(store, settings)
    report.faiss_state = result.state_before.value
    report.vectors_added, report.vectors_removed = result.added, result.removed
    report.rebuilt = result.rebuilt
    return report


def rebuild_index(
    store: Store,
    settings: Settings,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
) -> IndexReport:
    """Re-derive the FTS5 tables and the faiss file (on a pgvector server: the
    side table's vectors and the HNSW index); embed anything still missing.

    Stored vectors are reused: rebuilding never re-embeds unchanged text.
    """
    with store.write() as session:
        rebuild_fts(session.connection())
    VectorPaths.for_model(settings.index_dir, settings.embed_model).remove()
    forget_cache()
    if choose_dense_path(store).name == "pgvector":
        rebuild_server_vectors(store, settings.embed_model)
    report = index_pending(store, settings, embedder=embedder, progress=progress)
    report.rebuilt = True
    return report


def index_status(store: Store, settings: Settings) -> dict[str, Any]:
    """Counts of searchable rows and of those with a vector, the model, the faiss state."""
    model = settings.embed_model
    with store.connect() as conn:
        passages = conn.execute("SELECT COUNT(*) FROM chunk WHERE NOT is_reference").scalar()
        references = conn.execute("SELECT COUNT(*) FROM chunk WHERE is_reference").scalar()
        embedded_passages = embedded_chunk_aggregate(conn, model)[0]
        items = small_items(conn)
        have = existing_hashes(conn, model, [i.hash for i in items])
        papers: dict[Any, Any] = dict(
            conn.execute("SELECT state, COUNT(*) FROM paper GROUP BY state").all()
        )
    counts: dict[str, int] = {"note": 0, "annotation": 0, "log": 0}
    embedded: dict[str, int] = {"note": 0, "annotation": 0, "log": 0}
    for item in items:
        counts[item.kind] += 1
        embedded[item.kind] += item.hash in have
    paths = VectorPaths.for_model(settings.index_dir, model)
    return {
        "model": model,
        "chunks": int(passages or 0),
        "reference_chunks": int(references or 0),
        "chunks_embedded": int(embedded_passages),
        "notes": counts["note"],
        "notes_embedded": embedded["note"],
        "annotations": counts["annotation"],
        "annotations_embedded": embedded["annotation"],
        "log_entries": counts["log"],
        "log_entries_embedded": embedded["log"],
        "papers_by_state": {str(k): int(v) for k, v in papers.items()},
        "dense_path": "pgvector" if pgvector_in_use(store) else "faiss",
        "faiss_file": str(paths.index),
        "faiss_state": faiss_state(store, settings).value,
        "embedding": asdict(embedding_plan(settings)),
    }


__all__ = [
    "IndexReport",
    "index_pending",
    "index_status",
    "rebuild_index",
]
