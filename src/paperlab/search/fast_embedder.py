"""The default model's embedder: numpy for queries, the fastest path for bulk.

Two backends behind one :class:`~paperlab.search.embedder.Embedder`:

- *query path* (calls with fewer than ``BULK_MIN`` texts: a search query, a
  few notes): the model run in numpy over its memory-mapped weights
  (:mod:`paperlab.search.numpy_encoder`). Exact (cosine 1.0000 to
  sentence-transformers), it imports neither torch nor ONNX Runtime and needs
  no export, so a cold search costs little more than importing faiss. Forced
  ``onnx``/``onnx-int8`` backends query through the ONNX export instead.
- *bulk path* (indexing): the packed bfloat16 encoder
  (:mod:`paperlab.search.packed_encoder`) on CPUs with AMX, else the 8-bit
  ONNX export (~2.4x-3.3x fp32 sentence-transformers on 2 EPYC cores; fp32
  ONNX if the 8-bit graph failed its check). See :mod:`paperlab.search.cpu`.
  Making the export takes ~10 s (torch, sentence-transformers, tracing,
  quantising, checking), which a small first job would wait for. So until the
  library has it, the packed encoder serves instead (fp32, or bf16 where
  native; ~1.2 s to start, ~1.7x fp32 sentence-transformers in fp32), until
  ``EXPORT_AFTER`` texts have been embedded that way in this library (counted
  in a file beside the export, with ``START_TEXTS`` more for each process's
  slower start): then the export is made and used.

Which path is which comes from :func:`paperlab.search.embedder.embedding_plan`,
which ``paperlab index status`` reports; this class builds what it names and
falls back (with a note) where a path cannot be built.

All paths agree with fp32 sentence-transformers to cosine >= 0.99 per text
(see tests/unit/test_fast_embedder.py), so their vectors share one model
name in the ``embedding`` table and mix freely in one faiss index.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from paperlab.errors import EmbeddingError
from paperlab.search.embedder import (
    NUMPY,
    ONNX_INT8,
    PACKED_BF16,
    ST_BF16,
    ST_FP32,
    Embedder,
    Progress,
    SentenceTransformerEmbedder,
    bundled_model_path,
    embedding_plan,
    model_is_loaded,
    packed_path,
)
from paperlab.settings import Settings, can_write_under

if TYPE_CHECKING:
    import numpy as np

# Fewer texts than this are embedded on the query path (no torch import).
BULK_MIN = 16
# Texts a library embeds on the packed encoder before the ONNX export is made
# and the 8-bit graph takes over: about where the export's ~10 s is repaid by
# the 8-bit graph's speed over the packed encoder (docs/performance.md, "Before
# the export"). A paper is ~40 texts: the first ~20 papers make no export.
EXPORT_AFTER = 800
# The packed encoder starts ~1.2 s slower than the 8-bit graph (torch's import
# and the encoder's check), about 40 texts' worth: each process that embeds
# while waiting counts that too, so adding one paper at a time gets the export
# after ~10 papers rather than ~20.
START_TEXTS = 40
_INSTANCES: dict[tuple[str, str, str], FastEmbedder] = {}
_LOCK = threading.RLock()


def _note(message: str) -> None:
    if sys.stderr is not None:
        print(message, file=sys.stderr, flush=True)


class FastEmbedder:
    """The bundled model through its fastest agreeing backends (see module doc)."""

    def __new__(cls, settings: Settings, backend: str = "auto") -> FastEmbedder:
        # One per data dir, model and backend: sessions and tokenizers load once.
        key = (str(settings.cache_dir), settings.embed_model, backend)
        with _LOCK:
            instance = _INSTANCES.get(key)
            if instance is None:
                instance = super().__new__(cls)
                instance._setup(settings, backend)
                _INSTANCES[key] = instance
        return instance

    def _setup(self, settings: Settings, backend: str) -> None:
        self._settings = settings
        self._name = settings.embed_model
        self.backend = backend
        self._query: Embedder | None = None
        self._bulk: Embedder | None = None
        # The bulk path stands in for the 8-bit graph until its export is made;
        # texts embedded that way in this library, this process's included.
        self._waiting_for_export = False
        self._texts_waited = 0
        self._start_counted = False
        self._count_file: Path | None = None  # where they are counted, while waiting

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return self.query_backend().dim

    # -- backends ---------------------------------------------------------------

    def export_path(self, *, create: bool) -> Path | None:
        """The ONNX export directory; exported now (needs torch) when ``create``."""
        from paperlab.search.onnx_export import ensure_export, export_dir, read_export

        model_dir = bundled_model_path()
        target = export_dir(self._settings, self._name, model_dir)
        if read_export(target) is not None:
            return target
        if not create:
            return None
        return ensure_export(self._settings, self._name, model_dir)

    def _waited_file(self) -> Path:
        """Where the library counts texts embedded while its export was not made."""
        from paperlab.search.onnx_export import export_dir

        target = export_dir(self._settings, self._name, bundled_model_path())
        return target.parent / f"{target.name}.texts-before-export"

    def _onnx(self, variant: str) -> Embedder:
        from paperlab.search.onnx_embedder import OnnxEmbedder

        path = self.export_path(create=False)
        if path is None:
            if not can_write_under(self._settings.cache_dir):
                # A read-only library (a snapshot, another user's folder): an
                # export could not be kept, so do not spend seconds making one.
                raise EmbeddingError(
                    "The library is read-only, so the model's ONNX export cannot be kept.",
                    hint="Searches use sentence-transformers; open the library writable "
                    "once to make the export.",
                )
            _note(
                f"Exporting {self._name} to ONNX once, into {self._settings.cache_dir}, "
                "for faster indexing from now on..."
            )
            path = self.export_path(create=True)
        assert path is not None
        if variant == "int8":
            from paperlab.search.onnx_export import read_export

            meta = read_export(path) or {}
            if not meta.get("int8"):
                variant = "fp32"  # the int8 graph failed its accuracy check at export
        return OnnxEmbedder(path, self._name, variant="int8" if variant == "int8" else "fp32")

    def _packed(self, path: str) -> Embedder:
        from paperlab.search.packed_encoder import PackedEmbedder

        precision = "bf16" if path == PACKED_BF16 else "fp32"
        try:
            return PackedEmbedder(bundled_model_path(), self._name, precision)
        except EmbeddingError as exc:
            _note(f"{exc.message} Using sentence-transformers in {precision} instead.")
            return SentenceTransformerEmbedder(self._name, bf16=precision == "bf16")

    def query_backend(self) -> Embedder:
        """The backend for a query or a handful of texts (loaded on first use)."""
        with _LOCK:
            if self._query is None:
                self._query = self._pick_query()
            return self._query

    def _pick_query(self) -> Embedder:
        path = embedding_plan(self._settings, self.backend).query
        if path == PACKED_BF16:
            return self._packed(path)
        if path in (ST_FP32, ST_BF16):
            return SentenceTransformerEmbedder(self._name, bf16=path == ST_BF16)
        if path == NUMPY:
            from paperlab.search.numpy_encoder import NumpyEmbedder

            try:
                return NumpyEmbedder(bundled_model_path(), self._name)
            except EmbeddingError as exc:
                _note(f"{exc.message} Using the ONNX export for queries.")
        if self.export_path(create=False) is None and model_is_loaded(self._name):
            # torch is in this process already (indexing just ran, or a
            # test session): querying through it costs nothing extra.
            return SentenceTransformerEmbedder(self._name, bf16=False)
        try:
            return self._onnx("int8" if path == ONNX_INT8 else "fp32")
        except EmbeddingError as exc:
            _note(f"{exc.message} Using sentence-transformers for now.")
            return SentenceTransformerEmbedder(self._name, bf16=False)

    def bulk_backend(self) -> Embedder:
        """The backend for many texts (indexing), chosen by backend and CPU."""
        with _LOCK:
            if self._bulk is None or (
                self._waiting_for_export and self._texts_waited >= EXPORT_AFTER
            ):
                self._bulk = self._pick_bulk()
            return self._bulk

    def _pick_bulk(self) -> Embedder:
        plan = embedding_plan(self._settings, self.backend)
        self._waiting_for_export = False
        if plan.bulk == ONNX_INT8:
            if self.backend != "auto":
                return self._onnx("int8")  # forced: that path, or its error
            if plan.bulk_before_export is not None:
                self._count_file = self._waited_file()
                self._texts_waited = _read_count(self._count_file)
                if self._texts_waited < EXPORT_AFTER:
                    self._waiting_for_export = True
                    return self._packed(plan.bulk_before_export)
            try:
                graph = self._onnx("int8")
            except EmbeddingError:  # a read-only library cannot keep an export
                return self._packed(packed_path())
            with contextlib.suppress(OSError):
                self._waited_file().unlink(missing_ok=True)  # counted what is now made
            return graph
        if plan.bulk == plan.query:
            return self.query_backend()  # a forced path serves both
        # No ONNX export here: queries take the numpy encoder, which needs none.
        return self._packed(plan.bulk)

    # -- Embedder ---------------------------------------------------------------

    def embed(
        self, texts: Sequence[str], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        """Embed ``texts`` (unit float32 rows); many texts take the bulk path."""
        if len(texts) < BULK_MIN:
            return self.query_backend().embed(texts, batch_size=batch_size, progress=progress)
        vectors = self.bulk_backend().embed(texts, batch_size=batch_size, progress=progress)
        with _LOCK:
            if self._waiting_for_export and self._count_file is not None:
                self._texts_waited += len(texts) + (0 if self._start_counted else START_TEXTS)
                self._start_counted = True
                _write_count(self._count_file, self._texts_waited)
        return vectors

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one query on the query path."""
        return self.query_backend().embed_query(text)


def _read_count(path: Path) -> int:
    try:
        return max(0, int(path.read_text(encoding="ascii").strip()))
    except (OSError, ValueError):
        return 0  # none yet, or unreadable: count afresh


def _write_count(path: Path, count: int) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.{os.getpid()}")
        scratch.write_text(str(count), encoding="ascii")
        os.replace(scratch, path)  # readers see the old count or the new, never half
    except OSError:
        pass  # a read-only library: it keeps the packed encoder, which needs no export


def forget_instances() -> None:
    """Drop the per-process embedders (tests that switch data dirs)."""
    with _LOCK:
        _INSTANCES.clear()


__all__ = ["BULK_MIN", "EXPORT_AFTER", "START_TEXTS", "FastEmbedder", "forget_instances"]
