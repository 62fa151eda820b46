"""The owners migration on a library that already holds notes, topics, highlights and state.

Existing rows become the migrating user's, the note keeps its id, its topic
links and its full-text entry, and the old reading state is copied for that user.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import IntegrityError

from paperlab.store.migrations import MIGRATIONS, m013_owners
from paperlab.store.migrations_pg import PG_MIGRATIONS
from tests.conftest import new_lab_database

# Everything before the owners migration, wherever later merges number it.
BEFORE = MIGRATIONS.index(m013_owners)
NOW = "2026-01-01 00:00:00"


def _sqlite_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _fk(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    return engine


def _fill(engine: Engine, migrations: list) -> None:  # type: ignore[type-arg]
    with engine.begin() as conn:
        for migration in migrations[:BEFORE]:
            migration(conn)
        for statement in (
            "INSERT INTO paper (id, title, reading_state, added_at, updated_at) "
            f"VALUES ('1706.03762', 'Attention', 'read', '{NOW}', '{NOW}')",
            "INSERT INTO paper (id, title, added_at, updated_at) "
            f"VALUES ('1512.03385', 'ResNet', '{NOW}', '{NOW}')",
            "INSERT INTO topic (slug, title) VALUES ('transformers', 'Transformers')",
            "INSERT INTO note (id, paper_id, summary, created_at, updated_at) "
            f"VALUES (7, '1706.03762', 'zebrafish attention', '{NOW}', '{NOW}')",
            "INSERT INTO note_topic (note_id, topic_slug) VALUES (7, 'transformers')",
            "INSERT INTO annotation (paper_id, quote, created_at, updated_at) "
            f"VALUES ('1706.03762', 'heads', '{NOW}', '{NOW}')",
            f"INSERT INTO log_entry (created_at, text) VALUES ('{NOW}', 'an idea')",
            "INSERT INTO reading_session (paper_id, started_at, minutes) "
            f"VALUES ('1706.03762', '{NOW}', 12)",
            "INSERT INTO reading_position (paper_id, page, updated_at) "
            f"VALUES ('1706.03762', 3, '{NOW}')",
        ):
            conn.execute(text(statement))


def _check(engine: Engine, migrations: list, fts_query: str) -> None:  # type: ignore[type-arg]
    with engine.begin() as conn:
        migrations[BEFORE](conn)
    with engine.begin() as conn:
        for table in ("note", "annotation", "log_entry", "reading_session", "reading_position"):
            owners = conn.execute(text(f"SELECT DISTINCT owner FROM {table}")).scalars().all()
            assert owners == ["alice"], table
        assert conn.execute(text("SELECT id, shared FROM note")).one() == (7, False)
        topics = conn.execute(text("SELECT note_id, topic_slug FROM note_topic")).all()
        assert topics == [(7, "transformers")]
        assert conn.execute(text(fts_query)).scalars().all() == [7]
        states = conn.execute(text("SELECT paper_id, owner, state FROM reading_state")).all()
        assert states == [("1706.03762", "alice", "read")]
        # A second user's note on the same paper, and position, now fit beside alice's.
        conn.execute(
            text(
                "INSERT INTO note (paper_id, owner, created_at, updated_at) "
                f"VALUES ('1706.03762', 'bob', '{NOW}', '{NOW}')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO reading_position (paper_id, owner, page, updated_at) "
                f"VALUES ('1706.03762', 'bob', 1, '{NOW}')"
            )
        )
        # ...but not a second note of alice's.
        with pytest.raises(IntegrityError), conn.begin_nested():
            conn.execute(
                text(
                    "INSERT INTO note (paper_id, owner, created_at, updated_at) "
                    f"VALUES ('1706.03762', 'alice', '{NOW}', '{NOW}')"
                )
            )


def test_sqlite_existing_rows_become_the_migrating_users(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERLAB_USER", "alice")
    engine = _sqlite_engine(tmp_path / "old.db")
    _fill(engine, MIGRATIONS)
    _check(engine, MIGRATIONS, "SELECT rowid FROM note_fts WHERE note_fts MATCH 'zebrafish'")
    with engine.begin() as conn:  # the rebuilt table's triggers still keep the index
        conn.execute(text("UPDATE note SET summary = 'okapi' WHERE id = 7"))
        found = conn.execute(text("SELECT rowid FROM note_fts WHERE note_fts MATCH 'okapi'"))
        assert found.scalars().all() == [7]
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []


def test_postgresql_existing_rows_become_the_migrating_users(
    lab_server: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERLAB_USER", "alice")
    engine = create_engine(new_lab_database(lab_server))
    try:
        _fill(engine, PG_MIGRATIONS)
        _check(
            engine,
            PG_MIGRATIONS,
            "SELECT id FROM note_fts WHERE document @@ to_tsquery('english', 'zebrafish')",
        )
    finally:
        engine.dispose()
