"""Reference lists: parsing and resolution quality on the hand-made gold set, and their cost.

1. Quality. The 36 shared arXiv PDFs make a library (ids, arXiv titles from
   the manifest, the year of first submission from the id, as a fetch
   records them; no authors, so titles resolve on title and year alone).
   Every PDF with a gold list (tests/data/refs_gold) is extracted, its
   references parsed and resolved against that library, and scored:
   precision and recall of the entries' title, year and arXiv id, and of
   resolution to library papers.
2. Time per paper: the reference step alone (cut + parse) on every PDF.
3. Overhead on the fetch pipeline, side by side in one run: every PDF is
   extracted into two libraries, one with reference extraction and one
   without, alternating which goes first; then ``--index-papers`` of them
   (the shortest) are extracted and embedded with the real model in two
   fresh libraries the same way.

    python bench/refs_bench.py [--pdfs DIR] [--index-papers 4] [--rounds 3]

The last lines read ``resolution precision=... recall=...`` and
``overhead extraction=...% indexing=...%``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "src"))

from tests.refgold import Parsed, Score, held_out, load_gold, score_all  # noqa: E402

DEFAULT_PDFS = REPO.parent / "shared" / "data" / "pdfs" / "arxiv"


def read_manifest(pdf_dir: Path) -> list[dict[str, str]]:
    lines = (pdf_dir / "manifest.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:] if line]


def first_submitted(arxiv_id: str) -> datetime:
    """arXiv's ``published`` date is the first version's: its year and month are in the id."""
    digits = arxiv_id.split("/")[-1][:4]
    year, month = int(digits[:2]), int(digits[2:4])
    return datetime(2000 + year if year < 90 else 1900 + year, max(1, month), 1, tzinfo=UTC)


def make_library(home: Path, pdf_dir: Path, manifest: list[dict[str, str]]) -> tuple[Any, Any]:
    from paperlab.ids import parse_arxiv_id
    from paperlab.settings import load_settings
    from paperlab.store import open_store
    from paperlab.store.models import Paper

    settings = dataclasses.replace(load_settings(), home=home)
    store = open_store(settings)
    with store.write() as session:
        for row in manifest:
            parsed = parse_arxiv_id(row["arxiv_id"])
            session.add(
                Paper(
                    id=parsed.base,
                    version=parsed.version,
                    pdf_version=parsed.version,
                    title=row["title"],
                    published=first_submitted(parsed.base),
                    pdf_path=str(pdf_dir / row["file"]),
                    state="fetched",
                )
            )
    return store, settings


def quality(store: Any, pdf_dir: Path, manifest: list[dict[str, str]]) -> dict[str, Score]:
    from paperlab.extract import extract_pdf
    from paperlab.extract.references import extract_references
    from paperlab.refmatch import LibraryIndex

    files = {r["arxiv_id"].rsplit("v", 1)[0]: pdf_dir / r["file"] for r in manifest}
    with store.connect() as conn:
        index = LibraryIndex.load(conn)

    def parse(arxiv_id: str) -> list[Parsed]:
        document = extract_pdf(files[arxiv_id])
        entries = extract_references(
            document.pages, document.references_at, document.references_end
        )
        out = []
        for ref in entries:
            found = index.resolve(
                arxiv_id=ref.arxiv_id,
                doi=ref.doi,
                online_arxiv_id=None,
                title=ref.title,
                year=ref.year,
                first_author=ref.first_author,
            )
            resolved = found.paper_id if found else None
            out.append(Parsed(ref.raw, ref.title, ref.year, ref.arxiv_id, resolved))
        return out

    return score_all(load_gold(), parse)


def reference_step_times(pdf_dir: Path, manifest: list[dict[str, str]]) -> list[float]:
    from paperlab.extract import extract_pdf
    from paperlab.extract.references import extract_references

    times = []
    for row in manifest:
        document = extract_pdf(pdf_dir / row["file"])
        start = time.perf_counter()
        extract_references(document.pages, document.references_at, document.references_end)
        times.append(time.perf_counter() - start)
    return times


def side_by_side(
    pdf_dir: Path, manifest: list[dict[str, str]], rounds: int, embed: bool, cache: Path
) -> tuple[float, float]:
    """Seconds (with, without references) over ``manifest``: each paper's best of ``rounds``.

    Both libraries share one model cache, and the model is loaded and run
    once in each before timing, so neither pays for exporting or loading it.
    The order of the two alternates paper by paper and round by round, and
    each paper counts with its fastest round in each mode, which keeps most
    of what other processes on a shared machine add out of the figures.
    """
    from paperlab.pipeline import embed_paper, extract_paper
    from paperlab.search.embedder import load_embedder

    best: dict[bool, list[float]] = {True: [], False: []}
    for round_number in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            libraries = {}
            for mode in (True, False):
                home = Path(tmp) / str(mode)
                home.mkdir()
                (home / "cache").symlink_to(cache, target_is_directory=True)
                libraries[mode] = make_library(home, pdf_dir, manifest)
                if embed:
                    load_embedder(libraries[mode][1]).embed(["warm up the model"])
            for position, row in enumerate(manifest):
                paper_id = row["arxiv_id"].rsplit("v", 1)[0]
                order = (True, False) if (position + round_number) % 2 == 0 else (False, True)
                for mode in order:
                    store, settings = libraries[mode]
                    start = time.perf_counter()
                    extract_paper(store, settings, paper_id, with_references=mode)
                    if embed:
                        embed_paper(store, settings, paper_id)
                    took = time.perf_counter() - start
                    if round_number == 0:
                        best[mode].append(took)
                    else:
                        best[mode][position] = min(best[mode][position], took)
            for store, _ in libraries.values():
                store.close()
    return sum(best[True]), sum(best[False])


def pct(with_refs: float, without: float) -> float:
    return 100.0 * (with_refs - without) / without if without else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pdfs", type=Path, default=DEFAULT_PDFS)
    parser.add_argument("--index-papers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not (args.pdfs / "manifest.tsv").is_file():
        sys.exit(f"no shared PDFs at {args.pdfs} (give --pdfs DIR)")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    manifest = read_manifest(args.pdfs)

    work = Path(tempfile.mkdtemp(prefix="refs-bench-"))
    try:
        run(args, manifest, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, manifest: list[dict[str, str]], work: Path) -> None:
    os.environ["PAPERLAB_HOME"] = str(work / "quality")
    cache = work / "cache"  # one model cache for every library of the run
    cache.mkdir()
    store, _ = make_library(work / "quality", args.pdfs, manifest)
    scores = quality(store, args.pdfs, manifest)
    store.close()

    total = Score()
    print(f"{'paper':<12} {'gold':>4} {'found':>5} {'title P/R':>11} {'year P/R':>11} "
          f"{'arXiv P/R':>11} {'resolved P/R':>13}")  # fmt: skip
    for arxiv_id, item in scores.items():
        total.add(item)
        cells = [
            f"{c.precision:.2f}/{c.recall:.2f}"
            for c in (item.title, item.year, item.arxiv_id, item.resolution)
        ]
        print(
            f"{arxiv_id:<12} {item.entries.expected:>4} {item.entries.predicted:>5} "
            f"{cells[0]:>11} {cells[1]:>11} {cells[2]:>11} {cells[3]:>13}"
        )
    print(
        f"gold set: {len(scores)} PDFs, {total.entries.expected} entries; parser found "
        f"{total.entries.predicted}, {total.entries.correct} of them aligned to a gold entry"
    )
    for name in ("title", "year", "arxiv_id"):
        counts = getattr(total, name)
        print(
            f"parsing {name}: precision={counts.precision:.3f} recall={counts.recall:.3f} "
            f"({counts.correct} right, {counts.predicted} given, {counts.expected} in gold)"
        )
    unseen = Score()
    later = sorted(held_out() & set(scores))
    for arxiv_id in later:
        unseen.add(scores[arxiv_id])
    if later:
        print(
            f"held out ({', '.join(later)}; written after the parser was tuned): "
            + ", ".join(
                f"{name} P/R {c.precision:.3f}/{c.recall:.3f}"
                for name, c in (
                    ("title", unseen.title),
                    ("year", unseen.year),
                    ("arXiv id", unseen.arxiv_id),
                    ("resolution", unseen.resolution),
                )
            )
        )

    steps = reference_step_times(args.pdfs, manifest)
    print(
        f"reference step (cut + parse): {1000 * sum(steps) / len(steps):.1f} ms per paper "
        f"on average, {1000 * max(steps):.1f} ms at most, {len(steps)} papers"
    )
    with_refs, without = side_by_side(args.pdfs, manifest, args.rounds, False, cache)
    print(
        f"extraction of {len(manifest)} papers: {with_refs:.2f} s with references, "
        f"{without:.2f} s without ({pct(with_refs, without):+.1f}%), "
        f"{1000 * (with_refs - without) / len(manifest):.1f} ms per paper"
    )
    by_pages = sorted(manifest, key=lambda r: int(r["pages"]))[: max(0, args.index_papers)]
    index_with, index_without = (0.0, 0.0)
    if by_pages:
        index_with, index_without = side_by_side(args.pdfs, by_pages, args.rounds, True, cache)
        print(
            f"indexing (extract + embed) of {len(by_pages)} papers: {index_with:.2f} s with "
            f"references, {index_without:.2f} s without ({pct(index_with, index_without):+.1f}%)"
        )
        # The difference of two noisy totals swings by more than the step costs on a
        # shared machine; the step's own time against a paper's indexing time does not.
        own = sum(steps[manifest.index(row)] for row in by_pages)
        print(
            f"reference step inside that indexing: {1000 * own:.0f} ms of "
            f"{index_without:.2f} s ({100 * own / index_without:.2f}%)"
        )
    print(
        f"resolution precision={total.resolution.precision:.3f} "
        f"recall={total.resolution.recall:.3f} "
        f"({total.resolution.correct} right, {total.resolution.predicted} given, "
        f"{total.resolution.expected} in gold)"
    )
    print(
        f"overhead extraction={pct(with_refs, without):+.1f}% "
        f"indexing={pct(index_with, index_without):+.1f}%"
    )


if __name__ == "__main__":
    main()
