"""`paperlab add`: an offline start from local PDFs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pymupdf
import pytest

from tests.fakearxiv import FakeArxiv, make_pdf, sample_paper
from tests.helpers import run_cli

BODY = [
    "1 Introduction\nWe restart the learning rate schedule periodically. " * 20,
    "2 Method\nCosine annealing with warm restarts improves anytime performance. " * 20,
]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_add_reads_the_stamp_and_fetch_completes_metadata_without_redownloading(
    tmp_path: Path,
    paperlab_home: Path,
    fake_arxiv: FakeArxiv,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pdf = _write(
        tmp_path / "sgdr.pdf",
        make_pdf("SGDR", BODY, stamp="arXiv:1608.03983v2 [cs.LG] 3 May 2017"),
    )
    plain = _write(tmp_path / "plain.pdf", make_pdf("A local report", BODY))
    result = run_cli(capsys, "add", "--no-index", "--json", str(pdf), str(plain))
    assert result.code == 0, result.err
    added = {Path(o["path"]).name: o for o in json.loads(result.out)}
    assert added["sgdr.pdf"]["paper_id"] == "1608.03983"
    assert added["plain.pdf"]["paper_id"].startswith("local:")

    shown = json.loads(run_cli(capsys, "show", "--json", "1608.03983").out)
    assert shown["metadata_complete"] is False and shown["pdf_version"] == 2

    # Online again: the same version's metadata arrives and nothing is downloaded.
    fake_arxiv.add(sample_paper("1608.03983", version=2, title="SGDR: Warm Restarts"))
    fetched = run_cli(capsys, "fetch", "--no-index", "1608.03983")
    assert fetched.code == 0, fetched.err
    assert fake_arxiv.requests("pdf") == []
    shown = json.loads(run_cli(capsys, "show", "--json", "1608.03983").out)
    assert shown["title"] == "SGDR: Warm Restarts" and shown["metadata_complete"] is True

    again = json.loads(run_cli(capsys, "add", "--no-index", "--json", str(pdf)).out)
    assert again[0]["status"] == "already-present"
    with sqlite3.connect(paperlab_home / "paperlab.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM paper").fetchone() == (2,)


def test_bad_files_fail_one_by_one_with_reasons(
    tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _write(tmp_path / "good.pdf", make_pdf("Good", BODY))
    text = _write(tmp_path / "notes.pdf", b"just some text, not a PDF")
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "secret")
    locked = tmp_path / "locked.pdf"
    doc.save(locked, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="pw", owner_pw="pw")
    result = run_cli(
        capsys, "add", "--no-index", str(good), str(text), str(locked), str(tmp_path / "nope.pdf")
    )
    assert result.code == 1
    assert "Traceback" not in result.err
    assert "notes.pdf: failed (Not a PDF file" in result.err
    assert "locked.pdf: failed (The PDF is encrypted.)" in result.err
    assert "nope.pdf: failed (No such file.)" in result.err
    assert "good.pdf: added" in result.out
    assert len(list((paperlab_home / "pdfs").glob("*.pdf"))) == 1


def test_add_without_arguments_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "add")
    assert result.code == 2 and "No PDF given." in result.err


@pytest.mark.slow
def test_add_index_and_search_end_to_end(
    tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The user's path: import, extract, embed, search the paper and then a note."""
    pdf = _write(
        tmp_path / "sgdr.pdf",
        make_pdf("SGDR", BODY, stamp="arXiv:1608.03983v2 [cs.LG] 3 May 2017"),
    )
    assert run_cli(capsys, "add", str(pdf)).code == 0
    status = json.loads(run_cli(capsys, "index", "status", "--json").out)
    assert status["chunks_embedded"] == status["chunks"] > 0

    hits = json.loads(run_cli(capsys, "search", "--json", "periodic resets of the step size").out)
    assert hits and hits[0]["paper_id"] == "1608.03983" and hits[0]["kind"] == "passage"
    assert hits[0]["page"] in (1, 2)

    note = run_cli(capsys, "note", "1608.03983", "--set", "summary=Try snapshot ensembles later")
    assert note.code == 0, note.err
    found = json.loads(run_cli(capsys, "search", "--json", "--in", "notes", "ensembles").out)
    assert [h["kind"] for h in found] == ["note"]
