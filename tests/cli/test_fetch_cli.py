"""`paperlab fetch` end to end: a real process, a real SQLite file, the fake arXiv."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pymupdf
import pytest

from tests.fakearxiv import FakeArxiv, make_pdf, sample_paper
from tests.helpers import library_rows, run_cli, write_list

PAPERS = [
    ("1608.03983", "SGDR: Stochastic Gradient Descent with Warm Restarts"),
    ("1502.03167", "Batch Normalization: Accelerating Deep Network Training"),
    ("hep-th/9901001", "An Old-Style Paper on Strings"),
]

# Each test runs on SQLite and on a lab database on PostgreSQL.
pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
def arxiv(fake_arxiv: FakeArxiv) -> FakeArxiv:
    for arxiv_id, title in PAPERS:
        fake_arxiv.add(sample_paper(arxiv_id, version=2, title=title))
    return fake_arxiv


def db_rows(home: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows from the library under test, SQLite in ``home`` or the lab database."""
    return library_rows(sql)


def test_fetch_list_downloads_every_paper_then_is_incremental(
    arxiv: FakeArxiv, tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = write_list(tmp_path / "mine.toml", "mine", PAPERS, "deep-learning")

    first = run_cli(capsys, "fetch", "--no-index", str(listing))
    assert first.code == 0, first.err
    assert "3 downloaded" in first.err
    assert len(arxiv.requests("api")) == 1  # the whole list in one batched request
    assert len(arxiv.requests("pdf")) == 3
    pdfs = sorted(p.name for p in (paperlab_home / "pdfs").glob("*.pdf"))
    assert pdfs == ["1502.03167v2.pdf", "1608.03983v2.pdf", "hep-th_9901001v2.pdf"]
    rows = db_rows(paperlab_home, "SELECT id, version, state, citation_key FROM paper ORDER BY id")
    assert [r[:3] for r in rows] == [
        ("1502.03167", 2, "fetched"),
        ("1608.03983", 2, "fetched"),
        ("hep-th/9901001", 2, "fetched"),
    ]
    assert all(r[3] for r in rows)

    arxiv.clear_log()
    again = run_cli(capsys, "fetch", "--no-index", str(listing))
    assert again.code == 0, again.err
    assert "3 up-to-date" in again.err
    assert arxiv.requests("pdf") == []
    assert db_rows(paperlab_home, "SELECT COUNT(*) FROM paper") == [(3,)]
    assert db_rows(paperlab_home, "SELECT COUNT(*) FROM reading_list_entry") == [(3,)]


def test_list_option_names_a_list_as_list_and_export_do(
    arxiv: FakeArxiv, tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = write_list(tmp_path / "mine.toml", "mine", PAPERS[:2], "deep-learning")
    fetched = run_cli(capsys, "fetch", "--no-index", "--json", "--list", str(listing), PAPERS[2][0])
    assert fetched.code == 0, fetched.err
    out = json.loads(fetched.out)
    assert out["lists"] == ["mine"] and out["counts"]["downloaded"] == 3

    # --list takes only a list: an id or a typo is bad input, said before any request.
    arxiv.clear_log()
    for wrong, said in [
        ("1608.03983", "There is no bundled reading list named '1608.03983'."),
        ("weeks-19-20-reading-paper", "Did you mean 'weeks-19-20-reading-papers'?"),
    ]:
        refused = run_cli(capsys, "fetch", "--list", wrong)
        assert refused.code == 2 and said in refused.err and "Traceback" not in refused.err
    assert arxiv.requests() == []


def test_new_arxiv_version_is_fetched_and_notes_stay(
    arxiv: FakeArxiv, tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "fetch", "--no-index", "1608.03983").code == 0
    from paperlab.notes import save_note
    from paperlab.store import open_store

    save_note(open_store(), "1608.03983", {"summary": "warm restarts help"})
    key_before = db_rows(paperlab_home, "SELECT citation_key FROM paper")[0][0]
    arxiv.bump_version("1608.03983", make_pdf("SGDR v3", ["A new version of the text."]))

    result = run_cli(capsys, "fetch", "--no-index", "--json", "1608.03983")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["papers"][0]["status"] == "new-version"
    assert report["papers"][0]["version"] == 3
    assert db_rows(paperlab_home, "SELECT version, pdf_version, citation_key FROM paper") == [
        (3, 3, key_before)
    ]
    assert db_rows(paperlab_home, "SELECT version FROM paper_version ORDER BY version") == [
        (2,),
        (3,),
    ]
    assert db_rows(paperlab_home, "SELECT summary FROM note") == [("warm restarts help",)]
    assert (paperlab_home / "pdfs" / "1608.03983v3.pdf").is_file()


def test_malformed_id_is_rejected_before_anything_is_written(
    arxiv: FakeArxiv, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "fetch", "1608.03983", "not-an-id")
    assert result.code == 2
    assert "'not-an-id' is not an arXiv identifier." in result.err
    assert "Hint:" in result.err
    assert "Traceback" not in result.err
    assert arxiv.requests() == []


def test_broken_list_names_file_and_line_and_writes_nothing(
    arxiv: FakeArxiv, tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_list(tmp_path / "good.toml", "good", PAPERS[:1], "deep-learning")
    bad = write_list(tmp_path / "bad.toml", "bad", PAPERS[1:2], "no-such-topic")
    result = run_cli(capsys, "fetch", str(good), str(bad))
    assert result.code != 0
    assert f"{bad}:" in result.err and "no-such-topic" in result.err
    assert "Traceback" not in result.err
    assert arxiv.requests() == []
    if (paperlab_home / "paperlab.db").exists() or os.environ.get("PAPERLAB_DATABASE_URL"):
        assert db_rows(paperlab_home, "SELECT COUNT(*) FROM paper") == [(0,)]


def test_one_failure_does_not_stop_the_others_and_exit_code_says_so(
    arxiv: FakeArxiv, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The first PDF request gets an HTML page (not retried: it is no PDF at all).
    arxiv.inject("pdf", "html", count=1)
    result = run_cli(capsys, "fetch", "--no-index", "1608.03983", "1502.03167", "2101.00001")
    assert result.code == 1
    assert "failed: 1608.03983 (download)" in result.err
    assert "2101.00001" in result.err  # arXiv has no such paper
    assert (paperlab_home / "pdfs" / "1502.03167v2.pdf").is_file()
    assert not list((paperlab_home / "pdfs").glob(".partial-*"))
    state = dict(db_rows(paperlab_home, "SELECT id, state FROM paper"))
    assert state == {"1608.03983": "failed", "1502.03167": "fetched", "2101.00001": "failed"}
    shown = run_cli(capsys, "show", "1608.03983")
    assert "failed" in shown.out and "download" in shown.out

    # Run again once arXiv behaves: the failed paper completes, nothing is duplicated.
    again = run_cli(capsys, "fetch", "--no-index", "1608.03983", "1502.03167")
    assert again.code == 0, again.err
    assert db_rows(paperlab_home, "SELECT COUNT(*) FROM paper") == [(3,)]


def test_network_outage_is_one_clear_sentence(
    paperlab_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # conftest points the API at a port where nothing listens.
    monkeypatch.setenv("PAPERLAB_HTTP_TIMEOUT", "2")
    result = run_cli(capsys, "fetch", "--no-index", "1608.03983")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert "arXiv cannot be reached" in result.err
    assert db_rows(paperlab_home, "SELECT id FROM paper") == [("1608.03983",)]


def test_list_show_topics_after_fetch(
    arxiv: FakeArxiv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = write_list(tmp_path / "mine.toml", "mine", PAPERS, "deep-learning")
    assert run_cli(capsys, "fetch", "--no-index", str(listing)).code == 0

    listed = json.loads(run_cli(capsys, "list", "--json", "--list", "mine").out)
    assert [p["id"] for p in listed] == [p[0] for p in PAPERS]
    assert listed[0]["topics"] == ["deep-learning"] and listed[0]["lists"] == ["mine"]
    assert run_cli(capsys, "list", "--json", "--topic", "nlp").out.strip() == "[]"
    assert len(json.loads(run_cli(capsys, "list", "--json", "--state", "fetched").out)) == 3

    shown = json.loads(run_cli(capsys, "show", "--json", "arXiv:1608.03983v1").out)
    assert shown["title"].startswith("SGDR") and shown["version"] == 2
    assert shown["lists"][0]["why"] == "Because the test needs it."

    topics = json.loads(run_cli(capsys, "topics", "--json").out)
    deep = next(t for t in topics if t["slug"] == "deep-learning")
    assert sorted(deep["papers"]) == sorted(p[0] for p in PAPERS) and deep["weeks"]

    missing = run_cli(capsys, "show", "1706.03762")
    assert missing.code == 1 and "not in the library" in missing.err
    assert "paperlab fetch 1706.03762" in missing.err


def test_a_list_title_that_differs_from_arxiv_is_a_warning(
    arxiv: FakeArxiv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = write_list(
        tmp_path / "typo.toml", "typo", [("1608.03983", "A Completely Different Paper")], "nlp"
    )
    result = run_cli(capsys, "fetch", "--no-index", str(listing))
    assert result.code == 0, result.err
    assert "warning: 1608.03983: the list says 'A Completely Different Paper'" in result.err
    assert "SGDR" in result.err


def test_a_downloaded_pdf_without_text_says_what_to_do(
    fake_arxiv: FakeArxiv, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """arXiv can serve a scan: the extraction's own hint, not "try the fetch again"."""
    doc = pymupdf.open()
    doc.new_page().draw_rect(pymupdf.Rect(50, 50, 200, 200), fill=(0, 0, 0))  # no text at all
    scan = doc.tobytes()
    for arxiv_id in ("1301.3781", "1301.3782"):
        fake_arxiv.add(sample_paper(arxiv_id, title="A Scanned Paper", pdf_bytes=scan))
    result = run_cli(capsys, "fetch", "1301.3781")
    assert result.code == 1
    assert "failed: 1301.3781 (extract): The PDF has no text layer (scanned?)." in result.err
    assert result.err.count("Hint: Run OCR on it first") == 1
    assert "--retry-failed" not in result.err  # fetching it again brings the same scan
    assert "Run OCR on it first" in run_cli(capsys, "show", "1301.3781").out

    as_json = run_cli(capsys, "fetch", "--json", "1301.3782")
    (paper,) = json.loads(as_json.out)["papers"]
    assert paper["stage"] == "extract" and paper["hint"].startswith("Run OCR on it first")
