"""8-bit weights with per-token activation scales, for the FFN down-projections.

The down-projections' inputs (GELU outputs) carry token outliers: one token's
channel can reach ~25 where most stay below ~1.5. ``DynamicQuantizeLinear``
gives the whole batch one scale, so the outlier token squeezes every other
token into a few levels (minimum cosine ~0.97-0.99), and those six MatMuls
used to stay fp32: ~35% of the 8-bit graph's time.

ONNX Runtime's ``MatMulNBits`` (``com.microsoft``) with 8-bit weights and
``accuracy_level=4`` quantises its input on the fly per row and per block of
``BLOCK`` input channels (each block of each token gets its own scale) and
multiplies in int8. One outlier token then costs only its own precision, the
result does not depend on the batch, and the MatMul runs at int8 speed
(docs/performance.md has the figures).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Input channels sharing one activation (and weight) scale: 1536 / 256 = 6
# blocks per token. Side by side on 128 PDF chunks (x bare sentence-transformers,
# min cosine): 64 1.86x 0.9959, 128 2.03x 0.9950, 256 2.09x 0.9946, 512 2.10x 0.9949.
BLOCK = 256
# ``accuracy_level`` 4: activations quantised to int8 (int8 x int8 products).
INT8_COMPUTE = 4


def blockwise_weights(weight: Any, block: int = BLOCK) -> tuple[Any, Any]:
    """``(packed, scales)`` for a (K, N) fp32 weight, as ``MatMulNBits`` reads 8 bits.

    Symmetric per column and per block of ``block`` rows: ``q = round(w / s)``
    in [-127, 127], stored offset by 128 (the op's default zero point when none
    is given) as uint8 of shape (N, blocks, block); scales (N * blocks,).
    """
    import numpy as np

    k, n = weight.shape
    blocks = -(-k // block)
    columns = np.zeros((n, blocks * block), dtype=np.float32)
    columns[:, :k] = weight.T
    columns = columns.reshape(n, blocks, block)
    scales = np.abs(columns).max(axis=2) / 127.0
    scales[scales == 0] = 1.0
    quantised = np.clip(np.round(columns / scales[..., None]), -127, 127) + 128
    return quantised.astype(np.uint8), scales.reshape(-1).astype(np.float32)


def to_matmul_nbits(model: Any, node_names: Iterable[str], block: int = BLOCK) -> int:
    """Replace the named fp32 MatMuls (constant weights) in ``model`` by 8-bit ``MatMulNBits``.

    Edits the ``onnx.ModelProto`` in place; returns how many were replaced.
    """
    from onnx import helper, numpy_helper

    from paperlab.search.onnx_rewrite import replace_weight_matmuls

    def replace(node: Any, weight: Any, nodes: list[Any]) -> None:
        array = numpy_helper.to_array(weight)
        packed, scales = blockwise_weights(array, block)
        packed_init = numpy_helper.from_array(packed, f"{weight.name}_q8")
        scales_init = numpy_helper.from_array(scales, f"{weight.name}_q8_scales")
        model.graph.initializer.extend([packed_init, scales_init])
        nodes.append(
            helper.make_node(
                "MatMulNBits",
                [node.input[0], packed_init.name, scales_init.name],
                list(node.output),
                name=f"{node.name}_q8",
                domain="com.microsoft",
                K=int(array.shape[0]),
                N=int(array.shape[1]),
                bits=8,
                block_size=block,
                accuracy_level=INT8_COMPUTE,
            )
        )

    replaced = replace_weight_matmuls(model, node_names, replace)
    if replaced and not any(op.domain == "com.microsoft" for op in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return replaced


__all__ = ["BLOCK", "blockwise_weights", "to_matmul_nbits"]
