"""The tagging service: link papers to roadmap topics (weeks 1-18).

Reading state lives in ``paperlab.library.set_reading_state``; this module
only adds and removes paper-topic links.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from paperlab.errors import UsageError
from paperlab.library import get_topic, resolve_paper
from paperlab.store import Store
from paperlab.store.models import PaperTopic


def _slugs(session: Session, slugs: Iterable[str]) -> list[str]:
    """Validated, de-duplicated slugs; every unknown one fails before any write."""
    out: list[str] = []
    for raw in slugs:
        slug = raw.strip()
        if not slug:
            continue
        topic = get_topic(session, slug)
        if topic.slug not in out:
            out.append(topic.slug)
    if not out:
        raise UsageError(
            "Name at least one topic.", hint="See the topic slugs with: paperlab topics"
        )
    return out


def _topics_of(session: Session, paper_id: str) -> list[str]:
    query = select(PaperTopic.topic_slug).where(PaperTopic.paper_id == paper_id)
    return list(session.exec(query.order_by(col(PaperTopic.topic_slug))).all())


def tag_paper(store: Store, paper: str, slugs: Iterable[str]) -> list[str]:
    """Link a paper to topics; return all the paper's topics afterwards.

    An unknown slug raises NotFoundError (with a did-you-mean) and links nothing.
    """
    with store.write() as session:
        found = resolve_paper(session, paper)
        wanted = _slugs(session, slugs)
        have = set(_topics_of(session, found.id))
        for slug in wanted:
            if slug not in have:
                session.add(PaperTopic(paper_id=found.id, topic_slug=slug, source="user"))
                have.add(slug)
        return sorted(have)


def untag_paper(store: Store, paper: str, slugs: Iterable[str]) -> list[str]:
    """Unlink a paper from topics; return the topics it keeps.

    Topics the paper was not linked to are ignored; unknown slugs are errors.
    """
    with store.write() as session:
        found = resolve_paper(session, paper)
        wanted = _slugs(session, slugs)
        for slug in wanted:
            link = session.get(PaperTopic, (found.id, slug))
            if link is not None:
                session.delete(link)
        session.flush()
        return _topics_of(session, found.id)


def paper_topics(store: Store, paper: str) -> list[str]:
    """The topic slugs a paper is linked to, sorted."""
    with store.read() as session:
        return _topics_of(session, resolve_paper(session, paper).id)


__all__ = ["paper_topics", "tag_paper", "untag_paper"]
