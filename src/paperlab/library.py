"""The library service: papers, topics and reading lists as front ends see them.

Front ends (CLI, TUI) call these functions; they never build queries. The
listings themselves (``list_papers``, ``paper_details`` in ``catalog``,
``topics_overview`` in ``overviews``) read with plain sqlite3 and are
re-exported here; what is left
works on SQLModel sessions, for the services that write.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, or_, select

from paperlab.catalog import PIPELINE_STATES, READING_STATES, PaperRow, list_papers, paper_details
from paperlab.citekeys import base_key, unique_key
from paperlab.errors import UsageError
from paperlab.ids import try_parse_arxiv_id
from paperlab.lookup import list_not_found, paper_not_found, topic_not_found
from paperlab.overviews import TopicRow, topics_overview
from paperlab.store import Store
from paperlab.store.models import (
    CitationAlias,
    LogEntry,
    LogPaper,
    Paper,
    PaperReadingState,
    ReadingList,
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
    paper = session.exec(select(Paper).where(Paper.citation_key == text)).first()
    if paper is not None:
        return paper
    alias = session.get(CitationAlias, text)  # a key the paper had before a rekey
    return session.get(Paper, alias.paper_id) if alias is not None else None


def resolve_paper(session: Session, text: str) -> Paper:
    """Like find_paper, but a clear NotFoundError (with a guess) when absent."""
    paper = find_paper(session, text)
    if paper is not None:
        return paper
    raise paper_not_found(text, lambda: session.exec(select(Paper.citation_key)).all())


def get_topic(session: Session, slug: str) -> Topic:
    topic = session.get(Topic, slug)
    if topic is None:
        raise topic_not_found(slug, list(session.exec(select(Topic.slug)).all()))
    return topic


def get_list(session: Session, name: str) -> ReadingList:
    found = session.exec(select(ReadingList).where(ReadingList.name == name)).first()
    if found is None:
        raise list_not_found(name, list(session.exec(select(ReadingList.name)).all()))
    return found


# --------------------------------------------------------------------------- writes


def ensure_citation_key(session: Session, paper: Paper) -> None:
    """Give ``paper`` a citation key from what is known of it now; never change it.

    Only ``paperlab rekey`` changes a key once made (keeping the old one as an
    alias): a key in a draft or a vault note must not move under the user.
    """
    if paper.citation_key:
        return
    title = paper.title or paper.id.replace("local:", "local")
    base = base_key(paper.author_list, paper.year, title)

    def taken(key: str) -> bool:
        return key_owner(session, key) not in (None, paper.id)

    paper.citation_key = unique_key(base, taken)


def key_owner(session: Session, key: str) -> str | None:
    """The paper holding ``key`` as its citation key or as an alias, if any.

    Keys are unique across the library, aliases included, so an old key a
    draft still cites can never come to mean another paper.
    """
    owner = session.exec(select(Paper.id).where(Paper.citation_key == key)).first()
    if owner is not None:
        return owner
    alias = session.get(CitationAlias, key)
    return alias.paper_id if alias is not None else None


def set_reading_state(store: Store, paper_text: str, state: str) -> PaperReadingState:
    """Record the current user's reading state of a paper (each user has their own)."""
    from paperlab.settings import current_user

    if state not in READING_STATES:
        raise UsageError(
            f"Unknown reading state {state!r}.", hint=f"Use one of: {', '.join(READING_STATES)}."
        )
    user = current_user()
    with store.write() as session:
        paper = resolve_paper(session, paper_text)
        row = session.get(PaperReadingState, (paper.id, user), with_for_update=True)
        row = row or PaperReadingState(paper_id=paper.id, owner=user)
        row.state = state
        row.updated_at = utcnow()
        session.add(row)
        return row


def show_my_reading_states(session: Session, papers: Iterable[Paper]) -> None:
    """Put the current user's reading state in ``reading_state`` of detached ``papers``.

    The column itself is no longer read or written (each user's state is in
    ``reading_state``, migration 13); exports and screens that hand Paper
    objects around read the user's state from the attribute. The papers must
    be detached (expunged, or their session closed) so nothing is written back.
    """
    from paperlab.settings import current_user

    query = select(PaperReadingState.paper_id, PaperReadingState.state)
    states = dict(session.exec(query.where(PaperReadingState.owner == current_user())).all())
    for paper in papers:
        paper.reading_state = states.get(paper.id, "unread")


def log_entries_for_paper(store: Store, paper_id: str) -> list[LogEntry]:
    """The log entries on a paper the current user sees: their own and shared ones."""
    from paperlab.settings import current_user

    with store.read() as session:
        return list(
            session.exec(
                select(LogEntry)
                .join(LogPaper, col(LogPaper.log_id) == col(LogEntry.id))
                .where(LogPaper.paper_id == paper_id)
                .where(or_(col(LogEntry.owner) == current_user(), col(LogEntry.shared)))
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
    "key_owner",
    "list_papers",
    "loads_list",
    "paper_details",
    "resolve_paper",
    "set_reading_state",
    "topics_overview",
]
