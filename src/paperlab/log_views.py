"""Read-only views of the research log: entries with their linked papers and
topics, filtered and newest first, read with plain sqlite3 (``Store.connect()``).

They live apart from the write service (``researchlog``, which re-exports
them) so that ``paperlab log list`` and the TUI read the log without
importing the ORM.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from paperlab.errors import UsageError
from paperlab.lookup import require_topic, resolve_paper_id
from paperlab.store.values import me, parse_datetime, visible

if TYPE_CHECKING:
    from paperlab.store import Store

LOG_KINDS: tuple[str, ...] = ("idea", "question", "experiment", "result", "decision", "todo")


@dataclass(frozen=True)
class LogEntryView:
    """One log entry with the ids of what it links to."""

    id: int
    created_at: datetime
    kind: str
    text: str
    paper_ids: list[str]
    topic_slugs: list[str]
    owner: str = ""
    shared: bool = False

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["created_at"] = self.created_at.isoformat()
        return data


def validate_kind(kind: str) -> str:
    """The canonical kind for ``kind``, or a UsageError with a guess."""
    value = kind.strip().lower()
    if value in LOG_KINDS:
        return value
    prefixed = [k for k in LOG_KINDS if value and k.startswith(value)]
    close = prefixed[:1] or difflib.get_close_matches(value, LOG_KINDS, n=1)
    guess = f"Did you mean {close[0]}? " if close else ""
    raise UsageError(
        f"Unknown log entry kind {kind!r}.", hint=f"{guess}Kinds: {', '.join(LOG_KINDS)}."
    )


def as_utc(value: datetime) -> datetime:
    """Stored timestamps are UTC without a zone; say so (or convert an aware one)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def list_entries(
    store: Store,
    *,
    kind: str | None = None,
    paper: str | None = None,
    topic: str | None = None,
    limit: int | None = None,
) -> list[LogEntryView]:
    """The entries the current user sees (their own and shared ones), newest first,
    filtered by kind, linked paper and linked topic."""
    if limit is not None and limit < 1:
        raise UsageError(f"The limit must be at least 1, not {limit}.")
    joins: list[str] = []
    where: list[str] = [visible("l")]
    params: dict[str, Any] = me()
    if kind is not None:
        where.append("l.kind = :kind")
        params["kind"] = validate_kind(kind)
    with store.connect() as conn:
        if paper is not None:
            params["paper"] = resolve_paper_id(conn, paper)
            joins.append("JOIN log_paper lp ON lp.log_id = l.id AND lp.paper_id = :paper")
        if topic is not None:
            params["topic"] = require_topic(conn, topic.strip())
            joins.append("JOIN log_topic lt ON lt.log_id = l.id AND lt.topic_slug = :topic")
        statement = (
            "SELECT l.id, l.created_at, l.kind, l.text, l.owner, l.shared FROM log_entry l "
            + " ".join(joins)
            + " WHERE "
            + " AND ".join(where)
            + " ORDER BY l.created_at DESC, l.id DESC"
            + (" LIMIT :limit" if limit is not None else "")
        )
        params["limit"] = limit
        entries = conn.execute(statement, params).all()
        return _log_views(conn, entries)


def get_entry_view(store: Store, entry_id: int) -> LogEntryView | None:
    """One entry the current user sees, with its links, or None when there is none."""
    with store.connect() as conn:
        entries = conn.execute(
            "SELECT l.id, l.created_at, l.kind, l.text, l.owner, l.shared FROM log_entry l "
            f"WHERE l.id = :i AND {visible('l')}",
            {"i": entry_id, **me()},
        ).all()
        views = _log_views(conn, entries)
    return views[0] if views else None


def _log_views(conn: Any, entries: list[tuple[Any, ...]]) -> list[LogEntryView]:
    ids = [row[0] for row in entries]
    papers: dict[int, list[str]] = {}
    topics: dict[int, list[str]] = {}
    if ids:
        for log_id, paper_id in conn.execute(
            "SELECT log_id, paper_id FROM log_paper WHERE log_id IN :ids ORDER BY paper_id",
            {"ids": ids},
        ):
            papers.setdefault(log_id, []).append(paper_id)
        for log_id, slug in conn.execute(
            "SELECT log_id, topic_slug FROM log_topic WHERE log_id IN :ids ORDER BY topic_slug",
            {"ids": ids},
        ):
            topics.setdefault(log_id, []).append(slug)
    return [
        LogEntryView(
            id=int(entry_id),
            created_at=as_utc(parse_datetime(created) or datetime.min),
            kind=kind,
            text=text,
            paper_ids=papers.get(entry_id, []),
            topic_slugs=topics.get(entry_id, []),
            owner=owner,
            shared=bool(shared),
        )
        for entry_id, created, kind, text, owner, shared in entries
    ]


__all__ = [
    "LOG_KINDS",
    "LogEntryView",
    "as_utc",
    "get_entry_view",
    "list_entries",
    "validate_kind",
]
