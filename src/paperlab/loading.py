"""Bring the roadmap and reading lists into the library.

Validation happens entirely in ``readinglists``: by the time anything here
writes, every list named on the command line has passed, so a broken list
never leaves a half-loaded library behind.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from paperlab.overviews import ensure_roadmap, lists_overview
from paperlab.readinglists import ReadingListSpec, Roadmap
from paperlab.store import Store
from paperlab.store.models import (
    ListExternalEntry,
    ListMilestone,
    Paper,
    PaperTopic,
    PipelineState,
    ReadingList,
    ReadingListEntry,
    Topic,
    dumps,
)


def sync_roadmap(session: Session, roadmap: Roadmap) -> None:
    """Insert or update every roadmap topic (topics are never deleted: notes link them)."""
    for spec in roadmap.topics:
        topic = session.get(Topic, spec.slug) or Topic(slug=spec.slug, title=spec.title)
        topic.title = spec.title
        topic.weeks = dumps(list(spec.weeks))
        topic.resources = dumps(list(spec.resources))
        topic.description = spec.description
        session.add(topic)


def sync_reading_list(session: Session, spec: ReadingListSpec) -> list[str]:
    """Record a validated list; create queued papers for new ids. Returns its paper ids.

    Entries that disappeared from the list file are dropped from the list, but
    their papers (and anything the user wrote about them) stay in the library.
    """
    reading_list = session.exec(select(ReadingList).where(ReadingList.name == spec.name)).first()
    if reading_list is None:
        reading_list = ReadingList(name=spec.name, title=spec.title)
    reading_list.title = spec.title
    reading_list.description = spec.description
    reading_list.weeks = dumps(list(spec.weeks))
    reading_list.source_path = str(spec.path)
    reading_list.hours_per_week = spec.hours_per_week
    reading_list.track = spec.track
    reading_list.builds_on = dumps(list(spec.builds_on))
    reading_list.plan_order = spec.order
    session.add(reading_list)
    session.flush()
    assert reading_list.id is not None
    _sync_milestones(session, reading_list.id, spec)
    _sync_external(session, reading_list.id, spec)

    ids: list[str] = []
    for position, entry in enumerate(spec.entries):  # one position count: the reading order
        if entry.arxiv_id is None:
            continue
        base = entry.arxiv_id.base
        ids.append(base)
        if session.get(Paper, base) is None:
            session.add(Paper(id=base, title=entry.title, state=PipelineState.QUEUED.value))
            session.flush()
        link = session.get(ReadingListEntry, (reading_list.id, base)) or ReadingListEntry(
            list_id=reading_list.id, paper_id=base
        )
        link.week = entry.week
        link.position = position
        link.why = entry.why
        link.expected_title = entry.title
        link.core = entry.core
        link.pages = entry.pages
        link.focus = entry.focus
        link.prerequisites = dumps(list(entry.prerequisites))
        session.add(link)
        for slug in entry.topics:
            if session.get(PaperTopic, (base, slug)) is None:
                session.add(PaperTopic(paper_id=base, topic_slug=slug, source="list"))
    stale = session.exec(
        select(ReadingListEntry).where(
            ReadingListEntry.list_id == reading_list.id,
            col(ReadingListEntry.paper_id).not_in(ids),
        )
    ).all()
    for link in stale:
        session.delete(link)
    return ids


def _sync_milestones(session: Session, list_id: int, spec: ReadingListSpec) -> None:
    for old in session.exec(select(ListMilestone).where(ListMilestone.list_id == list_id)).all():
        session.delete(old)
    session.flush()
    for position, milestone in enumerate(spec.milestones):
        session.add(
            ListMilestone(
                list_id=list_id, position=position, week=milestone.week, task=milestone.task
            )
        )


def _sync_external(session: Session, list_id: int, spec: ReadingListSpec) -> None:
    """Record the entries not on arXiv; an entry keeps the paper its PDF was linked to."""
    keys: list[str] = []
    for position, entry in enumerate(spec.entries):
        if entry.key is None:
            continue
        keys.append(entry.key)
        row = session.get(ListExternalEntry, (list_id, entry.key)) or ListExternalEntry(
            list_id=list_id, key=entry.key, title=entry.title
        )
        row.title = entry.title
        row.authors = dumps(list(entry.authors))
        row.year, row.doi, row.url = entry.year, entry.doi, entry.url
        row.week, row.position, row.core = entry.week, position, entry.core
        row.pages, row.focus, row.why = entry.pages, entry.focus, entry.why
        row.prerequisites = dumps(list(entry.prerequisites))
        row.topics = dumps(list(entry.topics))
        if row.paper_id is None:
            # The same work in another list (same key) may already have its PDF.
            linked = session.exec(
                select(ListExternalEntry.paper_id).where(
                    ListExternalEntry.key == entry.key,
                    col(ListExternalEntry.paper_id).is_not(None),
                )
            ).first()
            row.paper_id = linked
        session.add(row)
    stale = session.exec(
        select(ListExternalEntry).where(
            ListExternalEntry.list_id == list_id, col(ListExternalEntry.key).not_in(keys)
        )
    ).all()
    for row in stale:
        session.delete(row)


def load_lists_into(store: Store, roadmap: Roadmap, specs: Sequence[ReadingListSpec]) -> list[str]:
    """Write the roadmap and the (already validated) lists in one transaction."""
    ids: list[str] = []
    with store.write() as session:
        sync_roadmap(session, roadmap)
        for spec in specs:
            for paper_id in sync_reading_list(session, spec):
                if paper_id not in ids:
                    ids.append(paper_id)
    return ids


def ensure_plan_lists(store: Store) -> list[str]:
    """Record the lists a bare fetch would (weeks 19-20 and the chosen track) when missing.

    So the plan can be shown before the first fetch: papers not fetched yet
    show as missing. Nothing is downloaded; a read-only library is left as it
    is. Returns the names of the lists recorded.
    """
    from paperlab.planning import chosen_track
    from paperlab.readinglists import bare_fetch_lists, bundled_roadmap_and_lists
    from paperlab.removing import removed_ids, without_removed

    roadmap, specs = bundled_roadmap_and_lists()
    wanted = bare_fetch_lists(specs, chosen_track(store))
    with store.connect() as conn:
        stored = {str(r[0]) for r in conn.execute("SELECT name FROM reading_list")}
    missing = [spec for spec in wanted if spec.name not in stored]
    if not missing or store.readonly:
        return []
    load_lists_into(store, roadmap, without_removed(missing, removed_ids(store)))
    return [spec.name for spec in missing]


__all__ = [
    "ensure_plan_lists",
    "ensure_roadmap",
    "lists_overview",
    "load_lists_into",
    "sync_reading_list",
    "sync_roadmap",
]
