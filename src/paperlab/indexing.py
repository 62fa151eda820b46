"""Indexing service: embed whatever text has no vector yet, keep the faiss file current.

Vectors live in SQLite (``embedding``: one row per content hash and model),
so unchanged text is never embedded twice and a different model simply has
its own rows. The faiss file is a cache derived from those rows: it is
patched incrementally (adds and removes by id), and rebuilt from SQLite when
it is missing, damaged or for another model.

What is embedded, per kind (the hash is sha256 of exactly this text):
passages: ``chunk.text`` of non-reference chunks (keyed by ``chunk.content_hash``);
notes: the non-empty structured fields and body, blank-line separated;
annotations: quote, then comment; log entries: their text.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from paperlab.errors import EmbeddingError
from paperlab.search import text_hash
from paperlab.search.embedder import Embedder, Progress, load_embedder
from paperlab.search.lexical import rebuild_fts
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
from paperlab.search.vectors_pg import (
    choose_dense_path,
    ensure_hnsw,
    pgvector_in_use,
    rebuild_server_vectors,
)
from paperlab.settings import Settings, ensure_home
from paperlab.store import Store
from paperlab.store.values import NOTE_TEXT_COLUMNS, me, visible

if TYPE_CHECKING:
    import numpy as np

EMBED_BATCH = 256  # texts per model call + commit: progress survives an interrupt
_FETCH_BATCH = 500
_SYNC_LOCK = threading.Lock()

NOTE_FIELDS = NOTE_TEXT_COLUMNS


@dataclass(frozen=True)
class Item:
    """One embeddable text: a note, annotation or log entry (or a passage)."""

    kind: str
    row_id: int
    text: str
    hash: str


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


@dataclass
class SyncResult:
    index: VectorIndex | None
    state_before: FileState
    added: int = 0
    removed: int = 0
    rebuilt: bool = False


def note_text(fields: Sequence[str]) -> str:
    """The text a note is embedded as: its non-empty fields, blank-line separated."""
    return "\n\n".join(f.strip() for f in fields if f and f.strip())


def annotation_text(quote: str, comment: str) -> str:
    return note_text([quote, comment])


def small_items(conn: Any, *, own: bool = False, everyone: bool = False) -> list[Item]:
    """The notes, annotations and log entries the current user sees, with embed text and hash.

    Another user's private ones are never embedded into this user's index
    (each client's faiss cache holds what its user may find); ``own`` keeps
    only the user's own (what "your note" means to the next-read ranking).
    ``everyone`` takes every user's, with statements that have no parameters
    (a raw sqlite3 or psycopg connection runs them): for the housekeeping
    that must know which stored vectors any text still uses.
    """
    items: list[Item] = []
    cols = ", ".join(NOTE_FIELDS)

    def rows(select: str, alias: str) -> Any:
        if everyone:
            return conn.execute(select)
        where = f"{alias}.owner = :me" if own else visible(alias)
        return conn.execute(f"{select} WHERE {where}", me())

    for row in rows(f"SELECT n.id, {cols} FROM note n", "n"):
        items.append(_item("note", row[0], note_text(row[1:])))
    for row in rows("SELECT a.id, a.quote, a.comment FROM annotation a", "a"):
        items.append(_item("annotation", row[0], annotation_text(row[1], row[2])))
    for row in rows("SELECT l.id, l.text FROM log_entry l", "l"):
        items.append(_item("log", row[0], (row[1] or "").strip()))
    return [item for item in items if item.text]


def _item(kind: str, row_id: int, text: str) -> Item:
    return Item(kind, int(row_id), text, text_hash(text))


def existing_hashes(conn: Any, model: str, hashes: Sequence[str]) -> set[str]:
    """Which of ``hashes`` already have a vector for ``model``."""
    found: set[str] = set()
    statement = "SELECT content_hash FROM embedding WHERE model = :m AND content_hash IN :hs"
    for part in _batches(list(hashes), _FETCH_BATCH):
        found.update(r[0] for r in conn.execute(statement, {"m": model, "hs": part}))
    return found


def _batches(values: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


_EMBEDDED_CHUNKS = (
    "FROM chunk c JOIN embedding e ON e.content_hash = c.content_hash AND e.model = :m "
    "WHERE NOT c.is_reference"
)


def missing_chunk_texts(
    conn: Any, model: str, paper_id: str | None = None
) -> list[tuple[str, str]]:
    """(content_hash, text) of non-reference chunks with no vector for ``model``.

    ``paper_id`` limits it to one paper (the fetch pipeline embeds paper by paper).
    """
    only_paper = "AND c.paper_id = :p " if paper_id is not None else ""
    rows = conn.execute(
        "SELECT c.content_hash, MIN(c.text) FROM chunk c LEFT JOIN embedding e "
        "ON e.content_hash = c.content_hash AND e.model = :m "
        f"WHERE NOT c.is_reference AND e.content_hash IS NULL {only_paper}"
        "GROUP BY c.content_hash",
        {"m": model, "p": paper_id},
    )
    return [(str(h), str(t)) for h, t in rows]


def store_vectors(store: Store, model: str, hashes: Sequence[str], vectors: np.ndarray) -> None:
    """Save vectors (one write transaction); existing rows are left alone."""
    import numpy as np

    vectors = np.ascontiguousarray(vectors, dtype="<f4")
    rows = [
        {"h": h, "m": model, "d": int(vectors.shape[1]), "v": vectors[i].tobytes()}
        for i, h in enumerate(hashes)
    ]
    from sqlalchemy import text as sql

    # ON CONFLICT DO NOTHING (SQLite and PostgreSQL alike): when two clients
    # embed the same text, the first vector stored stays and the other is dropped.
    with store.write() as session:
        session.connection().execute(
            sql(
                "INSERT INTO embedding (content_hash, model, dim, vector) "
                "VALUES (:h, :m, :d, :v) ON CONFLICT DO NOTHING"
            ),
            rows,
        )


def embed_texts(
    store: Store,
    embedder: Embedder,
    pending: Sequence[tuple[str, str]],
    progress: Progress | None = None,
) -> int:
    """Embed (hash, text) pairs in batches, committing each batch; returns the count."""
    total = len(pending)
    done = 0
    for part in _batches(list(pending), EMBED_BATCH):
        base = done

        def batch_progress(n: int, _total: int, base: int = base) -> None:
            if progress is not None:
                progress(base + n, total)

        vectors = embedder.embed([t for _, t in part], progress=batch_progress)
        store_vectors(store, embedder.model_name, [h for h, _ in part], vectors)
        done += len(part)
    return done


def embed_pending_small(store: Store, embedder: Embedder) -> dict[str, int]:
    """Embed notes, annotations and log entries lacking a vector (they are few)."""
    if store.readonly:
        return {}  # nowhere to keep them: a read-only library finds new notes by words
    with store.connect() as conn:
        items = small_items(conn)
        have = existing_hashes(conn, embedder.model_name, [i.hash for i in items])
    pending: dict[str, Item] = {}
    for item in items:
        if item.hash not in have and item.hash not in pending:
            pending[item.hash] = item
    if pending:
        embed_texts(store, embedder, [(h, i.text) for h, i in pending.items()])
    counts: dict[str, int] = {}
    for item in pending.values():
        counts[item.kind] = counts.get(item.kind, 0) + 1
    return counts


def model_dim(conn: Any, model: str) -> int | None:
    row = conn.execute("SELECT dim FROM embedding WHERE model = :m LIMIT 1", {"m": model}).first()
    return int(row[0]) if row else None


def _chunk_aggregate(conn: Any, model: str) -> tuple[int, int, int]:
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
    if mine != _chunk_aggregate(conn, index.model):
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
    for part in _batches(unique, _FETCH_BATCH):
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
        for part in _batches(new, 4096):
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


def index_status(store: Store, settings: Settings) -> dict[str, Any]:
    """Counts of searchable rows and of those with a vector, the model, the faiss state."""
    model = settings.embed_model
    with store.connect() as conn:
        passages = conn.execute("SELECT COUNT(*) FROM chunk WHERE NOT is_reference").scalar()
        references = conn.execute("SELECT COUNT(*) FROM chunk WHERE is_reference").scalar()
        embedded_passages = _chunk_aggregate(conn, model)[0]
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
    }


__all__ = [
    "IndexReport",
    "Item",
    "SyncResult",
    "embed_pending_small",
    "faiss_state",
    "index_pending",
    "index_status",
    "note_text",
    "rebuild_index",
    "small_items",
    "sync_vectors",
]
