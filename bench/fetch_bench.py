"""Fetch a 30-paper reading list from the fake arXiv and compare with the floor.

Prints the API and PDF request counts, the wall time of `paperlab fetch
--no-index`, the unavoidable time (politeness delays plus transfers) and their
ratio. With ``--index`` it also times extraction + embedding alone
(`paperlab index` on the downloaded library) and the full pipelined
`paperlab fetch`, prints ``overlap=X.XX`` (full wall / slower stage), and the
extraction throughput (extract + clean + chunk, no embedding) on the
downloaded PDFs in pages/s, then with references parsed in one process and
in the worker processes the pipeline uses (see bench/extract_bench.py).

    python bench/fetch_bench.py [--papers 30] [--latency 0.05] [--delay 3] [--index]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.extract_bench import measure, one_process_rate, pool_rate  # noqa: E402
from tests.fakearxiv import FakeArxiv, FakePaper, catalogue_from_shared, make_pdf  # noqa: E402

from paperlab.settings import load_settings  # noqa: E402

SHARED_PDFS = REPO.parent / "shared" / "data" / "pdfs" / "arxiv"


def catalogue(count: int) -> list[FakePaper]:
    """Real PDFs when the shared data is there, generated ones otherwise."""
    papers = catalogue_from_shared(SHARED_PDFS) if SHARED_PDFS.is_dir() else []
    papers = [p for p in papers if "/" not in p.id][:count]
    n = 0
    while len(papers) < count:
        n += 1
        text = [
            f"Section {i}. " + "Generated sentence about learning rates. " * 120 for i in range(8)
        ]
        papers.append(
            FakePaper(
                id=f"2301.{n:05d}",
                version=1,
                title=f"Generated paper {n}",
                authors=["A. Author"],
                abstract="Generated.",
                categories=["cs.LG"],
                pdf_bytes=make_pdf(f"Paper {n}", text),
            )
        )
    return papers


def write_list(path: Path, papers: list[FakePaper]) -> None:
    lines = [
        'name = "bench"',
        'title = "Bench list"',
        'description = "Benchmark."',
        "weeks = [19, 20]",
        "",
    ]
    for p in papers:
        title = p.title.replace("\\", "\\\\").replace('"', '\\"')
        lines += [
            "[[paper]]",
            f'id = "{p.id}"',
            f'title = "{title}"',
            "week = 19",
            'topics = ["deep-learning"]',
            'why = "benchmark"',
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")


def run(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "paperlab", *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"paperlab {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=30)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--delay", type=float, default=3.0, help="PAPERLAB_ARXIV_DELAY")
    parser.add_argument("--index", action="store_true", help="also time extraction+embedding")
    opts = parser.parse_args()

    papers = catalogue(opts.papers)
    work = Path(tempfile.mkdtemp(prefix="paperlab-fetch-bench-"))
    listing = work / "bench.toml"
    write_list(listing, papers)
    with FakeArxiv(papers, latency=opts.latency) as server:
        base_env = {
            **os.environ,
            "PAPERLAB_ARXIV_API_URL": server.api_url,
            "PAPERLAB_ARXIV_DELAY": str(opts.delay),
        }

        env = {**base_env, "PAPERLAB_HOME": str(work / "download-only")}
        download_wall = run(["fetch", "--no-index", str(listing)], env)
        api = server.requests("api")
        pdfs = server.requests("pdf")
        size = sum(p.stat().st_size for p in (work / "download-only" / "pdfs").glob("*.pdf"))
        # The floor: every API request after the first waits `delay`, every PDF
        # after the first waits delay/3, and each request costs its latency.
        floor = (
            max(len(api) - 1, 0) * opts.delay
            + max(len(pdfs) - 1, 0) * opts.delay / 3
            + (len(api) + len(pdfs)) * opts.latency
        )
        print(
            f"papers={len(papers)} api_requests={len(api)} pdf_requests={len(pdfs)} "
            f"pdf_bytes={size}"
        )
        print(
            f"fetch --no-index wall={download_wall:.2f}s unavoidable={floor:.2f}s "
            f"ratio={download_wall / floor:.2f}"
        )

        if opts.index:
            process_wall = run(["index"], env)
            server.clear_log()
            env_full = {**base_env, "PAPERLAB_HOME": str(work / "pipelined")}
            full_wall = run(["fetch", str(listing)], env_full)
            total = download_wall + process_wall
            slower = max(download_wall, process_wall)
            print(
                f"stage download={download_wall:.2f}s stage extract+embed={process_wall:.2f}s "
                f"sum={total:.2f}s max={slower:.2f}s"
            )
            print(f"fetch (pipelined) wall={full_wall:.2f}s overlap={full_wall / slower:.2f}")
            # Extracting again (an upgrade, `paperlab index ID...`) reuses every vector:
            # extraction and storing are the whole job.
            ids = [p.id for p in papers]
            again = {}
            for label, workers in (("one process", "0"), ("worker processes", "")):
                env_again = {**env, "PAPERLAB_EXTRACT_WORKERS": workers}
                again[label] = run(["index", *ids], env_again)
            print(
                f"index again (vectors reused) one process={again['one process']:.2f}s "
                f"worker processes={again['worker processes']:.2f}s "
                f"ratio={again['one process'] / again['worker processes']:.2f}"
            )
            downloaded = sorted((work / "download-only" / "pdfs").glob("*.pdf"))
            rate, _ = measure(downloaded)
            print(
                f"extraction (extract+clean+chunk) pages={rate.pages} wall={rate.wall:.2f}s "
                f"pages/s={rate.pages_per_s:.1f} (cpu {rate.cpu_pages_per_s:.1f})"
            )
            # What the pipeline runs: references parsed too, and the worker processes.
            workers = load_settings().extract_workers
            alone = one_process_rate(downloaded)
            pooled = pool_rate(downloaded, workers) if workers else alone
            print(
                f"extraction + references: one process {alone:.1f} pages/s, "
                f"{workers} worker processes {pooled:.1f} pages/s ({pooled / alone:.2f}x)"
            )


if __name__ == "__main__":
    main()
