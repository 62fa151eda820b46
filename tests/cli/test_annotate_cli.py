"""``paperlab annotate`` on a real imported PDF: an ambiguous quote is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paperlab.pipeline import extract_paper
from paperlab.settings import load_settings
from paperlab.store import open_store
from tests.fakearxiv import make_pdf
from tests.helpers import imported_sgdr, run_cli

PAPER = "1608.03983"
PAGES = [
    "1 Introduction\nRestart techniques are common in gradient-free optimization. "
    "In our schedule the learning rate is reset at every restart of the run.",
    "2 Method\nWe propose a simple warm restart technique for stochastic gradient descent. "
    "After a plateau the learning rate is reset to its first value, and at the very end "
    "the learning rate is reset once more before the final snapshot.",
]
REPEATED = "the learning rate is reset"

# Each test runs on SQLite and on a lab database on PostgreSQL.
pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
def paper(tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """A generated PDF imported offline and extracted (real PyMuPDF pages)."""
    assert imported_sgdr(tmp_path, capsys, PAGES) == 2
    return PAPER


def annotate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    result = run_cli(capsys, "annotate", PAPER, "--json", *args)
    return result.code, (json.loads(result.out) if result.code == 0 else {}), result.err


def stored(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    listed = run_cli(capsys, "annotations", PAPER, "--json")
    assert listed.code == 0, listed.err
    data: list[dict] = json.loads(listed.out)
    return data


# --------------------------------------------------------------------------- ambiguous quotes


def test_an_ambiguous_quote_is_refused_with_its_occurrences(
    paper: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = annotate(capsys, "--quote", REPEATED)
    assert code == 2
    first, hint = err.splitlines()
    assert first.startswith("Error: The quote occurs 3 times in 1608.03983:")
    assert first.count("p. 1") == 1 and first.count("p. 2") == 2
    assert "at every restart" in first and "to its first" in first and "once more" in first
    assert hint.startswith("Hint: ") and "--occurrence" in hint and "--page" in hint
    assert "Traceback" not in err
    assert stored(capsys) == []


def test_page_and_occurrence_choose_one(paper: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, on_one, err = annotate(capsys, "--quote", REPEATED, "--page", "1")
    assert code == 0, err
    assert on_one["page"] == 1 and "every restart" in on_one["suffix"]
    # Page 2 still holds it twice: still ambiguous, and the message says so.
    code, _, err = annotate(capsys, "--quote", REPEATED, "--page", "2")
    assert code == 2 and "twice on page 2" in err
    code, second, err = annotate(capsys, "--quote", REPEATED, "--page", "2", "--occurrence", "2")
    assert code == 0, err
    assert second["page"] == 2 and "once more" in second["suffix"]
    code, third, err = annotate(capsys, "--quote", REPEATED, "--occurrence", "2")
    assert code == 0, err
    assert third["page"] == 2 and "to its first" in third["suffix"]
    assert len(stored(capsys)) == 3


def test_a_bad_occurrence_is_a_usage_error(paper: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = annotate(capsys, "--quote", REPEATED, "--occurrence", "4")
    assert code == 2 and "occurs 3 times" in err and "1-3" in err
    code, _, err = annotate(capsys, "--quote", "warm restart technique", "--occurrence", "2")
    assert code == 2 and "occurs once" in err
    code, _, err = annotate(capsys, "--quote", REPEATED, "--occurrence", "0")
    assert code == 2
    assert stored(capsys) == []


def test_a_unique_quote_needs_no_choice(paper: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, one, err = annotate(capsys, "--quote", "warm restart technique", "--occurrence", "1")
    assert code == 0, err
    assert one["page"] == 2


def test_the_quote_may_follow_the_id_as_typed(
    paper: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`paperlab annotate ID "a phrase"` (and the phrase unquoted) works like --quote."""
    quoted = run_cli(capsys, "annotate", PAPER, "warm restart technique", "--comment", "key")
    assert quoted.code == 0, quoted.err
    assert "anchored on page 2" in quoted.out
    loose = run_cli(capsys, "annotate", PAPER, "simple", "warm", "restart", "--json")
    assert loose.code == 0, loose.err
    assert json.loads(loose.out)["quote"] == "simple warm restart"
    assert {a["quote"] for a in stored(capsys)} == {"warm restart technique", "simple warm restart"}


def test_a_quote_given_twice_is_refused(paper: str, capsys: pytest.CaptureFixture[str]) -> None:
    both = run_cli(capsys, "annotate", PAPER, "warm restart", "--quote", "simple warm")
    assert both.code == 2
    assert both.err.startswith("Error: ") and "Hint: " in both.err and "Traceback" not in both.err
    assert stored(capsys) == []


def test_many_occurrences_make_a_bounded_message(
    tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    word = "schedule"
    pdf = tmp_path / "many.pdf"
    body = " ".join(f"{word} number {n} of the plan." for n in range(60))
    pdf.write_bytes(make_pdf("Many restarts", [body, body], stamp="arXiv:1608.03983v1 [cs.LG]"))
    assert run_cli(capsys, "add", "--no-index", str(pdf)).code == 0
    store = open_store()
    try:
        extract_paper(store, load_settings(), PAPER)
    finally:
        store.close()
    code, _, err = annotate(capsys, "--quote", word)
    assert code == 2
    first = err.splitlines()[0]
    assert "occurs 120 times" in first and "and 115 more" in first
    assert len(first) <= 500 and len(err) < 1000
