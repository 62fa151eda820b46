"""A lab library on PostgreSQL beside SQLite: search and write latency on the same synthetic data.

For each store (SQLite in a temporary PAPERLAB_HOME; PostgreSQL started by
tests/pgserver.py, or the server of --url), it loads N papers with one
synthetic chunk and one random unit vector each, then measures:

- lexical search (``search_lexical`` over passages): p50/p95 of Q queries;
- dense search through the local faiss cache built from the vectors in the
  database (``sync_vectors``; the build time is printed too): p50/p95;
- on PostgreSQL with pgvector: the backfill of the stored vectors into the
  side table and the HNSW build (times printed), dense search on the server
  (``nearest_passages``, 100 candidates as the faiss line, one connection per
  query as a search opens; opening alone is printed too): p50/p95, and
  recall@10 of HNSW against exact search (the faiss flat index over the
  same vectors) at the candidate counts a search asks for (50 rows for
  -k 10, 150 for --by-paper -k 10; 10 too: hnsw.ef_search 200, 200, 600);
- write latency: 4 processes each adding W log entries at once: p50/p95.

    python bench/lab_bench.py [--papers 10000] [--queries 100] [--writes 50] [--url URL]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.synthetic import TITLE_WORDS  # noqa: E402

DIM = 384
MODEL = "all-MiniLM-L6-v2"


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {p50 * 1000:7.2f} ms  p95 {p95 * 1000:7.2f} ms"


def load(store: Any, papers: int, rng: random.Random) -> None:
    import hashlib

    import numpy as np
    from sqlalchemy import text

    from paperlab.store.values import utcnow

    now = utcnow()
    for start in range(0, papers, 1000):
        rows, chunks, vectors = [], [], []
        for i in range(start, min(papers, start + 1000)):
            words = " ".join(rng.choice(TITLE_WORDS) for _ in range(120))
            digest = hashlib.sha256(words.encode()).hexdigest()
            rows.append({"id": f"lab:{i:06d}", "t": now, "title": words[:60]})
            chunks.append({"p": f"lab:{i:06d}", "x": words, "h": digest, "e": len(words)})
            vector = np.asarray([rng.gauss(0, 1) for _ in range(DIM)], dtype="<f4")
            vector /= np.linalg.norm(vector)
            vectors.append({"h": digest, "m": MODEL, "d": DIM, "v": vector.tobytes()})
        with store.write() as session:
            conn = session.connection()
            conn.execute(
                text(
                    "INSERT INTO paper (id, title, state, added_at, updated_at) "
                    "VALUES (:id, :title, 'indexed', :t, :t)"
                ),
                rows,
            )
            conn.execute(
                text(
                    "INSERT INTO chunk (paper_id, ordinal, page_start, page_end, char_start, "
                    "char_end, section, is_reference, text, content_hash) "
                    "VALUES (:p, 0, 1, 1, 0, :e, 'Body', FALSE, :x, :h)"
                ),
                chunks,
            )
            conn.execute(
                text(
                    "INSERT INTO embedding (content_hash, model, dim, vector) "
                    "VALUES (:h, :m, :d, :v) ON CONFLICT DO NOTHING"
                ),
                vectors,
            )


def _writer(env: dict[str, str], n: int, writes: int, out: Any) -> None:
    os.environ.update(env)
    from paperlab.researchlog import add_entry
    from paperlab.store import open_store

    store = open_store()
    times = []
    for i in range(writes):
        started = time.perf_counter()
        add_entry(store, f"writer {n} entry {i}")
        times.append(time.perf_counter() - started)
    out.put(times)


def measure(label: str, env: dict[str, str], args: argparse.Namespace) -> None:
    os.environ.update(env)
    import numpy as np

    from paperlab.search.lexical import search_lexical
    from paperlab.settings import load_settings
    from paperlab.store import open_store
    from paperlab.vectorsync import sync_vectors

    rng = random.Random(7)
    settings = load_settings()
    store = open_store(settings)
    started = time.perf_counter()
    load(store, args.papers, rng)
    print(f"{label}: loaded {args.papers} papers in {time.perf_counter() - started:.1f} s")

    lexical = []
    for _ in range(args.queries):
        query = " ".join(rng.choice(TITLE_WORDS) for _ in range(3))
        started = time.perf_counter()
        with store.connect() as conn:
            search_lexical(conn, query, ["passage"], 100, snippets=False)
        lexical.append(time.perf_counter() - started)
    print(f"{label}: lexical search       {percentiles(lexical)}")

    started = time.perf_counter()
    index = sync_vectors(store, settings).index
    print(f"{label}: faiss cache built from the database in {time.perf_counter() - started:.1f} s")
    assert index is not None
    dense = []
    for _ in range(args.queries):
        vector = np.asarray([rng.gauss(0, 1) for _ in range(DIM)], dtype="float32")
        vector /= np.linalg.norm(vector)
        started = time.perf_counter()
        index.search(vector, 100)
        dense.append(time.perf_counter() - started)
    print(f"{label}: dense (faiss cache)  {percentiles(dense)}")
    if store.dialect == "postgresql":
        measure_pgvector(label, store, index, args, rng)
    store.close()

    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(env, n, args.writes, out)) for n in range(4)]
    for p in procs:
        p.start()
    writes = [t for _ in procs for t in out.get(timeout=600)]
    for p in procs:
        p.join(60)
    print(f"{label}: write, 4 writers     {percentiles(writes)}")


def measure_pgvector(
    label: str, store: Any, index: Any, args: argparse.Namespace, rng: random.Random
) -> None:
    """HNSW on the server beside the faiss cache: latency, and recall against exact."""
    import numpy as np

    from paperlab.search.pgvector_queries import nearest_passages
    from paperlab.search.vectors_pg import enable_pgvector, ensure_hnsw

    started = time.perf_counter()
    why_not = enable_pgvector(store)
    if why_not is not None:
        print(f"{label}: pgvector skipped, {why_not}")
        return
    print(f"{label}: pgvector side table backfilled in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    ensure_hnsw(store, MODEL, DIM)
    print(f"{label}: HNSW index built in {time.perf_counter() - started:.1f} s")
    queries = []
    for _ in range(args.queries):
        vector = np.asarray([rng.gauss(0, 1) for _ in range(DIM)], dtype="float32")
        queries.append(vector / np.linalg.norm(vector))
    dense = []
    for vector in queries:
        started = time.perf_counter()
        with store.connect() as conn:
            nearest_passages(conn, MODEL, DIM, vector, 100)
        dense.append(time.perf_counter() - started)
    print(f"{label}: dense (pgvector HNSW) {percentiles(dense)}")
    connecting = []
    for _ in queries:
        started = time.perf_counter()
        with store.connect():
            pass
        connecting.append(time.perf_counter() - started)
    print(f"{label}: of which connecting  {percentiles(connecting)}")
    for rows in (10, 50, 150):
        found = 0
        for vector in queries:
            # The faiss cache of 10,000 vectors is a flat index: exact inner product.
            exact = {row for _, row, _ in index.search(vector, 10)}
            with store.connect() as conn:
                hnsw = [row for row, _ in nearest_passages(conn, MODEL, DIM, vector, rows)][:10]
            found += len(exact & set(hnsw))
        recall = found / (10 * len(queries))
        print(f"{label}: HNSW recall@10 against exact, {rows:3d} rows asked: {recall:.3f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--writes", type=int, default=50)
    parser.add_argument("--url", default=None, help="a PostgreSQL URL (default: start one)")
    args = parser.parse_args(argv)

    base = {k: v for k, v in os.environ.items() if not k.startswith("PAPERLAB_")}
    sqlite_home = tempfile.mkdtemp(prefix="paperlab-labbench-")
    try:
        measure("sqlite    ", {**base, "PAPERLAB_HOME": sqlite_home}, args)
    finally:
        shutil.rmtree(sqlite_home, ignore_errors=True)

    lab = None
    url = args.url
    if url is None:
        from tests.pgserver import lab_server_root, start

        lab = start(lab_server_root())
        if isinstance(lab, str):
            print(f"postgresql: skipped, {lab}")
            return
        url = lab.database_url("paperlab_lab_bench")
    pg_home = tempfile.mkdtemp(prefix="paperlab-labbench-pg-")
    try:
        env = {**base, "PAPERLAB_HOME": pg_home, "PAPERLAB_DATABASE_URL": url}
        measure("postgresql", env, args)
    finally:
        shutil.rmtree(pg_home, ignore_errors=True)
        if lab is not None:
            lab.stop()


if __name__ == "__main__":
    main()
