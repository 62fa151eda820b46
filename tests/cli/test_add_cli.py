"""`paperlab add`: an offline start from local PDFs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pymupdf
import pytest

from tests.fakearxiv import FakeArxiv, make_pdf, sample_paper
from tests.helpers import library_rows, run_cli, run_process

BODY = [
    "1 Introduction\nWe restart the learning rate schedule periodically. " * 20,
    "2 Method\nCosine annealing with warm restarts improves anytime performance. " * 20,
]

# Each test runs on SQLite and on a lab database on PostgreSQL.
pytestmark = pytest.mark.usefixtures("backend")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_add_reads_the_stamp_and_fetch_completes_metadata_without_redownloading(
    tmp_path: Path,
    paperlab_home: Path,
    fake_arxiv: FakeArxiv,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The PDF carries arXiv's title: fetch checks an offline import's title (impostors).
    pdf = _write(
        tmp_path / "sgdr.pdf",
        make_pdf("SGDR: Warm Restarts", BODY, stamp="arXiv:1608.03983v2 [cs.LG] 3 May 2017"),
    )
    plain = _write(tmp_path / "plain.pdf", make_pdf("A local report", BODY))
    result = run_cli(capsys, "add", "--no-index", "--json", str(pdf), str(plain))
    assert result.code == 0, result.err
    added = {Path(o["path"]).name: o for o in json.loads(result.out)}
    assert added["sgdr.pdf"]["paper_id"] == "1608.03983"
    assert added["plain.pdf"]["paper_id"].startswith("local:")

    shown = json.loads(run_cli(capsys, "show", "--json", "1608.03983").out)
    assert shown["metadata_complete"] is False and shown["pdf_version"] == 2
    assert shown["advice"] is None  # only a failed paper needs advice

    # Online again: the same version's metadata arrives and nothing is downloaded.
    fake_arxiv.add(sample_paper("1608.03983", version=2, title="SGDR: Warm Restarts"))
    fetched = run_cli(capsys, "fetch", "--no-index", "1608.03983")
    assert fetched.code == 0, fetched.err
    assert fake_arxiv.requests("pdf") == []
    shown = json.loads(run_cli(capsys, "show", "--json", "1608.03983").out)
    assert shown["title"] == "SGDR: Warm Restarts" and shown["metadata_complete"] is True

    again = json.loads(run_cli(capsys, "add", "--no-index", "--json", str(pdf)).out)
    assert again[0]["status"] == "already-present"
    assert library_rows("SELECT COUNT(*) FROM paper") == [(2,)]


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
    # What to do about it comes with it, once per kind of problem.
    assert result.err.count("Hint: Remove the password (e.g. qpdf --decrypt)") == 1
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


def test_a_fifo_is_not_a_regular_file_and_is_never_read(tmp_path: Path) -> None:
    """A separate process with a timeout: reading a FIFO would block forever."""
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    result = run_process("add", "--no-index", str(fifo), timeout=120)
    assert result.code == 2
    assert f"{fifo} is not a regular file (it is a FIFO)." in result.err
    assert "Hint:" in result.err and "Traceback" not in result.err


def test_a_fifo_inside_a_folder_fails_alone(
    tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "papers"
    folder.mkdir()
    os.mkfifo(folder / "pipe.pdf")
    _write(folder / "good.pdf", make_pdf("Good", BODY))
    result = run_cli(capsys, "add", "--no-index", str(folder))
    assert result.code == 1
    assert "pipe.pdf: failed (Not a regular file: it is a FIFO.)" in result.err
    assert "good.pdf: added" in result.out


def test_a_folder_without_pdfs_is_a_usage_error(
    tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("no papers here")
    result = run_cli(capsys, "add", str(empty))
    assert result.code == 2
    assert f"No PDFs were found in {empty}." in result.err and "Hint:" in result.err


def _scanned_pdf(grey: int) -> bytes:
    """One page holding only an image: no text layer."""
    doc = pymupdf.open()
    page = doc.new_page()
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 64, 64), False)
    pixmap.clear_with(grey)
    page.insert_image(page.rect, pixmap=pixmap)
    data: bytes = doc.tobytes()
    doc.close()
    return data


def _boilerplate_pdf() -> bytes:
    """Pages with nothing but a running header and page numbers."""
    doc = pymupdf.open()
    for number in range(4):
        page = doc.new_page(width=612, height=792)
        page.insert_text((72, 40), "Journal of Boilerplate Studies, Vol. 3", fontsize=9)
        page.insert_text((300, 770), str(number + 1), fontsize=9)
    data: bytes = doc.tobytes()
    doc.close()
    return data


def test_a_scanned_pdf_has_one_honest_status(
    tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scanned = _write(tmp_path / "scan.pdf", _scanned_pdf(200))
    text = run_cli(capsys, "add", str(scanned))
    assert text.code == 1
    assert "failed" not in text.err + text.out
    assert "scan.pdf: added as local:" in text.err
    assert "not indexed: The PDF has no text layer (scanned?)." in text.err
    assert "Hint: Run OCR on it first, e.g. `ocrmypdf in.pdf out.pdf`" in text.err
    # A long add shows how far it is, a line per stage and per paper off a terminal.
    assert "import [1/1] scan.pdf: added" in text.err
    assert text.err.count("index [1/1] local:") == 1 and ": not indexed" in text.err

    other = _write(tmp_path / "scan2.pdf", _scanned_pdf(100))
    result = run_cli(capsys, "add", "--json", str(other))
    assert result.code == 1
    (outcome,) = json.loads(result.out)
    assert outcome["status"] == "not-indexed"
    assert outcome["message"] == "The PDF has no text layer (scanned?)."
    assert outcome["hint"].startswith("Run OCR on it first")
    shown = json.loads(run_cli(capsys, "show", "--json", outcome["paper_id"]).out)
    assert shown["state"] == "failed" and "no text layer" in shown["state_reason"]
    assert "Run OCR on it first" in shown["advice"]
    # `paperlab show` says what to do about it too, as the lab bench's paper page does.
    page = run_cli(capsys, "show", outcome["paper_id"]).out
    assert "Run OCR on it first" in page and "--retry-failed" not in page


def test_a_pdf_of_only_boilerplate_says_there_is_no_text_to_index(
    tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = _write(tmp_path / "boiler.pdf", _boilerplate_pdf())
    result = run_cli(capsys, "add", "--json", str(pdf))
    assert result.code == 1
    (outcome,) = json.loads(result.out)
    assert outcome["status"] == "not-indexed"
    assert outcome["message"].startswith("No text to index")
    shown = json.loads(run_cli(capsys, "show", "--json", outcome["paper_id"]).out)
    assert shown["state"] == "failed" and shown["state_reason"].startswith("No text to index")

    search = run_cli(capsys, "search", "boilerplate")
    assert "The library is empty" not in search.err
    assert "1 paper in the library" in search.err and "no searchable text" in search.err
