"""Tagging papers with roadmap topics and free tags."""

from __future__ import annotations

import pytest

from paperlab.errors import NotFoundError, UsageError
from paperlab.library import set_reading_state
from paperlab.store import Store
from paperlab.store.models import Paper, PaperReadingState, PaperTopic, Topic
from paperlab.tagging import check_tag, paper_topics, tag_paper, untag_paper

PAPER = "1608.03983"


@pytest.fixture
def library(store: Store) -> Store:
    with store.write() as session:
        session.add(Paper(id=PAPER, title="SGDR"))
        for slug in ("deep-learning", "optimisation", "calculus"):
            session.add(Topic(slug=slug, title=slug.title()))
    return store


def test_tag_adds_links_and_returns_all_topics(library: Store) -> None:
    assert tag_paper(library, PAPER, ["optimisation"]).topics == ["optimisation"]
    assert tag_paper(library, "arXiv:1608.03983v2", ["deep-learning", "optimisation"]).topics == [
        "deep-learning",
        "optimisation",
    ]
    assert paper_topics(library, PAPER) == ["deep-learning", "optimisation"]


def test_a_slug_that_is_no_topic_is_a_free_tag_and_a_near_miss_is_named(library: Store) -> None:
    result = tag_paper(library, PAPER, ["calculus", "optimization", "#gans", "gans"])
    assert (result.topics, result.tags) == (["calculus"], ["gans", "optimization"])
    assert result.near_topics == {"optimization": "optimisation"}
    assert paper_topics(library, PAPER) == ["calculus"]


@pytest.mark.parametrize("bad", ["GANs", "a b", "x" * 41, "2024", "/gans", "é"])
def test_a_bad_free_tag_writes_nothing(library: Store, bad: str) -> None:
    with pytest.raises(UsageError) as info:
        tag_paper(library, PAPER, ["calculus", bad])
    assert info.value.hint and "lowercase" in info.value.hint
    assert paper_topics(library, PAPER) == []
    assert check_tag("project/baseline_2") == "project/baseline_2"


def test_no_topics_is_a_usage_error(library: Store) -> None:
    with pytest.raises(UsageError):
        tag_paper(library, PAPER, [" "])


def test_untag_removes_only_the_named_links(library: Store) -> None:
    tag_paper(library, PAPER, ["calculus", "optimisation", "gans"])
    result = untag_paper(library, PAPER, ["optimisation", "deep-learning", "gans", "nope"])
    assert (result.topics, result.tags) == (["calculus"], [])
    assert result.absent == ["deep-learning", "nope"]


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
    assert set_reading_state(library, PAPER, "skimming").state == "skimming"
    with library.read() as session:
        row = session.get(PaperReadingState, (PAPER, "tester"))  # the current user's
        assert row is not None and row.state == "skimming"
