"""The library service: papers, topics and reading lists as front ends see them.

Front ends (CLI, TUI) call these functions; they never build queries.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from paperlab.citekeys import base_key, unique_key
from paperlab.errors import NotFoundError, UsageError, clip, shown
from paperlab.ids import ID_HINT, try_parse_arxiv_id
from paperlab.store import Store
from paperlab.store.models import (
    Annotation,
    Chunk,
    LogEntry,
    LogPaper,
    Note,
    Page,
    Paper,
    PaperTopic,
    PaperVersion,
    PipelineState,
    ReadingList,
    ReadingListEntry,
    ReadingState,
    Topic,
    dumps,
    loads_list,
    utcnow,
)

# --------------------------------------------------------------------------- lookup


def find_paper(session: Session, text: str) -> Paper | None:
    """The paper named by an arXiv id (any spelling), a local id or a citation key."""
    text = text.strip()
    parsed = try_parse_arxiv_id(text)
    if parsed is not None:
        return session.get(Paper, parsed.base)
    paper = session.get(Paper, text)
    if paper is not None:
        return paper
    return session.exec(select(Paper).where(Paper.citation_key == text)).first()


def resolve_paper(session: Session, text: str) -> Paper:
    """Like find_paper, but a clear NotFoundError (with a guess) when absent."""
    paper = find_paper(session, text)
    if paper is not None:
        return paper
    parsed = try_parse_arxiv_id(text)
    if parsed is None and not text.startswith("local:"):
        keys = [k for k in session.exec(select(Paper.citation_key)).all() if k]
        close = difflib.get_close_matches(text, keys, n=1)
        hint = f"Did you mean {close[0]}?" if close else ID_HINT
        raise NotFoundError(f"No paper {shown(text)} in the library.", hint=hint)
    name = str(parsed) if parsed is not None else clip(text.strip())
    raise NotFoundError(
        f"Paper {name} is not in the library.",
        hint=f"Fetch it first: paperlab fetch {name}",
    )


def get_topic(session: Session, slug: str) -> Topic:
    topic = session.get(Topic, slug)
    if topic is None:
        slugs = list(session.exec(select(Topic.slug)).all())
        close = difflib.get_close_matches(slug, slugs, n=3)
        hint = f"Did you mean {', '.join(close)}?" if close else "See `paperlab topics`."
        if not slugs:
            hint = "Load the roadmap first: paperlab fetch (or paperlab lists)."
        raise NotFoundError(f"No topic {shown(slug)}.", hint=hint)
    return topic


def get_list(session: Session, name: str) -> ReadingList:
    found = session.exec(select(ReadingList).where(ReadingList.name == name)).first()
    if found is None:
        names = list(session.exec(select(ReadingList.name)).all())
        close = difflib.get_close_matches(name, names, n=3)
        hint = f"Did you mean {', '.join(close)}?" if close else "See `paperlab lists`."
        raise NotFoundError(f"No reading list {shown(name)} in the library.", hint=hint)
    return found


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class PaperRow:
    """What a listing shows of one paper."""

    id: str
    version: int | None
    title: str
    authors: list[str]
    year: int | None
    state: str
    state_reason: str | None
    reading_state: str
    topics: list[str]
    lists: list[str]
    citation_key: str | None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _topics_by_paper(session: Session, ids: Sequence[str] | None = None) -> dict[str, list[str]]:
    query = select(PaperTopic.paper_id, PaperTopic.topic_slug)
    if ids is not None:
        query = query.where(col(PaperTopic.paper_id).in_(ids))
    out: dict[str, list[str]] = {}
    for paper_id, slug in session.exec(query.order_by(PaperTopic.topic_slug)).all():
        out.setdefault(paper_id, []).append(slug)
    return out


def _lists_by_paper(session: Session) -> dict[str, list[str]]:
    query = select(ReadingListEntry.paper_id, ReadingList.name).join(
        ReadingList, col(ReadingList.id) == col(ReadingListEntry.list_id)
    )
    out: dict[str, list[str]] = {}
    for paper_id, name in session.exec(query.order_by(ReadingList.name)).all():
        out.setdefault(paper_id, []).append(name)
    return out


def _row(paper: Paper, topics: list[str], lists: list[str]) -> PaperRow:
    return PaperRow(
        id=paper.id,
        version=paper.version,
        title=paper.title,
        authors=paper.author_list,
        year=paper.year,
        state=paper.state,
        state_reason=paper.state_reason,
        reading_state=paper.reading_state,
        topics=topics,
        lists=lists,
        citation_key=paper.citation_key,
    )


PIPELINE_STATES = [s.value for s in PipelineState]
READING_STATES = [s.value for s in ReadingState]


def list_papers(
    store: Store,
    *,
    list_name: str | None = None,
    topic: str | None = None,
    states: Iterable[str] = (),
) -> list[PaperRow]:
    """Papers filtered by list, topic and (pipeline or reading) state.

    Papers of a list come in the list's order (week, position); otherwise by
    the date they were added.
    """
    states = list(states)
    for state in states:
        if state not in PIPELINE_STATES and state not in READING_STATES:
            raise UsageError(
                f"Unknown state {state!r}.",
                hint=f"Use one of: {', '.join(PIPELINE_STATES + READING_STATES)}.",
            )
    with store.read() as session:
        query = select(Paper)
        if list_name is not None:
            reading_list = get_list(session, list_name)
            query = (
                query.join(ReadingListEntry, col(ReadingListEntry.paper_id) == col(Paper.id))
                .where(ReadingListEntry.list_id == reading_list.id)
                .order_by(col(ReadingListEntry.week), col(ReadingListEntry.position))
            )
        else:
            query = query.order_by(col(Paper.added_at), col(Paper.id))
        if topic is not None:
            get_topic(session, topic)
            query = query.join(PaperTopic, col(PaperTopic.paper_id) == col(Paper.id)).where(
                PaperTopic.topic_slug == topic
            )
        pipeline = [s for s in states if s in PIPELINE_STATES]
        reading = [s for s in states if s in READING_STATES]
        if pipeline:
            query = query.where(col(Paper.state).in_(pipeline))
        if reading:
            query = query.where(col(Paper.reading_state).in_(reading))
        papers = session.exec(query).all()
        topics = _topics_by_paper(session)
        lists = _lists_by_paper(session)
        return [_row(p, topics.get(p.id, []), lists.get(p.id, [])) for p in papers]


def paper_details(store: Store, text: str) -> dict[str, Any]:
    """Everything `paperlab show` prints about one paper, as plain data."""
    with store.read() as session:
        paper = resolve_paper(session, text)
        topics = _topics_by_paper(session, [paper.id]).get(paper.id, [])
        entries = session.exec(
            select(ReadingListEntry, ReadingList)
            .join(ReadingList, col(ReadingList.id) == col(ReadingListEntry.list_id))
            .where(ReadingListEntry.paper_id == paper.id)
        ).all()
        versions = session.exec(
            select(PaperVersion)
            .where(PaperVersion.paper_id == paper.id)
            .order_by(col(PaperVersion.version))
        ).all()
        note = session.exec(select(Note).where(Note.paper_id == paper.id)).first()

        def count(column: Any, owner: Any) -> int:
            return int(session.exec(select(func.count(column)).where(owner == paper.id)).one())

        log_count = count(LogPaper.log_id, LogPaper.paper_id)
        pages = count(Page.number, Page.paper_id)
        chunks = count(Chunk.id, Chunk.paper_id)
        annotations = count(Annotation.id, Annotation.paper_id)
        return {
            "id": paper.id,
            "version": paper.version,
            "title": paper.title,
            "authors": paper.author_list,
            "abstract": paper.abstract,
            "categories": paper.category_list,
            "primary_category": paper.primary_category,
            "published": _iso(paper.published),
            "updated": _iso(paper.updated),
            "doi": paper.doi,
            "journal_ref": paper.journal_ref,
            "comment": paper.comment,
            "citation_key": paper.citation_key,
            "state": paper.state,
            "state_reason": paper.state_reason,
            "reading_state": paper.reading_state,
            "metadata_complete": paper.metadata_complete,
            "pdf_path": paper.pdf_path,
            "pdf_sha256": paper.pdf_sha256,
            "pdf_version": paper.pdf_version,
            "abs_url": f"https://arxiv.org/abs/{paper.id}"
            if not paper.id.startswith("local:")
            else None,
            "topics": topics,
            "lists": [
                {"name": rl.name, "week": e.week, "position": e.position, "why": e.why}
                for e, rl in entries
            ],
            "versions": [
                {
                    "version": v.version,
                    "updated": _iso(v.updated),
                    "sha256": v.pdf_sha256,
                    "fetched_at": _iso(v.fetched_at),
                }
                for v in versions
            ],
            "pages": pages,
            "chunks": chunks,
            "has_note": note is not None,
            "annotations": annotations,
            "log_entries": log_count,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class TopicRow:
    slug: str
    title: str
    weeks: list[int]
    resources: list[str]
    description: str
    papers: list[str]
    notes: int
    log_entries: int

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def topics_overview(store: Store) -> list[TopicRow]:
    """Every roadmap topic with its weeks, resources and linked papers."""
    from paperlab.store.models import LogTopic, NoteTopic

    with store.read() as session:
        topics = session.exec(select(Topic)).all()
        papers: dict[str, list[str]] = {}
        for paper_id, slug in session.exec(select(PaperTopic.paper_id, PaperTopic.topic_slug)):
            papers.setdefault(slug, []).append(paper_id)
        notes: dict[str, int] = {}
        for slug in session.exec(select(NoteTopic.topic_slug)).all():
            notes[slug] = notes.get(slug, 0) + 1
        logs: dict[str, int] = {}
        for slug in session.exec(select(LogTopic.topic_slug)).all():
            logs[slug] = logs.get(slug, 0) + 1
        rows = [
            TopicRow(
                slug=t.slug,
                title=t.title,
                weeks=t.week_list,
                resources=t.resource_list,
                description=t.description,
                papers=sorted(papers.get(t.slug, [])),
                notes=notes.get(t.slug, 0),
                log_entries=logs.get(t.slug, 0),
            )
            for t in topics
        ]
    return sorted(rows, key=lambda r: (min(r.weeks) if r.weeks else 99, r.slug))


# --------------------------------------------------------------------------- writes


def ensure_citation_key(session: Session, paper: Paper) -> None:
    """Give ``paper`` a citation key once it has authors and a title; never change it."""
    if paper.citation_key or not paper.title:
        return
    base = base_key(paper.author_list, paper.year, paper.title)

    def taken(key: str) -> bool:
        other = session.exec(select(Paper.id).where(Paper.citation_key == key)).first()
        return other is not None and other != paper.id

    paper.citation_key = unique_key(base, taken)


def set_reading_state(store: Store, paper_text: str, state: str) -> Paper:
    if state not in READING_STATES:
        raise UsageError(
            f"Unknown reading state {state!r}.", hint=f"Use one of: {', '.join(READING_STATES)}."
        )
    with store.write() as session:
        paper = resolve_paper(session, paper_text)
        paper.reading_state = state
        paper.updated_at = utcnow()
        session.add(paper)
        return paper


def log_entries_for_paper(store: Store, paper_id: str) -> list[LogEntry]:
    with store.read() as session:
        return list(
            session.exec(
                select(LogEntry)
                .join(LogPaper, col(LogPaper.log_id) == col(LogEntry.id))
                .where(LogPaper.paper_id == paper_id)
                .order_by(col(LogEntry.created_at))
            ).all()
        )


__all__ = [
    "PIPELINE_STATES",
    "READING_STATES",
    "PaperRow",
    "TopicRow",
    "dumps",
    "ensure_citation_key",
    "find_paper",
    "get_list",
    "get_topic",
    "list_papers",
    "loads_list",
    "paper_details",
    "resolve_paper",
    "set_reading_state",
    "topics_overview",
]
