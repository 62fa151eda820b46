"""Extraction throughput: every PDF in a folder through extract_pdf (clean + chunk).

    python bench/extract_bench.py [FOLDER]            per-file figures, then pages/s
    python bench/extract_bench.py --save out.json     also write every output
    python bench/extract_bench.py --diff out.json     compare the outputs with a saved run
    python bench/extract_bench.py --against SRC [--rounds 5]
        side by side: this tree and the tree at SRC (e.g. a `git worktree` of an
        older commit), alternating whole runs in fresh processes so that both
        see the same machine load; prints the median and best of each
    python bench/extract_bench.py --workers N [--rounds 3]
        side by side: one process against N extraction worker processes
        (ExtractionPool, as `paperlab index` runs them; starting the workers
        is timed too), both parsing reference lists as well; prints pages/s
        of each round and the median ratio

FOLDER defaults to ../shared/data/pdfs/arxiv. Rates are pages per second of
wall time and of process CPU time (the CPU figure moves less when other work
shares the machine). The raw PyMuPDF ``get_text()`` rate on the same files is
printed for comparison.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO.parent / "shared" / "data" / "pdfs" / "arxiv"


@dataclass
class Rate:
    """One pass over a folder."""

    files: int
    pages: int
    chunks: int
    wall: float
    cpu: float

    @property
    def pages_per_s(self) -> float:
        return self.pages / max(self.wall, 1e-9)

    @property
    def cpu_pages_per_s(self) -> float:
        return self.pages / max(self.cpu, 1e-9)


def measure(files: list[Path], report: bool = False) -> tuple[Rate, dict[str, Any]]:
    """Extract every file once; returns the rate and each file's output as plain data."""
    import pymupdf  # noqa: F401  (import cost kept out of the timing)

    from paperlab.errors import ExtractionError
    from paperlab.extract import extract_pdf

    outputs: dict[str, Any] = {}
    pages = chunks = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for path in files:
        t0 = time.perf_counter()
        try:
            doc = extract_pdf(path)
        except ExtractionError as exc:
            outputs[path.name] = {"error": exc.message}
            if report:
                print(f"{path.name:28} FAILED {exc.message}")
            continue
        pages += doc.page_count
        chunks += len(doc.chunks)
        outputs[path.name] = as_data(doc)
        if report:
            dt = time.perf_counter() - t0
            print(
                f"{path.name:28} {doc.page_count:4d} pages {len(doc.chunks):4d} chunks "
                f"{len(doc.sections):3d} sections {doc.page_count / dt:7.1f} pages/s"
            )
    rate = Rate(len(files), pages, chunks, time.perf_counter() - wall0, time.process_time() - cpu0)
    return rate, outputs


def as_data(doc: Any) -> dict[str, Any]:
    """Everything extract_pdf returned, as JSON-ready data."""
    return {
        "page_count": doc.page_count,
        "arxiv_id": str(doc.arxiv_id) if doc.arxiv_id else None,
        "title": doc.title_guess,
        "references_at": list(doc.references_at) if doc.references_at else None,
        "warnings": doc.warnings,
        "pages": [p.text for p in doc.pages],
        "sections": [[s.title, s.level, s.page, s.char_offset] for s in doc.sections],
        "chunks": [
            [c.page_start, c.page_end, c.char_start, c.char_end, c.section, c.is_reference, c.text]
            for c in doc.chunks
        ],
    }


def raw_rate(files: list[Path]) -> float:
    """Pages per second of bare ``page.get_text()``, the floor we compare against."""
    import pymupdf

    pages = 0
    start = time.perf_counter()
    for path in files:
        with pymupdf.open(path) as doc:
            for page in doc:
                page.get_text()
                pages += 1
    return pages / max(time.perf_counter() - start, 1e-9)


def diff_outputs(old: dict[str, Any], new: dict[str, Any]) -> int:
    """Print what changed between two saved runs; returns the number of files that differ."""
    changed = 0
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if a == b:
            continue
        changed += 1
        print(f"== {name}")
        if a is None or b is None or "error" in a or "error" in b:
            print(f"   before: {str(a)[:200]}\n   after:  {str(b)[:200]}")
            continue
        for key in ("page_count", "arxiv_id", "title", "references_at", "warnings"):
            if a[key] != b[key]:
                print(f"   {key}: {a[key]!r} -> {b[key]!r}")
        for number, (pa, pb) in enumerate(zip(a["pages"], b["pages"], strict=True), 1):
            if pa != pb:
                print(f"   page {number} text:")
                lines = difflib.unified_diff(pa.splitlines(), pb.splitlines(), lineterm="", n=0)
                for line in list(lines)[2:14]:
                    print(f"      {line[:160]}")
        if a["sections"] != b["sections"]:
            sa = {tuple(s) for s in a["sections"]}
            sb = {tuple(s) for s in b["sections"]}
            for s in sorted(sa - sb, key=lambda s: (s[2], s[3])):
                print(f"   section removed: {s}")
            for s in sorted(sb - sa, key=lambda s: (s[2], s[3])):
                print(f"   section added:   {s}")
        if a["chunks"] != b["chunks"]:
            ca, cb = [tuple(c) for c in a["chunks"]], [tuple(c) for c in b["chunks"]]
            same = len(set(ca) & set(cb))
            print(f"   chunks: {len(ca)} -> {len(cb)}, {same} unchanged")
    print(f"{changed} of {len(set(old) | set(new))} files differ")
    return changed


def one_process_rate(files: list[Path]) -> float:
    """Pages/s of extraction plus reference parsing, file after file in this process."""
    import pymupdf  # noqa: F401  (the import is kept out of the timing)

    from paperlab.extract.workers import extract_with_references

    start = time.perf_counter()
    pages = sum(_pages(extract_with_references(path)) for path in files)
    return pages / (time.perf_counter() - start)


def pool_rate(files: list[Path], workers: int) -> float:
    """The same work through ``workers`` extraction processes, as `paperlab index` runs
    them (up to 2N PDFs in flight, results in order); starting the workers is timed."""
    from paperlab.extract.workers import ExtractionPool

    start = time.perf_counter()
    pages = 0
    with ExtractionPool(workers) as extraction:
        window = [extraction.submit(path) for path in files[: 2 * workers]]
        for path in files[2 * workers :]:
            pages += _pages(window.pop(0).result())
            window.append(extraction.submit(path))
        pages += sum(_pages(pending.result()) for pending in window)
    return pages / (time.perf_counter() - start)


def _pages(extraction: Any) -> int:
    return int(extraction.document.page_count) if extraction.document is not None else 0


def workers_side_by_side(files: list[Path], workers: int, rounds: int) -> None:
    """Alternate rounds: every file in this process, then through N worker processes."""
    ratios = []
    for n in range(1, rounds + 1):
        alone = one_process_rate(files)
        pooled = pool_rate(files, workers)
        ratios.append(pooled / alone)
        print(
            f"round {n}: one process {alone:6.1f} pages/s  {workers} workers {pooled:6.1f}"
            f" pages/s  ratio {pooled / alone:.2f}x",
            flush=True,
        )
    print(f"median ratio {statistics.median(ratios):.2f}x over {rounds} rounds")


def side_by_side(folder: Path, other: Path, rounds: int) -> None:
    """Alternate whole runs of this tree and ``other`` in fresh processes."""
    trees = {"this tree": REPO / "src", str(other): other / "src"}
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
    for _ in range(rounds):
        for name, src in trees.items():
            env = {**os.environ, "PYTHONPATH": str(src)}
            proc = subprocess.run(
                [sys.executable, __file__, str(folder), "--rate-only"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            wall, cpu = (float(v) for v in proc.stdout.split())
            results[name].append((wall, cpu))
    for name, runs in results.items():
        walls = [w for w, _ in runs]
        cpus = [c for _, c in runs]
        print(
            f"{name:30} pages/s wall median {statistics.median(walls):6.1f} best {max(walls):6.1f}"
            f"   cpu median {statistics.median(cpus):6.1f} best {max(cpus):6.1f}"
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--save", type=Path, help="write every output to this JSON file")
    parser.add_argument("--diff", type=Path, help="compare the outputs with this saved JSON")
    parser.add_argument("--against", type=Path, help="another source tree to time side by side")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, help="time N extraction worker processes")
    parser.add_argument("--rate-only", action="store_true", help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)

    files = sorted(opts.folder.glob("*.pdf"))
    if not files:
        print(f"no PDFs in {opts.folder}", file=sys.stderr)
        return 2
    if opts.against:
        side_by_side(opts.folder, opts.against, opts.rounds)
        return 0
    if opts.workers:
        workers_side_by_side(files, opts.workers, opts.rounds)
        return 0
    if opts.rate_only:
        rate, _ = measure(files)
        print(f"{rate.pages_per_s:.2f} {rate.cpu_pages_per_s:.2f}")
        return 0
    rate, outputs = measure(files, report=True)
    failed = sum(1 for out in outputs.values() if "error" in out)
    sections = sum(len(out.get("sections", [])) for out in outputs.values())
    print(f"\nfiles: {rate.files} ({failed} failed)  pages: {rate.pages}  chunks: {rate.chunks}")
    print(f"sections: {sections}")
    print(
        f"time: {rate.wall:.2f} s  pages/s: {rate.pages_per_s:.1f} "
        f"(cpu {rate.cpu_pages_per_s:.1f})  chunks/s: {rate.chunks / rate.wall:.1f}"
    )
    raw = raw_rate(files)
    print(f"raw get_text pages/s: {raw:.1f}  (extract_pdf is {raw / rate.pages_per_s:.2f}x slower)")
    if opts.save:
        opts.save.write_text(json.dumps(outputs, ensure_ascii=False), encoding="utf-8")
    if opts.diff:
        diff_outputs(json.loads(opts.diff.read_text(encoding="utf-8")), outputs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
