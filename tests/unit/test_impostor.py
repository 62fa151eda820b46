"""Telling a paper's PDF from an impostor, and a stored PDF from a damaged one."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import pytest

from paperlab import provenance
from paperlab.extract import identify_pdf
from paperlab.extract.cleanup import squash_words
from paperlab.provenance import check_stored_pdf, first_page_words, title_matches
from tests.fakearxiv import make_pdf

TITLE = "A Sparse Johnson-Lindenstrauss Transform"
STAMP = "arXiv:1004.4240v1 [cs.DS] 23 Apr 2010"


def _pdf(tmp_path: Path, name: str, title: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(make_pdf(title, [text * 20], stamp=STAMP))
    return path


def test_the_title_decides_not_the_stamp(tmp_path: Path) -> None:
    real = _pdf(tmp_path, "real.pdf", TITLE, "Sparse embeddings preserve distances. ")
    cats = _pdf(tmp_path, "cats.pdf", "Cats: A Field Guide", "Cats sleep all day. ")
    assert identify_pdf(real).arxiv_id == identify_pdf(cats).arxiv_id
    assert title_matches(TITLE, identify_pdf(real).title, real)
    assert not title_matches(TITLE, identify_pdf(cats).title, cats)
    # Case, dashes and line breaks are not differences.
    assert title_matches(TITLE, "A SPARSE JOHNSON–LINDENSTRAUSS\nTRANSFORM")


def test_a_title_cited_lower_on_page_one_is_not_the_title(tmp_path: Path) -> None:
    citing = _pdf(
        tmp_path,
        "citing.pdf",
        "Toward a Unified Theory of Sparse Dimensionality Reduction",
        "Let the matrix be a sparse Johnson-Lindenstrauss transform with few non-zeroes per "
        "column; we bound the number of rows needed for a subset of the unit sphere. "
        * 3
        + f"We build on {TITLE} and improve on it. ",
    )
    assert not title_matches(TITLE, identify_pdf(citing).title, citing)


def test_stored_pdf_checks(tmp_path: Path) -> None:
    path = tmp_path / "p.pdf"
    data = make_pdf(TITLE, ["text"], stamp=STAMP)
    path.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    assert check_stored_pdf(path, sha, sha, stored_version=1, current_version=1).ok
    assert check_stored_pdf(None, None, None).ok  # nothing stored: nothing to repair
    # The paper's sha was overwritten, but its version's record (arXiv's file) was not.
    assert "no longer matches" in str(check_stored_pdf(path, sha, "0" * 64).problem)
    assert "v9 but arXiv lists v1" in str(
        check_stored_pdf(path, sha, sha, stored_version=9, current_version=1).problem
    )
    path.write_bytes(data[:-100])
    assert "no longer matches" in str(check_stored_pdf(path, sha, None).problem)
    path.unlink()
    assert "missing" in str(check_stored_pdf(path, sha, sha).problem)


def _manifest(shared_data: Path) -> list[tuple[str, str, Path]]:
    pdf_dir = shared_data / "pdfs" / "arxiv"
    rows = []
    for line in (pdf_dir / "manifest.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) >= 6 and (pdf_dir / cols[0]).is_file():
            rows.append((cols[1], cols[5], pdf_dir / cols[0]))
    if not rows:
        pytest.skip("no PDFs in the shared manifest")
    return rows


def test_every_real_arxiv_pdf_matches_its_own_title(shared_data: Path) -> None:
    for arxiv_id, title, path in _manifest(shared_data):
        assert title_matches(title, identify_pdf(path).title, path), arxiv_id
        # Even with no usable title guess, page 1 names the paper.
        assert title_matches(title, None, path), arxiv_id


def test_no_real_arxiv_pdf_passes_for_another_paper(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each PDF's page 1 is read once, not once per other paper: the same
    # words, 1,260 checks in ~2 s instead of ~20.
    monkeypatch.setattr(provenance, "first_page_words", functools.cache(first_page_words))
    rows = _manifest(shared_data)
    guesses = {path: identify_pdf(path).title for _, _, path in rows}
    for arxiv_id, title, _ in rows:
        for other_id, other_title, other in rows:
            if other_id == arxiv_id:
                continue
            # "Deep Reinforcement Learning" is the start of "An Introduction to Deep
            # Reinforcement Learning": a title that is part of another's cannot tell them apart.
            contained = f" {' '.join(squash_words(title))} " in (
                f" {' '.join(squash_words(other_title))} "
            )
            if not contained:
                assert not title_matches(title, guesses[other], other), (arxiv_id, other_id)
