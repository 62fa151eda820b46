"""Split fused ops compute what the fused ones did, in ONNX Runtime itself."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from paperlab.search.onnx_rewrite import split_slow_fusions  # noqa: E402

HIDDEN, FFN = 16, 32


def _fused_block(with_sum_output: bool, opset: int = 17) -> onnx.ModelProto:
    """x, residual -> SkipLayerNorm(+bias) -> MatMul -> BiasGelu -> out (a BERT layer's tail)."""
    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array(rng.standard_normal(HIDDEN).astype(np.float32), name)
        for name in ("gamma", "beta", "bias")
    ] + [
        numpy_helper.from_array(rng.standard_normal((HIDDEN, FFN)).astype(np.float32), "w"),
        numpy_helper.from_array(rng.standard_normal(FFN).astype(np.float32), "b2"),
    ]
    outputs = ["normed", "", "", "sum"] if with_sum_output else ["normed"]
    nodes = [
        helper.make_node(
            "SkipLayerNormalization",
            ["x", "residual", "gamma", "beta", "bias"],
            outputs,
            name="sln",
            domain="com.microsoft",
            epsilon=1e-12,
        ),
        helper.make_node("MatMul", ["normed", "w"], ["up"], name="mm"),
        helper.make_node("BiasGelu", ["up", "b2"], ["out"], name="gelu", domain="com.microsoft"),
    ]
    graph_outputs = [helper.make_tensor_value_info("out", TensorProto.FLOAT, [2, 5, FFN])]
    if with_sum_output:
        graph_outputs.append(
            helper.make_tensor_value_info("sum", TensorProto.FLOAT, [2, 5, HIDDEN])
        )
    graph = helper.make_graph(
        nodes,
        "block",
        [
            helper.make_tensor_value_info(name, TensorProto.FLOAT, [2, 5, HIDDEN])
            for name in ("x", "residual")
        ],
        graph_outputs,
        initializer=inits,
    )
    return helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", opset), helper.make_opsetid("com.microsoft", 1)],
    )


def _run(model: onnx.ModelProto, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    return list(session.run(None, feed))


@pytest.mark.parametrize("with_sum_output", [False, True])
def test_split_graph_computes_the_same(with_sum_output: bool) -> None:
    fused = _fused_block(with_sum_output)
    rng = np.random.default_rng(1)
    feed = {n: rng.standard_normal((2, 5, HIDDEN)).astype(np.float32) for n in ("x", "residual")}
    want = _run(fused, feed)

    split = onnx.ModelProto()
    split.CopyFrom(fused)
    assert split_slow_fusions(split) == 2
    ops = [node.op_type for node in split.graph.node]
    assert "SkipLayerNormalization" not in ops and "BiasGelu" not in ops
    assert ops.count("LayerNormalization") == 1 and ops.count("Gelu") == 1
    onnx.checker.check_model(split)
    got = _run(split, feed)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_an_old_opset_keeps_its_skip_layer_norms() -> None:
    model = _fused_block(False, opset=16)  # no ONNX LayerNormalization before 17
    assert split_slow_fusions(model) == 1  # only the GELU
    assert model.graph.node[0].op_type == "SkipLayerNormalization"
