"""Embedding throughput: paperlab's embedding path vs a bare SentenceTransformer.encode.

The same chunks (~200 words, cut from the shared arXiv PDFs with PyMuPDF, or
generated text when those are absent) go through both, alternating rounds so
machine noise hits both alike; the best round of each is reported. The last
line is ``ratio=X.XX`` (paperlab / bare).

    python bench/embed_bench.py [--pdfs DIR] [--chunks 256] [--rounds 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pdfs", type=Path, default=DEFAULT_PDFS)
    parser.add_argument("--chunks", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)

    import numpy as np

    from paperlab.search.embedder import SentenceTransformerEmbedder

    texts = pdf_chunks(args.pdfs, args.chunks) if args.pdfs.is_dir() else []
    source = "pdfs"
    if len(texts) < args.chunks:
        texts += generated_chunks(args.chunks - len(texts))
        source = "pdfs+generated" if source and texts else "generated"
    embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    bare = embedder.model
    print(f"# {len(texts)} chunks ({source}), bf16 fast path: {embedder.bf16}", file=sys.stderr)
    embedder.embed(texts[:8])  # warm up both paths (same weights)
    bare.encode(texts[:8], batch_size=8)

    ours_best = bare_best = float("inf")
    ours_vecs = bare_vecs = None
    for _ in range(args.rounds):
        t = time.perf_counter()
        bare_vecs = bare.encode(
            texts, batch_size=args.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        bare_best = min(bare_best, time.perf_counter() - t)
        t = time.perf_counter()
        ours_vecs = embedder.embed(texts, batch_size=args.batch_size)
        ours_best = min(ours_best, time.perf_counter() - t)
    assert ours_vecs is not None and bare_vecs is not None
    cosine = float(np.min(np.sum(ours_vecs * np.asarray(bare_vecs), axis=1)))
    ours_rate, bare_rate = len(texts) / ours_best, len(texts) / bare_best
    print(f"paperlab {ours_rate:.1f} chunks/s")
    print(f"bare {bare_rate:.1f} chunks/s")
    print(f"min_cosine={cosine:.4f}")
    print(f"ratio={ours_rate / bare_rate:.2f}")


if __name__ == "__main__":
    main()
