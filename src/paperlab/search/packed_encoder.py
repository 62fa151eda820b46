"""A BERT encoder forward pass on oneDNN-packed weights, in bf16 or fp32 (bulk paths).

On CPUs with AMX, indexing embeds through this in bfloat16 instead of
``SentenceTransformer.encode``. Elsewhere it runs in fp32 (bf16 where the CPU
has it natively) until the library has its ONNX export, whose making costs
~10 s that a small first job would otherwise wait for (see FastEmbedder and
docs/performance.md, "Before the export"). Profiling the
sentence-transformers forward pass in bf16 showed ~61% of the time in the
linear layers, ~26% in attention and the rest in GELU, copies and layer norms
between them. Here the linear layers run on weights reordered once into
oneDNN's blocked layout (``torch.ops.mkldnn._linear_pointwise``, the kernel
torch's own compiler emits for frozen CPU graphs), with the bias, the FFN's
GELU and each residual add fused into the matrix multiply, and Q, K and V as
one 3x-wide projection. Attention stays ``scaled_dot_product_attention`` (its
CPU flash kernel), skipping the mask when a batch has no padding.

The weights are the numpy query encoder's (``numpy_encoder.NumpyBert``, the
mapped ``model.safetensors``), so building needs torch alone, not
sentence-transformers. Same weights, same tokenizer, same pooling: vectors
agree with fp32 sentence-transformers to cosine >= 0.999 on the check texts
(checked against the numpy encoder when the encoder is built; anything else
raises and the caller falls back) and >= 0.99 per chunk
(tests/unit/test_fast_embedder.py); in fp32 it equals sentence-transformers to
rounding. Measured on 2 EPYC cores, in bf16 it is ~1.15x the
sentence-transformers forward pass in bf16 and ~2.1x-2.9x fp32, and in fp32
~1.7x fp32 (docs/performance.md). It serves BERT-family models with mean
pooling only, which the bundled all-MiniLM-L6-v2 is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paperlab.errors import EmbeddingError
from paperlab.search.tokens import TokenEmbedder, load_tokenizer

if TYPE_CHECKING:
    import numpy as np

    from paperlab.search.embedder import Embedder
    from paperlab.search.numpy_encoder import NumpyBert

# The encoder must reproduce fp32 sentence-transformers this closely on
# CHECK_TEXTS before it is used (bf16 rounding alone gives ~0.9999).
MIN_CHECK_COSINE = 0.999
PRECISIONS = ("bf16", "fp32")
CHECK_TEXTS = (
    "Self-attention relates every token in a sequence to every other token.",
    "We report accuracy on three benchmarks and ablate the learning rate schedule. " * 12,
    "x",
)

Linear = Callable[..., Any]


@dataclass(frozen=True)
class _Layer:
    qkv: tuple[Any, Any]  # packed weight, bias: query, key and value side by side
    attention_out: tuple[Any, Any]
    attention_norm: tuple[Any, Any]
    ffn_up: tuple[Any, Any]
    ffn_down: tuple[Any, Any]
    output_norm: tuple[Any, Any]


def _packed_ops(dtype: Any) -> tuple[Callable[[Any], Any], Linear, Linear, Linear] | None:
    """oneDNN's packed-weight linear ops for ``dtype``, or None when this torch build lacks them."""
    import torch

    try:
        ops = torch.ops.mkldnn
        pack, pointwise = ops._reorder_linear_weight, ops._linear_pointwise
        probe = pack(torch.zeros(8, 8, dtype=dtype))
        x = torch.ones(2, 8, dtype=dtype)
        pointwise.default(x, probe, None, "none", [], "")
    except (AttributeError, RuntimeError):
        return None

    def linear(x: Any, weight: Any, bias: Any) -> Any:
        return pointwise.default(x, weight, bias, "none", [], "")

    def linear_gelu(x: Any, weight: Any, bias: Any) -> Any:
        return pointwise.default(x, weight, bias, "gelu", [], "none")  # exact (erf) GELU

    def linear_add(x: Any, residual: Any, weight: Any, bias: Any) -> Any:
        return pointwise.binary(x, residual, weight, bias, "add")

    return pack, linear, linear_gelu, linear_add


def _plain_ops() -> tuple[Callable[[Any], Any], Linear, Linear, Linear]:
    """The same four operations unfused (torch builds without oneDNN)."""
    import torch.nn.functional as F

    def linear_gelu(x: Any, weight: Any, bias: Any) -> Any:
        return F.gelu(F.linear(x, weight, bias))

    def linear_add(x: Any, residual: Any, weight: Any, bias: Any) -> Any:
        return F.linear(x, weight, bias) + residual

    return (lambda weight: weight), F.linear, linear_gelu, linear_add


class PackedBertEncoder:
    """Token ids + mask -> token states in ``precision``, from a :class:`NumpyBert`'s weights."""

    def __init__(self, bert: NumpyBert, precision: str = "bf16") -> None:
        import torch

        dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        ops = _packed_ops(dtype)
        self.packed = ops is not None
        pack, self._linear, self._linear_gelu, self._linear_add = ops or _plain_ops()

        def tensor(*arrays: np.ndarray) -> Any:
            # torch.tensor copies: the arrays are read-only views of the mapped file.
            parts = [torch.tensor(array, dtype=dtype) for array in arrays]
            return (parts[0] if len(parts) == 1 else torch.cat(parts)).contiguous()

        def weights(*pairs: tuple[np.ndarray, np.ndarray]) -> tuple[Any, Any]:
            return pack(tensor(*(w for w, _ in pairs))), tensor(*(b for _, b in pairs))

        def norm(pair: tuple[np.ndarray, np.ndarray]) -> tuple[Any, Any]:
            return tensor(pair[0]), tensor(pair[1])

        self._words = tensor(bert.word)
        self._positions = tensor(bert.position)
        self._token_type = tensor(bert.token_type[0])  # all segment 0
        self._embedding_norm = norm(bert.embedding_norm)
        self._eps = bert.eps
        self._heads = bert.heads
        self._layers = [
            _Layer(
                qkv=weights(*layer.qkv),  # query, key and value as one 3x-wide projection
                attention_out=weights(layer.attention_out),
                attention_norm=norm(layer.attention_norm),
                ffn_up=weights(layer.up),
                ffn_down=weights(layer.down),
                output_norm=norm(layer.output_norm),
            )
            for layer in bert.layers
        ]

    def __call__(self, input_ids: Any, mask: Any) -> Any:
        """Token states (batch, tokens, hidden); call under ``torch.inference_mode()``."""
        import torch.nn.functional as F

        batch, length = input_ids.shape
        x = self._words[input_ids] + self._positions[:length] + self._token_type
        width = x.shape[-1:]
        x = F.layer_norm(x, width, *self._embedding_norm, self._eps)
        heads, head_dim = self._heads, x.shape[-1] // self._heads
        # No padding in the batch (the usual case for long chunks): no mask,
        # which lets attention take its unmasked kernel.
        keep = None if bool(mask.all()) else (mask[:, None, None, :] > 0)
        for layer in self._layers:
            qkv = self._linear(x, *layer.qkv).view(batch, length, 3, heads, head_dim)
            q, k, v = qkv.permute(2, 0, 3, 1, 4)
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
            attended = attended.transpose(1, 2).reshape(batch, length, heads * head_dim)
            x = F.layer_norm(
                self._linear_add(attended, x, *layer.attention_out),
                width,
                *layer.attention_norm,
                self._eps,
            )
            hidden = self._linear_gelu(x, *layer.ffn_up)
            x = F.layer_norm(
                self._linear_add(hidden, x, *layer.ffn_down), width, *layer.output_norm, self._eps
            )
        return x


class PackedEmbedder(TokenEmbedder):
    """The :class:`~paperlab.search.embedder.Embedder` on :class:`PackedBertEncoder`."""

    def __init__(self, model_dir: Path, name: str, precision: str = "bf16") -> None:
        """Build from the model files in ``model_dir`` and check it against fp32.

        The weights come from the same mapped safetensors file the numpy query
        encoder reads, and the check compares with that encoder (fp32, equal to
        sentence-transformers to rounding): building needs torch but neither
        sentence-transformers (~4 s to import) nor the ONNX export.
        """
        from paperlab.search.numpy_encoder import NumpyEmbedder, load_numpy_bert, max_length

        try:
            bert = load_numpy_bert(model_dir)
            self._tokenize = load_tokenizer(model_dir / "tokenizer.json", max_length(model_dir))
            self._encoder = PackedBertEncoder(bert, precision)
        except (ImportError, OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise EmbeddingError(
                f"Cannot build the packed {precision} encoder for {name!r} "
                f"({type(exc).__name__}: {exc})."
            ) from None
        self.precision = precision
        self._name = name
        self._dim = bert.dim
        self._check(NumpyEmbedder(model_dir, name))

    def _check(self, reference: Embedder) -> None:
        import numpy as np

        expected = reference.embed(CHECK_TEXTS)
        cosine = float(np.min(np.sum(self.embed(CHECK_TEXTS) * expected, axis=1)))
        if cosine < MIN_CHECK_COSINE:
            raise EmbeddingError(
                f"The packed {self.precision} encoder disagrees with {self._name!r} "
                f"(cosine {cosine:.4f})."
            )

    def states(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """One batch's token states, pooled later in fp32."""
        import torch

        with torch.inference_mode():
            states = self._encoder(torch.from_numpy(input_ids), torch.from_numpy(mask))
            result: np.ndarray = states.float().numpy()
        return result


__all__ = ["MIN_CHECK_COSINE", "PRECISIONS", "PackedBertEncoder", "PackedEmbedder"]
