"""Split two of ONNX Runtime's fused BERT ops back into plain ops with faster CPU kernels.

The transformer optimizer fuses each residual add with its layer norm
(``SkipLayerNormalization``) and each FFN bias with its GELU (``BiasGelu``).
On the CPU those fused kernels are the slow ones: profiled on 32 x 256
tokens of the 8-bit graph, the twelve skip layer norms took 101 ms of 712,
while ``Add`` + ``LayerNormalization`` do the same work in ~25 ms. Splitting
both made the 8-bit graph 1.18x faster and the fp32 graph 1.07x, with the
same arithmetic (bench/embed_bench.py and docs/performance.md).
The attention fusion (one ``Attention`` op per layer) stays: it is what the
8-bit quantiser turns into ``QAttention``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

MS_DOMAIN = "com.microsoft"
# ONNX's own LayerNormalization exists from opset 17 on.
LAYER_NORM_OPSET = 17


def _opset(model: Any, domain: str) -> int:
    for entry in model.opset_import:
        if entry.domain in ((domain,) if domain else ("", "ai.onnx")):
            return int(entry.version)
    return 0


def _attribute(node: Any, name: str, default: float) -> float:
    return next((float(a.f) for a in node.attribute if a.name == name), default)


def _split_skip_layer_norm(node: Any, helper: Any) -> list[Any] | None:
    """``input + skip (+ bias)`` then ``LayerNormalization``; None if it cannot be split."""
    outputs = list(node.output)
    if any(outputs[1:3]):
        return None  # mean / inverse std deviation are read: keep the fused op
    data, skip, gamma, beta = node.input[:4]
    bias = node.input[4] if len(node.input) > 4 else ""
    total = f"{node.name}/sum"
    nodes = [helper.make_node("Add", [data, skip], [total], name=f"{node.name}/add")]
    if bias:
        nodes.append(
            helper.make_node("Add", [total, bias], [f"{total}_bias"], name=f"{node.name}/add_bias")
        )
        total = f"{total}_bias"
    if len(outputs) > 3 and outputs[3]:
        # The residual sum itself feeds a later layer.
        nodes.append(
            helper.make_node("Identity", [total], [outputs[3]], name=f"{node.name}/sum_out")
        )
    nodes.append(
        helper.make_node(
            "LayerNormalization",
            [total, gamma, beta],
            [outputs[0]],
            name=f"{node.name}/layer_norm",
            axis=-1,
            epsilon=_attribute(node, "epsilon", 1e-12),
        )
    )
    return nodes


def _split_bias_gelu(node: Any, helper: Any) -> list[Any]:
    biased = f"{node.name}/biased"
    return [
        helper.make_node("Add", list(node.input[:2]), [biased], name=f"{node.name}/add"),
        helper.make_node(
            "Gelu", [biased], list(node.output), name=f"{node.name}/gelu", domain=MS_DOMAIN
        ),
    ]


def split_slow_fusions(model: Any) -> int:
    """Split ``model``'s SkipLayerNormalization and BiasGelu nodes in place; how many were split."""
    from onnx import helper

    can_norm = _opset(model, "") >= LAYER_NORM_OPSET
    can_gelu = _opset(model, MS_DOMAIN) >= 1
    rewritten: list[Any] = []
    split = 0
    for node in model.graph.node:
        replacement = None
        if node.op_type == "SkipLayerNormalization" and node.domain == MS_DOMAIN and can_norm:
            replacement = _split_skip_layer_norm(node, helper)
        elif node.op_type == "BiasGelu" and node.domain == MS_DOMAIN and can_gelu:
            replacement = _split_bias_gelu(node, helper)
        if replacement is None:
            rewritten.append(node)
        else:
            rewritten.extend(replacement)
            split += 1
    if split:
        del model.graph.node[:]
        model.graph.node.extend(rewritten)
    return split


def replace_weight_matmuls(
    model: Any, node_names: Iterable[str], replace: Callable[[Any, Any, list[Any]], None]
) -> int:
    """Hand each named MatMul with a constant weight to ``replace(node, weight, nodes)``.

    ``replace`` appends the nodes that stand in for it to ``nodes`` and adds
    the initializers it needs; the fp32 weight is then dropped. Other nodes
    keep their order. Edits ``model`` in place; returns how many were replaced.
    """
    wanted = set(node_names)
    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    nodes: list[Any] = []
    replaced = 0
    for node in graph.node:
        weight = weights.get(node.input[1]) if node.op_type == "MatMul" else None
        if weight is None or node.name not in wanted:
            nodes.append(node)
            continue
        replace(node, weight, nodes)
        graph.initializer.remove(weight)
        replaced += 1
    if replaced:
        del graph.node[:]
        graph.node.extend(nodes)
    return replaced


__all__ = ["replace_weight_matmuls", "split_slow_fusions"]
