"""The research log: entries, kinds, links to papers and topics, filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from paperlab.errors import NotFoundError, UsageError
from paperlab.researchlog import (
    LOG_KINDS,
    add_entry,
    delete_entry,
    get_entry,
    list_entries,
    update_entry,
)
from paperlab.store import Store
from paperlab.store.models import LogPaper, Paper, Topic


@pytest.fixture
def library(store: Store) -> Store:
    with store.write() as session:
        session.add(Paper(id="1608.03983", title="SGDR", citation_key="loshchilov2016"))
        session.add(Paper(id="1412.6980", title="Adam"))
        session.add(Paper(id="hep-th/9901001", title="Old style"))
        session.add(Topic(slug="deep-learning", title="Deep learning"))
        session.add(Topic(slug="optimisation", title="Optimisation"))
    return store


def test_kinds() -> None:
    assert LOG_KINDS == ("idea", "question", "experiment", "result", "decision", "todo")


def test_add_links_papers_and_topics(library: Store) -> None:
    entry = add_entry(
        library,
        "  Try cosine restarts on my CNN.  ",
        kind="experiment",
        papers=["loshchilov2016", "arXiv:1608.03983v5"],
        topics=["deep-learning"],
    )
    assert entry.id is not None and entry.text == "Try cosine restarts on my CNN."
    view = get_entry(library, entry.id)
    assert view.kind == "experiment"
    assert view.paper_ids == ["1608.03983"]
    assert view.topic_slugs == ["deep-learning"]
    assert view.created_at.tzinfo is not None
    assert view.to_json()["created_at"] == view.created_at.isoformat()


def test_ids_mentioned_in_the_text_are_linked_when_in_the_library(library: Store) -> None:
    entry = add_entry(
        library,
        "Compare arXiv:1412.6980v9 with 1608.03983 and hep-th/9901001; "
        "1706.03762 is not in the library and 2023.1234 is no id.",
    )
    assert entry.id is not None
    assert get_entry(library, entry.id).paper_ids == ["1412.6980", "1608.03983", "hep-th/9901001"]


def test_bad_inputs_are_clear_errors(library: Store) -> None:
    with pytest.raises(UsageError) as kind:
        add_entry(library, "x", kind="experimnt")
    assert kind.value.hint is not None and "experiment" in kind.value.hint
    with pytest.raises(UsageError):
        add_entry(library, "   ")
    with pytest.raises(NotFoundError):
        add_entry(library, "x", papers=["1706.03762"])
    with pytest.raises(NotFoundError) as topic:
        add_entry(library, "x", topics=["optimization"])
    assert topic.value.hint is not None and "optimisation" in topic.value.hint
    assert list_entries(library) == []  # nothing half-written


def test_kind_prefix_gets_a_guess(library: Store) -> None:
    with pytest.raises(UsageError) as info:
        add_entry(library, "x", kind="exp")
    assert info.value.hint is not None and info.value.hint.startswith("Did you mean experiment?")


def test_list_is_newest_first_and_filters(library: Store) -> None:
    start = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    a = add_entry(library, "an idea", when=start)
    b = add_entry(
        library, "a result", kind="result", papers=["1412.6980"], when=start + timedelta(1)
    )
    c = add_entry(
        library, "a todo", kind="todo", topics=["optimisation"], when=start + timedelta(2)
    )
    assert [e.id for e in list_entries(library)] == [c.id, b.id, a.id]
    assert [e.id for e in list_entries(library, kind="result")] == [b.id]
    assert [e.id for e in list_entries(library, paper="1412.6980")] == [b.id]
    assert [e.id for e in list_entries(library, topic="optimisation")] == [c.id]
    assert [e.id for e in list_entries(library, limit=2)] == [c.id, b.id]
    assert list_entries(library, paper="1608.03983") == []
    with pytest.raises(UsageError):
        list_entries(library, kind="nope")
    with pytest.raises(NotFoundError):
        list_entries(library, topic="nope")
    with pytest.raises(UsageError):
        list_entries(library, limit=0)


def test_when_in_another_zone_is_stored_as_utc(library: Store) -> None:
    early = add_entry(library, "first", when=datetime(2025, 3, 1, 10, 0, tzinfo=UTC))
    # 09:30 UTC, written as 11:30 at UTC+2: older than `early`.
    zone = timezone(timedelta(hours=2))
    later_text = add_entry(library, "second", when=datetime(2025, 3, 1, 11, 30, tzinfo=zone))
    views = list_entries(library)
    assert [v.id for v in views] == [early.id, later_text.id]
    assert views[1].created_at == datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


def test_update_replaces_text_kind_and_links(library: Store) -> None:
    entry = add_entry(library, "draft", papers=["1412.6980"], topics=["optimisation"])
    assert entry.id is not None
    update_entry(library, entry.id, text="now about 1608.03983", kind="decision")
    view = get_entry(library, entry.id)
    assert (view.text, view.kind) == ("now about 1608.03983", "decision")
    assert view.paper_ids == ["1412.6980", "1608.03983"]
    update_entry(library, entry.id, papers=["hep-th/9901001"], topics=[])
    view = get_entry(library, entry.id)
    assert (view.paper_ids, view.topic_slugs) == (["hep-th/9901001"], [])
    with pytest.raises(NotFoundError):
        update_entry(library, 999, text="x")
    with pytest.raises(UsageError):
        update_entry(library, entry.id, kind="bogus")


def test_delete_removes_the_entry_and_its_links(library: Store) -> None:
    entry = add_entry(library, "bye", papers=["1412.6980"])
    assert entry.id is not None
    delete_entry(library, entry.id)
    assert list_entries(library) == []
    with library.read() as session:
        assert session.get(LogPaper, (entry.id, "1412.6980")) is None
    with pytest.raises(NotFoundError):
        delete_entry(library, entry.id)
