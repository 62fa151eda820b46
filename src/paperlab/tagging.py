"""The tagging service: link papers to roadmap topics and give them free tags.

Two kinds of tag, one command: ``paperlab tag ID SLUG...`` links a slug that
is a roadmap topic (weeks 1-18, validated by the roadmap) to that topic, and
keeps anything else as a free tag of the user's own (``gans``,
``project/baseline``). Free tags are checked for their shape only, so they
work as Obsidian tags: lowercase letters, digits, ``-``, ``_`` and ``/``, at
most 40 characters, with at least one letter. A leading ``#`` is dropped.

Reading state lives in ``paperlab.library.set_reading_state``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from paperlab.errors import UsageError, clip, shown
from paperlab.overviews import ensure_roadmap

if TYPE_CHECKING:
    from sqlmodel import Session

    from paperlab.store import Store

MAX_TAG = 40
_TAG = re.compile(r"[a-z0-9_/-]+")
TAG_RULE = (
    "A tag is lowercase letters, digits, '-', '_' and '/', at most "
    f"{MAX_TAG} characters, with at least one letter (e.g. gans, project/baseline)."
)


def check_tag(raw: str) -> str:
    """The free tag ``raw`` names, or a UsageError saying what is wrong with it."""
    tag = raw.strip().removeprefix("#")
    problem = None
    if not tag:
        problem = f"{shown(raw)} is empty once spaces and '#' are removed"
    elif len(tag) > MAX_TAG:
        problem = f"{shown(raw)} is {len(tag)} characters long; tags have at most {MAX_TAG}"
    elif not _TAG.fullmatch(tag):
        lowered = tag.lower()
        if _TAG.fullmatch(lowered):
            raise UsageError(
                f"Tag {shown(raw)} has capital letters; tags are lowercase.",
                hint=f"Write it as {lowered}. {TAG_RULE}",
            )
        problem = f"{shown(raw)} has characters a tag cannot have"
    elif not re.search(r"[a-z]", tag):
        problem = f"{shown(raw)} has no letter (Obsidian reads '#{clip(tag, 40)}' as a number)"
    elif tag.startswith("/") or tag.endswith("/") or "//" in tag:
        problem = f"{shown(raw)} has an empty part between '/'"
    if problem is not None:
        raise UsageError(f"Tag {problem}.", hint=TAG_RULE)
    return tag


@dataclass
class Tagging:
    """What a paper is tagged with after a change, and what the change meant."""

    paper_id: str
    topics: list[str]
    tags: list[str]
    # free tags that look like a mistyped topic: worth a word to the user
    near_topics: dict[str, str] = field(default_factory=dict)
    absent: list[str] = field(default_factory=list)  # untag: not on the paper


def _split(session: Session, slugs: Iterable[str]) -> tuple[list[str], list[str]]:
    """(topic slugs, free tags), de-duplicated; every bad one fails before any write."""
    from sqlmodel import select

    from paperlab.store.models import Topic

    known = set(session.exec(select(Topic.slug)).all())
    topics: list[str] = []
    tags: list[str] = []
    for raw in slugs:
        slug = raw.strip()
        name = slug if slug in known else check_tag(raw)  # '#nlp' is the topic nlp too
        kind = topics if name in known else tags
        if name not in kind:
            kind.append(name)
    if not topics and not tags:
        raise UsageError(
            "Name at least one topic or tag.", hint="See the topic slugs with: paperlab topics"
        )
    return topics, tags


def _state(session: Session, paper_id: str) -> tuple[list[str], list[str]]:
    from sqlmodel import col, select

    from paperlab.store.models import PaperTag, PaperTopic

    topics = select(PaperTopic.topic_slug).where(PaperTopic.paper_id == paper_id)
    tags = select(PaperTag.tag).where(PaperTag.paper_id == paper_id)
    return (
        list(session.exec(topics.order_by(col(PaperTopic.topic_slug))).all()),
        list(session.exec(tags.order_by(col(PaperTag.tag))).all()),
    )


def tag_paper(store: Store, paper: str, slugs: Iterable[str]) -> Tagging:
    """Link a paper to roadmap topics and free tags; return everything it has afterwards.

    A bad tag raises UsageError and nothing is written.
    """
    from sqlmodel import select

    from paperlab.library import resolve_paper
    from paperlab.store.models import PaperTag, PaperTopic, Topic

    ensure_roadmap(store)  # a topic slug must never become a free tag for want of the roadmap
    with store.write() as session:
        found = resolve_paper(session, paper)
        topics, tags = _split(session, slugs)
        have_topics, have_tags = _state(session, found.id)
        for slug in topics:
            if slug not in have_topics:
                session.add(PaperTopic(paper_id=found.id, topic_slug=slug, source="user"))
        for tag in tags:
            if tag not in have_tags:
                session.add(PaperTag(paper_id=found.id, tag=tag))
        session.flush()
        known = list(session.exec(select(Topic.slug)).all())
        near = {
            tag: close[0]
            for tag in tags
            if (close := difflib.get_close_matches(tag, known, n=1, cutoff=0.8))
        }
        return Tagging(found.id, *_state(session, found.id), near_topics=near)


def untag_paper(store: Store, paper: str, slugs: Iterable[str]) -> Tagging:
    """Remove topic links and free tags from a paper; return what it keeps.

    Slugs the paper does not have are listed in ``absent``; nothing fails for them.
    """
    from paperlab.library import resolve_paper
    from paperlab.store.models import PaperTag, PaperTopic

    ensure_roadmap(store)
    with store.write() as session:
        found = resolve_paper(session, paper)
        topics, tags = _split(session, slugs)
        absent: list[str] = []
        for slug in topics:
            link = session.get(PaperTopic, (found.id, slug))
            if link is None:
                absent.append(slug)
            else:
                session.delete(link)
        for tag in tags:
            row = session.get(PaperTag, (found.id, tag))
            if row is None:
                absent.append(tag)
            else:
                session.delete(row)
        session.flush()
        return Tagging(found.id, *_state(session, found.id), absent=absent)


def paper_topics(store: Store, paper: str) -> list[str]:
    """The topic slugs a paper is linked to, sorted."""
    from paperlab.library import resolve_paper

    with store.read() as session:
        return _state(session, resolve_paper(session, paper).id)[0]


__all__ = [
    "MAX_TAG",
    "TAG_RULE",
    "Tagging",
    "check_tag",
    "paper_topics",
    "tag_paper",
    "untag_paper",
]
