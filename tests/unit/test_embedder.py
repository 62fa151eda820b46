"""The bundled model, offline: shapes, normalisation, batching, errors."""

from __future__ import annotations

import numpy as np
import pytest

from paperlab.errors import EmbeddingError, UsageError
from paperlab.search.embedder import (
    Embedder,
    SentenceTransformerEmbedder,
    bundled_model_path,
    load_embedder,
    resolve_model,
)
from paperlab.settings import load_settings
from tests.unit.test_searching import real_embedder  # noqa: F401  (fixture)


def test_default_name_resolves_to_bundled_package() -> None:
    path = bundled_model_path()
    assert (path / "config.json").is_file()
    assert resolve_model("all-MiniLM-L6-v2") == str(path)


def test_vectors_are_unit_float32(real_embedder: SentenceTransformerEmbedder) -> None:  # noqa: F811
    assert isinstance(real_embedder, Embedder)
    vectors = real_embedder.embed(["a cat sat on the mat", "", "x" * 5000])
    assert real_embedder.dim == 384
    assert vectors.dtype == np.float32 and vectors.shape == (3, 384)
    norms = np.linalg.norm(vectors[[0, 2]], axis=1)
    assert np.allclose(norms, 1.0, atol=1e-5)
    query = real_embedder.embed_query("a cat sat on the mat")
    assert query.shape == (384,)
    assert float(query @ vectors[0]) == pytest.approx(1.0, abs=1e-3)
    assert real_embedder.embed([]).shape == (0, 384)


def test_length_sorted_batches_keep_input_order(
    real_embedder: SentenceTransformerEmbedder,  # noqa: F811
) -> None:
    texts = [
        "short",
        "a considerably longer sentence about the migration of birds across continents",
        "medium length text on cooking",
        "tiny",
        "another long sentence describing how volcanoes erupt when magma pressure builds up",
    ]
    calls: list[tuple[int, int]] = []
    together = real_embedder.embed(texts, batch_size=2, progress=lambda d, t: calls.append((d, t)))
    one_by_one = np.stack([real_embedder.embed_query(t) for t in texts])
    cosines = (together * one_by_one).sum(axis=1)
    assert cosines.min() > 0.99
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_meaning_is_captured(real_embedder: SentenceTransformerEmbedder) -> None:  # noqa: F811
    a, b, c = real_embedder.embed(
        [
            "The physician examined the patient.",
            "A doctor checked the sick person.",
            "Stock prices fell on Tuesday.",
        ]
    )
    assert float(a @ b) > float(a @ c) + 0.2


def test_model_is_loaded_once_per_process(
    real_embedder: SentenceTransformerEmbedder,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAPERLAB_EMBED_BACKEND", "torch")  # the sentence-transformers path
    again = load_embedder(load_settings())
    assert isinstance(again, SentenceTransformerEmbedder)
    assert again.model is real_embedder.model
    assert load_embedder(load_settings()) is not again  # cheap wrapper, shared model
    assert load_embedder(load_settings()).model is again.model


def test_unknown_backend_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERLAB_EMBED_BACKEND", "gpu-magic")
    with pytest.raises(UsageError) as info:  # bad input: exit 2
        load_embedder(load_settings())
    assert "gpu-magic" in info.value.message and info.value.hint
    monkeypatch.setenv("PAPERLAB_EMBED_BACKEND", "x" * 3000)
    with pytest.raises(UsageError) as info:
        load_embedder(load_settings())
    assert len(info.value.message) < 120  # the value is cut short


def test_unknown_model_gives_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERLAB_EMBED_MODEL", "no-such-org/no-such-model-xyz")
    with pytest.raises(EmbeddingError) as info:
        load_embedder(load_settings())
    assert "no-such-model-xyz" in info.value.message
    assert info.value.hint and "PAPERLAB_EMBED_MODEL" in info.value.hint


def test_empty_local_dir_gives_clear_error(tmp_path: object) -> None:
    from pathlib import Path

    empty = Path(str(tmp_path)) / "empty-model"
    empty.mkdir()
    with pytest.raises(EmbeddingError):
        SentenceTransformerEmbedder(str(empty))
