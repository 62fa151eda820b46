"""Overviews of the roadmap's topics, the reading lists and the free tags, with counts.

``paperlab topics``, ``lists`` and ``tags`` and the TUI's topic and log
screens show these: each is a whole-library summary (what a topic links to,
how much of a list is in the library, how many papers carry a tag), unlike
the per-paper listing in ``catalog``. Reads use plain sqlite3
(``Store.connect()``) so these read-only commands start without the ORM;
only ``ensure_roadmap`` loads it, and only when the roadmap has to be written.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from paperlab.catalog import grouped
from paperlab.store.values import (
    LIST_MEMBERS,
    NOTE_TEXT_COLUMNS,
    PipelineState,
    loads_list,
    me,
    visible,
)

if TYPE_CHECKING:
    from paperlab.readinglists import Roadmap
    from paperlab.store import Store

# --------------------------------------------------------------------------- topics, lists


@dataclass(frozen=True)
class TopicRow:
    slug: str
    title: str
    weeks: list[int]
    resources: list[str]
    description: str
    papers: list[str]
    notes: int  # notes linked to the topic itself (`paperlab note ID --topic SLUG`)
    log_entries: int
    paper_notes: int = 0  # notes with some text on papers tagged with the topic
    failed: list[str] = dataclasses.field(default_factory=list)  # its papers whose fetch failed

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


# A note counts once some field holds text (linking a topic creates an empty note).
_NOTE_HAS_TEXT = " OR ".join(f"trim(n.{name}) <> ''" for name in NOTE_TEXT_COLUMNS)


def topics_overview(store: Store) -> list[TopicRow]:
    """Every roadmap topic with its weeks, resources and linked papers."""
    with store.connect() as conn:
        topics = conn.execute("SELECT slug, title, weeks, resources, description FROM topic").all()
        papers = grouped(
            (slug, paper_id)
            for paper_id, slug in conn.execute("SELECT paper_id, topic_slug FROM paper_topic")
        )
        # Notes and log entries the current user sees: their own and shared ones.
        notes = dict(
            conn.execute(
                "SELECT nt.topic_slug, COUNT(*) FROM note_topic nt JOIN note n ON n.id = nt.note_id"
                f" WHERE {visible('n')} GROUP BY nt.topic_slug",
                me(),
            ).all()
        )
        logs = dict(
            conn.execute(
                "SELECT lt.topic_slug, COUNT(*) FROM log_topic lt"
                f" JOIN log_entry l ON l.id = lt.log_id WHERE {visible('l')}"
                " GROUP BY lt.topic_slug",
                me(),
            ).all()
        )
        paper_notes = dict(
            conn.execute(
                "SELECT pt.topic_slug, COUNT(DISTINCT n.id) FROM paper_topic pt"
                f" JOIN note n ON n.paper_id = pt.paper_id WHERE ({_NOTE_HAS_TEXT})"
                f" AND {visible('n')} GROUP BY pt.topic_slug",
                me(),
            ).all()
        )
        failed = grouped(
            (slug, paper_id)
            for paper_id, slug in conn.execute(
                "SELECT pt.paper_id, pt.topic_slug FROM paper_topic pt"
                " JOIN paper p ON p.id = pt.paper_id WHERE p.state = 'failed'"
            )
        )
    rows = [
        TopicRow(
            slug=slug,
            title=title,
            weeks=[int(w) for w in loads_list(weeks)],
            resources=[str(r) for r in loads_list(resources)],
            description=description,
            papers=sorted(papers.get(slug, [])),
            notes=int(notes.get(slug, 0)),
            log_entries=int(logs.get(slug, 0)),
            paper_notes=int(paper_notes.get(slug, 0)),
            failed=sorted(failed.get(slug, [])),
        )
        for slug, title, weeks, resources, description in topics
    ]
    return sorted(rows, key=lambda r: (min(r.weeks) if r.weeks else 99, r.slug))


def ensure_roadmap(store: Store) -> Roadmap:
    """Load the bundled roadmap into the library when its topics are missing."""
    from paperlab.readinglists import load_roadmap

    roadmap = load_roadmap()
    with store.connect() as conn:
        present = {r[0] for r in conn.execute("SELECT slug FROM topic")}
    if not {t.slug for t in roadmap.topics} <= present:
        from paperlab.loading import sync_roadmap  # the ORM loads only to write

        with store.write() as session:
            sync_roadmap(session, roadmap)
    return roadmap


def lists_overview(store: Store) -> list[dict[str, Any]]:
    """Bundled lists plus any loaded from elsewhere, with library counts."""
    from paperlab.readinglists import load_bundled_lists, load_roadmap

    bundled = {spec.name: spec for spec in load_bundled_lists(load_roadmap())}
    rows = []
    with store.connect() as conn:
        loaded = {
            name: (list_id, title, source, weeks, track)
            for list_id, name, title, source, weeks, track in conn.execute(
                "SELECT id, name, title, source_path, weeks, track FROM reading_list"
            )
        }
        for name in sorted(set(bundled) | set(loaded)):
            spec = bundled.get(name)
            stored = loaded.get(name)
            if stored is not None:
                paper_ids = [
                    r[0]
                    for r in conn.execute(
                        f"SELECT paper_id FROM {LIST_MEMBERS} e WHERE list_id = :l",
                        {"l": stored[0]},
                    )
                ]
                # entries not on arXiv whose PDF is not in the library yet
                waiting = int(
                    conn.execute(
                        "SELECT COUNT(*) FROM list_external_entry "
                        "WHERE list_id = :l AND paper_id IS NULL",
                        {"l": stored[0]},
                    ).scalar()
                )
            else:
                paper_ids = [e.ref for e in spec.arxiv_entries] if spec else []
                waiting = len(spec.external_entries) if spec else 0
            papers = (
                conn.execute(
                    "SELECT pdf_path, state FROM paper WHERE id IN :ids", {"ids": paper_ids}
                ).all()
                if paper_ids
                else []
            )
            rows.append(
                {
                    "name": name,
                    "title": spec.title if spec else (stored[1] if stored else name),
                    # a user's list keeps the weeks its file gave when it was loaded
                    "weeks": list(spec.weeks)
                    if spec
                    else ([int(w) for w in loads_list(stored[3])] if stored else []),
                    "papers": len(paper_ids) + waiting,
                    "to_get_by_hand": waiting,
                    "in_library": sum(1 for path, _ in papers if path),
                    "indexed": sum(1 for _, state in papers if state == PipelineState.INDEXED),
                    "source": str(spec.path) if spec else (stored[2] if stored else ""),
                    "bundled": spec is not None,
                    "track": spec.track if spec else (stored[4] if stored else None),
                }
            )
    return rows


# --------------------------------------------------------------------------- tags


def tags_overview(store: Store) -> list[dict[str, Any]]:
    """Every free tag in use with its number of papers, most used first."""
    with store.connect() as conn:
        rows = conn.execute(
            "SELECT tag, COUNT(*) FROM paper_tag GROUP BY tag ORDER BY COUNT(*) DESC, tag"
        ).all()
    return [{"tag": tag, "papers": int(n)} for tag, n in rows]


__all__ = [
    "TopicRow",
    "ensure_roadmap",
    "lists_overview",
    "tags_overview",
    "topics_overview",
]
