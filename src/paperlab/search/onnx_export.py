"""Export the bundled sentence-transformers model to ONNX, once, into the data dir.

The export is a cache derived from the packaged weights (never downloaded):
``<cache_dir>/onnx/<model>-<key>/`` where the key hashes the exporter version
and the weights' size and mtime, so a new exporter or new weights get a new
directory and an old one is simply ignored. It holds:

- ``model.onnx`` + ``model.onnx.data`` (its weights, mapped at load): the
  transformer in fp32 (token states; pooling is in numpy),
  with ONNX Runtime's BERT fusions applied (one ``Attention`` op per layer,
  embedding layer norm), which makes the int8 graph ~1.2x faster than the
  unfused one; the skip layer norms and bias + GELU are split again
  (:mod:`paperlab.search.onnx_rewrite`: their fused CPU kernels are slower);
  an unfused graph is kept if fusing fails;
- ``model-int8.onnx``: the same with dynamic 8-bit weights on the attention,
  attention-output and FFN-up projections, and on the FFN down-projections
  with per-token activation scales (:mod:`paperlab.search.onnx_blockquant`
  where the CPU has VNNI, :mod:`paperlab.search.onnx_rowquant` elsewhere);
  kept only if it agrees with sentence-transformers to cosine >= 0.99;
- ``tokenizer.json`` and ``export.json`` (model, dim, max length, files).

Publishing is atomic: the files are written into a temp directory beside the
target, then the directory is renamed into place; a file lock makes a second
process wait for the first instead of exporting twice. Exporting needs torch
(index time); reading an existing export does not.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from paperlab.errors import EmbeddingError
from paperlab.settings import Settings

# 2: attention, layer norms and GELU fused; 3: uint8 weights (exact on AVX2);
# 4: the fp32 graph's weights in a file of their own (a cold search loads it ~4x faster);
# 5: int8 weights again where the CPU has VNNI (uint8 elsewhere);
# 6: the FFN down-projections 8-bit too, with per-token scales per 256 channels (MatMulNBits);
# 7: skip layer norms and bias + GELU split into plain ops, whose CPU kernels are faster;
# 8: without VNNI, 7-bit int8 weights and per-token MatMulInteger down-projections
#    (1.56x bare on an AVX2-only EPYC, against 1.22x with uint8 weights and MatMulNBits)
EXPORT_VERSION = 8
META_FILE = "export.json"
FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
# tempfile.tempdir is process-wide: one export at a time redirects it.
_TEMPDIR_LOCK = threading.Lock()
MIN_INT8_COSINE = 0.99
# Sentences the exported graphs are checked on before they are published.
CHECK_TEXTS = (
    "Self-attention relates every token in a sequence to every other token.",
    "Photosynthesis converts sunlight, water and carbon dioxide into glucose.",
    "We report accuracy on three benchmarks and ablate the learning rate schedule. " * 8,
    "Stochastic gradient descent with momentum and a cosine learning-rate schedule trains "
    "the network; we evaluate on held-out data, compare against strong baselines and find "
    "that the proposed regulariser improves generalisation, especially when labelled "
    "examples are scarce and the model is heavily over-parameterised.",
    "x",
)


def export_key(model_dir: Path) -> str:
    """Exporter version, CPU class and the weights' identity, hashed to 12 hex chars.

    The CPU class is in the key because the 8-bit graph is checked against
    sentence-transformers when exported: a library moved to another kind of
    CPU exports (and checks) again rather than trusting another CPU's check.
    """
    from paperlab.search.cpu import cpu_class

    parts = [f"v{EXPORT_VERSION}", cpu_class()]
    for name in ("model.safetensors", "pytorch_model.bin", "config.json", "tokenizer.json"):
        path = model_dir / name
        if path.exists():
            stat = path.stat()
            parts.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


def export_dir(settings: Settings, model_name: str, model_dir: Path) -> Path:
    """Where the export of ``model_name`` (loaded from ``model_dir``) lives."""
    from paperlab.search.vectors import model_slug

    return settings.cache_dir / "onnx" / f"{model_slug(model_name)}-{export_key(model_dir)}"


def read_export(path: Path) -> dict[str, Any] | None:
    """The export's metadata when ``path`` holds a complete export, else None."""
    try:
        meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("export_version") != EXPORT_VERSION:
        return None
    if not (path / FP32_FILE).is_file() or not (path / "tokenizer.json").is_file():
        return None
    return meta


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def publish_dir(target: Path, build: Callable[[Path], None]) -> Path:
    """Make ``target`` exist, built by ``build(tmp_dir)`` at most once across processes.

    Under an exclusive lock beside ``target``: if a complete ``target`` is
    there, return it; else build into a temp directory in the same parent and
    rename it into place, so readers never see a half-written directory.
    """
    with _file_lock(target.parent / f".{target.name}.lock"):
        if (target / META_FILE).is_file():
            return target
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        tmp.chmod(0o755)  # mkdtemp makes it private; the cache is as readable as the data dir
        try:
            build(tmp)
            if target.exists():
                # An incomplete leftover (e.g. a crash in an older layout): replace it.
                shutil.rmtree(target, ignore_errors=True)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def ensure_export(settings: Settings, model_name: str, model_dir: Path) -> Path:
    """The export directory for ``model_name``, exporting it first if needed (needs torch)."""
    target = export_dir(settings, model_name, model_dir)
    if read_export(target) is not None:
        return target
    try:
        publish_dir(target, lambda tmp: _export_in(model_dir, model_name, tmp))
    except EmbeddingError:
        raise
    except Exception as exc:
        raise EmbeddingError(
            f"Cannot export the embedding model to ONNX ({type(exc).__name__}: {exc}).",
            hint="Searches fall back to sentence-transformers; check that onnx and torch "
            "are installed.",
        ) from None
    prune_old_exports(target)
    return target


def prune_old_exports(current: Path) -> list[Path]:
    """Delete exports of the same model under other keys (older exporter or weights).

    Each is ~150 MB that nothing reads any more. A process still running an
    old session keeps its open files (unlinked, not gone) until it exits.
    """
    slug = current.name.rsplit("-", 1)[0]
    removed = []
    for path in current.parent.glob(f"{slug}-*"):
        if path != current and path.is_dir() and path.name.rsplit("-", 1)[0] == slug:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _export_in(model_dir: Path, model_name: str, out: Path) -> None:
    """``_export`` with the temp files of torch's and ONNX's tools kept inside ``out``.

    The quantiser and the tracer write scratch models to the temp dir; paperlab
    writes only in its library, so for the export's duration that is ``out``.
    """
    scratch = out / ".scratch"
    scratch.mkdir()
    saved = tempfile.tempdir
    with _TEMPDIR_LOCK:
        tempfile.tempdir = str(scratch)
        try:
            _export(model_dir, model_name, out)
        finally:
            tempfile.tempdir = saved
            shutil.rmtree(scratch, ignore_errors=True)


def _export(model_dir: Path, model_name: str, out: Path) -> None:
    import numpy as np

    from paperlab.search.cpu import cpu_class
    from paperlab.search.embedder import load_sentence_transformer

    st = load_sentence_transformer(str(model_dir), model_name)
    transformer = st[0].auto_model
    max_len = int(st.max_seq_length or 256)
    fp32 = out / FP32_FILE
    raw = out / "unfused.onnx"
    _export_graph(transformer, raw)
    fused = _fuse(raw, fp32, transformer.config)
    if not fused:
        os.replace(raw, fp32)
    raw.unlink(missing_ok=True)
    shutil.copy2(model_dir / "tokenizer.json", out / "tokenizer.json")
    dim = int(transformer.config.hidden_size)
    meta: dict[str, Any] = {
        "export_version": EXPORT_VERSION,
        "model": model_name,
        "dim": dim,
        "max_seq_length": max_len,
        "fused": fused,
        "int8": None,
        "int8_weights": int8_weight_type(cpu_class()),
        "cpu_class": cpu_class(),
    }
    (out / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")

    from paperlab.search.onnx_embedder import OnnxEmbedder

    reference = st.encode(list(CHECK_TEXTS), convert_to_numpy=True, normalize_embeddings=True)
    got = OnnxEmbedder(out, model_name, variant="fp32").embed(list(CHECK_TEXTS))
    if float(np.min(np.sum(got * reference, axis=1))) < 0.999:
        raise EmbeddingError(
            "The ONNX export of the embedding model does not match the original.",
            hint="Searches use sentence-transformers instead; please report this.",
        )
    if _quantise(fp32, out / INT8_FILE, meta["int8_weights"]):
        meta["int8"] = INT8_FILE
        (out / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        try:
            q = OnnxEmbedder(out, model_name, variant="int8").embed(list(CHECK_TEXTS))
            cos = float(np.min(np.sum(q * reference, axis=1)))
        except EmbeddingError:
            cos = 0.0  # an onnxruntime without the 8-bit ops: fp32 serves bulk too
        meta["int8_min_cosine"] = round(cos, 4)
        if cos < MIN_INT8_COSINE:
            meta["int8"] = None
            (out / INT8_FILE).unlink()
    _weights_beside(fp32)
    # Written last: its presence marks a complete export.
    (out / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")


def _weights_beside(model_path: Path) -> None:
    """Move the graph's weights into ``<model>.data`` beside it.

    ONNX Runtime maps an external weights file instead of parsing 90 MB of
    protobuf, so making the query session takes ~0.05 s instead of ~0.15-0.25 s:
    most of what a cold ``paperlab search`` spends beyond its imports.
    """
    import onnx

    model = onnx.load(str(model_path))
    onnx.save_model(
        model,
        str(model_path),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=f"{model_path.name}.data",
        size_threshold=1024,
    )
    # onnx creates the weights file private (0600); it is as readable as the
    # graph beside it, so another user (or a read-only snapshot) can search.
    data = model_path.with_name(f"{model_path.name}.data")
    data.chmod(model_path.stat().st_mode & 0o777)


def _export_graph(transformer: Any, path: Path) -> None:
    """Trace the transformer (ids, mask, types -> token states) into ONNX at ``path``."""
    import copy

    import torch

    # Traced with the plain ("eager") attention: that is the subgraph ONNX
    # Runtime's optimizer recognises and fuses; SDPA traces into another shape.
    # A copy, so the model serving this process keeps its own attention.
    model = copy.deepcopy(transformer)
    if hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation("eager")
    else:
        model.config._attn_implementation = "eager"

    class TokenStates(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            return self.inner(input_ids=ids, attention_mask=mask, token_type_ids=types)[0]

    sample = torch.ones(2, 8, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            TokenStates(model).eval(),
            (sample, sample, torch.zeros_like(sample)),
            str(path),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["token_states"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "token_states": axes,
            },
            opset_version=17,
            dynamo=False,
        )


def _fuse(src: Path, dst: Path, config: Any) -> bool:
    """ONNX Runtime's BERT fusions from ``src`` into ``dst``; False if they do not apply.

    The caller checks the result against sentence-transformers either way.
    """
    try:
        from onnxruntime.transformers.optimizer import optimize_model
    except ImportError:
        return False
    from paperlab.search.onnx_rewrite import split_slow_fusions

    logging.disable(logging.WARNING)  # the optimizer narrates every fusion
    try:
        model = optimize_model(
            str(src),
            model_type="bert",
            num_heads=int(config.num_attention_heads),
            hidden_size=int(config.hidden_size),
            opt_level=0,  # graph fusions only: the session applies its own at load
        )
        if not model.get_fused_operator_statistics().get("Attention"):
            return False
        split_slow_fusions(model.model)
        model.save_model_to_file(str(dst))
    except Exception:
        return False
    finally:
        logging.disable(logging.NOTSET)
    return dst.is_file()


INT8_FULL = "int8"
INT8_7BIT = "int8-7bit"


def int8_weight_type(cpu: str) -> str:
    """``int8`` weights where the CPU adds u8 x s8 products exactly, else ``int8-7bit``.

    With VNNI (and AMX) ONNX Runtime's u8 x s8 kernels accumulate in int32:
    exact and the fastest (1.67x bare sentence-transformers on an AVX-512 VNNI
    EPYC, against 1.29x with uint8 weights in the same run). Without VNNI they
    use AVX2's ``vpmaddubsw``, whose int16 pair sums saturate with full-range
    weights (min cosine 0.988 on an AVX2 laptop). Weights of 7 bits (|w| <= 63)
    cannot saturate them (2 x 255 x 64 < 2^15), keep that fastest kernel (148
    GOPS on an AVX2-only EPYC against 122 for uint8 weights, which widen
    first) and are exact on every CPU.
    """
    exact_s8 = {"x86-amx", "x86-avx512-bf16", "x86-avx512-vnni", "x86-avx-vnni"}
    return INT8_FULL if cpu in exact_s8 else INT8_7BIT


def _is_down_projection(name: str) -> bool:
    """The FFN output MatMul of a layer (not the attention output's)."""
    return "/output/dense/" in name and "/attention/" not in name


def _quantise(src: Path, dst: Path, weight_kind: str = INT8_7BIT) -> bool:
    """Dynamic 8-bit (per-channel weights) on every weight MatMul and fused attention.

    Per-batch activation scales (``quantize_dynamic``) serve all but the six
    FFN down-projections, whose GELU inputs have token outliers: with one
    scale per batch they dip to cosine ~0.989 (every op: 0.87). Those six get
    per-token scales instead, which keeps cosine >= 0.99: ``MatMulNBits`` with
    int8 weights (VNNI; ~1.25x faster than leaving them fp32 there), else
    ``MatMulInteger`` behind a per-token quantisation (``onnx_rowquant``):
    without VNNI ``MatMulNBits`` is slower than fp32.
    """
    try:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError:
        return False
    from paperlab.search.onnx_blockquant import to_matmul_nbits
    from paperlab.search.onnx_rewrite import split_slow_fusions
    from paperlab.search.onnx_rowquant import to_row_quantised

    graph = onnx.load(str(src)).graph
    weights = {init.name for init in graph.initializer}
    weight_matmuls = [
        node.name
        for node in graph.node
        if node.op_type == "MatMul" and any(name in weights for name in node.input)
    ]
    nodes = [
        node.name
        for node in graph.node
        # A fused Attention op holds the Q/K/V projection: quantised as one.
        if node.op_type == "Attention"
        or (node.name in weight_matmuls and not _is_down_projection(node.name))
    ]
    if not nodes:
        return False
    # The quantiser logs advice on the root logger; it is noise to a user.
    logging.disable(logging.WARNING)
    try:
        quantize_dynamic(
            str(src),
            str(dst),
            op_types_to_quantize=["MatMul", "Attention"],
            nodes_to_quantize=nodes,
            per_channel=True,
            weight_type=QuantType.QInt8,
            reduce_range=weight_kind == INT8_7BIT,
            # Fused ops are outside ONNX shape inference: their outputs are fp32.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        logging.disable(logging.NOTSET)
    if not dst.is_file():
        return False
    model = onnx.load(str(dst))
    down = [name for name in weight_matmuls if _is_down_projection(name)]
    rewrite = to_matmul_nbits if weight_kind == INT8_FULL else to_row_quantised
    replaced = rewrite(model, down)
    # The quantiser's own graph pass fuses bias + GELU again: split it once more.
    if split_slow_fusions(model) or replaced:
        onnx.save_model(model, str(dst))
    return True


__all__ = [
    "EXPORT_VERSION",
    "INT8_7BIT",
    "INT8_FULL",
    "ensure_export",
    "export_dir",
    "export_key",
    "prune_old_exports",
    "publish_dir",
    "read_export",
]
