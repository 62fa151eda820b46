"""Annotation ids are never given again after a delete (AUTOINCREMENT)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from paperlab.store import migrations, open_store
from tests.cli.test_annotate_cli import PAPER, annotate, paper, stored  # noqa: F401  (fixture)
from tests.helpers import run_cli


def test_a_deleted_annotation_id_is_never_given_again(
    paper: str,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, first, err = annotate(capsys, "--quote", "gradient-free optimization")
    assert code == 0, err
    code, second, err = annotate(capsys, "--quote", "warm restart technique")
    assert code == 0, err
    assert second["id"] == first["id"] + 1
    deleted = run_cli(capsys, "annotations", PAPER, "--delete", str(second["id"]))
    assert deleted.code == 0, deleted.err
    code, third, err = annotate(capsys, "--quote", "the final snapshot")
    assert code == 0, err
    assert third["id"] == second["id"] + 1
    assert [a["id"] for a in stored(capsys)] == [first["id"], third["id"]]
    # Still found by its words: the full-text triggers survived the table rebuild.
    found = run_cli(capsys, "search", "snapshot", "--in", "notes", "--json")
    assert found.code == 0, found.err
    hits = [(h["kind"], h["row_id"]) for h in json.loads(found.out)]
    assert hits[0] == ("annotation", third["id"])
    assert ("annotation", second["id"]) not in hits


def test_the_migration_keeps_annotations_their_ids_and_full_text(
    paperlab_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library made before AUTOINCREMENT: rows, ids, indexes and FTS survive the rebuild."""
    every = list(migrations.MIGRATIONS)
    mine = next(i for i, m in enumerate(every) if m.__name__.endswith("_annotation_autoincrement"))
    monkeypatch.setattr(migrations, "MIGRATIONS", every[:mine])
    old = open_store()
    old.close()
    db = paperlab_home / "paperlab.db"
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO paper (id, added_at, updated_at) VALUES ('p1', 'x', 'x')")
        for n, quote in enumerate(["alpha words", "bravo words", "charlie words"], start=1):
            conn.execute(
                "INSERT INTO annotation (id, paper_id, quote, comment, created_at, updated_at) "
                "VALUES (?, 'p1', ?, 'kept', 'x', 'x')",
                (n * 10, quote),
            )
        # A row whose paper is gone (doctor reports those) is kept as it is.
        conn.execute(
            "INSERT INTO annotation (id, paper_id, quote, comment, created_at, updated_at) "
            "VALUES (40, 'gone', 'delta words', 'kept', 'x', 'x')"
        )
    monkeypatch.setattr(migrations, "MIGRATIONS", every)
    store = open_store()
    store.close()
    with sqlite3.connect(db) as conn:
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'annotation'").fetchone()[0]
        assert "AUTOINCREMENT" in sql
        rows = conn.execute("SELECT id, quote, comment FROM annotation ORDER BY id").fetchall()
        assert rows == [
            (10, "alpha words", "kept"),
            (20, "bravo words", "kept"),
            (30, "charlie words", "kept"),
            (40, "delta words", "kept"),
        ]
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert {
            "ix_annotation_paper_id",
            "annotation_fts_ai",
            "annotation_fts_ad",
            "annotation_fts_au",
        } <= names
        assert "annotation_old" not in names and "annotation_new" not in names
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == [
            ("annotation", 40, "paper", 0)
        ]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.execute("DELETE FROM annotation WHERE id = 40")
        conn.execute(
            "INSERT INTO annotation (paper_id, quote, created_at, updated_at) "
            "VALUES ('p1', 'echo words', 'x', 'x')"
        )
        assert conn.execute("SELECT MAX(id) FROM annotation").fetchone() == (41,)
        hits = conn.execute(
            "SELECT rowid FROM annotation_fts WHERE annotation_fts MATCH 'words' ORDER BY rowid"
        ).fetchall()
        assert hits == [(10,), (20,), (30,), (41,)]
        conn.execute("INSERT INTO annotation_fts(annotation_fts) VALUES ('integrity-check')")
        # The paper is still protected by the annotation's foreign key.
        conn.commit()  # the pragma is a no-op inside a transaction
        conn.execute("PRAGMA foreign_keys = ON")
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("DELETE FROM paper WHERE id = 'p1'")
