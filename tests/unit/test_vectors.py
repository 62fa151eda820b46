"""The faiss cache file: ids, save/load, and transparent rebuilds from SQLite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from paperlab.indexing import index_pending, rebuild_index
from paperlab.search.vectors import (
    FileState,
    VectorIndex,
    VectorPaths,
    faiss_id,
    faiss_ids,
    forget_cache,
    load_index,
    model_slug,
    split_id,
)
from paperlab.searching import search
from paperlab.settings import load_settings
from paperlab.vectorsync import faiss_state, sync_vectors
from tests.unit.test_searching import (
    CENTRAL_BANK,
    GRADIENT,
    PHOTOSYNTHESIS,
    CountingEmbedder,
    add_paper,
    counting,  # noqa: F401  (fixtures)
    real_embedder,  # noqa: F401
)


def _unit(n: int, dim: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_ids_round_trip() -> None:
    for kind in ("passage", "note", "annotation", "log"):
        for row in (1, 7, 2**39):
            assert split_id(faiss_id(kind, row)) == (kind, row)
    assert faiss_id("passage", 5) != faiss_id("note", 5)


def test_many_faiss_ids_at_once_are_the_same_ids() -> None:
    rows = np.array([0, 1, 7, 123_456, (1 << 40) - 1], dtype=np.int64)
    for kind in ("passage", "note", "annotation", "log"):
        made = faiss_ids(kind, rows)
        assert made.dtype == np.int64
        assert made.tolist() == [faiss_id(kind, int(row)) for row in rows]


def test_model_slug_is_file_safe() -> None:
    assert model_slug("all-MiniLM-L6-v2") == "all-MiniLM-L6-v2"
    a, b = model_slug("/a/model"), model_slug("/b/model")
    assert a != b and "/" not in a


def test_save_load_search_remove(tmp_path: Path) -> None:
    vectors = _unit(20, 8)
    index = VectorIndex.empty("m", 8)
    index.add([faiss_id("passage", i) for i in range(1, 21)], [f"h{i}" for i in range(20)], vectors)
    paths = VectorPaths.for_model(tmp_path, "m")
    index.save(paths)
    forget_cache()
    loaded, state = load_index(paths, "m", 8)
    assert state is FileState.FRESH and loaded is not None
    assert loaded.ntotal == 20
    hits = loaded.search(vectors[4], 3)
    assert hits[0][:2] == ("passage", 5) and hits[0][2] == pytest.approx(1.0, abs=1e-5)
    only = loaded.search(vectors[4], 3, allowed=[faiss_id("passage", 9)])
    assert [h[1] for h in only] == [9]
    assert loaded.remove([faiss_id("passage", 5)]) == 1
    assert loaded.search(vectors[4], 1)[0][1] != 5
    assert len(loaded.ids) == 19


def test_saved_files_are_readable_like_any_new_file(tmp_path: Path) -> None:
    # Atomic writes go through mkstemp (0600); a read-only snapshot or another
    # user must still read the index, so the files get the umask's usual mode.
    import os

    old_umask = os.umask(0o022)
    try:
        index = VectorIndex.empty("m", 8)
        index.add([1, 2], ["a", "b"], _unit(2, 8))
        paths = VectorPaths.for_model(tmp_path, "m")
        index.save(paths)
    finally:
        os.umask(old_umask)
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes and set(modes.values()) == {0o644}, modes


def test_damaged_files_are_reported(tmp_path: Path) -> None:
    paths = VectorPaths.for_model(tmp_path, "m")
    assert load_index(paths, "m", 8) == (None, FileState.MISSING)
    index = VectorIndex.empty("m", 8)
    index.add([1, 2], ["a", "b"], _unit(2, 8))
    index.save(paths)
    paths.index.write_bytes(b"not a faiss file at all")
    forget_cache()
    assert load_index(paths, "m", 8) == (None, FileState.CORRUPT)
    index.save(paths)
    paths.meta.write_text("{", encoding="utf-8")
    assert load_index(paths, "m", 8) == (None, FileState.CORRUPT)
    index.save(paths)
    assert load_index(paths, "m", 16)[1] is FileState.CORRUPT  # another dimension


@pytest.fixture
def indexed(store: Any, counting: CountingEmbedder) -> Any:  # noqa: F811
    add_paper(store, "p1", "One", [PHOTOSYNTHESIS, GRADIENT])
    add_paper(store, "p2", "Two", [CENTRAL_BANK])
    index_pending(store, load_settings(), embedder=counting)
    return store


@pytest.mark.parametrize("damage", ["delete", "garbage", "truncate", "delete-meta"])
def test_faiss_file_rebuilt_transparently(
    indexed: Any,
    counting: CountingEmbedder,  # noqa: F811
    damage: str,
) -> None:
    settings = load_settings()
    paths = VectorPaths.for_model(settings.index_dir, settings.embed_model)
    assert faiss_state(indexed, settings) is FileState.FRESH
    if damage == "delete":
        paths.index.unlink()
    elif damage == "garbage":
        paths.index.write_bytes(b"\0garbage" * 100)
    elif damage == "truncate":
        data = paths.index.read_bytes()
        paths.index.write_bytes(data[: len(data) // 2])
    else:
        paths.meta.unlink()
    forget_cache()
    assert faiss_state(indexed, settings) in (FileState.MISSING, FileState.CORRUPT)
    embedded_before = len(counting.texts)
    hits = search(indexed, settings, "monetary policy", k=1, embedder=counting)
    assert hits[0].text == CENTRAL_BANK and hits[0].dense_rank == 1
    assert len(counting.texts) == embedded_before  # rebuilt from SQLite, not re-embedded
    assert faiss_state(indexed, settings) is FileState.FRESH


def test_stale_file_is_patched_incrementally(indexed: Any, counting: CountingEmbedder) -> None:  # noqa: F811
    settings = load_settings()
    add_paper(indexed, "p3", "Three", ["Volcanoes erupt when magma pressure builds up."])
    report = index_pending(indexed, settings, embedder=counting)
    assert report.vectors_added == 1 and not report.rebuilt
    assert report.faiss_state == "stale"
    from sqlalchemy import text as sql

    with indexed.write() as session:
        session.connection().execute(sql("DELETE FROM chunk WHERE paper_id = 'p2'"))
    assert faiss_state(indexed, settings) is FileState.STALE
    result = sync_vectors(indexed, settings)
    assert result.removed == 1 and result.added == 0
    assert result.index is not None and result.index.ntotal == 3
    hits = search(indexed, settings, "interest rates inflation", k=5, embedder=counting)
    assert CENTRAL_BANK not in [h.text for h in hits]


def test_rebuild_index_reuses_vectors(indexed: Any, counting: CountingEmbedder) -> None:  # noqa: F811
    before = len(counting.texts)
    report = rebuild_index(indexed, load_settings(), embedder=counting)
    assert report.rebuilt and report.total_embedded == 0
    assert report.vectors_added == 3
    assert len(counting.texts) == before


def test_index_kind_switches_by_size_with_hysteresis() -> None:
    from paperlab.search.vectors import FLAT_MAX, index_kind, kind_fits, nlist_for

    assert index_kind(10) == "flat" and index_kind(FLAT_MAX) == "flat"
    assert index_kind(FLAT_MAX + 1).startswith("ivf")
    assert nlist_for(600_000) in (2048, 4096) and nlist_for(1) == 256
    assert not kind_fits("flat", FLAT_MAX + 1)
    big = index_kind(600_000)
    assert kind_fits(big, 600_000) and kind_fits(big, 300_000)
    assert not kind_fits(big, FLAT_MAX // 2)  # shrunk: back to exact search


def test_ivf_index_searches_filters_saves_and_loads(tmp_path: Path) -> None:
    import numpy as np

    from paperlab.search.vectors import (
        FLAT_MAX,
        VectorIndex,
        VectorPaths,
        faiss_id,
        forget_cache,
        load_index,
    )

    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((3000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex.empty("m", 32, expected=FLAT_MAX + 1)
    assert index.kind.startswith("ivf") and index.needs_training
    index.train(np.repeat(vectors, 4, axis=0))
    fids = [faiss_id("passage", i) for i in range(2000)] + [
        faiss_id("note", i) for i in range(1000)
    ]
    index.add(fids, ["ab" * 8] * len(fids), vectors)
    assert index.search(vectors[7], 1)[0][:2] == ("passage", 7)
    assert index.search(vectors[7], 3, id_range=(1 << 40, 2 << 40))[0][0] == "note"
    assert [h[1] for h in index.search(vectors[7], 5, allowed=[faiss_id("passage", 9)])] == [9]
    paths = VectorPaths.for_model(tmp_path, "m")
    index.save(paths)
    forget_cache()
    loaded, _state = load_index(paths, "m", 32)
    assert loaded is not None and loaded.kind == index.kind and loaded.ntotal == 3000
    assert loaded.search(vectors[2500], 1)[0][:2] == ("note", 500)


def test_a_loaded_ivf_index_is_mapped_until_it_changes(tmp_path: Path) -> None:
    """Mapped from the file for speed, then copied before any change or write.

    faiss aborts the whole process when a mapped index is changed, so every
    change must go through VectorIndex, which copies the lists first.
    """
    import numpy as np

    from paperlab.search.vectors import (
        FLAT_MAX,
        VectorIndex,
        VectorPaths,
        faiss_id,
        forget_cache,
        load_index,
    )

    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((3000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex.empty("m", 32, expected=FLAT_MAX + 1)
    index.train(np.repeat(vectors, 4, axis=0))
    index.add([faiss_id("passage", i) for i in range(3000)], ["ab" * 8] * 3000, vectors)
    paths = VectorPaths.for_model(tmp_path, "m")
    index.save(paths)
    forget_cache()

    loaded, _state = load_index(paths, "m", 32)
    assert loaded is not None and loaded.mapped
    assert loaded.search(vectors[42], 1)[0][:2] == ("passage", 42)
    only = [faiss_id("passage", 7)]
    assert [h[1] for h in loaded.search(vectors[42], 3, allowed=only)] == [7]
    # Saving as it is stores the vectors, not a reference to the mapped file.
    loaded.save(paths)
    assert not loaded.mapped
    forget_cache()
    again, _state = load_index(paths, "m", 32)
    assert again is not None and again.mapped and again.ntotal == 3000
    assert again.remove([faiss_id("passage", 42)]) == 1 and not again.mapped
    again.add([faiss_id("passage", 9000)], ["cd" * 8], vectors[42:43])
    again.save(paths)
    forget_cache()
    last, _state = load_index(paths, "m", 32)
    assert last is not None and last.ntotal == 3000
    assert last.search(vectors[42], 1)[0][:2] == ("passage", 9000)
