"""Reference parsing and resolution on real PDFs against the hand-made gold set.

Skips without ../shared/data. The library is the 36 shared PDFs as a fetch
would record them (arXiv title, year of first submission, no authors).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from paperlab.extract import extract_pdf
from paperlab.extract.references import extract_references
from paperlab.refmatch import LibraryIndex, LibraryPaper
from tests.refgold import Parsed, Score, load_gold, score_all


def _manifest(pdfs: Path) -> list[dict[str, str]]:
    lines = (pdfs / "manifest.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:] if line]


@pytest.fixture(scope="module")
def scores(shared_data: Path) -> dict[str, Score]:
    pdfs = shared_data / "pdfs" / "arxiv"
    manifest = _manifest(pdfs)
    library = []
    files = {}
    for row in manifest:
        base = row["arxiv_id"].rsplit("v", 1)[0]
        yymm = base.split("/")[-1][:2]
        year = 2000 + int(yymm) if int(yymm) < 90 else 1900 + int(yymm)
        library.append(LibraryPaper(base, row["title"], year, (), None, None))
        files[base] = pdfs / row["file"]
    index = LibraryIndex(library)

    def parse(arxiv_id: str) -> list[Parsed]:
        document = extract_pdf(files[arxiv_id])
        out = []
        for ref in extract_references(
            document.pages, document.references_at, document.references_end
        ):
            found = index.resolve(
                arxiv_id=ref.arxiv_id,
                doi=ref.doi,
                online_arxiv_id=None,
                title=ref.title,
                year=ref.year,
                first_author=ref.first_author,
            )
            out.append(
                Parsed(
                    ref.raw, ref.title, ref.year, ref.arxiv_id, found.paper_id if found else None
                )
            )
        return out

    return score_all(load_gold(), parse)


def _total(scores: dict[str, Score]) -> Score:
    total = Score()
    for item in scores.values():
        total.add(item)
    return total


def test_gold_set_is_at_least_ten_pdfs_with_resolutions(scores: dict[str, Score]) -> None:
    total = _total(scores)
    assert len(scores) >= 10
    assert total.entries.expected >= 300
    assert total.resolution.expected >= 8


@pytest.mark.parametrize("field", ["title", "year", "arxiv_id"])
def test_parsing_precision_and_recall(scores: dict[str, Score], field: str) -> None:
    counts = getattr(_total(scores), field)
    assert counts.precision >= 0.9, (field, counts)
    assert counts.recall >= 0.9, (field, counts)


def test_every_pdf_is_read_reasonably(scores: dict[str, Score]) -> None:
    for arxiv_id, item in scores.items():
        assert item.entries.correct >= 0.8 * item.entries.expected, arxiv_id
        assert item.title.recall >= 0.8, arxiv_id


def test_resolution_to_library_papers(scores: dict[str, Score]) -> None:
    counts = _total(scores).resolution
    assert counts.precision >= 0.9, counts
    assert counts.recall >= 0.85, counts
