"""Time from launch to an interactive library of 1,000 papers, and filter latency.

Uses the 200 real arXiv metadata records from ../shared/data when present
(cycled with distinct ids to reach 1,000), else generated titles. Prints the
figures; it asserts nothing about speed.

    python bench/tui_bench.py [--papers 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "data" / "arxiv_metadata" / "kaggle_snapshot_samples"
WORDS = [
    "attention",
    "transformer",
    "graph",
    "neural",
    "network",
    "diffusion",
    "policy",
    "gradient",
    "bayesian",
    "kernel",
    "sparse",
    "contrastive",
    "representation",
    "learning",
    "optimisation",
    "robust",
    "causal",
    "language",
    "vision",
    "reinforcement",
    "retrieval",
]


def records(n: int) -> list[tuple[str, str]]:
    """(id, title) pairs: real titles when the shared samples exist."""
    titles: list[str] = []
    if SAMPLES.is_dir():
        for path in sorted(SAMPLES.glob("*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    titles.append(" ".join(json.loads(line)["title"].split()))
    rng = random.Random(7)
    while len(titles) < n:
        titles.append(" ".join(rng.choice(WORDS) for _ in range(6)).capitalize())
    return [
        (f"{2001 + i // 9000:04d}.{i % 9000 + 1000:05d}", titles[i % len(titles)]) for i in range(n)
    ]


def build(n: int) -> None:
    from paperlab.store import open_store
    from paperlab.store.models import Paper, ReadingList, ReadingListEntry, dumps

    store = open_store()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    states = ["unread", "skimming", "reading", "read"]
    with store.write() as s:
        lists = [
            ReadingList(name=f"list-{k}", title=f"Bench list {k}", weeks=dumps([19 + k]))
            for k in range(6)
        ]
        s.add_all(lists)
        s.flush()
        for i, (pid, title) in enumerate(records(n)):
            s.add(
                Paper(
                    id=pid,
                    title=title,
                    state="indexed",
                    reading_state=states[i % 4],
                    authors=dumps(["A. Author"]),
                    added_at=start + timedelta(seconds=i),
                    published=start,
                )
            )
            if i % 2 == 0:
                rl = lists[i % 6]
                assert rl.id is not None
                s.add(ReadingListEntry(list_id=rl.id, paper_id=pid, week=19 + i % 6, position=i))
    store.close()


async def measure(n: int) -> None:
    t0 = time.perf_counter()
    from paperlab.tui.app import PaperlabApp
    from paperlab.tui.screens.library import LibraryScreen

    app = PaperlabApp(load_model=False, poll_interval=None)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        while not screen.loaded:
            await pilot.pause(0.01)
        ready = time.perf_counter() - t0
        filters = []
        for query in ["a", "at", "att", "atte", "learning", "read", "bench list 3", ""]:
            t = time.perf_counter()
            screen.filter_text = query
            screen.render_table()
            await pilot.pause()  # let the table repaint
            filters.append((query, time.perf_counter() - t))
        rows = screen.query_one("#papers").row_count  # type: ignore[attr-defined]
    print(f"papers: {n} (table rows with group headings: {rows})")
    print(f"launch to interactive library: {ready * 1000:.0f} ms")
    for query, seconds in filters:
        print(f"  filter {query!r:>16}: {seconds * 1000:6.1f} ms")
    print(
        f"filter latency: median {statistics.median(s for _, s in filters) * 1000:.1f} ms,"
        f" max {max(s for _, s in filters) * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["PAPERLAB_HOME"] = home
        t = time.perf_counter()
        build(args.papers)
        print(f"built the library in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        asyncio.run(measure(args.papers))


if __name__ == "__main__":
    main()
