"""The SQLite store: migrations, pragmas, concurrency, damage, and notes never orphaned."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from paperlab.errors import StoreError
from paperlab.store import Store, open_store
from paperlab.store.migrations import MIGRATIONS, latest_version
from paperlab.store.models import Note, Paper


def test_migrated_schema_matches_the_models(store: Store) -> None:
    """The raw-SQL migrations and the SQLModel classes describe the same columns."""
    with sqlite3.connect(store.path) as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name == "schema_migration":
                continue
            columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table.name})")}
            assert columns == {c.name for c in table.columns}, table.name


def test_schema_version_is_recorded_and_reopening_applies_nothing(store: Store) -> None:
    assert store.schema_version() == latest_version() == len(MIGRATIONS)
    again = Store(store.path)
    assert again.applied_migrations == []
    with sqlite3.connect(store.path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM schema_migration ORDER BY version")]
    assert names == [m.__name__ for m in MIGRATIONS]


def test_pragmas(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_a_paper_with_notes_cannot_be_deleted(store: Store) -> None:
    with store.write() as session:
        session.add(Paper(id="1706.03762", title="Attention"))
    with store.write() as session:
        session.add(Note(paper_id="1706.03762", summary="keep me"))
    with pytest.raises(IntegrityError), store.write() as session:
        paper = session.get(Paper, "1706.03762")
        session.delete(paper)
    with store.read() as session:
        assert session.get(Paper, "1706.03762") is not None


def test_a_damaged_file_is_one_clear_error(paperlab_home: Path) -> None:
    paperlab_home.mkdir(parents=True)
    (paperlab_home / "paperlab.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError) as info:
        open_store()
    assert "damaged" in info.value.message and info.value.hint


def _open_and_write(home: str, n: int) -> None:
    import os

    os.environ["PAPERLAB_HOME"] = home
    from paperlab.store import open_store as open_

    store = open_()
    for i in range(20):
        with store.write() as session:
            session.add(Paper(id=f"2101.{n:02d}{i:03d}", title=f"p{n}-{i}"))


def test_processes_opening_a_new_library_at_once_migrate_it_once(paperlab_home: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_open_and_write, args=(str(paperlab_home), n)) for n in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    with sqlite3.connect(paperlab_home / "paperlab.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM paper").fetchone() == (80,)
        assert conn.execute("SELECT COUNT(*) FROM schema_migration").fetchone() == (
            len(MIGRATIONS),
        )


def test_unwritable_home_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("PAPERLAB_HOME", str(blocker / "home"))
    with pytest.raises(StoreError) as info:
        open_store()
    assert "PAPERLAB_HOME" in (info.value.hint or "")


def test_change_counters_move_with_chunks_and_vectors(store: Store) -> None:
    from paperlab.store.models import Chunk, Embedding
    from paperlab.vectorsync import db_fingerprint

    def counters() -> list[int]:
        with store.connect() as conn:
            return db_fingerprint(conn, "m")

    start = counters()
    with store.write() as session:
        session.add(Paper(id="1706.03762", title="Attention"))
        session.flush()
        session.add(
            Chunk(
                paper_id="1706.03762",
                page_start=1,
                page_end=1,
                char_start=0,
                char_end=4,
                text="text",
                content_hash="h",
            )
        )
    after_chunk = counters()
    assert after_chunk != start
    with store.write() as session:
        session.add(Embedding(content_hash="h", model="m", dim=1, vector=b"\0\0\0\0"))
    after_vector = counters()
    assert after_vector != after_chunk
    assert counters() == after_vector  # reading changes nothing
