"""Stored papers: an impostor PDF never replaces one, and fetch repairs what is off.

Every PDF here is a real one made with PyMuPDF and stamped with an arXiv id;
every fetch goes to the fake arXiv server through the real command line.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.fakearxiv import FakeArxiv, make_pdf, sample_paper
from tests.helpers import run_cli

PAPER_ID = "1004.4240"
TITLE = "A Sparse Johnson-Lindenstrauss Transform"
ABSTRACT = (
    "Dimension reduction in Euclidean space preserves pairwise distances. "
    "We give a sparse embedding matrix with few non-zero entries per column. " * 12
)
STAMP_V1 = f"arXiv:{PAPER_ID}v1 [cs.DS] 23 Apr 2010"
STAMP_V9 = f"arXiv:{PAPER_ID}v9 [cs.DS] 1 Jan 2030"
CATS = ["Cats are nice animals and sleep most of the day. " * 30]


@pytest.fixture
def arxiv(fake_arxiv: FakeArxiv) -> FakeArxiv:
    fake_arxiv.add(sample_paper(PAPER_ID, version=1, title=TITLE, abstract=ABSTRACT))
    return fake_arxiv


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def db_rows(home: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(home / "paperlab.db") as conn:
        return conn.execute(sql).fetchall()


def stored(home: Path) -> Path:
    (path,) = db_rows(home, f"SELECT pdf_path FROM paper WHERE id = '{PAPER_ID}'")[0]
    return home / str(path)


def pdf_names(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "pdfs").glob("*.pdf"))


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def fetch_json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    result = run_cli(capsys, "fetch", "--no-index", "--json", PAPER_ID)
    assert result.code == 0, result.err
    (paper,) = json.loads(result.out)["papers"]
    assert isinstance(paper, dict)
    return paper


def test_an_impostor_with_the_same_version_never_replaces_the_stored_pdf(
    arxiv: FakeArxiv, tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "fetch", "--no-index", PAPER_ID).code == 0
    real = arxiv.papers[PAPER_ID].pdf_for(1)
    assert stored(paperlab_home).read_bytes() == real

    impostor = write(tmp_path / "x.pdf", make_pdf("Cats: A Field Guide", CATS, stamp=STAMP_V1))
    result = run_cli(capsys, "add", "--no-index", str(impostor))
    assert result.code == 1
    assert "Traceback" not in result.err
    assert "x.pdf: refused" in result.err
    assert "'Cats: A Field Guide' does not match" in result.err and TITLE in result.err
    assert stored(paperlab_home).read_bytes() == real
    assert db_rows(paperlab_home, "SELECT pdf_sha256, pdf_version FROM paper") == [
        (sha256(real), 1)
    ]
    assert pdf_names(paperlab_home) == [f"{PAPER_ID}v1.pdf"]

    # Nothing needed repairing, so nothing is downloaded.
    arxiv.clear_log()
    assert fetch_json(capsys)["status"] == "up-to-date"
    assert arxiv.requests("pdf") == []


def test_a_different_copy_of_the_same_version_keeps_the_stored_file(
    arxiv: FakeArxiv, tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Even a PDF with the right title does not overwrite the stored file of its version."""
    assert run_cli(capsys, "fetch", "--no-index", PAPER_ID).code == 0
    real = arxiv.papers[PAPER_ID].pdf_for(1)
    copy = write(tmp_path / "mine.pdf", make_pdf(TITLE, ["My own copy of it."], stamp=STAMP_V1))
    result = run_cli(capsys, "add", "--no-index", "--json", str(copy))
    assert result.code == 0, result.err
    (outcome,) = json.loads(result.out)
    assert outcome["status"] == "already-present"
    assert "different file" in outcome["message"]
    assert stored(paperlab_home).read_bytes() == real


def test_a_stamp_newer_than_arxiv_lists_is_not_trusted(
    arxiv: FakeArxiv, tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "fetch", "--no-index", PAPER_ID).code == 0
    real = arxiv.papers[PAPER_ID].pdf_for(1)
    # The right title, a version arXiv has never listed.
    v9 = write(tmp_path / "v9.pdf", make_pdf(TITLE, ["Some other text."], stamp=STAMP_V9))
    result = run_cli(capsys, "add", "--no-index", str(v9))
    assert result.code == 1
    assert "v9.pdf: refused" in result.err
    assert "stamped v9 but arXiv lists v1" in result.err
    assert f"paperlab fetch {PAPER_ID}" in result.err
    assert db_rows(paperlab_home, "SELECT version, pdf_version FROM paper") == [(1, 1)]
    assert db_rows(paperlab_home, "SELECT version FROM paper_version") == [(1,)]
    assert pdf_names(paperlab_home) == [f"{PAPER_ID}v1.pdf"]
    assert stored(paperlab_home).read_bytes() == real

    # An impostor stamped v9 fails on its title first.
    cats = write(tmp_path / "cats.pdf", make_pdf("Cats: A Field Guide", CATS, stamp=STAMP_V9))
    result = run_cli(capsys, "add", "--no-index", str(cats))
    assert result.code == 1 and "does not match" in result.err
    assert pdf_names(paperlab_home) == [f"{PAPER_ID}v1.pdf"]


def test_fetch_repairs_a_damaged_or_missing_pdf(
    arxiv: FakeArxiv, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "fetch", "--no-index", PAPER_ID).code == 0
    real = arxiv.papers[PAPER_ID].pdf_for(1)
    path = stored(paperlab_home)

    path.write_bytes(real[: len(real) // 2])  # a disk error, a bad copy: same name
    arxiv.clear_log()
    outcome = fetch_json(capsys)
    assert outcome["status"] == "repaired"
    assert any("no longer matches" in w for w in outcome["warnings"])
    assert len(arxiv.requests("pdf")) == 1
    assert path.read_bytes() == real

    path.unlink()
    outcome = fetch_json(capsys)
    assert outcome["status"] == "repaired"
    assert any("missing" in w for w in outcome["warnings"])
    assert path.read_bytes() == real

    arxiv.clear_log()
    assert fetch_json(capsys)["status"] == "up-to-date"
    assert arxiv.requests("pdf") == []


def test_fetch_repairs_a_library_where_an_impostor_replaced_the_pdf(
    arxiv: FakeArxiv, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What older releases left behind: the impostor's file and sha on the paper."""
    assert run_cli(capsys, "fetch", "--no-index", PAPER_ID).code == 0
    real = arxiv.papers[PAPER_ID].pdf_for(1)
    impostor = make_pdf("Cats: A Field Guide", CATS, stamp=STAMP_V1)
    stored(paperlab_home).write_bytes(impostor)
    with sqlite3.connect(paperlab_home / "paperlab.db") as conn:
        conn.execute("UPDATE paper SET pdf_sha256 = ?", (sha256(impostor),))

    outcome = fetch_json(capsys)
    assert outcome["status"] == "repaired"
    assert stored(paperlab_home).read_bytes() == real
    assert db_rows(paperlab_home, "SELECT pdf_sha256 FROM paper") == [(sha256(real),)]


def test_fetch_makes_arxivs_version_current_again_after_a_v9_impostor(
    arxiv: FakeArxiv, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "fetch", "--no-index", PAPER_ID).code == 0
    real = arxiv.papers[PAPER_ID].pdf_for(1)
    impostor = make_pdf("Cats: A Field Guide", CATS, stamp=STAMP_V9)
    v9 = paperlab_home / "pdfs" / f"{PAPER_ID}v9.pdf"
    v9.write_bytes(impostor)
    with sqlite3.connect(paperlab_home / "paperlab.db") as conn:
        conn.execute(
            "UPDATE paper SET pdf_path = ?, pdf_version = 9, pdf_sha256 = ?",
            (f"pdfs/{v9.name}", sha256(impostor)),
        )
        conn.execute(
            "INSERT INTO paper_version (paper_id, version, pdf_sha256) VALUES (?, 9, ?)",
            (PAPER_ID, sha256(impostor)),
        )

    outcome = fetch_json(capsys)
    assert outcome["status"] == "repaired" and outcome["version"] == 1
    assert any("v9" in w and "arXiv lists v1" in w for w in outcome["warnings"])
    assert db_rows(paperlab_home, "SELECT pdf_version, pdf_path FROM paper") == [
        (1, f"pdfs/{PAPER_ID}v1.pdf")
    ]
    assert db_rows(paperlab_home, "SELECT version FROM paper_version") == [(1,)]
    assert stored(paperlab_home).read_bytes() == real


def test_an_offline_import_that_is_not_the_paper_is_replaced_by_arxivs_pdf(
    arxiv: FakeArxiv, tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Offline there is no title to check against; the next fetch checks it."""
    impostor = write(tmp_path / "x.pdf", make_pdf("Cats: A Field Guide", CATS, stamp=STAMP_V1))
    added = run_cli(capsys, "add", "--no-index", str(impostor))
    assert added.code == 0, added.err
    assert f"added as {PAPER_ID}" in added.out

    outcome = fetch_json(capsys)
    assert outcome["status"] == "repaired"
    assert any("'Cats: A Field Guide'" in w for w in outcome["warnings"])
    assert stored(paperlab_home).read_bytes() == arxiv.papers[PAPER_ID].pdf_for(1)
    assert db_rows(paperlab_home, "SELECT title FROM paper") == [(TITLE,)]


def test_an_offline_import_of_the_real_paper_is_kept(
    arxiv: FakeArxiv, tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The user's own copy (another rendering of the same paper) stays: no download.
    own = make_pdf(TITLE, [ABSTRACT, "Section 2."], stamp=STAMP_V1)
    assert run_cli(capsys, "add", "--no-index", str(write(tmp_path / "jl.pdf", own))).code == 0
    arxiv.clear_log()
    assert fetch_json(capsys)["status"] == "up-to-date"
    assert arxiv.requests("pdf") == []
    assert stored(paperlab_home).read_bytes() == own
