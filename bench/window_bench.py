"""Texts longer than the model's window: what embedding the rest would buy, and cost.

all-MiniLM-L6-v2 reads at most 256 tokens; paperlab embeds a chunk's first
256 and leaves the rest to full-text search. This bench embeds a BEIR corpus
(SciFact: title + abstract) with paperlab's embedder as it is, then embeds
every text's tokens past the window as extra windows of the same size (cut at
token boundaries, ``--overlap`` tokens shared with the window before), and
scores dense retrieval three ways on the same queries in one run:

- ``truncated``: the first window only (what paperlab stores);
- ``mean``: the text's vector is the mean of its windows' vectors;
- ``max``: a text scores its best window (one vector per window).

It prints nDCG@10 of each, how many texts run past the window and what share
of their tokens lies there, and the embedding time of the extra windows as a
ratio to the first pass. With ``--pdfs DIR`` it first prints the same counts
for the body chunks paperlab cuts from those PDFs.

    python bench/window_bench.py [--corpus ../shared/data/scifact] [--limit-docs N]
        [--pdfs ../shared/data/pdfs/arxiv]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from retrieval import ndcg_at, read_jsonl, read_qrels  # bench/ is first on sys.path

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact"
WINDOW = 254  # tokens of text; the model's 256 less [CLS] and [SEP]


def tail_windows(text: str, offsets: list[tuple[int, int]], overlap: int) -> list[str]:
    """The parts of ``text`` past its first window, as windows of up to WINDOW tokens."""
    windows: list[str] = []
    start = WINDOW - overlap
    while start + overlap < len(offsets):
        end = min(len(offsets), start + WINDOW)
        windows.append(text[offsets[start][0] : offsets[end - 1][1]])
        start = end - overlap
    return windows


def past_the_window(lengths: list[int]) -> str:
    """How many of these token counts exceed the window, and their tokens' share past it."""
    longer = sum(n > WINDOW for n in lengths)
    past = sum(max(0, n - WINDOW) for n in lengths) / max(1, sum(lengths))
    return (
        f"{len(lengths)} texts, median {int(np.median(lengths))} tokens; longer than the"
        f" window: {longer} ({longer / max(1, len(lengths)):.1%}); tokens past it: {past:.1%}"
    )


def chunk_lengths(pdf_dir: Path, tokenizer: Any) -> list[int]:
    """Token counts of the body chunks (not reference lists) paperlab cuts from these PDFs."""
    from paperlab.extract import extract_pdf

    texts = [
        chunk.text
        for pdf in sorted(pdf_dir.glob("*.pdf"))
        for chunk in extract_pdf(pdf).chunks
        if not chunk.is_reference
    ]
    return [len(e.ids) for e in tokenizer.encode_batch(texts, add_special_tokens=False)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT)
    parser.add_argument("--qrels", type=Path, default=None, help="default: CORPUS/qrels/train.tsv")
    parser.add_argument("--overlap", type=int, default=32)
    parser.add_argument("--limit-docs", type=int, default=None)
    parser.add_argument("--pdfs", type=Path, default=None, help="also count these PDFs' chunks")
    args = parser.parse_args(argv)
    if not (args.corpus / "corpus.jsonl").is_file():
        raise SystemExit(f"No BEIR corpus at {args.corpus} (corpus.jsonl); see --corpus.")

    from tokenizers import Tokenizer

    from paperlab.search.embedder import bundled_model_path, load_embedder
    from paperlab.settings import load_settings

    corpus = read_jsonl(args.corpus / "corpus.jsonl")[: args.limit_docs]
    qrels = read_qrels(args.qrels or args.corpus / "qrels" / "train.tsv")
    queries = {str(q["_id"]): q["text"] for q in read_jsonl(args.corpus / "queries.jsonl")}
    ids = [str(d["_id"]) for d in corpus]
    texts = [f"{d.get('title', '')}\n{d.get('text', '')}".strip() for d in corpus]

    tokenizer = Tokenizer.from_file(str(bundled_model_path() / "tokenizer.json"))
    tokenizer.no_truncation()
    if args.pdfs is not None:
        lengths = chunk_lengths(args.pdfs, tokenizer)
        print(f"paperlab's chunks of {args.pdfs}: {past_the_window(lengths)}")
    encodings = tokenizer.encode_batch(texts, add_special_tokens=False)
    windows: list[str] = []
    owners: list[int] = []
    for i, (text, encoding) in enumerate(zip(texts, encodings, strict=True)):
        for window in tail_windows(text, encoding.offsets, args.overlap):
            windows.append(window)
            owners.append(i)
    print(f"corpus: {past_the_window([len(e.ids) for e in encodings])}")
    print(f"extra windows: {len(windows)}")

    embedder = load_embedder(load_settings())
    started = time.perf_counter()
    heads = embedder.embed(texts)
    first = time.perf_counter() - started
    started = time.perf_counter()
    tails = embedder.embed(windows) if windows else np.zeros((0, heads.shape[1]), "float32")
    extra = time.perf_counter() - started
    print(
        f"embedding: first windows {first:.1f} s, extra windows {extra:.1f} s "
        f"(x{(first + extra) / first:.2f} the time)"
    )

    wanted = [q for q in qrels if q in queries and set(qrels[q]) & set(ids)]
    query_vectors = np.stack([embedder.embed_query(queries[q]) for q in wanted])
    owner = np.asarray(owners, dtype=np.int64)
    summed = heads.copy()
    np.add.at(summed, owner, tails)
    means = summed / np.linalg.norm(summed, axis=1, keepdims=True)
    scores = {"truncated": query_vectors @ heads.T, "mean": query_vectors @ means.T}
    best = query_vectors @ heads.T
    tail_scores = query_vectors @ tails.T
    for row in range(len(wanted)):
        np.maximum.at(best[row], owner, tail_scores[row])
    scores["max"] = best
    for name, matrix in scores.items():
        ndcg = [
            ndcg_at([ids[j] for j in np.argsort(-matrix[row])[:10]], qrels[q])
            for row, q in enumerate(wanted)
        ]
        print(f"{name:9s} nDCG@10={float(np.mean(ndcg)):.4f}  ({len(wanted)} queries)")


if __name__ == "__main__":
    main()
