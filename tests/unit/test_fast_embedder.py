"""The fast embedding paths agree with sentence-transformers; the export cache is safe."""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from paperlab.errors import EmbeddingError
from paperlab.search.cpu import (
    BF16_BULK_CLASSES,
    FAST_BF16_CLASSES,
    cpu_class,
    cpu_has_fast_bf16,
)
from paperlab.search.embedder import (
    SentenceTransformerEmbedder,
    bundled_model_path,
    embedding_plan,
    load_embedder,
)
from paperlab.search.fast_embedder import (
    BULK_MIN,
    START_TEXTS,
    FastEmbedder,
    forget_instances,
)
from paperlab.search.numpy_encoder import NumpyEmbedder
from paperlab.search.onnx_embedder import OnnxEmbedder
from paperlab.search.onnx_export import (
    INT8_7BIT,
    INT8_FULL,
    export_dir,
    int8_weight_type,
    prune_old_exports,
    publish_dir,
    read_export,
)
from paperlab.search.packed_encoder import PackedEmbedder
from paperlab.settings import Settings, load_settings
from tests.unit.test_searching import real_embedder  # noqa: F401  (fixture)

PARAGRAPHS = [
    "We train a transformer encoder with masked language modelling on a large corpus "
    "and fine-tune it on sentence classification; the attention heads in upper layers "
    "learn syntactic relations, while lower layers capture lexical similarity.",
    "Photosynthesis converts light energy into chemical energy stored in glucose. The "
    "light-dependent reactions take place in the thylakoid membranes of chloroplasts.",
    "The central bank raised interest rates by fifty basis points to curb inflation; "
    "bond yields climbed and equity markets fell on the announcement.",
    "Table 3: accuracy (%) on CIFAR-10 and ImageNet for ResNet-50, ViT-B/16 and ours; "
    "bold marks the best result, ± one standard deviation over five seeds.",
    "attention",
    "x",
    "",
    "Stochastic gradient descent with momentum " * 60,  # past the 256-token limit
]


@pytest.fixture(scope="session")
def export_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, str]:
    """One export per test session (made through the query path, as a search would)."""
    home = tmp_path_factory.mktemp("export-home")
    settings = Settings(
        home=home,
        arxiv_api_url="http://127.0.0.1:9/api/query",
        arxiv_delay=0.0,
        embed_model="all-MiniLM-L6-v2",
        http_timeout=1.0,
    )
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        # The ONNX query path itself (query_backend() would prefer a torch model
        # that another fixture already loaded in this process).
        FastEmbedder(settings)._onnx("fp32")
    return settings, err.getvalue()


@pytest.fixture
def exported(export_home: tuple[Settings, str], paperlab_home: Path) -> Iterator[Path]:
    """The session's export, linked into this test's data dir."""
    settings = load_settings()
    target = export_dir(settings, settings.embed_model, bundled_model_path())
    source = export_dir(export_home[0], settings.embed_model, bundled_model_path())
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(source, target_is_directory=True)
    forget_instances()
    yield target
    forget_instances()


@pytest.fixture(scope="session")
def reference() -> np.ndarray:
    st = SentenceTransformerEmbedder("all-MiniLM-L6-v2", bf16=False)
    return np.asarray(
        st.model.encode(PARAGRAPHS, convert_to_numpy=True, normalize_embeddings=True),
        dtype=np.float32,
    )


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


def test_missing_export_is_made_once_with_a_note(export_home: tuple[Settings, str]) -> None:
    settings, note = export_home
    assert "Exporting all-MiniLM-L6-v2 to ONNX once" in note and note.count("\n") == 1
    path = export_dir(settings, settings.embed_model, bundled_model_path())
    meta = read_export(path)
    assert meta is not None and meta["dim"] == 384 and meta["model"] == "all-MiniLM-L6-v2"
    assert meta["int8"] == "model-int8.onnx" and meta["int8_min_cosine"] >= 0.99
    assert meta["fused"] is True  # ONNX Runtime's BERT fusions applied
    assert meta["int8_weights"] == int8_weight_type(cpu_class())
    # Every weight MatMul is 8-bit: the six FFN down-projections with per-token
    # scales (MatMulNBits with VNNI, else MatMulInteger), the rest per batch.
    import onnx

    nodes = onnx.load(str(path / "model-int8.onnx")).graph.node
    ops = [node.op_type for node in nodes]
    if meta["int8_weights"] == INT8_FULL:
        assert ops.count("MatMulNBits") == 6
    else:  # one MatMulInteger behind a per-token quantisation each
        assert sum(n.op_type == "MatMulInteger" and "_r8_" in n.name for n in nodes) == 6
    assert ops.count("QAttention") == 6
    assert "MatMul" not in ops
    # The slow fused kernels are split again into plain ops (onnx_rewrite).
    assert ops.count("LayerNormalization") == 12 and ops.count("Gelu") == 6
    assert "SkipLayerNormalization" not in ops and "BiasGelu" not in ops
    # The weights file is as readable as the graph (onnx would make it private).
    graph_mode = (path / "model.onnx").stat().st_mode & 0o777
    assert (path / "model.onnx.data").stat().st_mode & 0o777 == graph_mode
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".") and p.is_dir()]


def test_onnx_fp32_matches_sentence_transformers(exported: Path, reference: np.ndarray) -> None:
    vectors = OnnxEmbedder(exported, "all-MiniLM-L6-v2", "fp32").embed(PARAGRAPHS, batch_size=3)
    assert vectors.dtype == np.float32 and vectors.shape == (len(PARAGRAPHS), 384)
    assert _cosines(vectors, reference).min() >= 0.999
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_unfused_graph_is_kept_when_fusing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: np.ndarray
) -> None:
    from paperlab.search import onnx_export

    monkeypatch.setattr(onnx_export, "_fuse", lambda src, dst, config: False)
    onnx_export._export(bundled_model_path(), "all-MiniLM-L6-v2", tmp_path)
    meta = read_export(tmp_path)
    assert meta is not None and meta["fused"] is False and meta["int8"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "export.json",
        "model-int8.onnx",
        "model.onnx",
        "model.onnx.data",
        "tokenizer.json",
    ]
    vectors = OnnxEmbedder(tmp_path, "all-MiniLM-L6-v2", "fp32").embed(PARAGRAPHS)
    assert _cosines(vectors, reference).min() >= 0.999


def test_onnx_int8_agrees_per_text(exported: Path, reference: np.ndarray) -> None:
    # The 8-bit path's contract on every CPU: cosine >= 0.99 per text.
    embedder = OnnxEmbedder(exported, "all-MiniLM-L6-v2", "int8")
    vectors = embedder.embed(PARAGRAPHS, batch_size=3)
    assert _cosines(vectors, reference).min() >= 0.99
    # Activations are quantised per batch, so a text's vector moves a little
    # with its batch-mates, never beyond the same bound.
    alone = embedder.embed([PARAGRAPHS[0]] * BULK_MIN)[0]
    assert float(alone @ vectors[0]) >= 0.99


EMULATOR = shutil.which("qemu-x86_64")


@pytest.mark.skipif(platform.machine() != "x86_64", reason="emulates an x86-64 CPU")
@pytest.mark.skipif(EMULATOR is None, reason="qemu-user is not installed (CI installs it)")
@pytest.mark.skipif(
    cpu_class() == "x86-avx2",
    reason="this CPU is AVX2-only: test_onnx_int8_agrees_per_text runs the same graph natively",
)
def test_onnx_int8_agrees_on_an_avx2_cpu_without_vnni(
    exported: Path, reference: np.ndarray, tmp_path: Path
) -> None:
    """The 8-bit graph an AVX2 CPU gets, run under an emulated Haswell.

    The graph is quantised here as an AVX2 machine's export would be (7-bit
    int8 weights, per-token MatMulInteger down-projections); ONNX Runtime
    takes its AVX2 kernels under the emulator, as on a real AVX2-only CPU.
    """
    import json

    from paperlab.search.onnx_export import _quantise, int8_weight_type

    assert int8_weight_type("x86-avx2") == INT8_7BIT
    avx2 = tmp_path / "avx2-export"
    avx2.mkdir()
    for name in ("model.onnx", "model.onnx.data", "tokenizer.json"):
        (avx2 / name).symlink_to(exported / name)
    assert _quantise(exported / "model.onnx", avx2 / "model-int8.onnx", INT8_7BIT)
    meta = json.loads((exported / "export.json").read_text(encoding="utf-8"))
    meta.update(int8="model-int8.onnx", int8_weights=INT8_7BIT)
    (avx2 / "export.json").write_text(json.dumps(meta), encoding="utf-8")
    exported = avx2
    np.save(tmp_path / "reference.npy", reference[:4])
    script = (
        "import sys, numpy as np\n"
        "from pathlib import Path\n"
        "from paperlab.search.onnx_embedder import OnnxEmbedder\n"
        "from tests.unit.test_fast_embedder import PARAGRAPHS\n"
        f"ref = np.load({str(tmp_path / 'reference.npy')!r})\n"
        f"e = OnnxEmbedder(Path({str(exported)!r}), 'm', 'int8')\n"
        "got = e.embed(PARAGRAPHS[:4], batch_size=2)\n"
        "print(float(np.min(np.sum(got * ref, axis=1))))\n"
    )
    proc = subprocess.run(
        [str(EMULATOR), "-cpu", "Haswell", sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert float(proc.stdout.split()[-1]) >= 0.99


def test_blockwise_weights_round_trip() -> None:
    from paperlab.search.onnx_blockquant import blockwise_weights

    rng = np.random.default_rng(0)
    weight = rng.standard_normal((300, 7)).astype(np.float32)  # K not a multiple of the block
    weight[5, 2] = 40.0  # an outlier costs precision only in its own block
    packed, scales = blockwise_weights(weight, block=128)
    assert packed.shape == (7, 3, 128) and packed.dtype == np.uint8 and scales.shape == (21,)
    restored = (packed.astype(np.float32) - 128) * scales.reshape(7, 3)[..., None]
    restored = restored.reshape(7, 384)[:, :300].T
    error = np.abs(restored - weight)
    assert error[128:, 2].max() <= scales.reshape(7, 3)[2, 1:].max() / 2 + 1e-6
    assert error.max() <= scales.max() / 2 + 1e-6 and error[128:, 2].max() < 0.02


def test_int8_weights_only_where_the_cpu_adds_them_exactly() -> None:
    for vnni in ("x86-amx", "x86-avx512-bf16", "x86-avx512-vnni", "x86-avx-vnni"):
        assert int8_weight_type(vnni) == "int8"
    for other in ("x86-avx512", "x86-avx2", "aarch64", "other"):
        assert int8_weight_type(other) == INT8_7BIT


def test_cpu_classes_choose_the_bulk_path() -> None:
    haswell = frozenset({"avx", "avx2", "fma"})
    assert cpu_class(haswell) == "x86-avx2" or platform.machine() != "x86_64"
    if platform.machine() == "x86_64":
        assert cpu_class(haswell | {"avx512f", "avx512_vnni"}) == "x86-avx512-vnni"
        assert cpu_class(haswell | {"avx512f", "avx512_bf16"}) == "x86-avx512-bf16"
        assert cpu_class(haswell | {"amx_bf16", "avx512_bf16"}) == "x86-amx"
        assert cpu_class(frozenset()) == "other"
    assert {"x86-amx", "x86-avx512-bf16"} == FAST_BF16_CLASSES
    assert {"x86-amx"} == BF16_BULK_CLASSES


needs_fast_bf16 = pytest.mark.skipif(
    not cpu_has_fast_bf16(),
    reason=f"{cpu_class()}: no native bf16, paperlab never takes the bf16 path on this CPU",
)


@needs_fast_bf16
def test_packed_bf16_encoder_agrees_per_text(reference: np.ndarray) -> None:
    encoder = PackedEmbedder(bundled_model_path(), "all-MiniLM-L6-v2")
    vectors = encoder.embed(PARAGRAPHS, batch_size=3)  # mixed lengths: padded batches
    assert vectors.dtype == np.float32 and vectors.shape == (len(PARAGRAPHS), 384)
    assert _cosines(vectors, reference).min() >= 0.999
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # A text's vector does not depend on what it is batched with.
    alone = encoder.embed([PARAGRAPHS[1]])
    assert float(alone[0] @ vectors[1]) >= 0.9999
    assert encoder.embed([]).shape == (0, 384)


def test_packed_fp32_encoder_equals_sentence_transformers(reference: np.ndarray) -> None:
    # What indexes a library before its ONNX export exists, on every CPU.
    encoder = PackedEmbedder(bundled_model_path(), "all-MiniLM-L6-v2", "fp32")
    vectors = encoder.embed(PARAGRAPHS, batch_size=3)
    assert vectors.dtype == np.float32 and vectors.shape == (len(PARAGRAPHS), 384)
    assert _cosines(vectors, reference).min() >= 0.9999
    alone = encoder.embed([PARAGRAPHS[1]])
    assert float(alone[0] @ vectors[1]) >= 0.99999


FIRST_JOB_PROBE = """
import json, sys
from paperlab.search.embedder import load_embedder
from paperlab.search.fast_embedder import BULK_MIN
from paperlab.settings import load_settings
# As a command builds it: PAPERLAB_EMBED_BACKEND is read (a forced bf16 path is
# taken on every CPU with native bf16, not only where it is the default).
embedder = load_embedder(load_settings())
vectors = embedder.embed(["A paragraph about attention in transformers."] * BULK_MIN)
print(json.dumps({
    "bulk": type(embedder.bulk_backend()).__name__,
    "rows": len(vectors),
    "loaded": sorted(
        {m.split(".")[0] for m in sys.modules} & {"sentence_transformers", "transformers"}
    ),
    "exported": embedder.export_path(create=False) is not None,
}))
"""


@pytest.mark.parametrize(
    "backend",
    [
        # A new library's first `paperlab add` waited ~10 s for the ONNX export
        # (torch, sentence-transformers, tracing, quantising) before its ~40 chunks.
        "auto",
        pytest.param("torch-bf16", marks=needs_fast_bf16),
    ],
)
def test_a_small_first_job_needs_neither_sentence_transformers_nor_an_export(
    tmp_path: Path, backend: str
) -> None:
    # Importing sentence-transformers costs ~4 s and an ONNX export ~10 s: an
    # indexing run of one paper must not pay them for a path that uses neither.
    env = {**os.environ, "PAPERLAB_HOME": str(tmp_path), "PAPERLAB_EMBED_BACKEND": backend}
    proc = subprocess.run(
        [sys.executable, "-c", FIRST_JOB_PROBE],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report == {"bulk": "PackedEmbedder", "rows": BULK_MIN, "loaded": [], "exported": False}


def test_the_export_is_made_once_the_library_has_embedded_enough_without_it(
    paperlab_home: Path, monkeypatch: pytest.MonkeyPatch, auto_backend: None
) -> None:
    from paperlab.search import cpu as cpu_module
    from paperlab.search import fast_embedder

    monkeypatch.setattr(cpu_module, "bf16_is_bulk_path", lambda: False)  # AMX never exports
    monkeypatch.setattr(fast_embedder, "EXPORT_AFTER", 3 * BULK_MIN + 2 * START_TEXTS)
    texts = [f"{n} {PARAGRAPHS[0]}" for n in range(BULK_MIN)]
    forget_instances()
    first = FastEmbedder(load_settings())
    before = first.embed(texts)
    assert isinstance(first.bulk_backend(), PackedEmbedder)
    plan = embedding_plan(load_settings())  # what `paperlab index status` says
    assert plan.bulk_before_export is not None
    assert plan.sentence().startswith(
        f"Indexing embeds with {plan.bulk_before_export} until the library has embedded"
    )
    # Counted for the library, not the process: another command goes on from there.
    forget_instances()
    second = FastEmbedder(load_settings())
    second.embed(texts)
    assert isinstance(second.bulk_backend(), PackedEmbedder)
    second.embed(texts)  # with two starts, the library has now embedded EXPORT_AFTER
    assert second.export_path(create=False) is None
    assert list(paperlab_home.glob("cache/onnx/*.texts-before-export"))
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        after = second.embed(texts)  # the library has embedded enough: export, then 8-bit
    bulk = second.bulk_backend()
    assert isinstance(bulk, OnnxEmbedder) and bulk.variant == "int8"
    assert "Exporting all-MiniLM-L6-v2 to ONNX once" in err.getvalue()
    assert not list(paperlab_home.glob("cache/onnx/*.texts-before-export"))  # its job done
    assert _cosines(after, before).min() >= 0.99
    assert embedding_plan(load_settings()).bulk_before_export is None
    forget_instances()


@needs_fast_bf16
def test_bf16_encoder_unfused_ops_agree(
    reference: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A torch build without oneDNN's packed linears runs the same graph unfused.
    from paperlab.search import packed_encoder

    monkeypatch.setattr(packed_encoder, "_packed_ops", lambda dtype: None)
    encoder = PackedEmbedder(bundled_model_path(), "all-MiniLM-L6-v2")
    assert not encoder._encoder.packed
    assert _cosines(encoder.embed(PARAGRAPHS, batch_size=4), reference).min() >= 0.999


def _model_copy(folder: Path, replaced: dict[str, bytes]) -> Path:
    """The bundled model's files linked into ``folder``, those named in ``replaced`` written.

    Replaced files are new files, never links: writing through a link would
    change the installed model itself.
    """
    for item in bundled_model_path().iterdir():
        if item.name not in replaced:
            (folder / item.name).symlink_to(item)
    for name, data in replaced.items():
        (folder / name).write_bytes(data)
    return folder


def test_bf16_encoder_refuses_other_architectures(tmp_path: Path) -> None:
    config = json.loads((bundled_model_path() / "config.json").read_text())
    roberta = json.dumps({**config, "model_type": "roberta"}).encode()
    folder = _model_copy(tmp_path, {"config.json": roberta})
    with pytest.raises(EmbeddingError, match=r"Cannot build the packed bf16 encoder .*BERT"):
        PackedEmbedder(folder, "all-MiniLM-L6-v2")


def test_bf16_encoder_refuses_damaged_weights(tmp_path: Path) -> None:
    folder = _model_copy(tmp_path, {"model.safetensors": b"\x08" + b"\x00" * 7 + b"{}"})
    with pytest.raises(EmbeddingError, match="Cannot build the packed bf16 encoder"):
        PackedEmbedder(folder, "all-MiniLM-L6-v2")


@needs_fast_bf16
def test_bulk_path_falls_back_when_the_bf16_encoder_disagrees(
    exported: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from paperlab.search import packed_encoder

    monkeypatch.setattr(packed_encoder, "MIN_CHECK_COSINE", 1.01)  # nothing can pass
    embedder = FastEmbedder(load_settings(), backend="torch-bf16")
    bulk = embedder.bulk_backend()
    assert isinstance(bulk, SentenceTransformerEmbedder) and bulk.bf16
    assert "disagrees" in capsys.readouterr().err


def test_real_pdf_chunks_agree(exported: Path, shared_data: Path, reference: np.ndarray) -> None:
    import pymupdf

    pdf = sorted((shared_data / "pdfs" / "arxiv").glob("*.pdf"))[0]
    with pymupdf.open(pdf) as doc:
        words = " ".join(page.get_text() for page in doc).split()
    chunks = [" ".join(words[i : i + 200]) for i in range(0, min(len(words), 4000), 200)]
    st = SentenceTransformerEmbedder("all-MiniLM-L6-v2", bf16=False)
    ref = np.asarray(st.model.encode(chunks, normalize_embeddings=True), dtype=np.float32)
    for variant in ("fp32", "int8"):
        got = OnnxEmbedder(exported, "all-MiniLM-L6-v2", variant).embed(chunks)  # type: ignore[arg-type]
        assert _cosines(got, ref).min() >= 0.99, variant
    if cpu_has_fast_bf16():
        bf16 = PackedEmbedder(bundled_model_path(), "all-MiniLM-L6-v2")
        assert _cosines(bf16.embed(chunks), ref).min() >= 0.99


def test_default_model_gets_fast_embedder_and_routes_by_size(
    exported: Path, auto_backend: None
) -> None:
    embedder = load_embedder(load_settings())
    assert isinstance(embedder, FastEmbedder) and embedder.dim == 384
    assert isinstance(embedder.query_backend(), NumpyEmbedder)
    few = embedder.embed(PARAGRAPHS[:3])
    many = embedder.embed(PARAGRAPHS[:2] * (BULK_MIN // 2 + 1))
    assert _cosines(few[:2], many[:2]).min() >= 0.99
    assert embedder.embed_query(PARAGRAPHS[0]) @ few[0] == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize("cpu", ["x86-amx", "x86-avx512-bf16", "x86-avx2"])
def test_bulk_path_is_chosen_by_cpu(
    exported: Path, monkeypatch: pytest.MonkeyPatch, cpu: str, auto_backend: None
) -> None:
    from paperlab.search import cpu as cpu_module

    # The choice for that class (the export stays this CPU's); the paths built are real.
    monkeypatch.setattr(cpu_module, "bf16_is_bulk_path", lambda: cpu in BF16_BULK_CLASSES)
    bulk = FastEmbedder(load_settings()).bulk_backend()
    plan = embedding_plan(load_settings())  # what `paperlab index status` says
    assert plan.query == "numpy (fp32)"
    if cpu == "x86-amx":
        assert isinstance(bulk, PackedEmbedder) and plan.bulk.startswith("the packed bf16 encoder")
    else:
        assert isinstance(bulk, OnnxEmbedder) and bulk.variant == "int8"
        assert plan.bulk == "ONNX Runtime, 8-bit"


@pytest.mark.parametrize(
    ("backend", "bulk", "query"),
    [
        ("torch", "sentence-transformers (fp32)", "sentence-transformers (fp32)"),
        ("torch-bf16", "the packed bf16 encoder (torch)", "the packed bf16 encoder (torch)"),
        ("onnx", "ONNX Runtime, fp32", "ONNX Runtime, fp32"),
        ("onnx-int8", "ONNX Runtime, 8-bit", "ONNX Runtime, 8-bit"),
    ],
)
def test_the_plan_names_a_forced_path_for_indexing_and_queries(
    monkeypatch: pytest.MonkeyPatch, backend: str, bulk: str, query: str
) -> None:
    monkeypatch.setenv("PAPERLAB_EMBED_BACKEND", backend)
    plan = embedding_plan(load_settings())
    assert (plan.bulk, plan.query, plan.cpu_class) == (bulk, query, cpu_class())
    assert plan.sentence() == f"Indexing and queries embed with {bulk} (CPU class {cpu_class()})."
    monkeypatch.setenv("PAPERLAB_EMBED_MODEL", str(bundled_model_path()))  # another model
    precision = "bf16 autocast" if cpu_has_fast_bf16() else "fp32"
    assert embedding_plan(load_settings()).bulk == f"sentence-transformers ({precision})"


def test_the_torch_backend_is_fp32_sentence_transformers_on_every_cpu(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from paperlab.search import embedder as embedder_module

    # The reference path must not autocast where the CPU has native bf16; another
    # model does (for speed), and `index status` says which of the two runs.
    monkeypatch.setattr(embedder_module, "cpu_has_fast_bf16", lambda: True)
    monkeypatch.setenv("PAPERLAB_EMBED_BACKEND", "torch")
    reference = load_embedder(load_settings())
    assert isinstance(reference, SentenceTransformerEmbedder) and reference.bf16 is False
    assert embedding_plan(load_settings()).bulk == "sentence-transformers (fp32)"
    monkeypatch.setenv("PAPERLAB_EMBED_BACKEND", "auto")
    monkeypatch.setenv("PAPERLAB_EMBED_MODEL", str(bundled_model_path()))
    other = load_embedder(load_settings())
    assert isinstance(other, SentenceTransformerEmbedder) and other.bf16 is True
    plan = embedding_plan(load_settings())
    assert (plan.bulk, plan.query) == ("sentence-transformers (bf16 autocast)",) * 2


def test_other_models_go_through_sentence_transformers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAPERLAB_EMBED_MODEL", str(bundled_model_path()))
    embedder = load_embedder(load_settings())
    assert isinstance(embedder, SentenceTransformerEmbedder)
    monkeypatch.setenv("PAPERLAB_EMBED_MODEL", "all-MiniLM-L6-v2")
    monkeypatch.setenv("PAPERLAB_EMBED_BACKEND", "torch")
    assert isinstance(load_embedder(load_settings()), SentenceTransformerEmbedder)


def test_old_exports_of_the_model_are_pruned(tmp_path: Path) -> None:
    current = tmp_path / "all-MiniLM-L6-v2-0123456789ab"
    older = tmp_path / "all-MiniLM-L6-v2-ba9876543210"
    other_model = tmp_path / "all-MiniLM-L12-v2-0123456789ab"
    hidden_build = tmp_path / ".all-MiniLM-L6-v2-0123456789ab.x1y2"  # a build in progress
    for path in (current, older, other_model, hidden_build):
        path.mkdir()
        (path / "model.onnx").write_bytes(b"x")
    assert prune_old_exports(current) == [older]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (current, other_model, hidden_build)
    )


def _publish(target: str, log: str) -> None:
    def build(tmp: Path) -> None:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()}\n")
        (tmp / "part").write_text("half", encoding="utf-8")
        time.sleep(0.3)  # a reader must never see this half-built directory
        (tmp / "export.json").write_text("{}", encoding="utf-8")

    publish_dir(Path(target), build)


def test_concurrent_publishers_build_once(tmp_path: Path) -> None:
    target = tmp_path / "cache" / "model-abc"
    target.parent.mkdir(parents=True)
    log = tmp_path / "builds.log"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_publish, args=(str(target), str(log))) for _ in range(3)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    assert len(log.read_text(encoding="utf-8").split()) == 1
    assert sorted(p.name for p in target.iterdir()) == ["export.json", "part"]
    leftovers = [p for p in target.parent.iterdir() if p.is_dir() and p != target]
    assert leftovers == []
