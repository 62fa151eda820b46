"""The numpy query encoder is sentence-transformers' arithmetic, over mapped weights."""

from __future__ import annotations

import contextlib
import io
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from paperlab.errors import EmbeddingError
from paperlab.search.embedder import SentenceTransformerEmbedder, bundled_model_path
from paperlab.search.fast_embedder import FastEmbedder, forget_instances
from paperlab.search.numpy_encoder import NumpyEmbedder, gelu, map_safetensors
from paperlab.search.onnx_embedder import OnnxEmbedder
from paperlab.settings import load_settings
from tests.unit.test_fast_embedder import (  # noqa: F401  (fixtures)
    PARAGRAPHS,
    export_home,
    exported,
)

NAME = "all-MiniLM-L6-v2"


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    st = SentenceTransformerEmbedder(NAME, bf16=False)
    return np.asarray(st.model.encode(PARAGRAPHS, normalize_embeddings=True), dtype=np.float32)


@pytest.fixture(scope="module")
def numpy_embedder() -> NumpyEmbedder:
    return NumpyEmbedder(bundled_model_path(), NAME)


def test_agrees_with_sentence_transformers_to_rounding(
    numpy_embedder: NumpyEmbedder, reference: np.ndarray
) -> None:
    # PARAGRAPHS holds one word, an empty string and a text past 256 tokens.
    vectors = numpy_embedder.embed(PARAGRAPHS, batch_size=3)
    assert vectors.dtype == np.float32 and vectors.shape == (len(PARAGRAPHS), 384)
    assert np.sum(vectors * reference, axis=1).min() >= 0.99999
    assert np.abs(vectors - reference).max() < 1e-4


def test_a_text_s_vector_does_not_depend_on_its_batch(numpy_embedder: NumpyEmbedder) -> None:
    alone = np.stack([numpy_embedder.embed_query(text) for text in PARAGRAPHS])
    together = numpy_embedder.embed(PARAGRAPHS, batch_size=len(PARAGRAPHS))
    # Padding to the batch's longest text must weigh nothing.
    assert np.abs(alone - together).max() < 1e-5


def test_non_ascii_queries_agree_too(numpy_embedder: NumpyEmbedder) -> None:
    texts = ["Réseaux de neurones profonds", "注意力机制", "naïve Bayes [MASK] baseline"]
    st = SentenceTransformerEmbedder(NAME, bf16=False)
    want = np.asarray(st.model.encode(texts, normalize_embeddings=True), dtype=np.float32)
    assert np.sum(numpy_embedder.embed(texts) * want, axis=1).min() >= 0.99999


def test_real_pdf_chunks_agree(numpy_embedder: NumpyEmbedder, shared_data: Path) -> None:
    import pymupdf

    pdf = sorted((shared_data / "pdfs" / "arxiv").glob("*.pdf"))[1]
    with pymupdf.open(pdf) as doc:
        words = " ".join(page.get_text() for page in doc).split()
    chunks = [" ".join(words[i : i + 200]) for i in range(0, min(len(words), 3000), 200)]
    st = SentenceTransformerEmbedder(NAME, bf16=False)
    want = np.asarray(st.model.encode(chunks, normalize_embeddings=True), dtype=np.float32)
    assert np.sum(numpy_embedder.embed(chunks) * want, axis=1).min() >= 0.99999


def test_gelu_is_the_exact_one() -> None:
    x = np.concatenate([np.linspace(-12, 12, 20001), [0.0, -0.0, 1e-8, -1e-8]]).astype(np.float32)
    want = np.array([0.5 * v * math.erfc(-v / math.sqrt(2)) for v in x.astype(np.float64)])
    got = gelu(x).astype(np.float64)
    # Relative to the value, also in the left tail where GELU is tiny (there
    # float32's exp of ~-30 is what limits it; torch's 1 + erf cancels to 0).
    rel = np.abs(got - want) / np.maximum(np.abs(want), 1e-30)
    assert rel[np.abs(x) < 2].max() < 1e-6
    assert rel[np.abs(x) < 8].max() < 1e-5
    assert np.abs(got - want).max() < 1e-6


def test_weights_are_views_of_one_read_only_mapping() -> None:
    tensors = map_safetensors(bundled_model_path() / "model.safetensors")
    word = tensors["embeddings.word_embeddings.weight"]
    assert word.shape == (30522, 384) and word.dtype == np.float32
    assert not word.flags.writeable
    assert "embeddings.position_ids" not in tensors  # int64 bookkeeping, not a weight


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[:5],  # truncated before the header ends
        lambda raw: (2**40).to_bytes(8, "little") + raw[8:],  # absurd header size
        lambda raw: raw[: len(raw) // 2],  # tensors cut off
        lambda raw: raw[:8] + b"x" + raw[9:],  # broken JSON header
        lambda raw: raw[:8] + b"[" + raw[9:-1] + b"]",  # not an object
        lambda raw: raw.replace(b'"shape":[384]', b'"shape":["x"]', 1),  # a bad shape
    ],
)
def test_a_damaged_weights_file_is_refused_cleanly(tmp_path: Path, damage: object) -> None:
    model = tmp_path / "model"
    shutil.copytree(bundled_model_path(), model)
    target = model / "model.safetensors"
    target.write_bytes(damage(target.read_bytes()))  # type: ignore[operator]
    with pytest.raises(EmbeddingError) as caught:
        NumpyEmbedder(model, NAME)
    assert "Cannot run" in caught.value.message and caught.value.hint


def test_default_query_path_is_numpy_and_exports_nothing(
    paperlab_home: Path, auto_backend: None
) -> None:
    forget_instances()
    settings = load_settings()
    embedder = FastEmbedder(settings)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        vector = embedder.embed_query("attention is all you need")
    assert isinstance(embedder.query_backend(), NumpyEmbedder)
    assert vector.shape == (384,) and abs(float(np.linalg.norm(vector)) - 1) < 1e-5
    assert err.getvalue() == ""
    assert embedder.export_path(create=False) is None  # no ONNX export was needed
    forget_instances()


def test_a_model_numpy_cannot_run_falls_back_with_one_note_each(
    tmp_path: Path, paperlab_home: Path, auto_backend: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperlab.search import fast_embedder

    model = tmp_path / "model"
    shutil.copytree(bundled_model_path(), model)
    weights = model / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    monkeypatch.setattr(fast_embedder, "bundled_model_path", lambda: model)
    forget_instances()
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        backend = FastEmbedder(load_settings()).query_backend()
    # numpy fails; there is no ONNX export for these weights and none can be
    # made from them, so sentence-transformers (with the real packaged model,
    # already loaded in this test process) answers.
    assert isinstance(backend, SentenceTransformerEmbedder)
    notes = err.getvalue().splitlines()
    assert notes[0] == (
        "Cannot run 'all-MiniLM-L6-v2' in numpy: its model files are damaged or of another "
        "kind (JSONDecodeError). Using the ONNX export for queries."
    )
    assert len(notes) <= 2
    forget_instances()


def test_forced_onnx_backends_still_query_through_onnx(
    exported: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAPERLAB_EMBED_BACKEND", "onnx")
    forget_instances()
    embedder = FastEmbedder(load_settings(), backend="onnx")
    assert isinstance(embedder.query_backend(), OnnxEmbedder)
    forget_instances()
