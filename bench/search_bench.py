"""Cold ``paperlab search`` wall time, and search latency + memory at 10k/100k/600k chunks.

First a real library: the shared arXiv PDFs imported with ``paperlab add``
(extracted and indexed), then ``paperlab search --json`` run as a fresh
process ``--runs`` times; the median wall time is printed (cold: imports,
ONNX session, faiss file, SQLite, all included).

Then per size, two child processes: one builds a temp library of synthetic
chunks (Zipf-distributed pseudo-words) with random unit vectors stored as
their embeddings and derives the faiss file (flat or IVF by size); a fresh one
opens it and times in-process ``search`` calls (query embedding included) for
p50/p95, then reports its RSS and peak RSS.

    python bench/search_bench.py [--sizes 10000 100000 600000] [--queries 40] [--runs 5]
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
DIM = 384
DEFAULT_PDFS = Path(__file__).resolve().parents[2] / "shared" / "data" / "pdfs" / "arxiv"


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


def build_size(size: int) -> None:
    """Child process: a synthetic library of ``size`` chunks and its faiss file."""
    from paperlab.search.vectors import VectorPaths, load_index
    from paperlab.settings import load_settings
    from paperlab.store import open_store
    from paperlab.vectorsync import sync_vectors

    settings = load_settings()
    t = time.perf_counter()
    build_library(size, DIM, settings.embed_model)
    build_s = time.perf_counter() - t
    store = open_store(settings)
    t = time.perf_counter()
    sync_vectors(store, settings)
    faiss_s = time.perf_counter() - t
    paths = VectorPaths.for_model(settings.index_dir, settings.embed_model)
    index, _ = load_index(paths, settings.embed_model, DIM)
    kind = index.kind if index is not None else "none"
    print(f"# chunks={size}: library {build_s:.0f}s, faiss {kind} {faiss_s:.1f}s", file=sys.stderr)


def run_size(size: int, queries: int) -> None:
    """Child process: open the built library, warm up, time queries; print one line.

    A separate process from the build, so its RSS is what a searching process
    holds (the faiss index, SQLite pages, the ONNX session), not the build's.
    """
    from paperlab.search.embedder import load_embedder
    from paperlab.searching import search
    from paperlab.settings import load_settings
    from paperlab.store import open_store

    settings = load_settings()
    embedder = load_embedder(settings)
    store = open_store(settings)
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
    rss_mb = _rss_mb()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"chunks={size} p50_ms={p50:.1f} p95_ms={p95:.1f} rss_mb={rss_mb:.0f} "
        f"peak_rss_mb={peak_mb:.0f}"
    )


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cold_cli(pdf_dir: Path, runs: int) -> None:
    """Import real PDFs with `paperlab add`, then time `paperlab search` subprocesses."""
    from sqlalchemy import text as sql

    from paperlab.store import open_store

    env = dict(os.environ)
    pdfs = sorted(pdf_dir.glob("*.pdf")) if pdf_dir.is_dir() else []
    if not pdfs:
        print("# cold: no PDFs found, skipped (pass --pdfs DIR)", file=sys.stderr)
        return
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "paperlab", "add", *map(str, pdfs)],
        capture_output=True,
        env=env,
    )
    add_s = time.perf_counter() - t
    store = open_store()
    with store.read() as session:
        conn = session.connection()
        papers = conn.execute(sql("SELECT COUNT(*) FROM paper")).scalar()
        chunks = conn.execute(sql("SELECT COUNT(*) FROM chunk")).scalar()
    store.close()
    walls = []
    for i in range(runs):
        query = QUERIES[i % len(QUERIES)]
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "paperlab", "search", query, "--json"],
            capture_output=True,
            env=env,
            check=True,
        )
        walls.append(time.perf_counter() - t)
        if i == 0 and proc.stderr:
            print(f"# first search said: {proc.stderr.decode().strip()}", file=sys.stderr)
    print(
        f"cold_cli_search_s median={statistics.median(walls):.2f} min={min(walls):.2f} "
        f"runs={runs} papers={papers} chunks={chunks} (add+index {add_s:.0f}s)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 600_000])
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--pdfs", type=Path, default=DEFAULT_PDFS)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cold", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build:
        build_size(args.build)
        return
    if args.child:
        run_size(args.child, args.queries)
        return
    if args.cold:
        cold_cli(args.pdfs, args.runs)
        return
    # One data dir for all sizes' exports: the ONNX model is exported once.
    with tempfile.TemporaryDirectory(prefix="paperlab-search-bench-") as root:
        for size in [0, *args.sizes]:
            home = Path(root) / f"home-{size}"
            env = dict(os.environ, PAPERLAB_HOME=str(home), HF_HUB_OFFLINE="1")
            if size == 0:
                flags = [["--cold", "--pdfs", str(args.pdfs), "--runs", str(args.runs)]]
            else:
                shared = Path(root) / "home-0" / "cache"
                (home / "cache").parent.mkdir(parents=True, exist_ok=True)
                if shared.is_dir():
                    (home / "cache").symlink_to(shared)
                flags = [
                    ["--build", str(size)],
                    ["--child", str(size), "--queries", str(args.queries)],
                ]
            for flag in flags:
                subprocess.run([sys.executable, __file__, *flag], check=True, env=env)


if __name__ == "__main__":
    main()
