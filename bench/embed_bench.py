"""Embedding throughput: paperlab's embedding path vs a bare SentenceTransformer.encode.

The same chunks (~200 words, cut from the shared arXiv PDFs with PyMuPDF, or
generated text when those are absent) go through each path, alternating rounds
so machine noise hits all alike; the best round of each is reported with its
minimum cosine to the bare vectors, and the median over rounds of each round's
ratio to bare (steadier than best-of when other jobs share the cores).
``paperlab`` is what indexing uses for the default model (the packed bf16
encoder where the CPU has AMX, else 8-bit ONNX); the other bulk path the CPU
could take is shown beside it (``onnx_int8``, or ``packed_bf16`` where the CPU
has native bf16), so the choice in ``search/cpu.py`` is measured in the same
run; so is ``packed_fp32`` on CPUs without native bf16, which indexes a library
until its ONNX export is made (the bench makes the export before timing).
The last line is ``ratio=X.XX`` (paperlab / bare).

    python bench/embed_bench.py [--pdfs DIR] [--chunks 256] [--rounds 3] [--per-batch]

``--per-batch`` interleaves finer: texts are cut into batches (by length) and
each batch goes through every path in turn (rotating who goes first), so a
burst of load from other jobs hits all paths within seconds; a round's time
is the sum over its batches.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_PDFS = Path(__file__).resolve().parents[2] / "shared" / "data" / "pdfs" / "arxiv"


def pdf_chunks(pdf_dir: Path, count: int, words: int = 200) -> list[str]:
    import pymupdf

    chunks: list[str] = []
    for pdf in sorted(pdf_dir.glob("*.pdf")):
        try:
            with pymupdf.open(pdf) as doc:
                tokens = " ".join(page.get_text() for page in doc).split()
        except Exception:
            continue
        for start in range(0, len(tokens) - words, words):
            chunks.append(" ".join(tokens[start : start + words]))
            if len(chunks) >= count:
                return chunks
    return chunks


def generated_chunks(count: int, words: int = 200) -> list[str]:
    rng = random.Random(0)
    vocab = [
        "model",
        "training",
        "loss",
        "gradient",
        "attention",
        "layer",
        "network",
        "data",
        "results",
        "we",
        "the",
        "of",
        "a",
        "show",
        "that",
        "performance",
        "baseline",
        "method",
        "propose",
        "experiments",
        "table",
        "figure",
        "accuracy",
        "learning",
    ]
    return [
        " ".join(rng.choice(vocab) for _ in range(rng.randint(words // 2, words)))
        for _ in range(count)
    ]


def _time(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pdfs", type=Path, default=DEFAULT_PDFS)
    parser.add_argument("--chunks", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--per-batch", action="store_true", help="interleave batch by batch")
    args = parser.parse_args(argv)
    # The ONNX export is cached in the data dir: use a throwaway one unless set.
    os.environ.setdefault("PAPERLAB_HOME", tempfile.mkdtemp(prefix="paperlab-embed-bench-"))

    import numpy as np

    from paperlab.search.cpu import cpu_class, cpu_flags, cpu_has_fast_bf16
    from paperlab.search.embedder import SentenceTransformerEmbedder, bundled_model_path
    from paperlab.search.fast_embedder import FastEmbedder
    from paperlab.search.packed_encoder import PackedEmbedder
    from paperlab.settings import load_settings

    texts = pdf_chunks(args.pdfs, args.chunks) if args.pdfs.is_dir() else []
    source = "pdfs"
    if len(texts) < args.chunks:
        texts += generated_chunks(args.chunks - len(texts))
        source = "pdfs+generated" if source and texts else "generated"
    settings = load_settings()
    bare = SentenceTransformerEmbedder("all-MiniLM-L6-v2").model
    ours = FastEmbedder(settings)  # what load_embedder gives for the default model
    ours.export_path(create=True)  # one-time export, outside the timing
    bulk = ours.bulk_backend()
    # Beside the default, the other bulk path this CPU could take, in the same run.
    others = {}
    if getattr(bulk, "variant", None) != "int8":
        others["onnx_int8"] = FastEmbedder(settings, backend="onnx-int8")
    if cpu_has_fast_bf16() and type(bulk).__name__ != "PackedEmbedder":
        others["packed_bf16"] = FastEmbedder(settings, backend="torch-bf16")
    if not cpu_has_fast_bf16():
        # What indexes a library before its ONNX export is made, on this CPU.
        others["packed_fp32"] = PackedEmbedder(bundled_model_path(), "all-MiniLM-L6-v2", "fp32")
    chosen_by = sorted(
        flag
        for flag in cpu_flags()
        if flag.startswith(("avx512_bf16", "amx", "avx512_vnni"))
        or flag in ("avx2", "avx512f", "avx_vnni", "asimddp", "bf16")
    )
    print(
        f"# {len(texts)} chunks ({source}); cpu class {cpu_class()} "
        f"(flags: {' '.join(chosen_by) or 'none of note'}); fast bf16: {cpu_has_fast_bf16()}; "
        f"bulk path: {type(bulk).__name__} {getattr(bulk, 'variant', '')}".rstrip()
    )
    paths: dict[str, Callable[[list[str]], Any]] = {
        "bare": lambda part: bare.encode(
            part, batch_size=args.batch_size, normalize_embeddings=True, convert_to_numpy=True
        ),
        "paperlab": lambda part: ours.embed(part, batch_size=args.batch_size),
    }
    for name, other in others.items():
        paths[name] = lambda part, other=other: other.embed(part, batch_size=args.batch_size)
    for embedder in (ours, *others.values()):
        embedder.embed(texts[:32])  # warm: sessions, weights, first-call allocations
    bare.encode(texts[:8], batch_size=8)
    if args.per_batch:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i].split()), reverse=True)
        groups = [order[i : i + args.batch_size] for i in range(0, len(order), args.batch_size)]
    else:
        groups = [list(range(len(texts)))]
    times: dict[str, list[float]] = {name: [] for name in paths}
    vecs = {name: np.zeros((len(texts), 384), dtype=np.float32) for name in paths}
    names = list(paths)
    # Alternating rounds (and batches), so machine noise hits every path alike.
    for r in range(args.rounds):
        spent = dict.fromkeys(names, 0.0)
        for g, rows in enumerate(groups):
            first = (r + g) % len(names)
            for name in names[first:] + names[:first]:
                seconds, got = _time(lambda: paths[name]([texts[i] for i in rows]))  # noqa: B023
                spent[name] += seconds
                vecs[name][rows] = np.asarray(got, dtype=np.float32)
        for name in names:
            times[name].append(spent[name])
    best = {name: min(values) for name, values in times.items()}
    ref = np.asarray(vecs["bare"], dtype=np.float32)
    rate = {name: len(texts) / seconds for name, seconds in best.items()}
    for name in paths:
        cosine = float(np.min(np.sum(np.asarray(vecs[name]) * ref, axis=1)))
        per_round = statistics.median(
            b / t for b, t in zip(times["bare"], times[name], strict=True)
        )
        print(
            f"{name} {rate[name]:.1f} chunks/s ({rate[name] / rate['bare']:.2f}x; "
            f"median of round ratios {per_round:.2f}x) min_cosine={cosine:.4f}"
        )
    print(f"ratio={rate['paperlab'] / rate['bare']:.2f}")


if __name__ == "__main__":
    main()
