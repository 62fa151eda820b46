"""``paperlab log`` (and ``tag``/``untag``/``read``) through the real entry point."""

from __future__ import annotations

import json

import pytest

from paperlab.researchlog import list_entries
from paperlab.store import Store
from paperlab.store.models import Paper, PaperReadingState, Topic
from paperlab.tagging import paper_topics
from tests.helpers import run_cli

PAPER = "1608.03983"

# Each test runs on SQLite and on a lab database on PostgreSQL.
pytestmark = pytest.mark.usefixtures("backend")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``paperlab argv`` in-process; return (exit code, stdout, stderr)."""
    result = run_cli(capsys, *argv)
    return result.code, result.out, result.err


@pytest.fixture
def library(store: Store) -> Store:
    with store.write() as session:
        session.add(Paper(id=PAPER, title="SGDR"))
        session.add(Paper(id="1412.6980", title="Adam"))
        session.add(Topic(slug="deep-learning", title="Deep learning"))
        session.add(Topic(slug="optimisation", title="Optimisation"))
    return store


def test_add_and_list(library: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "log", "add", "Try", "restarts", "--kind", "experiment", "--paper", PAPER,
        "--topic", "optimisation",
    )  # fmt: skip
    assert (code, out, err) == (0, "Added log entry 1.\n", "")
    code, out, _ = run(
        capsys, "log", "add", "Why does 1412.6980 need warmup?", "--kind", "question"
    )
    assert code == 0
    code, out, _ = run(capsys, "log", "list", "--json")
    entries = json.loads(out)
    assert [e["id"] for e in entries] == [2, 1]
    assert entries[0]["paper_ids"] == ["1412.6980"]  # linked from the text
    assert entries[1] | {"created_at": None} == {
        "id": 1,
        "owner": "tester",
        "shared": False,
        "created_at": None,
        "kind": "experiment",
        "text": "Try restarts",
        "paper_ids": [PAPER],
        "topic_slugs": ["optimisation"],
    }
    code, out, _ = run(capsys, "log", "list", "--kind", "experiment")
    lines = out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("#1  ") and "[experiment]  Try restarts" in lines[0]
    assert "papers: 1608.03983; topics: optimisation" in lines[0]
    _, out, _ = run(capsys, "log", "list", "--paper", "1412.6980", "--json")
    assert [e["id"] for e in json.loads(out)] == [2]
    _, out, _ = run(capsys, "log", "list", "--topic", "deep-learning")
    assert out == "No log entries match.\n"


def test_empty_log(library: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "log", "list") == (0, "The log is empty.\n", "")
    assert run(capsys, "log") == (0, "The log is empty.\n", "")


def test_edit_and_rm(library: Store, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "log", "add", "draft")
    code, out, _ = run(capsys, "log", "edit", "1", "final", "text", "--kind", "decision")
    assert (code, out) == (0, "Updated log entry 1.\n")
    (entry,) = list_entries(library)
    assert (entry.text, entry.kind) == ("final text", "decision")
    code, out, _ = run(capsys, "log", "rm", "1")
    assert (code, out) == (0, "Deleted log entry 1.\n")
    assert list_entries(library) == []


def test_bad_input_is_one_sentence_and_a_hint(
    library: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "log", "add", "x", "--kind", "ida")
    assert (code, out) == (2, "")
    assert err == (
        "Error: Unknown log entry kind 'ida'.\n"
        "Hint: Did you mean idea? Kinds: idea, question, experiment, result, decision, todo.\n"
    )
    code, _, err = run(capsys, "log", "add")
    assert code == 2 and err.startswith("Error: A log entry needs some text.")
    code, _, err = run(capsys, "log", "add", "x", "--paper", "1706.03762")
    assert code == 1 and "Hint: Fetch it first" in err
    code, _, err = run(capsys, "log", "rm", "42")
    assert code == 1 and "Error: There is no log entry 42." in err
    code, _, err = run(capsys, "log", "edit", "42")
    assert code == 2 and "Nothing to change" in err
    code, _, err = run(capsys, "log", "list", "--topic", "optimization")
    assert code == 1 and "Did you mean optimisation" in err
    assert list_entries(library) == []


# --------------------------------------------------------------------------- tag / read


def test_tag_untag(library: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "tag", PAPER, "optimisation", "deep-learning")
    assert (code, out) == (0, f"{PAPER} topics: deep-learning, optimisation; tags: none\n")
    code, out, _ = run(capsys, "untag", PAPER, "deep-learning")
    assert (code, out) == (0, f"{PAPER} topics: optimisation; tags: none\n")
    code, out, _ = run(capsys, "untag", PAPER, "deep-learning")
    assert out.splitlines()[0] == f"{PAPER} was not tagged with deep-learning."
    # A near miss of a topic is kept as a free tag, with a note naming the topic.
    code, out, err = run(capsys, "tag", PAPER, "deep-learnin")
    assert code == 0 and "tags: deep-learnin" in out and "roadmap topic deep-learning" in err
    run(capsys, "untag", PAPER, "deep-learnin")
    code, _, err = run(capsys, "tag", PAPER)
    assert code == 2 and "Name at least one topic or tag." in err
    assert paper_topics(library, PAPER) == ["optimisation"]


def test_read_sets_the_reading_state(library: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "read", PAPER, "reading") == (0, f"{PAPER} is now reading.\n", "")
    code, _, err = run(capsys, "read", PAPER, "skim")
    assert code == 2
    assert err == (
        "Error: Unknown reading state 'skim'.\n"
        "Hint: Did you mean skimming? Use one of: unread, skimming, reading, read.\n"
    )
    with library.read() as session:
        # The state is the user's own (PAPERLAB_USER), not the paper's.
        row = session.get(PaperReadingState, (PAPER, "tester"))
        assert row is not None and row.state == "reading"
        paper = session.get(Paper, PAPER)
        assert paper is not None and paper.reading_state == "unread"  # the old column is left
