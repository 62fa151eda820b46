"""Migration 13 (SQLite form): owners and sharing, and the table rebuilds it needs.

Kept apart from ``migrations`` (the runner and migrations 1-12) for its size:
SQLite cannot change a key in place, so two tables are rebuilt here. The
PostgreSQL form (``migrations_pg.m013_owners``) runs ``OWNER_COLUMNS_V12``
translated and swaps the constraints instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection


def _rebuild(conn: Connection, table: str, create: str, columns: str, fill: str) -> None:
    """Rebuild ``table`` as ``create`` describes (SQLite cannot change keys in place).

    As in m007: create the new table, copy the rows (``fill`` gives the
    values of ``columns`` selected from the old table), drop the old one,
    rename, then recreate the old table's indexes and triggers from their
    stored SQL. Autoindexes of the old UNIQUE constraints have no SQL and go
    with the table.
    """
    attached = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE tbl_name = ? "
        "AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name",
        (table,),
    ).fetchall()
    conn.exec_driver_sql(create.replace(f"CREATE TABLE {table} ", f"CREATE TABLE {table}_new ", 1))
    conn.exec_driver_sql(
        f"INSERT INTO {table}_new ({columns}) SELECT {fill} FROM {table} ORDER BY rowid"
    )
    conn.exec_driver_sql(f"DROP TABLE {table}")
    conn.exec_driver_sql(f"ALTER TABLE {table}_new RENAME TO {table}")
    for (sql,) in attached:
        conn.exec_driver_sql(sql)


_NOTE_V12 = (
    "CREATE TABLE note (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    paper_id VARCHAR NOT NULL REFERENCES paper(id),\n"
    "    summary VARCHAR NOT NULL DEFAULT '',\n"
    "    contributions VARCHAR NOT NULL DEFAULT '',\n"
    "    method VARCHAR NOT NULL DEFAULT '',\n"
    "    results VARCHAR NOT NULL DEFAULT '',\n"
    "    limitations VARCHAR NOT NULL DEFAULT '',\n"
    "    questions VARCHAR NOT NULL DEFAULT '',\n"
    "    relevance VARCHAR NOT NULL DEFAULT '',\n"
    "    body VARCHAR NOT NULL DEFAULT '',\n"
    "    created_at DATETIME NOT NULL,\n"
    "    updated_at DATETIME NOT NULL,\n"
    "    owner VARCHAR NOT NULL DEFAULT '',\n"
    "    shared BOOLEAN NOT NULL DEFAULT 0,\n"
    "    UNIQUE (paper_id, owner)\n"
    ")"
)
_NOTE_V1_COLUMNS = (
    "id, paper_id, summary, contributions, method, results, limitations, questions, "
    "relevance, body, created_at, updated_at"
)
_POSITION_V12 = (
    "CREATE TABLE reading_position (paper_id VARCHAR NOT NULL "
    "REFERENCES paper(id) ON DELETE CASCADE, page INTEGER NOT NULL, "
    "scroll_y INTEGER NOT NULL DEFAULT 0, cursor INTEGER NOT NULL DEFAULT 0, "
    "updated_at DATETIME NOT NULL, owner VARCHAR NOT NULL DEFAULT '', "
    "PRIMARY KEY (paper_id, owner))"
)
# Added the same way on both stores (the PostgreSQL form runs these translated).
OWNER_COLUMNS_V12 = (
    "ALTER TABLE annotation ADD COLUMN owner VARCHAR NOT NULL DEFAULT ''",
    "ALTER TABLE annotation ADD COLUMN shared BOOLEAN NOT NULL DEFAULT 0",
    "ALTER TABLE log_entry ADD COLUMN owner VARCHAR NOT NULL DEFAULT ''",
    "ALTER TABLE log_entry ADD COLUMN shared BOOLEAN NOT NULL DEFAULT 0",
    "ALTER TABLE reading_session ADD COLUMN owner VARCHAR NOT NULL DEFAULT ''",
    "CREATE TABLE reading_state (paper_id VARCHAR NOT NULL REFERENCES paper(id) "
    "ON DELETE CASCADE, owner VARCHAR NOT NULL, state VARCHAR NOT NULL DEFAULT 'unread', "
    "updated_at DATETIME NOT NULL, PRIMARY KEY (paper_id, owner))",
)


def m013_owners(conn: Connection) -> None:
    """Owners and sharing: who wrote each note, annotation and log entry; per-user state.

    ``owner`` (a PAPERLAB_USER name) and ``shared`` on note, annotation and
    log_entry; a note is unique per (paper, owner) instead of per paper;
    ``reading_state`` holds each user's state of a paper (no row: unread);
    reading sessions and the reader's position belong to a user too.

    Everything already stored is given to the user running the migration (a
    personal library's notes are its owner's), and ``paper.reading_state``
    is copied into ``reading_state`` for that user; the old column stays
    (dropping it would rebuild ``paper``) but is no longer read or written.

    SQLite cannot change a UNIQUE or PRIMARY KEY in place, so note and
    reading_position are rebuilt as in m007. Dropping the old note table
    would cascade into note_topic (foreign-key actions fire on DROP TABLE
    and cannot be switched off inside a transaction), so the topic links are
    set aside in a temporary table and put back with the same note ids.
    """
    from paperlab.settings import current_user

    user = current_user()
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    for statement in OWNER_COLUMNS_V12:
        conn.exec_driver_sql(statement)
    conn.exec_driver_sql("CREATE TEMP TABLE note_topic_keep AS SELECT * FROM note_topic")
    # A user name is letters, digits and . _ - @ (settings.current_user): no quote
    # can end the literal.
    _rebuild(conn, "note", _NOTE_V12, f"{_NOTE_V1_COLUMNS}, owner", f"{_NOTE_V1_COLUMNS}, '{user}'")
    conn.exec_driver_sql(
        "INSERT OR IGNORE INTO note_topic SELECT note_id, topic_slug FROM note_topic_keep"
    )
    conn.exec_driver_sql("DROP TABLE note_topic_keep")
    _rebuild(
        conn,
        "reading_position",
        _POSITION_V12,
        "paper_id, page, scroll_y, cursor, updated_at, owner",
        f"paper_id, page, scroll_y, cursor, updated_at, '{user}'",
    )
    for table in ("annotation", "log_entry", "reading_session"):
        conn.exec_driver_sql(f"UPDATE {table} SET owner = ?", (user,))
    conn.exec_driver_sql(
        "INSERT INTO reading_state (paper_id, owner, state, updated_at) "
        "SELECT id, ?, reading_state, updated_at FROM paper WHERE reading_state <> 'unread'",
        (user,),
    )
