"""Vector sync: keep the faiss file in step with the vectors stored in the database.

The faiss file is a cache derived from the ``embedding`` rows, never the
source of truth: it is patched incrementally (adds and removes by id) and
rebuilt from the database when it is missing, damaged, for another model, or
has outgrown its index type. Checking it is kept cheap because every search
asks: the trigger-kept change counters (``db_fingerprint``) settle most checks
with one row read, and only when they moved is coverage proved against the
database (``is_fresh``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from paperlab.embedding import HASHES_PER_QUERY, batches, existing_hashes, model_dim, small_items
from paperlab.errors import EmbeddingError
from paperlab.search.vectors import (
    ID_SHIFT,
    KIND_CODES,
    TRAIN_PER_LIST,
    FileState,
    VectorIndex,
    VectorPaths,
    faiss_id,
    forget_cache,
    kind_fits,
    load_index,
    read_coverage,
    read_meta,
    short_hash,
)
from paperlab.settings import Settings, ensure_home
from paperlab.store import Store

if TYPE_CHECKING:
    import numpy as np

# One sync at a time per process: threads that sync get the same cached index
# object from ``load_index`` and patch it in place.
_SYNC_LOCK = threading.Lock()
_ADD_BATCH = 4096  # vectors read from the database per faiss add

_EMBEDDED_CHUNKS = (
    "FROM chunk c JOIN embedding e ON e.content_hash = c.content_hash AND e.model = :m "
    "WHERE NOT c.is_reference"
)


@dataclass
class SyncResult:
    index: VectorIndex | None
    state_before: FileState
    added: int = 0
    removed: int = 0
    rebuilt: bool = False


def embedded_chunk_aggregate(conn: Any, model: str) -> tuple[int, int, int]:
    """Count, id sum and max id of the non-reference chunks with a ``model`` vector.

    One aggregate stands in for the whole id list when checking the faiss
    file's passages, and its count is what ``index status`` reports.
    """
    row = conn.execute(
        f"SELECT COUNT(*), COALESCE(SUM(c.id), 0), COALESCE(MAX(c.id), 0) {_EMBEDDED_CHUNKS}",
        {"m": model},
    ).first()
    return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)


def _small_coverage(conn: Any, model: str) -> dict[int, str]:
    items = small_items(conn)
    have = existing_hashes(conn, model, [i.hash for i in items])
    return {faiss_id(i.kind, i.row_id): i.hash for i in items if i.hash in have}


def db_fingerprint(conn: Any, model: str) -> list[int]:
    """Counters that change whenever chunks or vectors are added, changed or removed.

    Kept by triggers (migration 3), so reading them is one tiny query however
    large the library; equal counters let a search skip the coverage proof
    (a chunk/embedding join that costs ~300 ms at 100k chunks).
    """
    del model  # one counter covers every model's vectors: a change anywhere re-checks
    rows = conn.execute("SELECT value FROM change_counter ORDER BY name").all()
    return [int(value) for (value,) in rows]


def _small_fresh(conn: Any, index: VectorIndex) -> bool:
    passage = (index.ids >> ID_SHIFT) == KIND_CODES["passage"]
    others = {
        int(fid): bytes(h)
        for fid, h in zip(
            index.ids[~passage].tolist(), index.hashes[~passage].tolist(), strict=True
        )
    }
    wanted = {fid: short_hash(h) for fid, h in _small_coverage(conn, index.model).items()}
    return others == wanted


def is_fresh(conn: Any, index: VectorIndex) -> bool:
    """Does ``index`` cover exactly the vectors the database has?

    Passages are compared by count, id sum and max id of the embedded chunks
    (one aggregate over the chunk/embedding join); the few notes, annotations
    and log entries by id and content hash.
    """
    passage = (index.ids >> ID_SHIFT) == KIND_CODES["passage"]
    ids = index.ids[passage]
    mine = (len(ids), int(ids.sum()) if len(ids) else 0, int(ids.max()) if len(ids) else 0)
    if mine != embedded_chunk_aggregate(conn, index.model):
        return False
    return _small_fresh(conn, index)


def _desired(conn: Any, model: str) -> dict[int, str]:
    wanted: dict[int, str] = {}
    for row_id, content_hash in conn.execute(
        f"SELECT c.id, c.content_hash {_EMBEDDED_CHUNKS}", {"m": model}
    ):
        wanted[faiss_id("passage", row_id)] = str(content_hash)
    wanted.update(_small_coverage(conn, model))
    return wanted


def _fetch_vectors(conn: Any, model: str, dim: int, hashes: Sequence[str]) -> np.ndarray:
    import numpy as np

    unique = list(dict.fromkeys(hashes))
    found: dict[str, np.ndarray] = {}
    statement = (
        "SELECT content_hash, dim, vector FROM embedding WHERE model = :m AND content_hash IN :hs"
    )
    for part in batches(unique, HASHES_PER_QUERY):
        for h, d, blob in conn.execute(statement, {"m": model, "hs": part}):
            if int(d) != dim or len(blob) != dim * 4:
                raise EmbeddingError(
                    f"A stored vector for model {model!r} has the wrong size.",
                    hint="Run `paperlab index --rebuild` to re-derive the index.",
                )
            found[str(h)] = np.frombuffer(blob, dtype="<f4")
    return np.stack([found[h] for h in hashes]) if hashes else np.zeros((0, dim), np.float32)


def _training_sample(
    conn: Any, model: str, dim: int, wanted: dict[int, str], index: VectorIndex
) -> np.ndarray:
    """A random sample of the vectors to add, enough to train an IVF index."""
    import numpy as np

    hashes = list(wanted.values())
    size = min(len(hashes), int(getattr(index.index, "nlist", 1)) * TRAIN_PER_LIST)
    rng = np.random.default_rng(0)
    picked = rng.choice(len(hashes), size=size, replace=False) if size < len(hashes) else None
    sample = hashes if picked is None else [hashes[i] for i in picked.tolist()]
    return _fetch_vectors(conn, model, dim, sample)


def sync_vectors(store: Store, settings: Settings, *, force_rebuild: bool = False) -> SyncResult:
    """Bring the faiss file in line with the vectors in SQLite (incrementally)."""
    model = settings.embed_model
    paths = VectorPaths.for_model(settings.index_dir, model)
    with _SYNC_LOCK, store.connect() as conn:
        dim = model_dim(conn, model)
        if force_rebuild:
            paths.remove()
            forget_cache()
        index, state = load_index(paths, model, dim)
        if dim is None:
            # Nothing embedded for this model yet: an empty index needs no file.
            return SyncResult(index=None, state_before=state)
        fingerprint = db_fingerprint(conn, model)
        if index is not None and index.db_fingerprint == fingerprint and _small_fresh(conn, index):
            return SyncResult(index=index, state_before=FileState.FRESH)
        if index is not None and is_fresh(conn, index):
            # Complete, but counters moved (e.g. a pending chunk was added):
            # remember the new counters so the next check is the cheap one.
            index.db_fingerprint = fingerprint
            _save(index, paths, settings, store)
            return SyncResult(index=index, state_before=FileState.FRESH)
        wanted = _desired(conn, model)
        result = SyncResult(index=index, state_before=state)
        if index is not None and not kind_fits(index.kind, len(wanted)):
            # Grown (or shrunk) past what this index type serves well: re-derive.
            index = None
            result.state_before = FileState.STALE
        elif index is not None:
            result.state_before = FileState.STALE
        if index is None:
            index = VectorIndex.empty(model, dim, expected=len(wanted))
            result.rebuilt = True
        if index.needs_training:
            index.train(_training_sample(conn, model, dim, wanted, index))
        have = index.coverage()
        gone = [
            fid
            for fid, h in have.items()
            if wanted.get(fid) is None or short_hash(wanted[fid]) != h
        ]
        result.removed = index.remove(gone)
        kept = set(have) - set(gone)
        new = [(fid, h) for fid, h in wanted.items() if fid not in kept]
        for part in batches(new, _ADD_BATCH):
            vectors = _fetch_vectors(conn, model, dim, [h for _, h in part])
            index.add([f for f, _ in part], [h for _, h in part], vectors)
        result.added = len(new)
        index.db_fingerprint = fingerprint
    result.index = index
    _save(index, paths, settings, store)
    return result


def _save(index: VectorIndex, paths: VectorPaths, settings: Settings, store: Store) -> None:
    if store.readonly:
        return  # searched from the in-memory index; the library stays as it was
    try:
        ensure_home(settings)
        index.save(paths)
    except OSError:
        # A read-only data dir still searches, from the in-memory index.
        pass


def faiss_state(store: Store, settings: Settings) -> FileState:
    """fresh / stale / missing / corrupt, for the configured model's faiss file.

    Reads the sidecar files (meta + id/hash record), never the faiss file
    itself, so ``paperlab index status`` imports no faiss and stays fast.
    """
    import numpy as np

    model = settings.embed_model
    paths = VectorPaths.for_model(settings.index_dir, model)
    with store.connect() as conn:
        dim = model_dim(conn, model)
        state, meta = read_meta(paths, model, dim)
        if state is not FileState.FRESH:
            return state
        record = read_coverage(paths)
        if record is None or len(record) != meta.get("ntotal"):
            return FileState.CORRUPT
        coverage = VectorIndex(
            model=model,
            dim=int(meta["dim"]),
            index=None,
            ids=record["id"].astype(np.int64),
            hashes=record["hash"],
        )
        if meta.get("db_fingerprint") == db_fingerprint(conn, model) and _small_fresh(
            conn, coverage
        ):
            return FileState.FRESH
        return FileState.FRESH if is_fresh(conn, coverage) else FileState.STALE


__all__ = [
    "SyncResult",
    "db_fingerprint",
    "embedded_chunk_aggregate",
    "faiss_state",
    "is_fresh",
    "sync_vectors",
]
