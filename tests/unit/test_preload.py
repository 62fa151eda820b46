"""The faiss file's checksum, checked ahead on a thread, still catches every damage."""

from __future__ import annotations

import os
import zlib
from pathlib import Path
from typing import Any

import pytest

from paperlab.search import preload, vectorfiles
from paperlab.search.preload import check_ahead, checked_ahead
from paperlab.search.vectorfiles import file_crc32, stamp
from paperlab.search.vectors import (
    FileState,
    VectorPaths,
    forget_cache,
    load_index,
    preload_index,
)
from paperlab.searching import search
from paperlab.settings import load_settings
from tests.unit.test_doctor import garble_middle, indexed  # noqa: F401  (fixture)
from tests.unit.test_searching import (
    CountingEmbedder,
    counting,  # noqa: F401  (fixtures)
    real_embedder,  # noqa: F401
)


@pytest.fixture
def ahead_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Check files of any size on the thread (the tests' indexes are small)."""
    monkeypatch.setattr(preload, "AHEAD_MIN_BYTES", 0)


def _paths() -> VectorPaths:
    settings = load_settings()
    return VectorPaths.for_model(settings.index_dir, settings.embed_model)


@pytest.fixture
def index_files(indexed: Any) -> tuple[VectorPaths, str]:  # noqa: F811
    """The indexed library's vector files and model, with no index cached in this process."""
    forget_cache()
    return _paths(), load_settings().embed_model


def test_a_verdict_checked_ahead_is_used_for_the_files_it_checked(
    index_files: tuple[VectorPaths, str],
    ahead_always: None,
) -> None:
    paths, model = index_files
    check_ahead(paths, model)
    assert checked_ahead(paths, stamp(paths)) is True
    assert checked_ahead(paths, stamp(paths)) is None  # taken once

    garble_middle(paths.index, length=paths.index.stat().st_size // 3)
    check_ahead(paths, model)
    assert checked_ahead(paths, stamp(paths)) is False


def _finished(paths: VectorPaths) -> None:
    """Wait for the check under way on ``paths`` without taking its verdict."""
    from paperlab.search import preload

    with preload._LOCK:
        thread, _ = preload._CHECKS[paths.index]
    thread.join()


def test_files_changed_after_the_check_are_checked_again(
    index_files: tuple[VectorPaths, str],
    ahead_always: None,
) -> None:
    paths, model = index_files
    check_ahead(paths, model)
    # The check must be over before the file changes: a check thread that starts
    # late (a busy machine) would read the changed file, and rightly say so.
    _finished(paths)
    checked = stamp(paths)
    garble_middle(paths.index, length=paths.index.stat().st_size // 3)
    os.utime(paths.index, ns=(checked[1] + 10**9, checked[1] + 10**9))
    assert checked_ahead(paths, stamp(paths)) is None  # not the files that were checked
    assert load_index(paths, model, None) == (None, FileState.CORRUPT)


def test_search_with_a_garbled_file_checked_ahead_rebuilds_it(
    indexed: Any,  # noqa: F811
    counting: CountingEmbedder,  # noqa: F811
    ahead_always: None,
) -> None:
    settings = load_settings()
    paths = _paths()
    before = search(indexed, settings, "monetary policy", k=4, embedder=counting)
    garble_middle(paths.index, length=paths.index.stat().st_size // 3)
    forget_cache()
    after = search(indexed, settings, "monetary policy", k=4, embedder=counting)
    assert [(h.kind, h.row_id) for h in after] == [(h.kind, h.row_id) for h in before]
    assert [h.dense_score for h in after] == pytest.approx([h.dense_score for h in before])
    forget_cache()
    assert load_index(paths, settings.embed_model, None)[1] is FileState.FRESH


def _isal_crc32() -> Any:
    isal_zlib = pytest.importorskip("isal.isal_zlib", reason="no ISA-L wheel for this platform")
    return isal_zlib.crc32


@pytest.mark.parametrize("implementation", ["isal", "zlib"])
@pytest.mark.parametrize("size", [0, 1, 4097, 5 << 20])
def test_crc32_is_zlib_s_whichever_implementation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, implementation: str, size: int
) -> None:
    crc32 = _isal_crc32() if implementation == "isal" else zlib.crc32
    monkeypatch.setattr(vectorfiles, "CRC32", crc32)
    path = tmp_path / "blob"
    data = os.urandom(size)
    path.write_bytes(data)
    assert file_crc32(path) == zlib.crc32(data)


def test_the_zlib_fallback_catches_damage_too(
    index_files: tuple[VectorPaths, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Where no ISA-L wheel exists the CRC comes from zlib: same values, same verdicts.
    monkeypatch.setattr(vectorfiles, "CRC32", zlib.crc32)
    paths, model = index_files
    assert load_index(paths, model, None)[1] is FileState.FRESH
    garble_middle(paths.ids, length=8)
    forget_cache()
    assert load_index(paths, model, None) == (None, FileState.CORRUPT)


def test_a_process_holding_the_file_checks_nothing_again(
    index_files: tuple[VectorPaths, str],
    ahead_always: None,
) -> None:
    # A long-lived process (the TUI) searching again: the file it loaded is
    # the one on disk, so no thread re-reads it.
    paths, model = index_files
    assert load_index(paths, model, None)[1] is FileState.FRESH
    preload_index(paths, model)
    assert checked_ahead(paths, stamp(paths)) is None  # nothing was started
    os.utime(paths.index, ns=(stamp(paths)[1] + 10**9,) * 2)  # another process rewrote it
    preload_index(paths, model)
    assert checked_ahead(paths, stamp(paths)) is True
