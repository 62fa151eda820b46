"""The ONNX Runtime backend: tokenizers + an exported transformer + mean pooling.

Importing onnxruntime and tokenizers costs ~0.15 s against ~6.5 s for torch and
sentence-transformers, which is what keeps a cold ``paperlab search`` fast.
Texts are tokenised once and cut into length-bucketed batches
(:mod:`paperlab.search.tokens`), and the session uses one thread per
available core.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from paperlab.errors import EmbeddingError
from paperlab.search.tokens import TokenEmbedder, load_tokenizer
from paperlab.settings import usable_cores

if TYPE_CHECKING:
    import numpy as np


Variant = Literal["fp32", "int8"]
# int8's relative error is largest on very short texts (a single word: cosine
# ~0.98), where it also saves least time; batches padded to fewer tokens than
# this run on the fp32 graph even in the int8 variant.
INT8_MIN_TOKENS = 32
_SESSIONS: dict[tuple[str, str], Any] = {}
_LOCK = threading.Lock()


def _session(path: Path) -> Any:
    key = (str(path), str(path.stat().st_mtime_ns))
    with _LOCK:
        session = _SESSIONS.get(key)
        if session is None:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = usable_cores()
            options.inter_op_num_threads = 1
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.log_severity_level = 3  # warnings about unused initialisers are noise
            # Idle pool threads would spin-wait, stealing the cores torch or
            # the extractor need in the same process; the latency cost is nil.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            _SESSIONS[key] = session
    return session


class OnnxEmbedder(TokenEmbedder):
    """Embeds with an export made by :mod:`paperlab.search.onnx_export`."""

    failure_hint = "Run `paperlab index` again; if it persists, delete the model cache."

    def __init__(self, export: Path, model_name: str, variant: Variant = "fp32") -> None:
        try:
            meta = json.loads((export / "export.json").read_text(encoding="utf-8"))
            file = "model.onnx" if variant == "fp32" else meta.get("int8")
            if not file:
                raise FileNotFoundError("no int8 model in this export")
            self._session = _session(export / str(file))
            self._exact = self._session if variant == "fp32" else _session(export / "model.onnx")
            self._tokenize = load_tokenizer(
                export / "tokenizer.json", int(meta.get("max_seq_length", 256))
            )
        except Exception as exc:
            raise EmbeddingError(
                f"Cannot load the ONNX export of {model_name!r} ({type(exc).__name__}).",
                hint=f"Delete {export} so it is exported again.",
            ) from None
        self._name = model_name
        self._dim = int(meta["dim"])
        self.variant: Variant = variant
        # int8 hands over to fp32 below INT8_MIN_TOKENS: split batches there.
        self.split_below = INT8_MIN_TOKENS if variant == "int8" else 0
        self._inputs = {i.name for i in self._session.get_inputs()}

    def states(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """One batch's token states from the 8-bit graph, or fp32 for short batches."""
        import numpy as np

        feed = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(input_ids)
        session = self._session if input_ids.shape[1] >= INT8_MIN_TOKENS else self._exact
        result: np.ndarray = session.run(None, feed)[0]
        return result


__all__ = ["INT8_MIN_TOKENS", "OnnxEmbedder"]
