"""The two 8-bit graphs: int8 weights + MatMulNBits (VNNI CPUs) and 7-bit
weights + per-token MatMulInteger (every other CPU), each forced here.

Real model, real ONNX Runtime; the per-token rewrite is also checked on a
small graph against numpy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from paperlab.search.cpu import cpu_class
from paperlab.search.onnx_blockquant import to_matmul_nbits
from paperlab.search.onnx_embedder import OnnxEmbedder
from paperlab.search.onnx_export import INT8_7BIT, INT8_FULL, _quantise, int8_weight_type
from paperlab.search.onnx_rowquant import WEIGHT_LIMIT, rowwise_weights, to_row_quantised
from tests.unit.test_fast_embedder import (  # noqa: F401  (fixtures)
    PARAGRAPHS,
    export_home,
    exported,
    reference,
)

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _matmul_model(weight: np.ndarray) -> object:
    from onnx import TensorProto, helper, numpy_helper

    k, n = weight.shape
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="/layer.0/output/dense/MatMul")],
        "down",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "tokens", k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "tokens", n])],
        [numpy_helper.from_array(weight, "w")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _run(model: object, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])  # type: ignore[attr-defined]
    return np.asarray(session.run(None, {"x": x})[0])


def test_rowwise_weights_are_seven_bits_and_restore_the_weight() -> None:
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((96, 5)).astype(np.float32)
    weight[:, 3] = 0.0  # an all-zero column must not divide by zero
    quantised, scales, sums = rowwise_weights(weight)
    assert quantised.dtype == np.int8 and np.abs(quantised).max() == WEIGHT_LIMIT
    assert np.array_equal(sums, quantised.astype(np.int32).sum(axis=0))
    error = np.abs(quantised * scales - weight)
    assert np.all(error <= scales / 2 + 1e-6) and np.all(quantised[:, 3] == 0)


def test_per_token_rewrite_matches_the_matmul_and_ignores_batch_mates() -> None:
    rng = np.random.default_rng(1)
    weight = (rng.standard_normal((64, 24)) * 0.1).astype(np.float32)
    # GELU-like inputs: mostly small, one token with a large outlier channel.
    x = np.maximum(rng.standard_normal((2, 5, 64)).astype(np.float32), -0.17)
    x[1, 2, 7] = 25.0
    model = _matmul_model(weight)
    assert to_row_quantised(model, ["/layer.0/output/dense/MatMul"]) == 1
    ops = [node.op_type for node in model.graph.node]  # type: ignore[attr-defined]
    assert "MatMulInteger" in ops and "MatMul" not in ops
    got = _run(model, x)
    exact = x @ weight
    assert got.shape == exact.shape
    cos = np.sum(got * exact, axis=-1) / (
        np.linalg.norm(got, axis=-1) * np.linalg.norm(exact, axis=-1)
    )
    assert cos.min() > 0.999
    # Each token has its own scale: the outlier costs only its own row.
    alone = _run(model, x[:1, :, :])
    assert np.array_equal(alone[0], got[0])
    # A constant row (no spread) quantises exactly: only the weights' 7 bits
    # are lost, not a division by a vanishing scale; a zero row gives zeros.
    quantised, scales, _ = rowwise_weights(weight)
    flat = np.full((1, 1, 64), 0.5, dtype=np.float32)
    np.testing.assert_allclose(_run(model, flat), flat @ (quantised * scales), atol=1e-5)
    assert not _run(model, np.zeros((1, 2, 64), dtype=np.float32)).any()


@pytest.mark.parametrize("rewrite", [to_row_quantised, to_matmul_nbits])
def test_both_rewrites_keep_the_other_nodes_and_match_numpy(rewrite: Any) -> None:
    """Each way of quantising the down-projections, on any CPU (speed differs, not results)."""
    rng = np.random.default_rng(2)
    weight = (rng.standard_normal((512, 16)) * 0.1).astype(np.float32)
    x = np.maximum(rng.standard_normal((3, 4, 512)).astype(np.float32), -0.17)
    model = _matmul_model(weight)
    untouched = model.graph.node[0].name  # type: ignore[attr-defined]
    assert rewrite(model, ["not/in/the/graph"]) == 0
    assert model.graph.node[0].name == untouched  # type: ignore[attr-defined]
    assert rewrite(model, [untouched]) == 1
    names = {init.name for init in model.graph.initializer}  # type: ignore[attr-defined]
    assert "w" not in names  # the fp32 weight is gone
    got, exact = _run(model, x), x @ weight
    cos = np.sum(got * exact, axis=-1) / (
        np.linalg.norm(got, axis=-1) * np.linalg.norm(exact, axis=-1)
    )
    assert cos.min() > 0.999
    np.testing.assert_allclose(_run(model, x[1:2]), got[1:2], rtol=1e-5, atol=1e-6)


def test_seven_bit_weights_everywhere_without_vnni() -> None:
    assert int8_weight_type("x86-avx2") == INT8_7BIT
    assert int8_weight_type("aarch64") == INT8_7BIT
    assert int8_weight_type("x86-avx512-vnni") == INT8_FULL


@pytest.mark.slow
@pytest.mark.parametrize("scheme", [INT8_7BIT, INT8_FULL])
def test_each_scheme_agrees_per_text_where_it_runs(
    scheme: str,
    exported: Path,  # noqa: F811
    reference: np.ndarray,  # noqa: F811
    tmp_path: Path,
) -> None:
    if scheme == INT8_FULL and int8_weight_type(cpu_class()) != INT8_FULL:
        pytest.skip(
            f"{cpu_class()}: no VNNI, so u8 x s8 sums of full-range weights saturate here; "
            "paperlab gives this CPU the 7-bit graph"
        )
    forced = tmp_path / scheme
    forced.mkdir()
    for name in ("model.onnx", "model.onnx.data", "tokenizer.json"):
        (forced / name).symlink_to(exported / name)
    assert _quantise(exported / "model.onnx", forced / "model-int8.onnx", scheme)
    nodes = onnx.load(str(forced / "model-int8.onnx")).graph.node
    down = "MatMulNBits" if scheme == INT8_FULL else "MatMulInteger"
    assert sum(n.op_type == down and "/output/dense/" in n.name for n in nodes) >= 6
    assert not [n for n in nodes if n.op_type == "MatMul"]
    meta = json.loads((exported / "export.json").read_text(encoding="utf-8"))
    meta.update(int8="model-int8.onnx", int8_weights=scheme)
    (forced / "export.json").write_text(json.dumps(meta), encoding="utf-8")
    embedder = OnnxEmbedder(forced, "all-MiniLM-L6-v2", "int8")
    vectors = embedder.embed(PARAGRAPHS, batch_size=3)
    assert float(np.min(np.sum(vectors * reference, axis=1))) >= 0.99
