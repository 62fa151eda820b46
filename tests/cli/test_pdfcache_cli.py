"""PDFs in a shared lab library: each machine's cache, verified by sha256.

Two PAPERLAB_HOME folders stand for two machines on one lab database on a
real PostgreSQL server; arXiv is the fake server on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.conftest import new_lab_database
from tests.fakearxiv import FakeArxiv, make_pdf, sample_paper
from tests.helpers import library_rows, run_cli

ARXIV = "1608.03983"
BODY = [
    "1 Introduction\nWe restart the learning rate schedule periodically. " * 20,
    "2 Method\nCosine annealing with warm restarts improves anytime performance. " * 20,
]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _recorded(paper_id: str) -> tuple[str, str]:
    rows = library_rows("SELECT pdf_path, pdf_sha256 FROM paper WHERE id = :p", {"p": paper_id})
    path, sha = rows[0]
    return str(path), str(sha)


def _leftovers(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "pdfs").glob(".partial-*"))


@pytest.fixture
def lab_url(lab_server: object, monkeypatch: pytest.MonkeyPatch) -> str:
    url = new_lab_database(lab_server)
    monkeypatch.setenv("PAPERLAB_DATABASE_URL", url)
    return url


def _machine(monkeypatch: pytest.MonkeyPatch, home: Path) -> Path:
    monkeypatch.setenv("PAPERLAB_HOME", str(home))
    return home


def _machine_a_fetches_and_adds(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_arxiv: FakeArxiv,
    capsys: pytest.CaptureFixture[str],
) -> str:
    """Machine A: one paper from arXiv, one local PDF; the local paper's id."""
    _machine(monkeypatch, tmp_path / "machine-a")
    fake_arxiv.add(sample_paper(ARXIV, version=2, title="SGDR: Warm Restarts"))
    fetched = run_cli(capsys, "fetch", "--no-index", ARXIV)
    assert fetched.code == 0, fetched.err
    report = tmp_path / "report.pdf"
    report.write_bytes(make_pdf("A local lab report", BODY))
    added = run_cli(capsys, "add", "--no-index", "--json", str(report))
    assert added.code == 0, added.err
    local_id = json.loads(added.out)[0]["paper_id"]
    assert str(local_id).startswith("local:")
    return str(local_id)


def test_machine_b_gets_the_arxiv_pdf_by_id_and_the_local_one_from_the_database(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lab_url: str,
    fake_arxiv: FakeArxiv,
    capsys: pytest.CaptureFixture[str],
) -> None:
    local_id = _machine_a_fetches_and_adds(tmp_path, monkeypatch, fake_arxiv, capsys)
    home_a = tmp_path / "machine-a"
    # Only the imported PDF is kept in the database: arXiv serves the other one.
    blobs = library_rows("SELECT sha256, size FROM pdf_blob")
    local_path, local_sha = _recorded(local_id)
    assert blobs == [(local_sha, (home_a / local_path).stat().st_size)]

    home_b = _machine(monkeypatch, tmp_path / "machine-b")
    fake_arxiv.clear_log()
    result = run_cli(capsys, "sync", "--json")
    assert result.code == 0, result.err
    out = json.loads(result.out)
    assert out["counts"] == {"present": 0, "fetched": 1, "from-database": 1, "failed": 0}
    for paper_id in (ARXIV, local_id):
        path, sha = _recorded(paper_id)
        assert _sha(home_b / path) == sha == _sha(home_a / path)
    # By id and the recorded version, through the download path: no API request.
    assert [r.path for r in fake_arxiv.requests()] == [f"/pdf/{ARXIV}v2"]
    assert _leftovers(home_b) == []

    again = json.loads(run_cli(capsys, "sync", "--json").out)
    assert again["counts"] == {"present": 2, "fetched": 0, "from-database": 0, "failed": 0}
    assert len(fake_arxiv.requests()) == 1


def test_a_tampered_download_is_refused_and_nothing_is_kept(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lab_url: str,
    fake_arxiv: FakeArxiv,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _machine_a_fetches_and_adds(tmp_path, monkeypatch, fake_arxiv, capsys)
    # The server now sends other bytes for the very same version.
    fake_arxiv.papers[ARXIV].pdf_bytes = make_pdf("SGDR: Warm Restarts", ["Something else."])
    home_b = _machine(monkeypatch, tmp_path / "machine-b")
    result = run_cli(capsys, "sync", ARXIV)
    assert result.code == 1
    assert f"is not the PDF the library recorded for {ARXIV}" in result.err
    assert "it was not kept" in result.err and "Traceback" not in result.err
    path, _ = _recorded(ARXIV)
    assert not (home_b / path).exists()
    assert _leftovers(home_b) == []
    # The reader path refuses it the same way: `export pdf` needs the file too.
    exported = run_cli(capsys, "export", "pdf", ARXIV, "--out", str(tmp_path / "out.pdf"))
    assert exported.code == 1 and "it was not kept" in exported.err
    assert not (home_b / path).exists() and not (tmp_path / "out.pdf").exists()


def test_a_pdf_imported_before_the_blob_table_is_uploaded_on_request(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lab_url: str,
    fake_arxiv: FakeArxiv,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from paperlab.store import open_store

    local_id = _machine_a_fetches_and_adds(tmp_path, monkeypatch, fake_arxiv, capsys)
    store = open_store()
    with store.write() as session:
        session.connection().exec_driver_sql("DELETE FROM pdf_blob")
    store.close()

    home_b = _machine(monkeypatch, tmp_path / "machine-b")
    missing = run_cli(capsys, "sync", local_id)
    assert missing.code == 1
    assert "the lab database has no copy of it" in missing.err
    assert f"paperlab sync --upload {local_id}" in missing.err

    _machine(monkeypatch, tmp_path / "machine-a")
    uploaded = run_cli(capsys, "sync", "--upload", "--json")
    assert uploaded.code == 0, uploaded.err
    assert json.loads(uploaded.out)["counts"] == {"uploaded": 1, "already-there": 0, "failed": 0}
    twice = json.loads(run_cli(capsys, "sync", "--upload", "--json").out)
    assert twice["counts"]["already-there"] == 1

    _machine(monkeypatch, home_b)
    got = json.loads(run_cli(capsys, "sync", "--json", local_id).out)
    assert got["counts"]["from-database"] == 1
    path, sha = _recorded(local_id)
    assert _sha(home_b / path) == sha


def test_a_pdf_larger_than_the_download_cap_is_refused_by_add_on_a_lab(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lab_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PAPERLAB_MAX_PDF_MB", "0.001")
    report = tmp_path / "report.pdf"
    report.write_bytes(make_pdf("A local lab report", BODY))
    result = run_cli(capsys, "add", "--no-index", str(report))
    assert result.code == 1
    assert "report.pdf: failed (It is larger than the 0.000999" in result.err
    assert "MB limit for PDFs (PAPERLAB_MAX_PDF_MB)" in result.err
    assert library_rows("SELECT COUNT(*) FROM paper") == [(0,)]
    assert library_rows("SELECT COUNT(*) FROM pdf_blob") == [(0,)]


def test_db_copy_from_sqlite_carries_local_pdfs_into_the_lab(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lab_server: object,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home_a = _machine(monkeypatch, tmp_path / "personal")
    report = tmp_path / "report.pdf"
    report.write_bytes(make_pdf("A local lab report", BODY))
    added = run_cli(capsys, "add", "--no-index", "--json", str(report))
    local_id = json.loads(added.out)[0]["paper_id"]
    # A SQLite library keeps its PDFs as files only.
    assert library_rows("SELECT COUNT(*) FROM pdf_blob") == [(0,)]

    url = new_lab_database(lab_server)
    copied = run_cli(capsys, "db", "copy", "--to", url, "--json")
    assert copied.code == 0, copied.err
    assert json.loads(copied.out)["tables"]["pdf_blob"]["copied"] == 1
    again = json.loads(run_cli(capsys, "db", "copy", "--to", url, "--json").out)
    assert again["tables"]["pdf_blob"] == {
        "source": 1,
        "copied": 0,
        "present": 1,
        "conflicts": 0,
        "conflict_keys": [],
    }

    monkeypatch.setenv("PAPERLAB_DATABASE_URL", url)
    home_b = _machine(monkeypatch, tmp_path / "colleague")
    got = run_cli(capsys, "sync", "--json")
    assert got.code == 0, got.err
    assert json.loads(got.out)["counts"]["from-database"] == 1
    path, sha = _recorded(local_id)
    assert _sha(home_b / path) == sha == _sha(home_a / path)


def test_a_lost_pdf_of_a_sqlite_library_is_fetched_again(
    tmp_path: Path,
    paperlab_home: Path,
    fake_arxiv: FakeArxiv,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_arxiv.add(sample_paper(ARXIV, version=2, title="SGDR: Warm Restarts"))
    assert run_cli(capsys, "fetch", "--no-index", ARXIV).code == 0
    report = tmp_path / "report.pdf"
    report.write_bytes(make_pdf("A local lab report", BODY))
    local_id = json.loads(run_cli(capsys, "add", "--no-index", "--json", str(report)).out)[0][
        "paper_id"
    ]
    arxiv_path, arxiv_sha = _recorded(ARXIV)
    local_path, _ = _recorded(local_id)
    (paperlab_home / arxiv_path).unlink()
    (paperlab_home / local_path).unlink()
    # What a sync killed mid-write leaves (its pid is beyond any pid_max): cleared.
    stale = paperlab_home / "pdfs" / f".partial-cache-{ARXIV}v2-4194305-0000abcd.pdf"
    stale.write_bytes(b"%PDF-1.4 half")

    result = run_cli(capsys, "sync", "--json")
    assert not stale.exists()
    assert result.code == 1  # the local PDF cannot come back from anywhere
    out = json.loads(result.out)
    assert out["counts"] == {"present": 0, "fetched": 1, "from-database": 0, "failed": 1}
    assert _sha(paperlab_home / arxiv_path) == arxiv_sha
    failed = next(p for p in out["papers"] if p["status"] == "failed")
    assert failed["paper_id"] == local_id and "only this library had it" in failed["message"]

    # A file that is no longer the recorded one is replaced by the recorded one.
    (paperlab_home / arxiv_path).write_bytes(make_pdf("Something else", ["Not it."]))
    shown = run_cli(capsys, "sync", ARXIV)
    assert shown.code == 0, shown.err
    assert "1 fetched" in shown.err
    assert _sha(paperlab_home / arxiv_path) == arxiv_sha


def test_upload_on_a_sqlite_library_is_a_usage_error(
    paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "sync", "--upload")
    assert result.code == 2
    assert "A SQLite library's PDFs are its files under pdfs/" in result.err
    assert "Traceback" not in result.err


def test_fetch_on_machine_b_puts_the_labs_own_file_in_place_instead_of_repairing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lab_url: str,
    fake_arxiv: FakeArxiv,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home_a = _machine(monkeypatch, tmp_path / "machine-a")
    # Imported with `add`: arXiv's title and stamp, but not arXiv's bytes.
    scan = tmp_path / "sgdr.pdf"
    scan.write_bytes(
        make_pdf("SGDR: Warm Restarts", BODY, stamp=f"arXiv:{ARXIV}v2 [cs.LG] 3 May 2017")
    )
    assert run_cli(capsys, "add", "--no-index", str(scan)).code == 0
    fake_arxiv.add(sample_paper(ARXIV, version=2, title="SGDR: Warm Restarts"))
    assert run_cli(capsys, "fetch", "--no-index", ARXIV).code == 0
    path, sha = _recorded(ARXIV)
    assert _sha(home_a / path) == sha == _sha(scan)

    home_b = _machine(monkeypatch, tmp_path / "machine-b")
    fake_arxiv.clear_log()
    result = run_cli(capsys, "fetch", "--no-index", "--json", ARXIV)
    assert result.code == 0, result.err
    (outcome,) = json.loads(result.out)["papers"]
    assert outcome["status"] == "up-to-date" and outcome["warnings"] == []
    assert fake_arxiv.requests("pdf") == []  # the lab database had it
    assert _recorded(ARXIV) == (path, sha)  # the shared record is untouched
    assert _sha(home_b / path) == sha

    # A damaged cached copy is the cache's business too: the lab's file comes back.
    (home_b / path).write_bytes(b"%PDF-1.4 damaged")
    again = json.loads(run_cli(capsys, "fetch", "--no-index", "--json", ARXIV).out)
    assert again["papers"][0]["status"] == "up-to-date"
    assert _recorded(ARXIV) == (path, sha) and _sha(home_b / path) == sha
    assert fake_arxiv.requests("pdf") == []


def test_removing_a_local_paper_drops_its_pdf_from_the_lab_database(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lab_url: str,
    fake_arxiv: FakeArxiv,
    capsys: pytest.CaptureFixture[str],
) -> None:
    local_id = _machine_a_fetches_and_adds(tmp_path, monkeypatch, fake_arxiv, capsys)
    assert library_rows("SELECT COUNT(*) FROM pdf_blob") == [(1,)]
    removed = run_cli(capsys, "remove", local_id)
    assert removed.code == 0, removed.err
    assert library_rows("SELECT COUNT(*) FROM pdf_blob") == [(0,)]


def test_a_recorded_path_outside_pdfs_is_never_written(
    tmp_path: Path,
    paperlab_home: Path,
    fake_arxiv: FakeArxiv,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from paperlab.store import open_store
    from paperlab.store.models import Paper

    fake_arxiv.add(sample_paper(ARXIV, version=2, title="SGDR: Warm Restarts"))
    assert run_cli(capsys, "fetch", "--no-index", ARXIV).code == 0
    store = open_store()
    with store.write() as session:
        paper = session.get(Paper, ARXIV)
        assert paper is not None
        paper.pdf_path = "../outside.pdf"  # what a bad row from elsewhere could say
        session.add(paper)
    store.close()
    fake_arxiv.clear_log()
    result = run_cli(capsys, "sync", ARXIV)
    assert result.code == 1
    assert "is outside this machine's pdfs/ folder; nothing was written" in result.err
    assert not (tmp_path / "outside.pdf").exists()
    assert fake_arxiv.requests() == []


def test_a_lab_copied_into_a_file_brings_its_pdfs_along(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lab_url: str,
    fake_arxiv: FakeArxiv,
    capsys: pytest.CaptureFixture[str],
) -> None:
    local_id = _machine_a_fetches_and_adds(tmp_path, monkeypatch, fake_arxiv, capsys)
    laptop = tmp_path / "laptop"
    laptop.mkdir()
    copied = run_cli(capsys, "db", "copy", "--to", str(laptop / "paperlab.db"), "--json")
    assert copied.code == 0, copied.err
    assert json.loads(copied.out)["tables"]["pdf_blob"]["copied"] == 1

    monkeypatch.delenv("PAPERLAB_DATABASE_URL")
    _machine(monkeypatch, laptop)
    got = run_cli(capsys, "sync", "--json", local_id)
    assert got.code == 0, got.err
    assert json.loads(got.out)["counts"]["from-database"] == 1
    path, sha = _recorded(local_id)
    assert _sha(laptop / path) == sha
    from paperlab.store import open_store
    from paperlab.store.models import PdfBlob

    store = open_store()
    with store.read() as session:  # the row reads back through the models in the file too
        blob = session.get(PdfBlob, sha)
        assert blob is not None and blob.size == len(blob.content) and blob.added_at.year > 2000
    store.close()


@pytest.mark.slow
def test_index_on_machine_b_extracts_from_the_verified_cache(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lab_url: str,
    fake_arxiv: FakeArxiv,
    capsys: pytest.CaptureFixture[str],
) -> None:
    local_id = _machine_a_fetches_and_adds(tmp_path, monkeypatch, fake_arxiv, capsys)
    fake_arxiv.papers[ARXIV].pdf_bytes = make_pdf("SGDR: Warm Restarts", ["Something else."])
    home_b = _machine(monkeypatch, tmp_path / "machine-b")
    result = run_cli(capsys, "index", "--json", local_id, ARXIV)
    assert result.code == 1  # arXiv's bytes are not the recorded file
    papers = {p["paper_id"]: p for p in json.loads(result.out)["papers"]}
    assert papers[local_id]["ok"] is True and papers[local_id]["chunks"] > 0
    assert papers[ARXIV]["ok"] is False and "it was not kept" in papers[ARXIV]["reason"]
    local_path, sha = _recorded(local_id)
    assert _sha(home_b / local_path) == sha
    assert not (home_b / _recorded(ARXIV)[0]).exists()


def test_index_of_a_paper_whose_pdf_cannot_come_back_says_what_to_do(
    paperlab_home: Path, fake_arxiv: FakeArxiv, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_arxiv.add(sample_paper(ARXIV, version=2, title="SGDR: Warm Restarts"))
    assert run_cli(capsys, "fetch", "--no-index", ARXIV).code == 0
    (paperlab_home / _recorded(ARXIV)[0]).unlink()
    fake_arxiv.stop()  # offline: the PDF cannot be downloaded again

    result = run_cli(capsys, "index", ARXIV)
    assert result.code == 1
    assert f"failed: {ARXIV}: Downloading" in result.err
    assert "Hint: Check your connection" in result.err
    as_json = run_cli(capsys, "index", "--json", ARXIV)
    paper = json.loads(as_json.out)["papers"][0]
    assert paper["ok"] is False and paper["hint"]
