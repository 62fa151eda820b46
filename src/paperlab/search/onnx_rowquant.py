"""8-bit FFN down-projections with one activation scale per token, for CPUs without VNNI.

The down-projections' inputs (GELU outputs) carry token outliers, so they need
a scale per token (:mod:`paperlab.search.onnx_blockquant` says why). ONNX
Runtime's ``MatMulNBits`` does that, but without VNNI its 8-bit kernel is
slower than fp32: on an AVX2-only EPYC a (8192 x 1536) @ (1536 x 384) MatMul
took 171 ms in ``MatMulNBits`` against 125 ms in fp32 and 65 ms in plain
``MatMulInteger`` (u8 x s8), which runs MLAS's fastest AVX2 kernel.

So here each such MatMul becomes ``MatMulInteger`` fed by a per-token
asymmetric quantisation written in standard ops::

    scale = (max(x, 0) - min(x, 0)) / 255    per token (row), never 0
    zero  = round(-min(x, 0) / scale)
    q     = saturate_u8(round(x / scale + zero))
    y     = (q @ Wq - zero * colsum(Wq)) * scale * wscale

``Wq`` is int8 per output column with 7 significant bits (|w| <= 63), so AVX2's
``vpmaddubsw`` adds u8 x s7 pairs without saturating (2 x 255 x 64 < 2^15):
the integer sums are exact on every CPU. ``colsum(Wq)`` is a constant.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Weights keep 7 bits so that u8 x s8 pair sums fit AVX2's int16 lanes.
WEIGHT_LIMIT = 63


def rowwise_weights(weight: Any) -> tuple[Any, Any, Any]:
    """``(quantised, scales, column_sums)`` for a (K, N) fp32 weight.

    Symmetric per output column: ``q = round(w / s)`` in [-63, 63] as int8;
    ``column_sums`` (int32, (N,)) are the sums of ``q`` over K.
    """
    import numpy as np

    scales = np.abs(weight).max(axis=0) / WEIGHT_LIMIT
    scales[scales == 0] = 1.0
    quantised = np.clip(np.round(weight / scales), -WEIGHT_LIMIT, WEIGHT_LIMIT).astype(np.int8)
    sums = quantised.astype(np.int32).sum(axis=0, dtype=np.int32)
    return quantised, scales.astype(np.float32), sums


# Shared constants, named once per graph.
_ZERO = "rowquant_zero"  # 0.0: the range always holds it
_PER_LEVEL = "rowquant_per_level"  # 1 / 255
_TINY = "rowquant_tiny"  # the least scale: an all-zero row divides by this
_LEVELS = "rowquant_levels"  # 255.0, the highest zero point
_COLUMN = "rowquant_column"  # [1]: a per-row vector as a column
_FIRST = "rowquant_first"  # [0] and [-1]: Slice bounds for "all but the last dim"
_LAST = "rowquant_last"


def _constants() -> list[Any]:
    import numpy as np
    from onnx import numpy_helper

    values: dict[str, Any] = {
        _ZERO: np.array(0.0, dtype=np.float32),
        _PER_LEVEL: np.array(1.0 / 255.0, dtype=np.float32),
        _TINY: np.array(1e-12, dtype=np.float32),
        _LEVELS: np.array(255.0, dtype=np.float32),
        _COLUMN: np.array([1], dtype=np.int64),
        _FIRST: np.array([0], dtype=np.int64),
        _LAST: np.array([-1], dtype=np.int64),
    }
    return [numpy_helper.from_array(value, name) for name, value in values.items()]


class _Subgraph:
    """Appends nodes named ``<prefix>_<name>`` (one output each) to ``nodes``."""

    def __init__(self, nodes: list[Any], prefix: str) -> None:
        self.nodes = nodes
        self.prefix = prefix

    def __call__(self, kind: str, inputs: list[str], name: str, **attrs: Any) -> str:
        from onnx import helper

        output = f"{self.prefix}_{name}"
        self.nodes.append(helper.make_node(kind, inputs, [output], output, **attrs))
        return output


def _per_token_matmul(op: _Subgraph, x: str, w: str, out: str) -> None:
    """Nodes computing ``out = x @ W`` from the 7-bit weight ``w`` (see the
    module docstring). Expects the initializers ``w_r8``,
    ``w_r8_scales``, ``w_r8_sums``, ``w_r8_rows`` and ``w_r8_n``."""
    from onnx import TensorProto, helper

    # Tokens as rows: QuantizeLinear takes one scale per row only along an
    # axis of a 2-D input, and then scales, rounds and shifts in one pass.
    rows = op("Reshape", [x, f"{w}_r8_rows"], "rows_in")
    # The range holds 0 (as DynamicQuantizeLinear's does), so a constant row
    # is exact too instead of a division by a vanishing spread.
    low = op("Min", [op("ReduceMin", [rows], "min", axes=[1], keepdims=0), _ZERO], "low")
    high = op("Max", [op("ReduceMax", [rows], "max", axes=[1], keepdims=0), _ZERO], "high")
    raw_scale = op("Mul", [op("Sub", [high, low], "spread"), _PER_LEVEL], "raw")
    scale = op("Max", [raw_scale, _TINY], "scale")
    zero = op("Round", [op("Div", [op("Neg", [low], "neg_min"), scale], "raw_zero")], "zero")
    zero = op("Clip", [zero, _ZERO, _LEVELS], "zero_clipped")
    zero_u8 = op("Cast", [zero], "zero_u8", to=TensorProto.UINT8)
    q = op("QuantizeLinear", [rows, scale, zero_u8], "q", axis=0)
    integer = op("MatMulInteger", [q, f"{w}_r8"], "int")
    sums = op("Cast", [integer], "float", to=TensorProto.FLOAT)
    offset = op("Mul", [op("Unsqueeze", [zero, _COLUMN], "zero_column"), f"{w}_r8_sums"], "offset")
    centred = op("Sub", [sums, offset], "centred")
    by_row = op("Mul", [centred, op("Unsqueeze", [scale, _COLUMN], "scale_column")], "by_row")
    scaled = op("Mul", [by_row, f"{w}_r8_scales"], "y")
    # Back to x's leading dimensions, with N columns.
    lead = op("Slice", [op("Shape", [x], "shape"), _FIRST, _LAST], "lead")
    shape = op("Concat", [lead, f"{w}_r8_n"], "out_shape", axis=0)
    op.nodes.append(helper.make_node("Reshape", [scaled, shape], [out], f"{op.prefix}_out"))


def to_row_quantised(model: Any, node_names: Iterable[str]) -> int:
    """Replace the named fp32 MatMuls (constant weights) in ``model`` as above.

    Edits the ``onnx.ModelProto`` in place; returns how many were replaced.
    """
    import numpy as np
    from onnx import numpy_helper

    from paperlab.search.onnx_rewrite import replace_weight_matmuls

    def replace(node: Any, weight: Any, nodes: list[Any]) -> None:
        quantised, scales, sums = rowwise_weights(numpy_helper.to_array(weight))
        w = weight.name
        k, n = quantised.shape
        model.graph.initializer.extend(
            [
                numpy_helper.from_array(quantised, f"{w}_r8"),
                numpy_helper.from_array(scales, f"{w}_r8_scales"),
                numpy_helper.from_array(sums.astype(np.float32), f"{w}_r8_sums"),
                numpy_helper.from_array(np.array([-1, k], dtype=np.int64), f"{w}_r8_rows"),
                numpy_helper.from_array(np.array([n], dtype=np.int64), f"{w}_r8_n"),
            ]
        )
        subgraph = _Subgraph(nodes, f"{node.name}_r8")
        _per_token_matmul(subgraph, node.input[0], w, node.output[0])

    replaced = replace_weight_matmuls(model, node_names, replace)
    if replaced:
        model.graph.initializer.extend(_constants())
    return replaced


__all__ = ["WEIGHT_LIMIT", "rowwise_weights", "to_row_quantised"]
