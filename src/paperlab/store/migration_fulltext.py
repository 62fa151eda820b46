"""Migration 2: the FTS5 indexes over every text a user searches.

``FTS_TABLES`` is also what the search modules read (which columns each index
holds); PostgreSQL's migration 2 builds its ``tsvector`` tables from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection

# FTS5 over every text a user searches. External-content tables keep one copy
# of the text (in the real table); the triggers keep the index in step with
# every INSERT/UPDATE/DELETE, so whatever any service saves is searchable at
# once. The 'delete' command must be given the *old* values, which is why the
# update triggers delete with old.* and insert with new.*.
# The note columns are spelled out, not taken from values.NOTE_TEXT_COLUMNS:
# a shipped migration must build the same schema whatever later code says.
FTS_TABLES: list[tuple[str, str, list[str]]] = [
    ("chunk_fts", "chunk", ["text", "section"]),
    (
        "note_fts",
        "note",
        [
            "summary",
            "contributions",
            "method",
            "results",
            "limitations",
            "questions",
            "relevance",
            "body",
        ],
    ),
    ("annotation_fts", "annotation", ["quote", "comment"]),
    ("log_fts", "log_entry", ["text"]),
]
FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"


def m002_fulltext(conn: Connection) -> None:
    """FTS5 indexes (with sync triggers) over chunks, notes, annotations and log."""
    for fts, table, columns in FTS_TABLES:
        cols = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        conn.exec_driver_sql(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', "
            f"content_rowid='id', tokenize='{FTS_TOKENIZE}')"
        )
        conn.exec_driver_sql(
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
        )
        conn.exec_driver_sql(
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END"
        )
        conn.exec_driver_sql(
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
        )
        conn.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


__all__ = ["FTS_TABLES", "FTS_TOKENIZE", "m002_fulltext"]
