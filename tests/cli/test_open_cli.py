"""``paperlab open``: a paper's PDF in the system viewer, where the reader left it.

The PDF is a real one, imported and extracted; the viewer is a script on PATH
that writes down what it was asked to open (no desktop viewer runs here).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from paperlab.readingposition import ReadingPosition, save_position
from paperlab.store import open_store
from tests.helpers import imported_sgdr, run_cli, viewer_on_path

PAPER = "1608.03983"
PAGES = ["1 Introduction\nWarm restarts of the run.", "2 Method\nThe schedule.", "3 Results"]

# Each test runs on SQLite and on a lab database on PostgreSQL.
pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
def paper(tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A three-page PDF imported offline and extracted; returns the stored file."""
    assert imported_sgdr(tmp_path, capsys, PAGES) == 3
    stored = json.loads(run_cli(capsys, "show", PAPER, "--json").out)["pdf_path"]
    return paperlab_home / stored


@pytest.fixture
def asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return viewer_on_path(tmp_path, monkeypatch)


def _viewer_args(record: Path) -> list[str]:
    """What the (detached) viewer was started with, once it has written it down."""
    deadline = time.monotonic() + 10
    while not record.exists():
        assert time.monotonic() < deadline, "the viewer was never started"
        time.sleep(0.02)
    return record.read_text().split()


def test_open_starts_the_viewer_at_page_one(
    paper: Path, asked: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "open", PAPER)
    assert result.code == 0, result.err
    assert _viewer_args(asked) == ["--page=1", str(paper)]
    assert result.out.strip() == f"Opened {PAPER} in zathura at page 1."


def test_open_goes_back_to_where_the_reader_left_the_paper(
    paper: Path, asked: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_store()
    try:
        save_position(store, ReadingPosition(PAPER, page=2, scroll_y=5))
    finally:
        store.close()
    result = run_cli(capsys, "open", PAPER, "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == {
        "paper_id": PAPER,
        "path": str(paper),
        "page": 2,
        "viewer": "zathura",
        "at_page": True,
    }
    assert _viewer_args(asked) == ["--page=2", str(paper)]


def test_a_page_given_wins_and_is_checked(
    paper: Path, asked: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "open", PAPER, "--page", "3")
    assert result.code == 0, result.err
    assert _viewer_args(asked) == ["--page=3", str(paper)]
    asked.unlink()
    for page in ("4", "0"):
        refused = run_cli(capsys, "open", PAPER, "--page", page)
        assert refused.code == 2, refused.err
        first, hint = refused.err.splitlines()
        assert first == f"Error: {PAPER} has no page {page} (its pages are 1-3)."
        assert hint.startswith("Hint: ")
    time.sleep(0.2)
    assert not asked.exists()


def test_a_viewer_that_cannot_take_a_page_is_named(
    paper: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record = viewer_on_path(tmp_path, monkeypatch, "xdg-open", alone=True)
    result = run_cli(capsys, "open", PAPER, "--page", "2")
    assert result.code == 0, result.err
    assert _viewer_args(record) == [str(paper)]
    assert "xdg-open" in result.out and "go to page 2" in result.out


def test_unknown_papers_and_missing_viewers_say_what_to_do(
    paper: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    unknown = run_cli(capsys, "open", "2401.99999")
    assert unknown.err.splitlines() == [
        "Error: Paper 2401.99999 is not in the library.",
        "Hint: Fetch it first: paperlab fetch 2401.99999",
    ]
    assert unknown.code == 1
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    none = run_cli(capsys, "open", PAPER)
    assert none.code == 1
    assert none.err.startswith("Error: No PDF viewer was found on this system.")
    assert f"Hint: Install one (zathura, evince, okular) or xdg-utils; the file is {paper}" in (
        none.err
    )


def test_a_pdf_not_on_this_machine_comes_back_or_says_how_to_get_it(
    backend: str, paper: Path, asked: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = paper.read_bytes()
    paper.unlink()
    result = run_cli(capsys, "open", PAPER)
    if backend == "postgresql":
        # A lab database keeps every PDF: it is written out again, checked, and opened.
        assert result.code == 0, result.err
        assert _viewer_args(asked) == ["--page=1", str(paper)]
        assert paper.read_bytes() == data
        return
    # An arXiv paper's copy is downloaded again, checked against the recorded sha256;
    # here arXiv cannot be reached.
    assert result.code == 1, result.err
    first, hint = result.err.splitlines()
    assert first.startswith("Error: Downloading ") and "failed" in first
    assert hint.startswith("Hint: ")
    time.sleep(0.2)
    assert not asked.exists()
