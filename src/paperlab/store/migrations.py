"""Numbered schema migrations, recorded in ``schema_migration``.

Each migration is a function taking a SQLAlchemy connection inside one
transaction. They are applied in order, once, under ``BEGIN IMMEDIATE`` so two
processes opening a fresh library cannot both migrate it. Never edit a
migration that has shipped: add a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

# Migrations 2 (the full-text schema, which the search modules read too) and
# 13 (two table rebuilds) live in modules of their own; re-exported here.
from paperlab.store.migration_fulltext import m002_fulltext as m002_fulltext
from paperlab.store.migration_owners import OWNER_COLUMNS_V12 as OWNER_COLUMNS_V12
from paperlab.store.migration_owners import m013_owners as m013_owners

if TYPE_CHECKING:
    # Only ever run on a SQLAlchemy connection, but imported lazily: opening
    # an up-to-date library reads its version with sqlite3 and needs no more.
    from sqlalchemy import Connection

Migration = Callable[["Connection"], None]

_V1_TABLES = """
CREATE TABLE paper (
    id VARCHAR NOT NULL PRIMARY KEY,
    version INTEGER,
    title VARCHAR NOT NULL DEFAULT '',
    authors VARCHAR NOT NULL DEFAULT '[]',
    abstract VARCHAR NOT NULL DEFAULT '',
    categories VARCHAR NOT NULL DEFAULT '[]',
    primary_category VARCHAR,
    published DATETIME,
    updated DATETIME,
    doi VARCHAR,
    journal_ref VARCHAR,
    comment VARCHAR,
    pdf_path VARCHAR,
    pdf_sha256 VARCHAR,
    pdf_version INTEGER,
    state VARCHAR NOT NULL DEFAULT 'queued',
    state_reason VARCHAR,
    reading_state VARCHAR NOT NULL DEFAULT 'unread',
    citation_key VARCHAR UNIQUE,
    metadata_complete BOOLEAN NOT NULL DEFAULT 0,
    added_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE TABLE paper_version (
    paper_id VARCHAR NOT NULL REFERENCES paper(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    updated DATETIME,
    pdf_sha256 VARCHAR,
    fetched_at DATETIME,
    PRIMARY KEY (paper_id, version)
);
CREATE TABLE topic (
    slug VARCHAR NOT NULL PRIMARY KEY,
    title VARCHAR NOT NULL,
    weeks VARCHAR NOT NULL DEFAULT '[]',
    resources VARCHAR NOT NULL DEFAULT '[]',
    description VARCHAR NOT NULL DEFAULT ''
);
CREATE TABLE reading_list (
    id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL UNIQUE,
    title VARCHAR NOT NULL,
    description VARCHAR NOT NULL DEFAULT '',
    weeks VARCHAR NOT NULL DEFAULT '[]',
    source_path VARCHAR,
    loaded_at DATETIME NOT NULL
);
CREATE TABLE reading_list_entry (
    list_id INTEGER NOT NULL REFERENCES reading_list(id) ON DELETE CASCADE,
    paper_id VARCHAR NOT NULL REFERENCES paper(id) ON DELETE CASCADE,
    week INTEGER,
    position INTEGER NOT NULL DEFAULT 0,
    why VARCHAR NOT NULL DEFAULT '',
    expected_title VARCHAR NOT NULL DEFAULT '',
    PRIMARY KEY (list_id, paper_id)
);
CREATE TABLE paper_topic (
    paper_id VARCHAR NOT NULL REFERENCES paper(id) ON DELETE CASCADE,
    topic_slug VARCHAR NOT NULL REFERENCES topic(slug) ON DELETE CASCADE,
    source VARCHAR NOT NULL DEFAULT 'user',
    PRIMARY KEY (paper_id, topic_slug)
);
CREATE TABLE page (
    paper_id VARCHAR NOT NULL REFERENCES paper(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    text VARCHAR NOT NULL DEFAULT '',
    PRIMARY KEY (paper_id, number)
);
CREATE TABLE chunk (
    id INTEGER PRIMARY KEY,
    paper_id VARCHAR NOT NULL REFERENCES paper(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL DEFAULT 0,
    page_start INTEGER NOT NULL,
    page_end INTEGER NOT NULL,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    section VARCHAR,
    is_reference BOOLEAN NOT NULL DEFAULT 0,
    text VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL
);
CREATE INDEX ix_chunk_paper_id ON chunk(paper_id);
CREATE INDEX ix_chunk_content_hash ON chunk(content_hash);
CREATE TABLE embedding (
    content_hash VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (content_hash, model)
);
CREATE TABLE note (
    id INTEGER PRIMARY KEY,
    paper_id VARCHAR NOT NULL UNIQUE REFERENCES paper(id),
    summary VARCHAR NOT NULL DEFAULT '',
    contributions VARCHAR NOT NULL DEFAULT '',
    method VARCHAR NOT NULL DEFAULT '',
    results VARCHAR NOT NULL DEFAULT '',
    limitations VARCHAR NOT NULL DEFAULT '',
    questions VARCHAR NOT NULL DEFAULT '',
    relevance VARCHAR NOT NULL DEFAULT '',
    body VARCHAR NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE TABLE note_topic (
    note_id INTEGER NOT NULL REFERENCES note(id) ON DELETE CASCADE,
    topic_slug VARCHAR NOT NULL REFERENCES topic(slug) ON DELETE CASCADE,
    PRIMARY KEY (note_id, topic_slug)
);
CREATE TABLE annotation (
    id INTEGER PRIMARY KEY,
    paper_id VARCHAR NOT NULL REFERENCES paper(id),
    quote VARCHAR NOT NULL,
    prefix VARCHAR NOT NULL DEFAULT '',
    suffix VARCHAR NOT NULL DEFAULT '',
    page INTEGER,
    char_start INTEGER,
    char_end INTEGER,
    comment VARCHAR NOT NULL DEFAULT '',
    color VARCHAR NOT NULL DEFAULT 'yellow',
    tags VARCHAR NOT NULL DEFAULT '[]',
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX ix_annotation_paper_id ON annotation(paper_id);
CREATE TABLE log_entry (
    id INTEGER PRIMARY KEY,
    created_at DATETIME NOT NULL,
    kind VARCHAR NOT NULL DEFAULT 'idea',
    text VARCHAR NOT NULL
);
CREATE TABLE log_paper (
    log_id INTEGER NOT NULL REFERENCES log_entry(id) ON DELETE CASCADE,
    paper_id VARCHAR NOT NULL REFERENCES paper(id) ON DELETE CASCADE,
    PRIMARY KEY (log_id, paper_id)
);
CREATE TABLE log_topic (
    log_id INTEGER NOT NULL REFERENCES log_entry(id) ON DELETE CASCADE,
    topic_slug VARCHAR NOT NULL REFERENCES topic(slug) ON DELETE CASCADE,
    PRIMARY KEY (log_id, topic_slug)
);
CREATE TABLE reading_session (
    id INTEGER PRIMARY KEY,
    paper_id VARCHAR NOT NULL REFERENCES paper(id) ON DELETE CASCADE,
    started_at DATETIME NOT NULL,
    minutes FLOAT NOT NULL DEFAULT 0
);
CREATE INDEX ix_reading_session_paper_id ON reading_session(paper_id);
"""


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def m001_initial(conn: Connection) -> None:
    """Papers, lists, topics, text, chunks, vectors, notes, annotations, log."""
    for statement in _statements(_V1_TABLES):
        conn.exec_driver_sql(statement)


# Append new migrations here; their position (1-based) is their version.
MIGRATIONS: list[Migration] = [m001_initial]


def current_version(conn: Connection) -> int:
    exists = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migration'"
    ).first()
    if not exists:
        return 0
    row = conn.exec_driver_sql("SELECT MAX(version) FROM schema_migration").first()
    return int(row[0] or 0) if row else 0


def migrate(conn: Connection, before: Callable[[int], None] | None = None) -> list[int]:
    """Apply every pending migration; return the versions applied.

    The caller holds an IMMEDIATE transaction, so the version read here cannot
    change under us. ``before(version)`` runs first when an existing library
    (version > 0) has migrations to apply: the engine backs the file up there.
    """
    conn.exec_driver_sql(
        "CREATE TABLE IF NOT EXISTS schema_migration ("
        "version INTEGER NOT NULL PRIMARY KEY, name VARCHAR NOT NULL, "
        "applied_at DATETIME NOT NULL)"
    )
    applied: list[int] = []
    start = current_version(conn)
    if before is not None and 0 < start < len(MIGRATIONS):
        before(start)
    for version, migration in enumerate(MIGRATIONS, start=1):
        if version <= start:
            continue
        migration(conn)
        conn.exec_driver_sql(
            "INSERT INTO schema_migration (version, name, applied_at) VALUES (?, ?, ?)",
            (version, migration.__name__, datetime.now(UTC).isoformat()),
        )
        applied.append(version)
    return applied


def latest_version() -> int:
    return len(MIGRATIONS)


MIGRATIONS.append(m002_fulltext)


def m003_change_counters(conn: Connection) -> None:
    """Counters bumped by triggers whenever chunks or vectors change.

    A search compares them with the counters recorded beside the faiss file:
    one row read, instead of scanning 600,000 chunks to prove nothing changed.
    """
    conn.exec_driver_sql(
        "CREATE TABLE change_counter (name VARCHAR NOT NULL PRIMARY KEY, "
        "value INTEGER NOT NULL DEFAULT 0)"
    )
    for table in ("chunk", "embedding"):
        conn.exec_driver_sql(f"INSERT INTO change_counter (name, value) VALUES ('{table}', 0)")
        for event in ("INSERT", "DELETE", "UPDATE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER {table}_changes_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN UPDATE change_counter SET value = value + 1 WHERE name = '{table}'; END"
            )


MIGRATIONS.append(m003_change_counters)


def m004_citation_alias(conn: Connection) -> None:
    """Keys a paper was cited by before a rekey: they stay valid as aliases."""
    conn.exec_driver_sql(
        "CREATE TABLE citation_alias (key VARCHAR NOT NULL PRIMARY KEY, "
        "paper_id VARCHAR NOT NULL REFERENCES paper(id) ON DELETE CASCADE, "
        "created_at DATETIME NOT NULL)"
    )
    conn.exec_driver_sql("CREATE INDEX ix_citation_alias_paper_id ON citation_alias (paper_id)")


MIGRATIONS.append(m004_citation_alias)


def m005_removed_paper(conn: Connection) -> None:
    """Papers the user removed: no foreign key, the paper row is gone by design."""
    conn.exec_driver_sql(
        "CREATE TABLE removed_paper (paper_id VARCHAR NOT NULL PRIMARY KEY, "
        "removed_at DATETIME NOT NULL)"
    )


MIGRATIONS.append(m005_removed_paper)


def m006_paper_tag(conn: Connection) -> None:
    """Free tags of the user's own, beside the roadmap topics of paper_topic."""
    conn.exec_driver_sql(
        "CREATE TABLE paper_tag (paper_id VARCHAR NOT NULL REFERENCES paper(id) "
        "ON DELETE CASCADE, tag VARCHAR NOT NULL, created_at DATETIME NOT NULL, "
        "PRIMARY KEY (paper_id, tag))"
    )
    conn.exec_driver_sql("CREATE INDEX ix_paper_tag_tag ON paper_tag (tag)")


MIGRATIONS.append(m006_paper_tag)


def m007_annotation_autoincrement(conn: Connection) -> None:
    """Annotation ids are never given again after a delete (AUTOINCREMENT).

    Without it SQLite hands out max(id)+1, so deleting the newest annotation
    and adding another reused its id, and anything that had quoted the old
    id (an export, a log line, a script) now named a different highlight.
    SQLite cannot change a primary key in place, so the table is rebuilt as
    its ALTER TABLE documentation describes: create the new table, copy the
    rows with their ids, drop the old one, rename, then recreate the old
    table's indexes and triggers (the full-text sync triggers of m002) from
    their stored SQL. Migrations run inside one transaction, where
    ``foreign_keys`` cannot be switched off; no table references annotation,
    so dropping it deletes nothing elsewhere, and foreign-key checks are
    deferred to the commit: the copy holds exactly the rows the old table
    did (a row whose paper is gone, which ``paperlab doctor`` reports, is
    kept, not made a reason to refuse opening the library). The FTS index
    keeps its rows: ids are unchanged and DROP TABLE fires no triggers.
    """
    attached = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'annotation' "
        "AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name"
    ).fetchall()
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    conn.exec_driver_sql(
        "CREATE TABLE annotation_new (\n"
        "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
        "    paper_id VARCHAR NOT NULL REFERENCES paper(id),\n"
        "    quote VARCHAR NOT NULL,\n"
        "    prefix VARCHAR NOT NULL DEFAULT '',\n"
        "    suffix VARCHAR NOT NULL DEFAULT '',\n"
        "    page INTEGER,\n"
        "    char_start INTEGER,\n"
        "    char_end INTEGER,\n"
        "    comment VARCHAR NOT NULL DEFAULT '',\n"
        "    color VARCHAR NOT NULL DEFAULT 'yellow',\n"
        "    tags VARCHAR NOT NULL DEFAULT '[]',\n"
        "    created_at DATETIME NOT NULL,\n"
        "    updated_at DATETIME NOT NULL\n"
        ")"
    )
    columns = (
        "id, paper_id, quote, prefix, suffix, page, char_start, char_end, "
        "comment, color, tags, created_at, updated_at"
    )
    conn.exec_driver_sql(
        f"INSERT INTO annotation_new ({columns}) SELECT {columns} FROM annotation ORDER BY id"
    )
    conn.exec_driver_sql("DROP TABLE annotation")
    conn.exec_driver_sql("ALTER TABLE annotation_new RENAME TO annotation")
    for (sql,) in attached:
        conn.exec_driver_sql(sql)


MIGRATIONS.append(m007_annotation_autoincrement)


def m008_reading_plan(conn: Connection) -> None:
    """What the weekly plan needs from the lists: core/optional, pages, focus and
    prerequisites per entry; hours, track and builds_on per list; milestones; entries
    not on arXiv (linked to a paper once the learner imports its PDF); the chosen track."""
    for statement in (
        "ALTER TABLE reading_list ADD COLUMN hours_per_week FLOAT NOT NULL DEFAULT 4.0",
        "ALTER TABLE reading_list ADD COLUMN track VARCHAR",
        "ALTER TABLE reading_list ADD COLUMN builds_on VARCHAR NOT NULL DEFAULT '[]'",
        "ALTER TABLE reading_list ADD COLUMN plan_order INTEGER NOT NULL DEFAULT 100",
        "ALTER TABLE reading_list_entry ADD COLUMN core BOOLEAN NOT NULL DEFAULT 1",
        "ALTER TABLE reading_list_entry ADD COLUMN pages INTEGER",
        "ALTER TABLE reading_list_entry ADD COLUMN focus VARCHAR",
        "ALTER TABLE reading_list_entry ADD COLUMN prerequisites VARCHAR NOT NULL DEFAULT '[]'",
        "CREATE TABLE list_milestone (list_id INTEGER NOT NULL REFERENCES reading_list(id) "
        "ON DELETE CASCADE, position INTEGER NOT NULL, week INTEGER NOT NULL, "
        "task VARCHAR NOT NULL, PRIMARY KEY (list_id, position))",
        # paper_id is set when `paperlab add` (or a fetch from an allowed host) brings
        # the PDF in; removing that paper only unlinks the entry.
        "CREATE TABLE list_external_entry (list_id INTEGER NOT NULL REFERENCES "
        "reading_list(id) ON DELETE CASCADE, key VARCHAR NOT NULL, "
        "title VARCHAR NOT NULL, authors VARCHAR NOT NULL DEFAULT '[]', year INTEGER, "
        "doi VARCHAR, url VARCHAR, week INTEGER, position INTEGER NOT NULL DEFAULT 0, "
        "core BOOLEAN NOT NULL DEFAULT 1, pages INTEGER, focus VARCHAR, "
        "prerequisites VARCHAR NOT NULL DEFAULT '[]', topics VARCHAR NOT NULL DEFAULT '[]', "
        "why VARCHAR NOT NULL DEFAULT '', "
        "paper_id VARCHAR REFERENCES paper(id) ON DELETE SET NULL, "
        "PRIMARY KEY (list_id, key))",
        "CREATE INDEX ix_list_external_entry_paper_id ON list_external_entry (paper_id)",
        "CREATE TABLE library_setting (key VARCHAR NOT NULL PRIMARY KEY, "
        "value VARCHAR NOT NULL, updated_at DATETIME NOT NULL)",
    ):
        conn.exec_driver_sql(statement)


MIGRATIONS.append(m008_reading_plan)


def m009_vault_note(conn: Connection) -> None:
    """What ``export notes`` last wrote to each vault, per paper: the common base.

    Importing a vault's edits needs to know, field by field, whether the file
    or the library changed since the last export: a field that differs from
    this base on one side only was edited there; on both sides, it is a
    conflict. ``fields`` is a JSON object of the exported values as the
    import reads them back; ``vault`` is the vault folder's resolved path.
    """
    conn.exec_driver_sql(
        "CREATE TABLE vault_note (vault VARCHAR NOT NULL, "
        "paper_id VARCHAR NOT NULL REFERENCES paper(id) ON DELETE CASCADE, "
        "file VARCHAR NOT NULL, fields VARCHAR NOT NULL DEFAULT '{}', "
        "exported_at DATETIME NOT NULL, PRIMARY KEY (vault, paper_id))"
    )


MIGRATIONS.append(m009_vault_note)


def m010_paper_reference(conn: Connection) -> None:
    """Each paper version's reference list, as parsed from its PDF.

    Derived from the PDF (re-extraction replaces a version's rows), except
    the ``online_*`` columns, which record what an arXiv look-up confirmed
    and are carried over when the same entry is parsed again.
    """
    conn.exec_driver_sql(
        "CREATE TABLE paper_reference (\n"
        "    paper_id VARCHAR NOT NULL REFERENCES paper(id) ON DELETE CASCADE,\n"
        "    version INTEGER NOT NULL,\n"
        "    ordinal INTEGER NOT NULL,\n"
        "    raw VARCHAR NOT NULL,\n"
        "    label VARCHAR,\n"
        "    authors VARCHAR NOT NULL DEFAULT '[]',\n"
        "    title VARCHAR,\n"
        "    year INTEGER,\n"
        "    venue VARCHAR,\n"
        "    arxiv_id VARCHAR,\n"
        "    doi VARCHAR,\n"
        "    url VARCHAR,\n"
        "    online_arxiv_id VARCHAR,\n"
        "    online_title VARCHAR,\n"
        "    online_checked_at DATETIME,\n"
        "    PRIMARY KEY (paper_id, version, ordinal)\n"
        ")"
    )
    conn.exec_driver_sql("CREATE INDEX ix_paper_reference_arxiv_id ON paper_reference (arxiv_id)")


MIGRATIONS.append(m010_paper_reference)


def m011_reader_memory(conn: Connection) -> None:
    """Highlight kinds and where the reader left each paper.

    ``annotation.kind`` says what a highlight is for (a plain highlight, a
    question, a key claim, something to cite); existing ones are plain
    highlights. ``reading_position`` keeps one row per paper with the page,
    the first visible line and the cursor's offset on that page, so the
    reader reopens where the learner stopped; it goes with its paper.
    """
    conn.exec_driver_sql(
        "ALTER TABLE annotation ADD COLUMN kind VARCHAR NOT NULL DEFAULT 'highlight'"
    )
    conn.exec_driver_sql("CREATE INDEX ix_annotation_kind ON annotation (kind)")
    conn.exec_driver_sql(
        "CREATE TABLE reading_position (paper_id VARCHAR NOT NULL PRIMARY KEY "
        "REFERENCES paper(id) ON DELETE CASCADE, page INTEGER NOT NULL, "
        "scroll_y INTEGER NOT NULL DEFAULT 0, cursor INTEGER NOT NULL DEFAULT 0, "
        "updated_at DATETIME NOT NULL)"
    )


MIGRATIONS.append(m011_reader_memory)


def m012_pdf_blob(conn: Connection) -> None:
    """PDFs kept in the database, keyed by their sha256 (``paperlab.pdfcache``).

    A lab library on PostgreSQL keeps here the bytes of the PDFs a colleague
    could not get from arXiv (those imported with ``paperlab add``), so every
    machine can fill its own ``pdfs/`` from the database. A SQLite library's
    PDFs are its files under ``pdfs/``; it leaves this table empty.
    """
    conn.exec_driver_sql(
        "CREATE TABLE pdf_blob (sha256 VARCHAR NOT NULL PRIMARY KEY, "
        "size INTEGER NOT NULL, content BLOB NOT NULL, added_at DATETIME NOT NULL)"
    )


MIGRATIONS.append(m012_pdf_blob)


MIGRATIONS.append(m013_owners)
