"""`paperlab search --paper/--list/--tag/--state`: search within some papers.

Three papers share a subject (so that every one of them matches the query),
one has a note, an annotation and a log entry; the filters must keep exactly
the passages, notes, annotations and log entries of the chosen papers, in
the lexical and the dense half alike, on SQLite and on the lab database.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from paperlab.indexing import index_pending
from paperlab.library import set_reading_state
from paperlab.notes import save_note
from paperlab.researchlog import add_entry
from paperlab.settings import load_settings
from paperlab.store.models import Annotation, ReadingList, ReadingListEntry
from paperlab.tagging import tag_paper
from tests.helpers import run_cli
from tests.unit.test_fast_embedder import export_home, exported  # noqa: F401  (fixtures)
from tests.unit.test_searching import add_paper, counting, real_embedder  # noqa: F401

pytestmark = pytest.mark.usefixtures("backend")

SCHEDULES = "2401.00001"
WARMUP = "2401.00002"
ADAM = "2401.00003"
QUERY = "learning rate schedule"


@pytest.fixture
def library(store: Any, counting: Any, exported: Any) -> Any:  # noqa: F811
    add_paper(
        store,
        SCHEDULES,
        "Learning rate schedules",
        [
            "A cosine learning rate schedule with warm restarts anneals the step size.",
            "Step decay divides the learning rate by ten at fixed epochs.",
        ],
    )
    add_paper(
        store,
        WARMUP,
        "Warmup",
        ["A linear warmup of the learning rate stabilises early training of transformers."],
    )
    add_paper(
        store,
        ADAM,
        "Adaptive optimisers",
        ["Adam adapts a per-parameter learning rate from running moment estimates."],
    )
    save_note(store, WARMUP, {"summary": "Warmup schedule for the learning rate."})
    add_entry(store, "Tried the warmup learning rate schedule on the baseline", papers=[WARMUP])
    add_entry(store, "A learning rate schedule idea for nobody in particular")
    tag_paper(store, ADAM, ["optimisers"])
    set_reading_state(store, SCHEDULES, "read")
    with store.write() as session:
        quote = "linear warmup of the learning rate"
        session.add(Annotation(paper_id=WARMUP, quote=quote, page=1, comment="schedule"))
        week = ReadingList(name="this-week", title="This week")
        session.add(week)
        session.flush()
        for position, paper in enumerate((WARMUP, ADAM)):
            session.add(
                ReadingListEntry(list_id=week.id, paper_id=paper, week=19, position=position)
            )
    index_pending(store, load_settings(), embedder=counting)
    return store


def _found(capsys: pytest.CaptureFixture[str], *options: str) -> list[tuple[str, str | None]]:
    result = run_cli(capsys, "search", QUERY, "-k", "50", "--json", *options)
    assert result.code == 0, result.err
    return [(hit["kind"], hit["paper_id"]) for hit in json.loads(result.out)]


def test_without_a_filter_every_paper_and_item_is_found(
    library: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    found = _found(capsys)
    assert {paper for _, paper in found} == {SCHEDULES, WARMUP, ADAM, None}
    assert {kind for kind, _ in found} == {"passage", "note", "annotation", "log"}


def test_paper_keeps_that_papers_passages_notes_annotations_and_log(
    library: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    found = _found(capsys, "--paper", WARMUP)
    assert {paper for _, paper in found} == {WARMUP}
    assert sorted(kind for kind, _ in found) == ["annotation", "log", "note", "passage"]
    # A citation key or an arXiv URL names a paper as anywhere else; repeatable.
    both = _found(capsys, "--paper", f"https://arxiv.org/abs/{SCHEDULES}v2", "--paper", ADAM)
    assert {paper for _, paper in both} == {SCHEDULES, ADAM}
    assert len([kind for kind, paper in both if paper == SCHEDULES]) == 2  # both passages


def test_list_tag_and_state_choose_papers_and_combine(
    library: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert {paper for _, paper in _found(capsys, "--list", "this-week")} == {WARMUP, ADAM}
    assert {paper for _, paper in _found(capsys, "--tag", "optimisers")} == {ADAM}
    assert {paper for _, paper in _found(capsys, "--state", "read")} == {SCHEDULES}
    unread = _found(capsys, "--state", "unread", "--in", "papers")
    assert {paper for _, paper in unread} == {WARMUP, ADAM}
    # Filters narrow each other.
    assert {p for _, p in _found(capsys, "--list", "this-week", "--tag", "optimisers")} == {ADAM}
    assert _found(capsys, "--list", "this-week", "--paper", SCHEDULES) == []


def test_a_filter_that_keeps_no_paper_says_so(
    library: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "search", QUERY, "--list", "this-week", "--state", "read")
    assert result.code == 0 and result.out == ""
    assert result.err.strip() == (
        "No papers in list this-week with reading state read; nothing was searched."
    )


def test_unknown_names_are_reported_with_a_hint(
    library: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    for option, value, code, first in (
        ("--paper", "2401.99999", 1, "Error: Paper 2401.99999 is not in the library."),
        ("--list", "this-wek", 1, "Error: No reading list 'this-wek' in the library."),
        ("--tag", "optimizer", 1, "Error: No paper is tagged 'optimizer'."),
        ("--state", "finished", 2, None),
    ):
        result = run_cli(capsys, "search", QUERY, option, value)
        assert result.code == code, (option, result.err)
        assert "Traceback" not in result.err
        if first is not None:
            lines = result.err.splitlines()
            assert lines[0] == first and lines[1].startswith("Hint: "), result.err


def test_terms_in_the_query_work_as_the_options_do(
    library: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the lab bench's search box takes among the words, the command line takes too."""
    assert _found(capsys, f"paper:{WARMUP}") == _found(capsys, "--paper", WARMUP)
    assert {p for _, p in _found(capsys, "list:this-week", "--tag", "optimisers")} == {ADAM}
    assert {p for _, p in _found(capsys, "state:read")} == {SCHEDULES}
    clash = run_cli(capsys, "search", f"{QUERY} list:this-week", "--list", "other")
    assert clash.code == 2
    assert clash.err.splitlines()[0] == (
        "Error: Two reading lists are given: list:this-week and --list other."
    )
    only_terms = run_cli(capsys, "search", f"paper:{WARMUP}")
    assert only_terms.code == 2
    assert only_terms.err.startswith("Error: The search query is empty")
