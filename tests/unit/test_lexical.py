"""FTS5 tables kept in sync by triggers, and safe BM25 queries."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text as sql

from paperlab.search.lexical import (
    fts_query,
    query_terms,
    search_lexical,
    snippet_for,
    split_marked,
)
from paperlab.search.lexical_pg import pg_tsquery
from paperlab.store import open_store
from paperlab.store.migrations import m002_fulltext
from paperlab.store.models import Annotation, LogEntry, Note
from tests.unit.test_searching import PHOTOSYNTHESIS, TRANSFORMER, add_paper

ALL = ("passage", "note", "annotation", "log")
# Run on SQLite (FTS5) and on a lab database on PostgreSQL (tsvector, ts_rank_cd).
both_stores = pytest.mark.usefixtures("backend")


def _search(store: Any, query: str, kinds: tuple[str, ...] = ALL, **kw: Any) -> list[Any]:
    with store.connect() as conn:
        return search_lexical(conn, query, kinds, 20, **kw)


def test_fts_query_quotes_everything() -> None:
    assert fts_query("C++") == '"c"'
    assert fts_query('self-attention "neural networks" AND') == (
        '"neural networks" OR "self attention" OR "and"'
    ) or fts_query('self-attention "neural networks" AND') == (
        '"neural networks" OR "self attention"'
    )
    assert fts_query("title:NEAR(x)") == '"title near x"'
    assert fts_query("!!! ??? ---") is None
    assert fts_query("the of") == '"the" OR "of"'  # only stopwords: still searched
    assert query_terms("The Transformer and ATTENTION") == ["transformer", "attention"]


@both_stores
def test_triggers_keep_index_in_sync(store: Any) -> None:
    [chunk_id] = add_paper(store, "p1", "T", [TRANSFORMER])
    assert [h.row_id for h in _search(store, "recurrence")] == [chunk_id]
    with store.write() as session:
        session.connection().execute(
            sql("UPDATE chunk SET text = 'Rivers carry sediment.' WHERE id = :i"), {"i": chunk_id}
        )
    assert _search(store, "recurrence") == []
    assert [h.row_id for h in _search(store, "sediments")] == [chunk_id]  # porter stemming
    with store.write() as session:
        session.connection().execute(sql("DELETE FROM chunk WHERE id = :i"), {"i": chunk_id})
    assert _search(store, "sediment") == []


@both_stores
def test_notes_annotations_log_searchable_on_save(store: Any) -> None:
    add_paper(store, "p1", "T", [PHOTOSYNTHESIS])
    with store.write() as session:
        session.add(Note(paper_id="p1", method="We used a Naïve Bayes baseline."))
        session.add(Annotation(paper_id="p1", quote="glucose", comment="check the yield numbers"))
        session.add(LogEntry(kind="todo", text="Email the authors about the dataset."))
    if store.dialect == "sqlite":  # PostgreSQL's english configuration keeps diacritics
        assert [h.kind for h in _search(store, "naive")] == ["note"]  # diacritics removed
    assert [h.kind for h in _search(store, "baseline")] == ["note"]
    assert [h.kind for h in _search(store, "yield")] == ["annotation"]
    assert [h.kind for h in _search(store, "email dataset")] == ["log"]
    assert {h.kind for h in _search(store, "glucose")} == {"passage", "annotation"}
    with store.write() as session:
        session.connection().execute(sql("UPDATE note SET method = 'Random forests.'"))
    assert _search(store, "baseline") == []
    assert [h.kind for h in _search(store, "forest")] == ["note"]


@both_stores
def test_section_title_is_searchable(store: Any) -> None:
    add_paper(store, "p1", "T", [TRANSFORMER], section="Experimental Setup")
    assert [h.kind for h in _search(store, "experimental")] == ["passage"]


@both_stores
def test_snippets_mark_terms(store: Any) -> None:
    [chunk_id] = add_paper(store, "p1", "T", [PHOTOSYNTHESIS])
    [hit] = _search(store, "oxygen")
    assert "«oxygen»" in hit.snippet
    plain, spans = split_marked(hit.snippet)
    assert [plain[a:b] for a, b in spans] == ["oxygen"]
    with store.connect() as conn:
        assert "«water»" in (snippet_for(conn, "passage", chunk_id, "water") or "")
        assert snippet_for(conn, "passage", chunk_id, "volcano") is None


def test_migration_populates_existing_rows(paperlab_home: Any) -> None:
    # Rows written before the FTS tables existed are indexed by the migration.
    store = open_store()
    add_paper(store, "p1", "T", [TRANSFORMER])
    with store.write() as session:
        conn = session.connection()
        for table in ("chunk_fts", "note_fts", "annotation_fts", "log_fts"):
            for suffix in ("ai", "ad", "au"):
                conn.execute(sql(f"DROP TRIGGER {table}_{suffix}"))
            conn.execute(sql(f"DROP TABLE {table}"))
    with store.write() as session:
        m002_fulltext(session.connection())
    assert len(_search(store, "recurrence")) == 1
    store.close()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_a_safe_query(text: str) -> None:
    store = _shared_store()
    hits = _search(store, text)
    assert isinstance(hits, list)


_STORE: list[Any] = []


def test_a_pg_tsquery_is_plain_words_and_phrases() -> None:
    assert pg_tsquery('self-attention "neural networks" C++') == (
        "neural <-> networks | self <-> attention | c"
    )
    assert pg_tsquery("!!! ???") is None


def _shared_store() -> Any:
    # Hypothesis runs many examples in one test: one library for all of them.
    if not _STORE:
        s = open_store()
        add_paper(s, "p1", "T", [TRANSFORMER, PHOTOSYNTHESIS])
        _STORE.append(s)
    return _STORE[0]


_PG_STORE: list[Any] = []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_a_safe_query_on_postgresql(lab_server: Any, text: str) -> None:
    if not _PG_STORE:
        from paperlab.store.pgengine import PgStore
        from tests.conftest import new_lab_database

        s = PgStore(new_lab_database(lab_server))
        add_paper(s, "p1", "T", [TRANSFORMER, PHOTOSYNTHESIS])
        _PG_STORE.append(s)
    assert isinstance(_search(_PG_STORE[0], text), list)


@both_stores
def test_a_rare_word_outranks_a_common_one(store: Any) -> None:
    """Ranking weighs how rare a word is (bm25's IDF; on PostgreSQL, added to ts_rank)."""
    add_paper(store, "common", "T", ["network network network training"])
    add_paper(store, "others", "T", [f"a network model number {i}" for i in range(8)])
    [rare] = add_paper(store, "rare", "T", ["the zebra crossing"])
    hits = _search(store, "network zebra", ("passage",))
    assert hits[0].row_id == rare
