"""Search latency and memory at 10,000 and 100,000 chunks, and cold CLI start.

Each size runs in its own child process (so peak RSS is that size's alone):
a temp library of synthetic chunks (Zipf-distributed pseudo-words) with random
unit vectors stored as their embeddings, a faiss file built from them, then
in-process ``search`` calls (query embedding included) timed for p50/p95.
Finally a small real library is indexed and a ``paperlab search`` subprocess
is timed from start to exit (cold: model load included).

    python bench/search_bench.py [--sizes 10000 100000] [--queries 40]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUERIES = [
    "attention layers for sequence models",
    "gradient noise and generalisation",
    "C++ kernel speed-up",
    "convolutional features of images",
    "reinforcement learning reward shaping",
    "bayesian posterior sampling",
]


def _words(n_vocab: int) -> list[str]:
    import random

    rng = random.Random(1)
    syll = ["ka", "lo", "mi", "ne", "ro", "ta", "vi", "su", "pe", "da", "zo", "fi", "gu"]
    real = " ".join(QUERIES).replace("-", " ").split()
    vocab = {w.lower() for w in real}
    while len(vocab) < n_vocab:
        vocab.add("".join(rng.choice(syll) for _ in range(rng.randint(2, 4))))
    # Shuffled, so the query words get arbitrary Zipf ranks rather than the top ones.
    words = sorted(vocab)
    rng.shuffle(words)
    return words


def build_library(size: int, dim: int, model: str) -> None:
    import numpy as np
    from sqlalchemy import text as sql

    from paperlab.store import open_store
    from paperlab.store.models import utcnow

    store = open_store()
    vocab = np.array(_words(20_000))
    rng = np.random.default_rng(0)
    ranks = np.arange(1, len(vocab) + 1)
    probs = (1.0 / ranks) / np.sum(1.0 / ranks)
    papers = max(1, size // 100)
    now = utcnow()
    with store.write() as session:
        session.connection().execute(
            sql(
                "INSERT INTO paper (id, title, state, added_at, updated_at) "
                "VALUES (:id, :t, 'indexed', :n, :n)"
            ),
            [{"id": f"syn:{p}", "t": f"Synthetic paper {p}", "n": now} for p in range(papers)],
        )
    for start in range(0, size, 5000):
        n = min(5000, size - start)
        words = rng.choice(vocab, size=(n, 120), p=probs)
        vectors = rng.standard_normal((n, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        chunks, embeddings = [], []
        for i in range(n):
            body = " ".join(words[i])
            h = hashlib.sha256(body.encode()).hexdigest()
            chunks.append({"p": f"syn:{(start + i) % papers}", "x": body, "h": h, "o": start + i})
            embeddings.append({"h": h, "m": model, "d": dim, "v": vectors[i].tobytes()})
        with store.write() as session:
            conn = session.connection()
            conn.execute(
                sql(
                    "INSERT INTO chunk (paper_id, ordinal, page_start, page_end, char_start, "
                    "char_end, section, is_reference, text, content_hash) "
                    "VALUES (:p, :o, 1, 1, 0, 1, 'Body', 0, :x, :h)"
                ),
                chunks,
            )
            conn.execute(
                sql(
                    "INSERT OR IGNORE INTO embedding (content_hash, model, dim, vector) "
                    "VALUES (:h, :m, :d, :v)"
                ),
                embeddings,
            )
    store.close()


def run_size(size: int, queries: int) -> None:
    """Child process: build, warm, time; print one result line."""
    from paperlab.indexing import sync_vectors
    from paperlab.search.embedder import load_embedder
    from paperlab.searching import search
    from paperlab.settings import load_settings
    from paperlab.store import open_store

    settings = load_settings()
    embedder = load_embedder(settings)
    t = time.perf_counter()
    build_library(size, embedder.dim, settings.embed_model)
    build_s = time.perf_counter() - t
    store = open_store(settings)
    t = time.perf_counter()
    sync_vectors(store, settings)
    faiss_s = time.perf_counter() - t
    search(store, settings, QUERIES[0], embedder=embedder)  # warm: loads the faiss file
    times = []
    for i in range(queries):
        q = QUERIES[i % len(QUERIES)]
        t = time.perf_counter()
        search(store, settings, q, k=10, embedder=embedder)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p50 = statistics.median(times)
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"chunks={size} p50_ms={p50:.1f} p95_ms={p95:.1f} peak_rss_mb={rss_mb:.0f} "
        f"(build {build_s:.0f}s, faiss build {faiss_s:.1f}s)"
    )


def cold_cli() -> None:
    """Index a tiny real library, then time one `paperlab search` subprocess."""
    from paperlab.indexing import index_pending
    from paperlab.settings import load_settings
    from paperlab.store import open_store
    from paperlab.store.models import Chunk, Paper

    texts = [
        "Self-attention relates every token to every other token in the sequence.",
        "Photosynthesis turns sunlight into chemical energy in plants.",
        "Stochastic gradient descent with momentum speeds up convergence.",
    ]
    store = open_store()
    with store.write() as session:
        session.add(Paper(id="cold:1", title="Cold start", state="extracted"))
        session.flush()
        for i, body in enumerate(texts):
            session.add(
                Chunk(
                    paper_id="cold:1",
                    ordinal=i,
                    page_start=1,
                    page_end=1,
                    char_start=0,
                    char_end=len(body),
                    text=body,
                    content_hash=hashlib.sha256(body.encode()).hexdigest(),
                )
            )
    index_pending(store, load_settings())
    store.close()
    walls = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "paperlab", "search", "attention", "--json"],
            check=True,
            capture_output=True,
            env=dict(os.environ),
        )
        walls.append(time.perf_counter() - t)
    print(f"cold_cli_search_s min={min(walls):.2f} median={statistics.median(walls):.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cold", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_size(args.child, args.queries)
        return
    if args.cold:
        cold_cli()
        return
    for size in [*args.sizes, 0]:
        with tempfile.TemporaryDirectory(prefix="paperlab-search-bench-") as home:
            env = dict(os.environ, PAPERLAB_HOME=str(Path(home)), HF_HUB_OFFLINE="1")
            flag = ["--child", str(size), "--queries", str(args.queries)] if size else ["--cold"]
            subprocess.run([sys.executable, __file__, *flag], check=True, env=env)


if __name__ == "__main__":
    main()
