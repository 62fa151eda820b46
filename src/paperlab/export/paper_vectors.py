"""One vector per paper for maps and themes, from the vectors the library already has.

A paper's text vector is the mean of its chunk vectors (or its embedded title
and abstract when it has none); the vector of what the user wrote about it
(note fields and annotations) is looked up by the same content hash the
search index keys it under, so an indexed library embeds nothing here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from sqlmodel import col, select

from paperlab.search import text_hash
from paperlab.settings import Settings
from paperlab.store import Store
from paperlab.store.models import Chunk, Embedding, Paper

if TYPE_CHECKING:
    import numpy as np

    from paperlab.search.embedder import Embedder


def _unit(vector: np.ndarray) -> np.ndarray | None:
    import numpy as np

    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm > 0 else None


def paper_vectors(
    store: Store,
    settings: Settings,
    papers: Sequence[Paper],
    *,
    embedder: Embedder | None = None,
    allow_embed: bool = True,
) -> dict[str, np.ndarray]:
    """One unit vector per paper: mean of its stored chunk vectors, else its abstract.

    Uses the model that covers most of the papers in the Embedding table; a
    paper without vectors under it has its title and abstract embedded (the
    model loads only then, and only when ``allow_embed``).
    """
    import numpy as np

    ids = [p.id for p in papers]
    with store.read() as session:
        rows = session.exec(
            select(Chunk.paper_id, Embedding.model, Embedding.vector)
            .join(Embedding, col(Embedding.content_hash) == col(Chunk.content_hash))
            .where(col(Chunk.paper_id).in_(ids))
            .where(col(Chunk.is_reference).is_(False))
        ).all()
    by_model: dict[str, dict[str, list[bytes]]] = {}
    for paper_id, model_name, blob in rows:
        by_model.setdefault(model_name, {}).setdefault(paper_id, []).append(blob)
    out: dict[str, np.ndarray] = {}
    model: str | None = None
    if by_model:
        model = max(
            by_model,
            key=lambda m: (len(by_model[m]), m == settings.embed_model),
        )
        for paper_id, blobs in by_model[model].items():
            mats = [np.frombuffer(b, dtype=np.float32) for b in blobs]
            if len({m.shape for m in mats}) != 1:
                continue
            unit = _unit(np.mean(np.stack(mats), axis=0))
            if unit is not None:
                out[paper_id] = unit
    missing = [p for p in papers if p.id not in out and (p.title or p.abstract)]
    if missing and allow_embed:
        if embedder is None:
            from paperlab.search.embedder import load_embedder

            embedder = load_embedder(settings)
        if model is not None and embedder.model_name != model:
            # Vectors from two models are not comparable: embed everyone anew.
            out.clear()
            missing = [p for p in papers if p.title or p.abstract]
        texts = [f"{p.title}. {p.abstract}" for p in missing]
        vectors = embedder.embed(texts)
        for paper, vector in zip(missing, vectors, strict=True):
            out[paper.id] = np.asarray(vector, dtype=np.float32)
    return out


def vector_model(store: Store, settings: Settings, paper_ids: Sequence[str]) -> str:
    """The model whose chunk vectors cover most of ``paper_ids`` (the settings' model if none)."""
    with store.read() as session:
        rows = session.exec(
            select(Embedding.model, Chunk.paper_id)
            .join(Embedding, col(Embedding.content_hash) == col(Chunk.content_hash))
            .where(col(Chunk.paper_id).in_(list(paper_ids)))
            .distinct()
        ).all()
    counts: dict[str, int] = {}
    for model, _paper in rows:
        counts[model] = counts.get(model, 0) + 1
    if not counts:
        return settings.embed_model
    return max(counts, key=lambda m: (counts[m], m == settings.embed_model))


def text_vectors(
    store: Store,
    settings: Settings,
    texts: Mapping[str, Sequence[str]],
    model: str,
    *,
    embedder: Embedder | None = None,
    allow_embed: bool = True,
) -> dict[str, np.ndarray]:
    """One unit vector per key: the mean of its texts' vectors.

    Each text's vector is looked up by its content hash under ``model``;
    those missing are embedded when ``allow_embed`` and the embedder is
    ``model`` (vectors of two models are never mixed).
    """
    import numpy as np

    hashes = {t: text_hash(t) for group in texts.values() for t in group if t.strip()}
    found: dict[str, np.ndarray] = {}
    if hashes:
        with store.read() as session:
            rows = session.exec(
                select(Embedding.content_hash, Embedding.vector).where(
                    Embedding.model == model,
                    col(Embedding.content_hash).in_(list(set(hashes.values()))),
                )
            ).all()
        found = {h: np.frombuffer(blob, dtype=np.float32) for h, blob in rows}
    missing = sorted({t for t, h in hashes.items() if h not in found})
    if missing and allow_embed:
        if embedder is None:
            from paperlab.search.embedder import load_embedder

            embedder = load_embedder(settings)
        if embedder.model_name == model:
            for text, vector in zip(missing, embedder.embed(missing), strict=True):
                found[hashes[text]] = np.asarray(vector, dtype=np.float32)
    out: dict[str, np.ndarray] = {}
    for key, group in texts.items():
        mats = [found[hashes[t]] for t in group if t in hashes and hashes[t] in found]
        if mats and len({m.shape for m in mats}) == 1:
            unit = _unit(np.mean(np.stack(mats), axis=0))
            if unit is not None:
                out[key] = unit
    return out


__all__ = ["paper_vectors", "text_vectors", "vector_model"]
