"""The library screen at scale: time from launch to an interactive table, and per keystroke.

Builds real SQLite libraries of synthetic papers (titles from the 200 real
arXiv metadata records in ../shared/data when present, else generated; six
reading lists holding half the papers, roadmap topics, authors, reading
states), then for each size starts a fresh process that runs the app under
Textual's pilot (headless, 160x50, the app's defaults: model loading and
polling on) and reports:

- launch to interactive: from just before the process is spawned to the
  library table filled and painted;
- per filter keystroke, typed into the filter box as a user would, from the
  key event: to the first screen update that changed a line of the table
  (the filtered rows on screen; keys that leave the rows as they were are
  left out), to the last update that changed any cell (the screen complete),
  and to the last update the app renders at all (Textual may repaint the
  scroll bar a frame later with the same cells). Which cells an update
  changed is found afterwards by replaying the updates on a model of the
  terminal, so that costs the timings nothing. Headless, updates are
  rendered but not written to a terminal; the pilot's own waiting for the
  app to go idle is not counted;
- per rebuild: setting the filter text and calling ``render_table()`` then
  repainting, one prefix of the query at a time. This is what the older
  (debounced) screen did per keystroke, so it compares across versions.

p50 and p95 are over every keystroke of the queries below. It asserts
nothing about speed.

    python bench/tui_bench.py [--papers 1000 10000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from synthetic import TITLE_WORDS  # bench/ is the script folder, first on sys.path

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "data" / "arxiv_metadata" / "kaggle_snapshot_samples"
QUERIES = ["attention", "deep learning", "reinf"]
BUILD_VERSION = 2  # 2: titles from the shared word list


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
        titles.append(" ".join(rng.choice(TITLE_WORDS) for _ in range(6)).capitalize())
    return [
        (f"{2001 + i // 90000:04d}.{i % 90000 + 10000:05d}", titles[i % len(titles)])
        for i in range(n)
    ]


def build(home: Path, n: int) -> None:
    """A library of ``n`` papers in ``home`` (the bulk written with plain sqlite3)."""
    import sqlite3

    os.environ["PAPERLAB_HOME"] = str(home)
    from paperlab.overviews import ensure_roadmap
    from paperlab.store import open_store

    store = open_store()
    slugs = [t.slug for t in ensure_roadmap(store).topics]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    states = ["unread", "skimming", "reading", "read"]
    pipeline = ["indexed", "indexed", "indexed", "fetched", "queued", "failed"]
    rows = records(n)
    conn = sqlite3.connect(store.path)
    with conn:
        conn.executemany(
            "INSERT INTO reading_list (id, name, title, weeks, loaded_at) VALUES (?, ?, ?, ?, ?)",
            [
                (k + 1, f"list-{k}", f"Bench list {k}", json.dumps([19 + k]), str(start))
                for k in range(6)
            ],
        )
        conn.executemany(
            "INSERT INTO paper (id, version, title, authors, published, state, reading_state, "
            "added_at, updated_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    pid,
                    title,
                    json.dumps([f"A. Author{i % 97}", f"B. Writer{i % 89}"]),
                    str(start - timedelta(days=i % 3000)),
                    pipeline[i % len(pipeline)],
                    states[i % 4],
                    str(start + timedelta(seconds=i)),
                    str(start + timedelta(seconds=i)),
                )
                for i, (pid, title) in enumerate(rows)
            ],
        )
        conn.executemany(
            "INSERT INTO paper_topic (paper_id, topic_slug, source) VALUES (?, ?, 'list')",
            [(pid, slugs[i % len(slugs)]) for i, (pid, _) in enumerate(rows) if i % 3],
        )
        conn.executemany(
            "INSERT INTO reading_list_entry (list_id, paper_id, week, position, why, "
            "expected_title) VALUES (?, ?, ?, ?, '', '')",
            [(i % 6 + 1, pid, 19 + i % 6, i) for i, (pid, _) in enumerate(rows) if i % 2 == 0],
        )
    conn.close()
    store.close()


def ensure_library(root: Path, n: int) -> Path:
    home = root / f"tui-{n}"
    marker = home / "bench-built.json"
    spec = {"papers": n, "version": BUILD_VERSION}
    if marker.is_file() and json.loads(marker.read_text()) == spec:
        return home
    shutil.rmtree(home, ignore_errors=True)
    t = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--build", str(home), str(n)], check=True)
    marker.write_text(json.dumps(spec))
    print(f"# built {n} papers in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return home


class Terminal:
    """What a terminal would show: each cell's character and style, by (x, y)."""

    def __init__(self, app: object) -> None:
        self.console = app.console  # type: ignore[attr-defined]
        self.cells: dict[tuple[int, int], tuple[str, object]] = {}

    def apply(self, update: object) -> set[int]:
        """Write ``update`` as a terminal would; the lines where a cell changed."""
        from rich.segment import ControlType

        changed: set[int] = set()
        x = y = 0
        cells = self.cells
        segments = update.__rich_console__(self.console, self.console.options)  # type: ignore[attr-defined]
        for text, style, control in segments:
            if control:
                for code in control:
                    if code[0] == ControlType.CURSOR_MOVE_TO:
                        x, y = code[1], code[2]
                continue
            for char in text:
                if char == "\n":  # every line starts with a move
                    continue
                if cells.get((x, y)) != (char, style):
                    cells[(x, y)] = (char, style)
                    changed.add(y)
                x += 1
        return changed

    def replay(self, updates: list[tuple[float, object]]) -> list[tuple[float, set[int]]]:
        """Apply and forget ``updates``: when each changed the screen, and which lines."""
        changes = [(when, self.apply(update)) for when, update in updates]
        updates.clear()
        return [(when, lines) for when, lines in changes if lines]


async def measure(launched: float) -> dict[str, object]:
    """In the child: launch to interactive, then keystrokes and rebuilds."""
    from paperlab.tui.app import PaperlabApp
    from paperlab.tui.screens.library import LibraryScreen

    app = PaperlabApp()
    # When the screen last handed a rendered update to the terminal: the end of
    # a repaint (the pilot's own waiting for idleness comes after, unmeasured).
    painted = [0.0]
    display = app._display

    def timed_display(screen: object, renderable: object) -> None:
        painted[0] = time.perf_counter()
        display(screen, renderable)  # type: ignore[arg-type]

    app._display = timed_display  # type: ignore[method-assign]
    # Every update with its time, replayed on a terminal model after each key.
    updates: list[tuple[float, object]] = []
    terminal = Terminal(app)

    def since(start: float) -> float:
        if painted[0] < start:
            raise RuntimeError("no repaint after the change")
        return painted[0] - start

    def recorded_display(screen: object, renderable: object) -> None:
        timed_display(screen, renderable)
        if renderable is not None:
            updates.append((painted[0], renderable))

    app._display = recorded_display  # type: ignore[method-assign]

    async with app.run_test(size=(160, 50)) as pilot:
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        while not screen.loaded:
            await pilot.pause(0.005)
        await pilot.pause()  # the filled table painted
        ready = time.time() - launched
        papers = len({i.paper.id for i in screen.items})

        rebuilds: list[float] = []
        for query in QUERIES:
            for end in [*range(1, len(query) + 1), *range(len(query) - 1, -1, -1)]:
                t = time.perf_counter()
                screen.filter_text = query[:end]
                screen.render_table()
                await pilot.pause()
                rebuilds.append(since(t))

        keys: list[float] = []
        rows_shown: list[float] = []
        final: list[float] = []
        await pilot.press("f")  # focus the filter box
        await pilot.pause()
        terminal.replay(updates)
        table = screen.query_one("#papers")
        table_lines = set(range(table.region.y + 1, table.region.bottom))  # below its header
        for query in QUERIES:
            presses = ["space" if c == " " else c for c in query] + ["backspace"] * len(query)
            for key in presses:
                t = time.perf_counter()
                await pilot.press(key)
                await pilot.pause()
                keys.append(since(t))
                changes = terminal.replay(updates)
                final.append(changes[-1][0] - t if changes else float("nan"))
                # Keys that leave the rows as they were (or a screen waiting for
                # a pause in typing) have no rows to time: NaN, left out.
                row_times = [when for when, lines in changes if lines & table_lines]
                rows_shown.append(row_times[0] - t if row_times else float("nan"))
        assert screen.filter_text == "", screen.filter_text  # every query typed and erased
    return {
        "papers": papers,
        "ready_s": ready,
        "rebuild_ms": [x * 1000 for x in rebuilds],
        "key_ms": [x * 1000 for x in keys],
        "shown_ms": [x * 1000 for x in rows_shown],
        "final_ms": [x * 1000 for x in final],
    }


def _p(values: list[float], q: float) -> float:
    ordered = sorted(v for v in values if v == v)  # NaN: not measured
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--runs", type=int, default=3, help="launches per size")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the libraries here")
    parser.add_argument("--build", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(Path(args.build[0]), int(args.build[1]))
        return
    if args.child is not None:
        print(json.dumps(asyncio.run(measure(args.child))))
        return

    root = args.keep or Path(tempfile.mkdtemp(prefix="paperlab-tui-"))
    root.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    print(f"{sys.executable}; load average {os.getloadavg()[0]:.1f}")
    for n in args.papers:
        home = ensure_library(root, n)
        results = []
        for run in range(args.runs + 1):  # the first run warms caches and is dropped
            launched = time.time()
            proc = subprocess.run(
                [sys.executable, __file__, "--child", repr(launched)],
                env={**env, "PAPERLAB_HOME": str(home)},
                capture_output=True,
                text=True,
                check=True,
            )
            if run:
                results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        ready = [float(r["ready_s"]) for r in results]  # type: ignore[arg-type]
        rebuild = [x for r in results for x in r["rebuild_ms"]]  # type: ignore[attr-defined]
        keys = [x for r in results for x in r["key_ms"]]  # type: ignore[attr-defined]
        shown = [x for r in results for x in r["shown_ms"]]  # type: ignore[attr-defined]
        final = [x for r in results for x in r["final_ms"]]  # type: ignore[attr-defined]
        print(
            f"papers={results[0]['papers']}: launch to interactive "
            f"median {statistics.median(ready):.2f} s "
            f"(runs: {', '.join(f'{x:.2f}' for x in ready)}); "
            f"keystroke to rows on screen p50 {_p(shown, 0.5):.1f} ms "
            f"p95 {_p(shown, 0.95):.1f} ms, to the screen complete p50 {_p(final, 0.5):.1f} ms "
            f"p95 {_p(final, 0.95):.1f} ms, to the last repaint p50 {_p(keys, 0.5):.1f} ms "
            f"p95 {_p(keys, 0.95):.1f} ms (n={len(keys)}); "
            f"rebuild+repaint p50 {_p(rebuild, 0.5):.1f} ms "
            f"p95 {_p(rebuild, 0.95):.1f} ms (n={len(rebuild)})"
        )


if __name__ == "__main__":
    main()
