"""The plain-sqlite3 read path: connections, parameters, errors, and agreement with the ORM."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from paperlab.annotation_views import list_annotations
from paperlab.catalog import list_papers, paper_details
from paperlab.errors import NotFoundError, StoreError
from paperlab.log_views import list_entries
from paperlab.overviews import topics_overview
from paperlab.store import Store, open_store
from paperlab.store.models import (
    Annotation,
    LogEntry,
    LogPaper,
    Paper,
    PaperReadingState,
    PaperTopic,
    PaperVersion,
    Topic,
    dumps,
)


def test_an_up_to_date_library_opens_without_the_engine(store: Store) -> None:
    again = Store(store.path)
    assert "engine" not in again.__dict__  # SQLAlchemy is built on the first write only
    with again.connect() as conn:
        assert conn.execute("SELECT COUNT(*) FROM paper").scalar() == 0
    with again.write() as session:
        session.add(Paper(id="1706.03762", title="Attention"))
    assert "engine" in again.__dict__


def test_sequence_parameters_expand(store: Store) -> None:
    with store.write() as session:
        for i in range(4):
            session.add(Paper(id=f"2101.0000{i}", title=f"p{i}"))
    with store.connect() as conn:
        rows = conn.execute(
            "SELECT id FROM paper WHERE id IN :ids AND title != :t ORDER BY id",
            {"ids": ["2101.00001", "2101.00003", "nope"], "t": "x"},
        ).all()
        assert rows == [("2101.00001",), ("2101.00003",)]
        assert conn.execute("SELECT id FROM paper WHERE id IN :ids", {"ids": []}).all() == []
        # A colon inside a literal is not a parameter.
        assert conn.execute("SELECT ':ids' WHERE 1 IN :ids", {"ids": (1,)}).scalar() == ":ids"


def test_long_sequence_parameters_match_as_short_ones_do(store: Store) -> None:
    """A search within thousands of papers binds thousands of ids: they go as one
    JSON array, so matching is the same for text and numbers, long or short."""
    with store.write() as session:
        for i in range(3):
            session.add(Paper(id=f"2101.0000{i}", title=f"p{i}"))
    many = [f"2201.{n:05d}" for n in range(5000)] + ["2101.00002", "2101.00000"]
    with store.connect() as conn:
        rows = conn.execute("SELECT id FROM paper WHERE id IN :ids ORDER BY id", {"ids": many})
        assert rows.all() == [("2101.00000",), ("2101.00002",)]
        outside = conn.execute("SELECT id FROM paper WHERE id NOT IN :ids", {"ids": many})
        assert outside.all() == [("2101.00001",)]
        numbers = [*range(100_000, 105_000), 2]
        assert conn.execute("SELECT 2 IN :n, 3 IN :n", {"n": numbers}).first() == (1, 0)
        assert conn.execute("SELECT '2' IN :n", {"n": numbers}).scalar() == 0  # types kept


def test_a_read_connection_cannot_write(store: Store) -> None:
    with pytest.raises(StoreError) as info, store.connect() as conn:
        conn.execute("INSERT INTO topic (slug, title) VALUES ('x', 'X')")
    assert "Cannot write" in info.value.message
    with store.connect() as conn:
        assert conn.execute("SELECT COUNT(*) FROM topic").scalar() == 0


def test_a_bad_statement_is_a_bug_not_a_library_error(store: Store) -> None:
    with pytest.raises(sqlite3.OperationalError), store.connect() as conn:
        conn.execute("SELECT nothing FROM nowhere")


def test_a_file_damaged_after_opening_is_one_clear_error(paperlab_home: Path) -> None:
    open_store().close()  # migrated, and the WAL checkpointed away
    store = open_store()
    store.path.write_bytes(b"garbage" * 1000)
    with pytest.raises(StoreError) as info, store.connect() as conn:
        conn.execute("SELECT COUNT(*) FROM paper").scalar()
    assert "damaged" in info.value.message


@pytest.fixture
def described(store: Store) -> Store:
    """A paper with every field set, written through the ORM."""
    published = datetime(2016, 8, 13, 19, 0, tzinfo=UTC)
    with store.write() as session:
        session.add(
            Paper(
                id="1608.03983",
                version=5,
                title="SGDR",
                authors=dumps(["Ilya Loshchilov", "Frank Hutter"]),
                abstract="Restarts.",
                categories=dumps(["cs.LG", "math.OC"]),
                primary_category="cs.LG",
                published=published,
                updated=datetime(2017, 5, 3, tzinfo=UTC),
                doi="10.1/x",
                state="indexed",
                reading_state="reading",
                citation_key="loshchilov2016sgdr",
                metadata_complete=True,
            )
        )
        session.add(Topic(slug="deep-learning", title="Deep learning", weeks=dumps([7, 8])))
        session.flush()
        session.add(PaperTopic(paper_id="1608.03983", topic_slug="deep-learning"))
        session.add(PaperReadingState(paper_id="1608.03983", state="reading"))  # the user's
        session.add(PaperVersion(paper_id="1608.03983", version=1, updated=published))
        session.add(Annotation(paper_id="1608.03983", quote="warm", page=2, tags=dumps(["a"])))
        entry = LogEntry(kind="idea", text="Try SGDR")
        session.add(entry)
        session.flush()
        session.add(LogPaper(log_id=entry.id, paper_id="1608.03983"))
    return store


def test_plain_reads_agree_with_the_orm(described: Store) -> None:
    with described.read() as session:
        paper = session.get(Paper, "1608.03983")
        annotation = session.exec(select(Annotation)).one()
        entry = session.exec(select(LogEntry)).one()
        assert paper is not None
        expected: dict[str, Any] = {
            "published": paper.published.isoformat() if paper.published else None,
            "updated": paper.updated.isoformat() if paper.updated else None,
            "authors": paper.author_list,
            "categories": paper.category_list,
            "metadata_complete": paper.metadata_complete,
        }
        expected_created = annotation.created_at
        entry_created = entry.created_at
    details = paper_details(described, "loshchilov2016sgdr")
    assert {k: details[k] for k in expected} == expected
    assert details["published"] == "2016-08-13T19:00:00+00:00"
    assert details["versions"][0]["updated"] == expected["published"]
    assert (details["annotations"], details["log_entries"], details["topics"]) == (
        1,
        1,
        ["deep-learning"],
    )
    [row] = list_papers(described, topic="deep-learning", states=["reading"])
    assert (row.year, row.authors, row.citation_key) == (
        2016,
        expected["authors"],
        paper.citation_key,
    )
    [plain] = list_annotations(described, "1608.03983")
    assert plain.created_at == expected_created and plain.created_at.tzinfo is not None
    [view] = list_entries(described, paper="arXiv:1608.03983v5")
    assert view.created_at == entry_created and view.paper_ids == ["1608.03983"]
    [topic] = topics_overview(described)
    assert (topic.weeks, topic.papers) == ([7, 8], ["1608.03983"])


def test_not_found_reads_like_the_orm_path(described: Store) -> None:
    from paperlab.library import resolve_paper

    with pytest.raises(NotFoundError) as plain:
        paper_details(described, "loshchilov2016sgd")
    with pytest.raises(NotFoundError) as orm, described.read() as session:
        resolve_paper(session, "loshchilov2016sgd")
    assert (plain.value.message, plain.value.hint) == (orm.value.message, orm.value.hint)
    assert plain.value.hint == "Did you mean loshchilov2016sgdr?"
