"""Tokens in, pooled vectors out: what the non-sentence-transformers encoders share.

The ONNX, packed and numpy encoders all tokenise with the model's own
``tokenizer.json`` (the ``tokenizers`` package: the same Rust tokenizer
sentence-transformers uses, without importing transformers), cut texts into
batches of similar token length (longest first, so each batch pads only to its
own longest text) and mean-pool the token states over real tokens, as the
model's Pooling module does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from paperlab.errors import EmbeddingError

if TYPE_CHECKING:
    import numpy as np

    from paperlab.search.embedder import Progress

Tokenize = Callable[[Sequence[str]], list[list[int]]]
"""Texts -> each text's token ids, special tokens included, truncated."""


def load_tokenizer(path: Path, max_length: int) -> Tokenize:
    """The ``tokenizers.Tokenizer`` at ``path`` as a :data:`Tokenize` function.

    Each text's ids include the special tokens and are truncated to ``max_length``.
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length)

    def tokenize(texts: Sequence[str]) -> list[list[int]]:
        return [encoding.ids for encoding in tokenizer.encode_batch(list(texts))]

    return tokenize


def length_batches(lengths: Sequence[int], size: int, split_below: int = 0) -> list[list[int]]:
    """Text indices, longest first, in runs of at most ``size``.

    With ``split_below``, a batch also ends where lengths drop from at least
    ``split_below`` to below it, so short texts never share a batch with long ones.
    """
    size = max(1, size)
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        crosses = bool(current) and lengths[current[0]] >= split_below > lengths[i]
        if len(current) >= size or crosses:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def padded(ids: Sequence[Sequence[int]], rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """``(input_ids, attention_mask)`` int64 arrays for ``rows``, padded with 0."""
    import numpy as np

    width = max(len(ids[i]) for i in rows)
    input_ids = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for row, i in enumerate(rows):
        input_ids[row, : len(ids[i])] = ids[i]
        mask[row, : len(ids[i])] = 1
    return input_ids, mask


def mean_pool(states: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of ``states`` (batch, tokens, dim) over the tokens ``mask`` marks real."""
    import numpy as np

    weights = mask[..., None].astype(np.float32)
    pooled: np.ndarray = (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    return pooled


def embed_in_batches(
    tokenize: Tokenize,
    texts: Sequence[str],
    run: Callable[[np.ndarray, np.ndarray], np.ndarray],
    *,
    dim: int,
    batch_size: int,
    progress: Progress | None,
    failure: tuple[str, str],
    split_below: int = 0,
) -> np.ndarray:
    """Unit vectors for ``texts``: tokenised, length-batched, ``run(ids, mask)`` per batch.

    ``run`` returns the batch's token states (batch, tokens, dim) as float32;
    they are mean-pooled here. An error inside ``run`` becomes an
    :class:`EmbeddingError` with ``failure`` = (model name, hint).
    """
    import numpy as np

    from paperlab.search.embedder import normalise

    total = len(texts)
    out = np.zeros((total, dim), dtype=np.float32)
    ids = tokenize(texts) if total else []
    done = 0
    for rows in length_batches([len(row) for row in ids], batch_size, split_below=split_below):
        input_ids, mask = padded(ids, rows)
        try:
            states = run(input_ids, mask)
        except Exception as exc:
            name, hint = failure
            raise EmbeddingError(
                f"The embedding model {name!r} failed: {exc}.", hint=hint
            ) from None
        out[rows] = mean_pool(states, mask)
        done += len(rows)
        if progress is not None:
            progress(done, total)
    return normalise(out)


class TokenEmbedder:
    """An :class:`~paperlab.search.embedder.Embedder` that runs on token ids.

    The ONNX, packed and numpy encoders differ only in how a batch of token
    ids becomes token states (:meth:`states`); batching, pooling and the
    embedder's surface are shared here. Subclasses set ``_name``, ``_dim`` and
    ``_tokenize`` when they are built.
    """

    _name: str
    _dim: int
    _tokenize: Tokenize
    failure_hint = "Run `paperlab index` again; if it persists, rebuild the index."
    split_below = 0
    """Lengths a batch must not straddle (see :func:`length_batches`)."""

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return self._dim

    def states(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """One padded batch's token states, (batch, tokens, dim) float32."""
        raise NotImplementedError

    def embed(
        self, texts: Sequence[str], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        """Embed ``texts``: an (n, dim) float32 array with unit-length rows."""
        return embed_in_batches(
            self._tokenize,
            texts,
            self.states,
            dim=self._dim,
            batch_size=batch_size,
            progress=progress,
            failure=(self._name, self.failure_hint),
            split_below=self.split_below,
        )

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one text: a (dim,) float32 unit vector."""
        result: np.ndarray = self.embed([text])[0]
        return result


__all__ = [
    "TokenEmbedder",
    "Tokenize",
    "embed_in_batches",
    "length_batches",
    "load_tokenizer",
    "mean_pool",
    "padded",
]
