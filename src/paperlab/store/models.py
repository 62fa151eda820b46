"""SQLModel tables: the library's source of truth.

The DDL that creates these tables lives in ``migrations.py`` (numbered, never
a bare ``create_all``); a test checks that both describe the same columns.
List-valued fields (authors, categories, weeks, resources) are JSON text.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, UniqueConstraint, or_
from sqlmodel import Field, SQLModel

from paperlab.settings import current_user
from paperlab.store.values import (
    LogKind,
    PipelineState,
    ReadingState,
    dumps,
    loads_list,
    utcnow,
)


class SchemaMigration(SQLModel, table=True):
    __tablename__ = "schema_migration"

    version: int = Field(primary_key=True)
    name: str
    applied_at: datetime = Field(default_factory=utcnow)


class Paper(SQLModel, table=True):
    """One paper, identified by its version-less arXiv id (or ``local:<sha>``)."""

    id: str = Field(primary_key=True)
    version: int | None = None
    title: str = ""
    authors: str = "[]"
    abstract: str = ""
    categories: str = "[]"
    primary_category: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    doi: str | None = None
    journal_ref: str | None = None
    comment: str | None = None
    pdf_path: str | None = None
    pdf_sha256: str | None = None
    pdf_version: int | None = None
    state: str = PipelineState.QUEUED.value
    state_reason: str | None = None
    # No longer read or written: each user's state is in reading_state (migration 13).
    reading_state: str = ReadingState.UNREAD.value
    citation_key: str | None = Field(default=None, unique=True)
    metadata_complete: bool = False
    added_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def author_list(self) -> list[str]:
        return [str(a) for a in loads_list(self.authors)]

    @property
    def category_list(self) -> list[str]:
        return [str(c) for c in loads_list(self.categories)]

    @property
    def year(self) -> int | None:
        return self.published.year if self.published else None


class CitationAlias(SQLModel, table=True):
    """A citation key a paper had before: drafts that cite it still resolve."""

    __tablename__ = "citation_alias"

    key: str = Field(primary_key=True)
    paper_id: str = Field(foreign_key="paper.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)


class PaperVersion(SQLModel, table=True):
    """Every arXiv version we have seen or downloaded of a paper."""

    __tablename__ = "paper_version"

    paper_id: str = Field(foreign_key="paper.id", primary_key=True, ondelete="CASCADE")
    version: int = Field(primary_key=True)
    updated: datetime | None = None
    pdf_sha256: str | None = None
    fetched_at: datetime | None = None


class Topic(SQLModel, table=True):
    """A roadmap topic (weeks 1-18) used as a tag."""

    slug: str = Field(primary_key=True)
    title: str
    weeks: str = "[]"
    resources: str = "[]"
    description: str = ""

    @property
    def week_list(self) -> list[int]:
        return [int(w) for w in loads_list(self.weeks)]

    @property
    def resource_list(self) -> list[str]:
        return [str(r) for r in loads_list(self.resources)]


class ReadingList(SQLModel, table=True):
    __tablename__ = "reading_list"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    title: str
    description: str = ""
    weeks: str = "[]"
    source_path: str | None = None
    loaded_at: datetime = Field(default_factory=utcnow)
    hours_per_week: float = 4.0  # the week's reading budget (migration 8)
    track: str | None = None  # set for a weeks 21-24 specialisation track
    builds_on: str = "[]"  # roadmap project and topic slugs (JSON)
    plan_order: int = 100  # a week's lists in the plan: lower first (migration 8)


class ReadingListEntry(SQLModel, table=True):
    __tablename__ = "reading_list_entry"

    list_id: int = Field(foreign_key="reading_list.id", primary_key=True, ondelete="CASCADE")
    paper_id: str = Field(foreign_key="paper.id", primary_key=True, ondelete="CASCADE")
    week: int | None = None
    position: int = 0
    why: str = ""
    expected_title: str = ""
    core: bool = True  # False: optional reading (migration 8)
    pages: int | None = None
    focus: str | None = None
    prerequisites: str = "[]"  # topic/project slugs, earlier ids or keys (JSON)


class ListMilestone(SQLModel, table=True):
    """A task for one week of a list (a track's project rhythm)."""

    __tablename__ = "list_milestone"

    list_id: int = Field(foreign_key="reading_list.id", primary_key=True, ondelete="CASCADE")
    position: int = Field(primary_key=True)
    week: int
    task: str


class ListExternalEntry(SQLModel, table=True):
    """A list entry not on arXiv; ``paper_id`` is set once its PDF is in the library."""

    __tablename__ = "list_external_entry"

    list_id: int = Field(foreign_key="reading_list.id", primary_key=True, ondelete="CASCADE")
    key: str = Field(primary_key=True)
    title: str
    authors: str = "[]"
    year: int | None = None
    doi: str | None = None
    url: str | None = None
    week: int | None = None
    position: int = 0
    core: bool = True
    pages: int | None = None
    focus: str | None = None
    prerequisites: str = "[]"
    topics: str = "[]"
    why: str = ""
    paper_id: str | None = Field(
        default=None, foreign_key="paper.id", index=True, ondelete="SET NULL"
    )


class LibrarySetting(SQLModel, table=True):
    """A choice stored with the library (e.g. the chosen track), by key."""

    __tablename__ = "library_setting"

    key: str = Field(primary_key=True)
    value: str
    updated_at: datetime = Field(default_factory=utcnow)


class PaperTopic(SQLModel, table=True):
    __tablename__ = "paper_topic"

    paper_id: str = Field(foreign_key="paper.id", primary_key=True, ondelete="CASCADE")
    topic_slug: str = Field(foreign_key="topic.slug", primary_key=True, ondelete="CASCADE")
    source: str = "user"  # "list" when a reading list put it there, "user" otherwise


class Page(SQLModel, table=True):
    paper_id: str = Field(foreign_key="paper.id", primary_key=True, ondelete="CASCADE")
    number: int = Field(primary_key=True)  # 1-based, as printed by viewers
    text: str = ""


class Chunk(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    paper_id: str = Field(foreign_key="paper.id", index=True, ondelete="CASCADE")
    ordinal: int = 0
    page_start: int
    page_end: int
    char_start: int  # offset into page_start's text
    char_end: int  # offset into page_end's text
    section: str | None = None
    is_reference: bool = False
    text: str
    content_hash: str = Field(index=True)


class Embedding(SQLModel, table=True):
    """A vector per (text hash, model): unchanged text is never embedded twice."""

    content_hash: str = Field(primary_key=True)
    model: str = Field(primary_key=True)
    dim: int
    vector: bytes


class Note(SQLModel, table=True):
    # One note per paper and user (migration 13); a user's note is theirs to
    # edit, and the others see it only when it is shared.
    __table_args__ = (UniqueConstraint("paper_id", "owner"),)

    # No cascade from paper: deleting a paper that has notes must fail loudly.
    id: int | None = Field(default=None, primary_key=True)
    paper_id: str = Field(foreign_key="paper.id")
    summary: str = ""
    contributions: str = ""
    method: str = ""
    results: str = ""
    limitations: str = ""
    questions: str = ""
    relevance: str = ""
    body: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    owner: str = Field(default_factory=current_user)  # PAPERLAB_USER of the writer
    shared: bool = False  # seen by the library's other users too


class NoteTopic(SQLModel, table=True):
    __tablename__ = "note_topic"

    note_id: int = Field(foreign_key="note.id", primary_key=True, ondelete="CASCADE")
    topic_slug: str = Field(foreign_key="topic.slug", primary_key=True, ondelete="CASCADE")


class Annotation(SQLModel, table=True):
    """A highlight anchored by its quote and a little context (TextQuoteSelector)."""

    # Ids are never given again after a delete (migration 7).
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    paper_id: str = Field(foreign_key="paper.id", index=True)
    quote: str
    prefix: str = ""
    suffix: str = ""
    page: int | None = None
    char_start: int | None = None
    char_end: int | None = None
    comment: str = ""
    color: str = "yellow"
    tags: str = "[]"
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # highlight | question | key-claim | to-cite (migration 11).
    kind: str = Field(default="highlight", index=True)
    owner: str = Field(default_factory=current_user)
    shared: bool = False


class LogEntry(SQLModel, table=True):
    __tablename__ = "log_entry"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    kind: str = LogKind.IDEA.value
    text: str
    owner: str = Field(default_factory=current_user)
    shared: bool = False


class LogPaper(SQLModel, table=True):
    __tablename__ = "log_paper"

    log_id: int = Field(foreign_key="log_entry.id", primary_key=True, ondelete="CASCADE")
    paper_id: str = Field(foreign_key="paper.id", primary_key=True, ondelete="CASCADE")


class LogTopic(SQLModel, table=True):
    __tablename__ = "log_topic"

    log_id: int = Field(foreign_key="log_entry.id", primary_key=True, ondelete="CASCADE")
    topic_slug: str = Field(foreign_key="topic.slug", primary_key=True, ondelete="CASCADE")


class ReadingSession(SQLModel, table=True):
    __tablename__ = "reading_session"

    id: int | None = Field(default=None, primary_key=True)
    paper_id: str = Field(foreign_key="paper.id", index=True, ondelete="CASCADE")
    started_at: datetime = Field(default_factory=utcnow)
    minutes: float = 0.0
    owner: str = Field(default_factory=current_user)


def seen_by_me(model: type[Note] | type[Annotation] | type[LogEntry]) -> ColumnElement[bool]:
    """An ORM condition: rows the current user sees, their own and the shared ones."""
    from sqlmodel import col

    return or_(col(model.owner) == current_user(), col(model.shared))


def mine(model: type[Note] | type[Annotation] | type[LogEntry]) -> ColumnElement[bool]:
    """An ORM condition: the current user's own rows."""
    from sqlmodel import col

    return col(model.owner) == current_user()


__all__ = [
    "Annotation",
    "Chunk",
    "CitationAlias",
    "Embedding",
    "LibrarySetting",
    "ListExternalEntry",
    "ListMilestone",
    "LogEntry",
    "LogKind",
    "LogPaper",
    "LogTopic",
    "Note",
    "NoteTopic",
    "Page",
    "Paper",
    "PaperReadingState",
    "PaperTopic",
    "PaperVersion",
    "PipelineState",
    "ReadingList",
    "ReadingListEntry",
    "ReadingSession",
    "ReadingState",
    "SchemaMigration",
    "Topic",
    "dumps",
    "loads_list",
    "mine",
    "seen_by_me",
    "utcnow",
]


class RemovedPaper(SQLModel, table=True):
    """A paper the user removed: a bare fetch of its bundled list leaves it out."""

    __tablename__ = "removed_paper"

    paper_id: str = Field(primary_key=True)
    removed_at: datetime = Field(default_factory=utcnow)


class PaperTag(SQLModel, table=True):
    """A free tag of the user's own on a paper (roadmap topics are PaperTopic)."""

    __tablename__ = "paper_tag"

    paper_id: str = Field(foreign_key="paper.id", primary_key=True, ondelete="CASCADE")
    tag: str = Field(primary_key=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class VaultNote(SQLModel, table=True):
    """The fields ``export notes`` last wrote for a paper to a vault (m009_vault_note).

    The common base of a two-way sync: see ``paperlab.vaultimport``.
    """

    __tablename__ = "vault_note"

    vault: str = Field(primary_key=True)
    paper_id: str = Field(foreign_key="paper.id", primary_key=True, ondelete="CASCADE")
    file: str
    fields: str = "{}"  # JSON object: field name -> value as the file holds it
    exported_at: datetime = Field(default_factory=utcnow)


class PaperReference(SQLModel, table=True):
    """One entry of a paper version's reference list, parsed from its PDF."""

    __tablename__ = "paper_reference"

    paper_id: str = Field(foreign_key="paper.id", primary_key=True, ondelete="CASCADE")
    version: int = Field(primary_key=True)  # the PDF's version; 0 for a PDF with none
    ordinal: int = Field(primary_key=True)
    raw: str
    label: str | None = None
    authors: str = "[]"
    title: str | None = None
    year: int | None = None
    venue: str | None = None
    arxiv_id: str | None = Field(default=None, index=True)
    doi: str | None = None
    url: str | None = None
    online_arxiv_id: str | None = None  # confirmed by an arXiv look-up
    online_title: str | None = None
    online_checked_at: datetime | None = None


class ReadingPosition(SQLModel, table=True):
    """Where the reader left a paper: page, first visible line, cursor offset."""

    __tablename__ = "reading_position"

    paper_id: str = Field(foreign_key="paper.id", primary_key=True, ondelete="CASCADE")
    page: int
    scroll_y: int = 0
    cursor: int = 0
    updated_at: datetime = Field(default_factory=utcnow)
    owner: str = Field(default_factory=current_user, primary_key=True)


class PdfBlob(SQLModel, table=True):
    """A PDF's bytes kept in the database, by sha256 (m012_pdf_blob; see ``pdfcache``)."""

    __tablename__ = "pdf_blob"

    sha256: str = Field(primary_key=True)
    size: int
    content: bytes
    added_at: datetime = Field(default_factory=utcnow)


class PaperReadingState(SQLModel, table=True):
    """A user's reading state of a paper (migration 13); no row means unread."""

    __tablename__ = "reading_state"

    paper_id: str = Field(foreign_key="paper.id", primary_key=True, ondelete="CASCADE")
    owner: str = Field(default_factory=current_user, primary_key=True)
    state: str = ReadingState.UNREAD.value
    updated_at: datetime = Field(default_factory=utcnow)
