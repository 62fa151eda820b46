"""Damage no command could repair: checksums, doctor's checks, repair, backups."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from paperlab.indexing import index_pending
from paperlab.search.vectors import FileState, VectorPaths, forget_cache, load_index
from paperlab.searching import search
from paperlab.settings import load_settings
from tests.unit.test_searching import (
    CENTRAL_BANK,
    GRADIENT,
    PHOTOSYNTHESIS,
    TRANSFORMER,
    CountingEmbedder,
    add_paper,
    counting,  # noqa: F401  (fixtures)
    real_embedder,  # noqa: F401
)


def garble_middle(path: Path, length: int = 64) -> None:
    """Overwrite ``length`` bytes in the middle of a file with different bytes (same size)."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    for i in range(middle, min(middle + length, len(data))):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


@pytest.fixture
def indexed(store: Any, counting: CountingEmbedder) -> Any:  # noqa: F811
    add_paper(store, "p1", "One", [PHOTOSYNTHESIS, GRADIENT])
    add_paper(store, "p2", "Two", [CENTRAL_BANK, TRANSFORMER])
    index_pending(store, load_settings(), embedder=counting)
    return store


def test_faiss_file_garbled_in_the_middle_is_rebuilt_not_trusted(
    indexed: Any,
    counting: CountingEmbedder,  # noqa: F811
) -> None:
    settings = load_settings()
    paths = VectorPaths.for_model(settings.index_dir, settings.embed_model)
    before = search(indexed, settings, "monetary policy", k=4, embedder=counting, mode="dense")
    size = paths.index.stat().st_size
    # The flat index stores the vectors after a short header: the middle is
    # vector data, so the file still loads and would rank differently.
    garble_middle(paths.index, length=size // 3)
    assert paths.index.stat().st_size == size
    forget_cache()
    loaded, state = load_index(paths, settings.embed_model, None)
    assert (loaded, state) == (None, FileState.CORRUPT)

    after = search(indexed, settings, "monetary policy", k=4, embedder=counting, mode="dense")
    assert [(h.kind, h.row_id) for h in after] == [(h.kind, h.row_id) for h in before]
    assert [h.dense_score for h in after] == pytest.approx([h.dense_score for h in before])
    # The rebuilt file was saved with fresh checksums and loads again.
    forget_cache()
    assert load_index(paths, settings.embed_model, None)[1] is FileState.FRESH


def test_garbled_id_record_is_caught_too(indexed: Any) -> None:
    settings = load_settings()
    paths = VectorPaths.for_model(settings.index_dir, settings.embed_model)
    garble_middle(paths.ids, length=8)
    forget_cache()
    assert load_index(paths, settings.embed_model, None)[1] is FileState.CORRUPT


def _page_of(db: Path, table: str, pagetype: str = "leaf") -> int:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = ? ORDER BY pageno",
            (table, pagetype),
        ).fetchall()
    assert rows, f"{table} has no {pagetype} page"
    return int(rows[len(rows) // 2][0])
