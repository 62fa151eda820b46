"""Retrieval quality on a BEIR folder (e.g. SciFact) through paperlab's own code path.

Each document becomes a paper with one chunk (title + abstract) in a temporary
(or --cache) PAPERLAB_HOME; the chunks are embedded by ``index_pending`` and
queried with ``paperlab.searching.search`` in lexical, dense and hybrid mode.
Prints one line per method: ``<method> nDCG@10=0.xxxx recall@100=0.xxxx``.
The embedding backend is ``PAPERLAB_EMBED_BACKEND`` (auto: the fast paths;
torch: plain sentence-transformers), so the two are compared on the same split
by running this twice, with separate ``--cache`` dirs. ``--lexical-only``
skips embedding and prints the full-text line alone: with
``PAPERLAB_DATABASE_URL`` set it measures PostgreSQL's full-text search
against FTS5 on the same split:

    PAPERLAB_EMBED_BACKEND=torch python bench/retrieval.py --corpus ... --qrels ...
    python bench/retrieval.py --corpus ... --qrels ...

    python bench/retrieval.py --corpus ../shared/data/scifact \
        --qrels ../shared/data/scifact/qrels/train.tsv [--cache /tmp/scifact-home] [--tune]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PREFIX = "beir:"


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """query id -> {doc id: relevance}; tolerates CRLF and a header row."""
    qrels: dict[str, dict[str, int]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.strip().split("\t")
        if len(parts) < 3 or not parts[2].lstrip("-").isdigit():
            continue  # header or blank
        qid, did, rel = parts[0], parts[1], int(parts[2])
        if rel > 0:
            qrels.setdefault(qid, {})[did] = rel
    return qrels


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def ndcg_at(ranked: Sequence[str], rels: dict[str, int], k: int = 10) -> float:
    dcg = sum(rels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(rels.values(), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: Sequence[str], rels: dict[str, int], k: int = 100) -> float:
    return len(set(ranked[:k]) & set(rels)) / len(rels) if rels else 0.0


def load_corpus(store: Any, corpus: list[dict[str, Any]]) -> int:
    """Insert papers + one chunk each, skipping what a cached home already has."""
    from sqlalchemy import text as sql

    from paperlab.store.models import utcnow

    with store.read() as session:
        have = {r[0] for r in session.connection().execute(sql("SELECT id FROM paper"))}
    rows = [d for d in corpus if PREFIX + str(d["_id"]) not in have]
    now = utcnow()
    for start in range(0, len(rows), 1000):
        part = rows[start : start + 1000]
        with store.write() as session:
            conn = session.connection()
            conn.execute(
                sql(
                    "INSERT INTO paper (id, title, state, added_at, updated_at) "
                    "VALUES (:id, :title, 'extracted', :t, :t)"
                ),
                [
                    {"id": PREFIX + str(d["_id"]), "title": d.get("title", ""), "t": now}
                    for d in part
                ],
            )
            chunks = []
            for d in part:
                body = f"{d.get('title', '')}\n{d.get('text', '')}".strip()
                chunks.append(
                    {
                        "p": PREFIX + str(d["_id"]),
                        "e": len(body),
                        "s": "Abstract",
                        "x": body,
                        "h": hashlib.sha256(body.encode()).hexdigest(),
                    }
                )
            conn.execute(
                sql(
                    "INSERT INTO chunk (paper_id, ordinal, page_start, page_end, char_start, "
                    "char_end, section, is_reference, text, content_hash) "
                    "VALUES (:p, 0, 1, 1, 0, :e, :s, FALSE, :x, :h)"
                ),
                chunks,
            )
    return len(rows)


def evaluate(runs: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> tuple[float, float]:
    n = len(runs)
    ndcg = sum(ndcg_at(runs[q], qrels[q]) for q in runs) / n
    recall = sum(recall_at(runs[q], qrels[q]) for q in runs) / n
    return ndcg, recall


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--qrels", type=Path, required=True)
    parser.add_argument("--limit-queries", type=int, default=None)
    parser.add_argument("--cache", type=Path, default=None, help="PAPERLAB_HOME kept for reruns")
    parser.add_argument("--tune", action="store_true", help="grid-search RRF k and weights")
    parser.add_argument(
        "--lexical-only", action="store_true", help="no embedding: the bm25 line only"
    )
    args = parser.parse_args(argv)

    home = args.cache or Path(tempfile.mkdtemp(prefix="paperlab-bench-"))
    os.environ["PAPERLAB_HOME"] = str(home)
    from paperlab.indexing import index_pending
    from paperlab.search.embedder import load_embedder
    from paperlab.search.fusion import FusionParams, fuse_hybrid
    from paperlab.searching import search
    from paperlab.settings import load_settings
    from paperlab.store import open_store

    settings = load_settings()
    store = open_store(settings)
    corpus = read_jsonl(args.corpus / "corpus.jsonl")
    queries = {str(q["_id"]): q["text"] for q in read_jsonl(args.corpus / "queries.jsonl")}
    qrels = read_qrels(args.qrels)
    qids = [q for q in qrels if q in queries][: args.limit_queries]
    added = load_corpus(store, corpus)
    if args.lexical_only:
        # The full-text path alone (FTS5, or PostgreSQL's with PAPERLAB_DATABASE_URL set).
        lexical = {
            q: [
                str(h.paper_id)[len(PREFIX) :]
                for h in search(store, settings, queries[q], k=100, scope="papers", mode="lexical")
            ]
            for q in qids
        }
        ndcg, recall = evaluate(lexical, qrels)
        print(f"bm25 nDCG@10={ndcg:.4f} recall@100={recall:.4f}  ({store.dialect})")
        store.close()
        return
    embedder = load_embedder(settings)
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done == total or done % 512 == 0:
            print(f"  embedded {done}/{total}", file=sys.stderr)

    report = index_pending(store, settings, embedder=embedder, progress=progress)
    print(
        f"# home={home} docs={len(corpus)} new={added} embedded={report.total_embedded} "
        f"in {time.perf_counter() - started:.0f}s; queries={len(qids)}",
        file=sys.stderr,
    )

    def ranking(query: str, mode: str) -> list[str]:
        hits = search(store, settings, query, k=100, scope="papers", mode=mode, embedder=embedder)
        return [str(h.paper_id)[len(PREFIX) :] for h in hits]

    runs: dict[str, dict[str, list[str]]] = {"bm25": {}, "dense": {}, "hybrid": {}}
    for qid in qids:
        runs["bm25"][qid] = ranking(queries[qid], "lexical")
        runs["dense"][qid] = ranking(queries[qid], "dense")
        runs["hybrid"][qid] = ranking(queries[qid], "hybrid")
    for method in ("bm25", "dense", "hybrid"):
        ndcg, recall = evaluate(runs[method], qrels)
        print(f"{method} nDCG@10={ndcg:.4f} recall@100={recall:.4f}")

    if args.tune:
        # Re-fuse the two 100-deep lists offline with the product's fusion code.
        for k in (5, 10, 20, 40, 60, 100):
            for lw in (0.5, 0.75, 1.0, 1.25, 1.5, 2.0):
                params = FusionParams(k=k, lexical_weight=lw, dense_weight=1.0)
                fused = {
                    q: [d for d, _ in fuse_hybrid(runs["bm25"][q], runs["dense"][q], params)]
                    for q in qids
                }
                ndcg, recall = evaluate(fused, qrels)
                print(
                    f"# tune k={k} lexical_weight={lw} nDCG@10={ndcg:.4f} recall@100={recall:.4f}",
                    file=sys.stderr,
                )
    store.close()


if __name__ == "__main__":
    main()
