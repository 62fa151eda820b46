"""Cold start of the read-only commands, side by side with the floor of what they import.

Builds synthetic libraries (papers with arXiv-like ids, titles, authors, topics,
reading lists, chunks of Zipf-distributed words with random unit vectors as
their embeddings, a few notes, annotations and log entries, the faiss file and
the ONNX export), then times fresh processes in interleaved rounds:

- ``python -c pass``: a bare interpreter start;
- the import floor of a search: ``import numpy, faiss, onnxruntime, tokenizers, sqlite3``;
- ``python -m paperlab list --json``, ``show``, ``topics``, ``lists``,
  ``annotations``, ``log list`` and ``search`` on each library.

Prints the median and minimum of each, and the ratios the targets are stated
in. It asserts nothing about speed.

    python bench/startup_bench.py [--papers 40 10000] [--runs 11] [--keep DIR]

``--keep DIR`` keeps the built libraries there and reuses them on the next run
(the 10,000-paper one takes a few minutes to build).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paperlab.store import Store

from synthetic import TITLE_WORDS  # bench/ is the script folder, first on sys.path

DIM = 384
FLOOR_SEARCH = "import numpy, faiss, onnxruntime, tokenizers, sqlite3"
QUERIES = [
    "attention layers for sequence models",
    "gradient noise and generalisation",
    "reinforcement learning reward shaping",
    "bayesian posterior sampling",
]
BUILD_VERSION = 1  # bump when the library layout below changes (--keep rebuilds)


def _vocabulary(size: int, seed: int = 1) -> list[str]:
    import random

    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ne", "ro", "ta", "vi", "su", "pe", "da", "zo", "fi", "gu"]
    vocab = set(TITLE_WORDS) | {w for q in QUERIES for w in q.split()}
    while len(vocab) < size:
        vocab.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    words = sorted(vocab)
    rng.shuffle(words)  # the real words get arbitrary Zipf ranks
    return words


def build(home: Path, papers: int, chunks_per_paper: int, export_from: Path | None) -> None:
    """A library of ``papers`` synthetic papers in ``home`` (plain sqlite3 for the bulk)."""
    import sqlite3

    import numpy as np

    os.environ["PAPERLAB_HOME"] = str(home)
    from paperlab.indexing import index_pending
    from paperlab.overviews import ensure_roadmap
    from paperlab.search.embedder import load_embedder
    from paperlab.settings import load_settings
    from paperlab.store import open_store

    settings = load_settings()
    store = open_store(settings)
    roadmap = ensure_roadmap(store)
    slugs = [t.slug for t in roadmap.topics]
    rng = np.random.default_rng(0)
    vocab = np.array(_vocabulary(20_000))
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    weights /= weights.sum()
    start = datetime(2020, 1, 1)
    states = ["unread", "skimming", "reading", "read"]
    ids = [f"{2001 + i // 90000:04d}.{i % 90000 + 10000:05d}" for i in range(papers)]
    conn = sqlite3.connect(store.path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN IMMEDIATE")
    stamp = lambda i: str(start + timedelta(minutes=i))  # noqa: E731
    conn.executemany(
        "INSERT INTO paper (id, version, title, authors, abstract, published, state, "
        "reading_state, added_at, updated_at, metadata_complete) "
        "VALUES (?, 1, ?, ?, ?, ?, 'indexed', ?, ?, ?, 1)",
        [
            (
                pid,
                " ".join(rng.choice(TITLE_WORDS, size=7)).capitalize(),
                json.dumps([f"A. Author{i % 97}", f"B. Writer{i % 89}"]),
                "An abstract.",
                stamp(i),
                states[i % 4],
                stamp(i),
                stamp(i),
            )
            for i, pid in enumerate(ids)
        ],
    )
    conn.executemany(
        "INSERT INTO paper_topic (paper_id, topic_slug, source) VALUES (?, ?, 'list')",
        [(pid, slugs[i % len(slugs)]) for i, pid in enumerate(ids)],
    )
    for k in range(4):
        conn.execute(
            "INSERT INTO reading_list (id, name, title, weeks, loaded_at) VALUES (?, ?, ?, ?, ?)",
            (k + 1, f"bench-list-{k}", f"Bench list {k}", json.dumps([19 + k]), stamp(0)),
        )
    conn.executemany(
        "INSERT INTO reading_list_entry (list_id, paper_id, week, position, why, expected_title) "
        "VALUES (?, ?, ?, ?, 'bench', '')",
        [(i % 4 + 1, pid, 19 + i % 4, i) for i, pid in enumerate(ids) if i % 2 == 0],
    )
    conn.execute("COMMIT")
    for first in range(0, papers, 500):
        part = ids[first : first + 500]
        n = len(part) * chunks_per_paper
        words = rng.choice(vocab, size=(n, 120), p=weights)
        vectors = rng.standard_normal((n, DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        chunk_rows, vector_rows = [], []
        for j in range(n):
            body = " ".join(words[j])
            digest = hashlib.sha256(body.encode()).hexdigest()
            pid, ordinal = part[j // chunks_per_paper], j % chunks_per_paper
            chunk_rows.append((pid, ordinal, ordinal // 3 + 1, body, digest))
            vector_rows.append((digest, settings.embed_model, DIM, vectors[j].tobytes()))
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO chunk (paper_id, ordinal, page_start, page_end, char_start, char_end, "
            "section, is_reference, text, content_hash) VALUES (?, ?, ?, ?, 0, 1, 'Body', 0, ?, ?)",
            [(p, o, pg, pg, body, h) for p, o, pg, body, h in chunk_rows],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO embedding (content_hash, model, dim, vector) "
            "VALUES (?, ?, ?, ?)",
            vector_rows,
        )
        conn.execute("COMMIT")
    conn.close()
    _notes_and_log(store, ids[:3], slugs)
    if export_from is not None and (export_from / "cache" / "onnx").is_dir():
        # The export depends on the model only: share the first library's.
        shutil.copytree(
            export_from / "cache" / "onnx", home / "cache" / "onnx", copy_function=os.link
        )
    embedder = load_embedder(settings)
    export_path = getattr(embedder, "export_path", None)
    if export_path is not None:
        export_path(create=True)
    index_pending(store, settings, embedder=embedder)
    store.close()


def _notes_and_log(store: Store, paper_ids: list[str], slugs: list[str]) -> None:
    from paperlab.notes import save_note
    from paperlab.researchlog import add_entry
    from paperlab.store.models import Annotation, Page

    for i, pid in enumerate(paper_ids):
        save_note(store, pid, {"summary": f"Summary of paper {i}.", "method": "A method."})
        add_entry(store, f"Try the idea of {pid}", kind="experiment", topics=[slugs[0]])
        with store.write() as session:
            session.add(Page(paper_id=pid, number=1, text="The quick brown fox jumps."))
            session.add(Annotation(paper_id=pid, quote="brown fox", page=1, comment="noted"))


def ensure_library(root: Path, papers: int, chunks: int, export_from: Path | None) -> Path:
    home = root / f"papers-{papers}"
    marker = home / "bench-built.json"
    spec = {"papers": papers, "chunks_per_paper": chunks, "version": BUILD_VERSION}
    if marker.is_file() and json.loads(marker.read_text()) == spec:
        return home
    shutil.rmtree(home, ignore_errors=True)
    t = time.perf_counter()
    # A child process, so this one never imports what the timed commands avoid.
    subprocess.run(
        [sys.executable, __file__, "--build", str(home), str(papers), str(chunks)]
        + ([str(export_from)] if export_from else []),
        check=True,
    )
    marker.write_text(json.dumps(spec))
    print(
        f"# built {papers} papers x {chunks} chunks in {time.perf_counter() - t:.0f} s",
        file=sys.stderr,
    )
    return home


def timed(argv: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, nargs="+", default=[40, 10_000])
    parser.add_argument("--chunks-per-paper", type=int, default=60)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the libraries here")
    parser.add_argument("--build", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        home, papers, chunks, *source = args.build
        build(Path(home), int(papers), int(chunks), Path(source[0]) if source else None)
        return

    root = args.keep or Path(tempfile.mkdtemp(prefix="paperlab-startup-"))
    root.mkdir(parents=True, exist_ok=True)
    homes: dict[int, Path] = {}
    first: Path | None = None
    for n in args.papers:
        homes[n] = ensure_library(root, n, args.chunks_per_paper, first)
        first = first or homes[n]

    py = sys.executable
    # Bytecode is cached as an installed package's is (PYTHONDONTWRITEBYTECODE
    # would recompile every edited module in every process).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PAPERLAB_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    cases: list[tuple[str, list[str], dict[str, str]]] = [
        ("python -c pass", [py, "-c", "pass"], env),
        ("import floor of search", [py, "-c", FLOOR_SEARCH], env),
    ]
    for n, home in homes.items():
        lib_env = {**env, "PAPERLAB_HOME": str(home)}
        paper = "2001.10000"
        commands = [
            ["list", "--json"],
            ["show", paper, "--json"],
            ["topics", "--json"],
            ["lists", "--json"],
            ["annotations", paper, "--json"],
            ["log", "list", "--json"],
            ["search", QUERIES[0], "--json"],
        ]
        for command in commands:
            cases.append(
                (f"[{n}] paperlab {' '.join(command)}", [py, "-m", "paperlab", *command], lib_env)
            )
    for _, argv, case_env in cases:  # warm the page cache and the .pyc files
        timed(argv, case_env)
    samples: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    for _ in range(args.runs):
        for name, argv, case_env in cases:
            samples[name].append(timed(argv, case_env))

    median = {name: statistics.median(s) for name, s in samples.items()}
    bare, floor = median["python -c pass"], median["import floor of search"]
    print(f"{args.runs} interleaved runs each; {py}; load average {os.getloadavg()[0]:.1f}")
    print(f"{'command':<58} {'median':>8} {'min':>8}  vs")
    for name, values in samples.items():
        m = median[name]
        if " search " in name:
            versus = f"{m / floor:.2f}x the search import floor"
        elif name.startswith("["):
            versus = f"+{m - bare:.3f} s over bare Python ({m / bare:.1f}x)"
        else:
            versus = ""
        print(f"{name[:58]:<58} {m:8.3f} {min(values):8.3f}  {versus}")


if __name__ == "__main__":
    main()
