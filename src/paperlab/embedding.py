"""Embedding service: which texts get a vector, as what exact text, and storing those vectors.

Vectors live in the database (``embedding``: one row per content hash and
model), so unchanged text is never embedded twice and a different model simply
has its own rows. This module is the one place that decides the text a row is
embedded as, because that text's sha256 is the key: two spellings of it would
embed the same note twice and never find the first vector.

What is embedded, per kind (the hash is sha256 of exactly this text):
passages: ``chunk.text`` of non-reference chunks (keyed by ``chunk.content_hash``);
notes: the non-empty structured fields and body, blank-line separated;
annotations: quote, then comment; log entries: their text.

The faiss file derived from these rows is ``vectorsync``'s job.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from paperlab.search import text_hash
from paperlab.search.embedder import Embedder, Progress
from paperlab.store import Store
from paperlab.store.values import NOTE_TEXT_COLUMNS, me, visible

if TYPE_CHECKING:
    import numpy as np

EMBED_BATCH = 256  # texts per model call + commit: progress survives an interrupt
# Hashes per ``content_hash IN :hs`` query: the list expands to one bound
# parameter per hash, so this bounds each statement however large the library.
HASHES_PER_QUERY = 500


@dataclass(frozen=True)
class Item:
    """One embeddable text: a note, annotation or log entry (or a passage)."""

    kind: str
    row_id: int
    text: str
    hash: str


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
    cols = ", ".join(NOTE_TEXT_COLUMNS)

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
    for part in batches(list(hashes), HASHES_PER_QUERY):
        found.update(r[0] for r in conn.execute(statement, {"m": model, "hs": part}))
    return found


def batches(values: list[Any], size: int) -> Iterator[list[Any]]:
    """``values`` in consecutive slices of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def model_dim(conn: Any, model: str) -> int | None:
    """The dimension of ``model``'s stored vectors; None while it has none."""
    row = conn.execute("SELECT dim FROM embedding WHERE model = :m LIMIT 1", {"m": model}).first()
    return int(row[0]) if row else None


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
    for part in batches(list(pending), EMBED_BATCH):
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


__all__ = [
    "EMBED_BATCH",
    "HASHES_PER_QUERY",
    "Item",
    "annotation_text",
    "batches",
    "embed_pending_small",
    "embed_texts",
    "existing_hashes",
    "missing_chunk_texts",
    "model_dim",
    "note_text",
    "small_items",
    "store_vectors",
]
