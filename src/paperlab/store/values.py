"""Plain values stored in the library: states, kinds, JSON lists, timestamps.

They live apart from the SQLModel tables so that code reading with plain
sqlite3 (``reader.py``) can use them without importing the ORM.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


def utcnow() -> datetime:
    return datetime.now(UTC)


class PipelineState(StrEnum):
    QUEUED = "queued"
    FETCHED = "fetched"
    EXTRACTED = "extracted"
    INDEXED = "indexed"
    FAILED = "failed"


class ReadingState(StrEnum):
    UNREAD = "unread"
    SKIMMING = "skimming"
    READING = "reading"
    READ = "read"


class LogKind(StrEnum):
    IDEA = "idea"
    QUESTION = "question"
    EXPERIMENT = "experiment"
    RESULT = "result"
    DECISION = "decision"
    TODO = "todo"


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def loads_list(text: str | None) -> list[Any]:
    if not text:
        return []
    value = json.loads(text)
    return value if isinstance(value, list) else []


def parse_datetime(value: str | datetime | None) -> datetime | None:
    """A DATETIME column as read by sqlite3 (text) as the datetime the ORM gives.

    Timestamps are stored in UTC, mostly without an offset (SQLModel's
    ``UTCDateTime`` writes ``YYYY-MM-DD HH:MM:SS.ffffff``); like that type,
    this returns them aware, in UTC.
    """
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.utcoffset() is None else parsed.astimezone(UTC)


__all__ = [
    "LogKind",
    "PipelineState",
    "ReadingState",
    "dumps",
    "loads_list",
    "parse_datetime",
    "utcnow",
]


# A note's text columns, in the order its Markdown shows them: the structured
# fields, then the free text. Reads, search, exports and screens take them from here.
NOTE_TEXT_COLUMNS: tuple[str, ...] = (
    "summary",
    "contributions",
    "method",
    "results",
    "limitations",
    "questions",
    "relevance",
    "body",
)
# Their headings in a note's Markdown (the editor, the vault, the review).
NOTE_FIELD_TITLES: dict[str, str] = {
    "summary": "Summary",
    "contributions": "Key contributions",
    "method": "Method",
    "results": "Results",
    "limitations": "Limitations",
    "questions": "Open questions",
    "relevance": "Relevance to my project",
    "body": "Notes",
}


# Every paper a reading list holds, arXiv entries and the entries not on arXiv
# whose PDF is in the library alike, for reads with plain sqlite3: use it as a
# table, ``FROM {LIST_MEMBERS} e``.
LIST_MEMBERS = (
    "(SELECT list_id, paper_id, week, position, why FROM reading_list_entry "
    "UNION ALL SELECT list_id, paper_id, week, position, why FROM list_external_entry "
    "WHERE paper_id IS NOT NULL)"
)


# --------------------------------------------------------------------------- owners
# Notes, annotations and log entries belong to the user who wrote them
# (``owner``, a PAPERLAB_USER name); the other users of a library see them only
# when ``shared``. Reads bind ``:me`` (``me()``) and filter with ``visible``.


def me() -> dict[str, str]:
    """The ``:me`` parameter of the SQL below: the current user."""
    from paperlab.settings import current_user

    return {"me": current_user()}


def visible(alias: str) -> str:
    """SQL: the row ``alias`` is the current user's (``:me``) or shared with everyone."""
    return f"({alias}.owner = :me OR {alias}.shared)"


def reading_state_of(paper: str) -> str:
    """SQL: the current user's (``:me``) reading state of paper ``paper``; unread when unset."""
    return (
        "COALESCE((SELECT rs.state FROM reading_state rs "
        f"WHERE rs.paper_id = {paper}.id AND rs.owner = :me), 'unread')"
    )


def check_owner(what: str, owner: str) -> None:
    """Refuse (exit 2) to change ``what`` (e.g. "annotation 12") unless it is the user's own."""
    from paperlab.errors import NotOwnerError
    from paperlab.settings import current_user

    user = current_user()
    if owner != user:
        raise NotOwnerError(
            f"{what[:1].upper()}{what[1:]} is {owner}'s, so {user} cannot change it.",
            hint=f"Ask {owner} to change it, or write your own.",
        )


def reading_states(conn: Any) -> dict[str, str]:
    """The current user's reading state of every paper (unread where they set none)."""
    rows = conn.execute(f"SELECT p.id, {reading_state_of('p')} FROM paper p", me())
    return {str(paper_id): str(state) for paper_id, state in rows}
