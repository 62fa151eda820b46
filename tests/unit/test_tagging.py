"""Tagging papers with roadmap topics."""

from __future__ import annotations

import pytest

from paperlab.errors import NotFoundError, UsageError
from paperlab.library import set_reading_state
from paperlab.store import Store
from paperlab.store.models import Paper, PaperTopic, Topic
from paperlab.tagging import paper_topics, tag_paper, untag_paper

PAPER = "1608.03983"


@pytest.fixture
def library(store: Store) -> Store:
    with store.write() as session:
        session.add(Paper(id=PAPER, title="SGDR"))
        for slug in ("deep-learning", "optimisation", "calculus"):
            session.add(Topic(slug=slug, title=slug.title()))
    return store


def test_tag_adds_links_and_returns_all_topics(library: Store) -> None:
    assert tag_paper(library, PAPER, ["optimisation"]) == ["optimisation"]
    assert tag_paper(library, "arXiv:1608.03983v2", ["deep-learning", "optimisation"]) == [
        "deep-learning",
        "optimisation",
    ]
    assert paper_topics(library, PAPER) == ["deep-learning", "optimisation"]


def test_unknown_topic_links_nothing_and_guesses(library: Store) -> None:
    with pytest.raises(NotFoundError) as info:
        tag_paper(library, PAPER, ["calculus", "optimization"])
    assert "optimization" in info.value.message
    assert info.value.hint is not None and "optimisation" in info.value.hint
    assert paper_topics(library, PAPER) == []


def test_no_topics_is_a_usage_error(library: Store) -> None:
    with pytest.raises(UsageError):
        tag_paper(library, PAPER, [" "])


def test_untag_removes_only_the_named_links(library: Store) -> None:
    tag_paper(library, PAPER, ["calculus", "optimisation"])
    assert untag_paper(library, PAPER, ["optimisation", "deep-learning"]) == ["calculus"]
    with pytest.raises(NotFoundError):
        untag_paper(library, PAPER, ["nope"])


def test_tagging_keeps_a_link_from_a_reading_list(library: Store) -> None:
    with library.write() as session:
        session.add(PaperTopic(paper_id=PAPER, topic_slug="calculus", source="list"))
    tag_paper(library, PAPER, ["calculus"])
    with library.read() as session:
        link = session.get(PaperTopic, (PAPER, "calculus"))
        assert link is not None and link.source == "list"


def test_unknown_paper(library: Store) -> None:
    with pytest.raises(NotFoundError):
        tag_paper(library, "1706.03762", ["calculus"])


def test_reading_state_round_trip(library: Store) -> None:
    assert set_reading_state(library, PAPER, "skimming").reading_state == "skimming"
    with library.read() as session:
        paper = session.get(Paper, PAPER)
        assert paper is not None and paper.reading_state == "skimming"
