"""``paperlab log show`` (an entry whole) and ``log edit`` of topics, with ``--json``."""

from __future__ import annotations

import json

import pytest

from paperlab.store import Store
from tests.cli.test_log_cli import PAPER, library, run

__all__ = ["library"]  # the fixture, used by name

LONG = " ".join(f"word{i}" for i in range(40)) + " and a last line\nsecond line"


def test_show_prints_an_entry_whole(library: Store, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "log", "add", LONG, "--paper", PAPER, "--topic", "optimisation")
    code, out, err = run(capsys, "log", "show", "1")
    assert code == 0, err
    assert LONG in out
    assert "papers: 1608.03983" in out and "topics: optimisation" in out
    code, out, _ = run(capsys, "log", "show", "1", "--json")
    data = json.loads(out)
    assert data["text"] == LONG and data["topic_slugs"] == ["optimisation"]


def test_show_of_a_missing_entry_is_one_sentence(
    library: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "log", "show", "7")
    assert code == 2 and out == ""
    assert "There is no log entry 7." in err and "paperlab log list" in err
    assert "Traceback" not in err


def test_edit_links_topics_and_reports_json(
    library: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "log", "add", "Warm restarts help", "--paper", PAPER)
    code, out, err = run(
        capsys, "log", "edit", "1", "--topic", "optimisation", "--topic", "deep-learning", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["topic_slugs"] == ["deep-learning", "optimisation"]
    assert data["text"] == "Warm restarts help" and data["paper_ids"] == [PAPER]
    code, out, _ = run(capsys, "log", "edit", "1", "Warm restarts help a lot")
    assert (code, out) == (0, "Updated log entry 1.\n")
    code, out, _ = run(capsys, "log", "show", "1")
    assert "Warm restarts help a lot" in out and "topics: deep-learning, optimisation" in out


def test_edit_can_unlink_every_topic_and_paper(
    library: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "log", "add", "Restarts", "--paper", PAPER, "--topic", "optimisation")
    code, out, err = run(capsys, "log", "edit", "1", "--no-topics", "--no-papers", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["topic_slugs"] == [] and data["paper_ids"] == []
    code, out, err = run(capsys, "log", "edit", "1", "--no-topics", "--topic", "optimisation")
    assert code == 2 and "not both" in err and out == ""
