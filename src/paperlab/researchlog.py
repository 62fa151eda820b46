"""The research-log service: dated entries (ideas, questions, results, ...).

Entries link to papers and roadmap topics. Papers are named by any text
``resolve_paper`` accepts; arXiv ids mentioned in an entry's text are linked
too when the paper is in the library, so "try the schedule of 1608.03983"
shows up on that paper's page without extra typing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, delete, select

from paperlab.errors import NotFoundError, UsageError
from paperlab.ids import try_parse_arxiv_id
from paperlab.library import get_topic, resolve_paper
from paperlab.log_views import (
    LOG_KINDS,
    LogEntryView,
    as_utc,
    get_entry_view,
    list_entries,
    validate_kind,
)
from paperlab.settings import current_user
from paperlab.store import Store
from paperlab.store.models import LogEntry, LogPaper, LogTopic, Paper
from paperlab.store.values import check_owner

# Candidate arXiv ids in free text; each is checked by the real parser and
# against the library, so a stray number like 2023.1234 links nothing.
_ID_MENTION = re.compile(
    r"(?<![\w./-])(?:arxiv:\s*)?"
    r"(\d{4}\.\d{4,5}(?:v\d+)?|[a-z]+(?:-[a-z]+)?(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)"
    r"(?![\w/-])",
    re.IGNORECASE,
)


def _clean_text(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise UsageError("A log entry needs some text.", hint='paperlab log add "what happened"')
    return cleaned


def mentioned_paper_ids(session: Session, text: str) -> list[str]:
    """Ids of library papers whose arXiv id appears in ``text``."""
    found: list[str] = []
    for m in _ID_MENTION.finditer(text):
        parsed = try_parse_arxiv_id(m.group(1))
        if parsed is None or parsed.base in found:
            continue
        if session.get(Paper, parsed.base) is not None:
            found.append(parsed.base)
    return found


def _resolve_papers(session: Session, papers: Iterable[str]) -> list[str]:
    ids: list[str] = []
    for text in papers:
        paper_id = resolve_paper(session, text).id
        if paper_id not in ids:
            ids.append(paper_id)
    return ids


def _resolve_topics(session: Session, topics: Iterable[str]) -> list[str]:
    slugs: list[str] = []
    for slug in topics:
        topic = get_topic(session, slug.strip())
        if topic.slug not in slugs:
            slugs.append(topic.slug)
    return slugs


def _link(session: Session, entry_id: int, paper_ids: Iterable[str], slugs: Iterable[str]) -> None:
    have_papers = set(_paper_links(session, entry_id))
    for paper_id in paper_ids:
        if paper_id not in have_papers:
            session.add(LogPaper(log_id=entry_id, paper_id=paper_id))
            have_papers.add(paper_id)
    have_topics = set(_topic_links(session, entry_id))
    for slug in slugs:
        if slug not in have_topics:
            session.add(LogTopic(log_id=entry_id, topic_slug=slug))
            have_topics.add(slug)


def _paper_links(session: Session, entry_id: int) -> list[str]:
    query = select(LogPaper.paper_id).where(LogPaper.log_id == entry_id)
    return list(session.exec(query.order_by(col(LogPaper.paper_id))).all())


def _topic_links(session: Session, entry_id: int) -> list[str]:
    query = select(LogTopic.topic_slug).where(LogTopic.log_id == entry_id)
    return list(session.exec(query.order_by(col(LogTopic.topic_slug))).all())


def add_entry(
    store: Store,
    text: str,
    *,
    kind: str = "idea",
    papers: Iterable[str] = (),
    topics: Iterable[str] = (),
    when: datetime | None = None,
    shared: bool = False,
) -> LogEntry:
    """Add a log entry linked to ``papers`` and ``topics`` (and papers its text names)."""
    text = _clean_text(text)
    kind = validate_kind(kind)
    with store.write() as session:
        paper_ids = _resolve_papers(session, papers)
        slugs = _resolve_topics(session, topics)
        entry = LogEntry(text=text, kind=kind, shared=shared)
        if when is not None:
            entry.created_at = as_utc(when)
        session.add(entry)
        session.flush()
        assert entry.id is not None
        _link(session, entry.id, [*paper_ids, *mentioned_paper_ids(session, text)], slugs)
        session.flush()
        session.refresh(entry)
        return entry


def _get(session: Session, entry_id: int) -> LogEntry:
    """The entry, under a row lock (as annotations take it), if it is the user's to change."""
    entry = session.get(LogEntry, entry_id, with_for_update=True)
    if entry is None or not (entry.shared or entry.owner == current_user()):
        raise _no_entry(entry_id)
    check_owner(f"log entry {entry_id}", entry.owner)
    return entry


def _no_entry(entry_id: int) -> NotFoundError:
    return NotFoundError(
        f"There is no log entry {entry_id}.",
        hint="See the entry numbers with: paperlab log list",
    )


def update_entry(
    store: Store,
    entry_id: int,
    *,
    text: str | None = None,
    kind: str | None = None,
    papers: Iterable[str] | None = None,
    topics: Iterable[str] | None = None,
    shared: bool | None = None,
) -> LogEntry:
    """Change one of the user's entries; None leaves a part as it is.

    Another user's entry is refused (NotOwnerError naming its owner).

    ``papers``/``topics`` replace the entry's links. New text links the papers
    it mentions (existing links stay).
    """
    new_text = _clean_text(text) if text is not None else None
    new_kind = validate_kind(kind) if kind is not None else None
    with store.write() as session:
        entry = _get(session, entry_id)
        assert entry.id is not None
        if papers is not None:
            paper_ids = _resolve_papers(session, papers)
            session.exec(delete(LogPaper).where(col(LogPaper.log_id) == entry.id))
            _link(session, entry.id, paper_ids, ())
        if topics is not None:
            slugs = _resolve_topics(session, topics)
            session.exec(delete(LogTopic).where(col(LogTopic.log_id) == entry.id))
            _link(session, entry.id, (), slugs)
        if new_kind is not None:
            entry.kind = new_kind
        if shared is not None:
            entry.shared = shared
        if new_text is not None:
            entry.text = new_text
            _link(session, entry.id, mentioned_paper_ids(session, new_text), ())
        session.add(entry)
        session.flush()
        session.refresh(entry)
        return entry


def delete_entry(store: Store, entry_id: int) -> None:
    """Delete one of the user's entries and its links (NotFoundError when there is none)."""
    with store.write() as session:
        session.delete(_get(session, entry_id))


def get_entry(store: Store, entry_id: int) -> LogEntryView:
    """One entry with its links (NotFoundError when there is no such id)."""
    found = get_entry_view(store, entry_id)
    if found is None:
        raise _no_entry(entry_id)
    return found


__all__ = [
    "LOG_KINDS",
    "LogEntryView",
    "add_entry",
    "delete_entry",
    "get_entry",
    "list_entries",
    "mentioned_paper_ids",
    "update_entry",
    "validate_kind",
]
