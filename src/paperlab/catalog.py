"""Papers, topics and reading lists as listings show them, read with plain sqlite3.

``paperlab list``, ``show``, ``topics``, ``lists`` and the TUI read through
here, on ``Store.connect()``: no ORM is imported, which is most of what such
a command used to spend. The services that write (``library``, ``loading``)
keep SQLModel and re-export these, and share the not-found messages below so
a paper, topic or list is reported the same way on either path.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from paperlab.errors import NotFoundError, UsageError, clip, shown
from paperlab.ids import ID_HINT, try_parse_arxiv_id
from paperlab.store.values import (
    LIST_MEMBERS,
    NOTE_TEXT_COLUMNS,
    PipelineState,
    ReadingState,
    loads_list,
    me,
    parse_datetime,
    reading_state_of,
    visible,
)

if TYPE_CHECKING:
    from paperlab.readinglists import Roadmap
    from paperlab.store import Store
    from paperlab.store.reader import ReadConnection

PIPELINE_STATES = [s.value for s in PipelineState]
READING_STATES = [s.value for s in ReadingState]

# --------------------------------------------------------------------------- not found


def paper_not_found(text: str, citation_keys: Callable[[], Iterable[str | None]]) -> NotFoundError:
    """The error for a paper that is not in the library (with a guess when one is close)."""
    parsed = try_parse_arxiv_id(text)
    if parsed is None and not text.startswith("local:"):
        keys = [k for k in citation_keys() if k]
        close = difflib.get_close_matches(text, keys, n=1)
        hint = f"Did you mean {close[0]}?" if close else ID_HINT
        return NotFoundError(f"No paper {shown(text)} in the library.", hint=hint)
    name = str(parsed) if parsed is not None else clip(text.strip())
    return NotFoundError(
        f"Paper {name} is not in the library.",
        hint=f"Fetch it first: paperlab fetch {name}",
    )


def topic_not_found(slug: str, slugs: list[str]) -> NotFoundError:
    close = difflib.get_close_matches(slug, slugs, n=3)
    hint = f"Did you mean {', '.join(close)}?" if close else "See `paperlab topics`."
    if not slugs:
        hint = "Load the roadmap first: paperlab fetch (or paperlab lists)."
    return NotFoundError(f"No topic {shown(slug)}.", hint=hint)


def list_not_found(name: str, names: list[str]) -> NotFoundError:
    close = difflib.get_close_matches(name, names, n=3)
    hint = f"Did you mean {', '.join(close)}?" if close else "See `paperlab lists`."
    return NotFoundError(f"No reading list {shown(name)} in the library.", hint=hint)


# --------------------------------------------------------------------------- lookup


def find_paper_id(conn: ReadConnection, text: str) -> str | None:
    """The id of the paper named by an arXiv id (any spelling), a local id or a citation key."""
    text = text.strip()
    parsed = try_parse_arxiv_id(text)
    exists = "SELECT id FROM paper WHERE id = :v"
    if parsed is not None:
        return conn.execute(exists, {"v": parsed.base}).scalar()
    found = conn.execute(exists, {"v": text}).scalar()
    if found is None:
        found = conn.execute("SELECT id FROM paper WHERE citation_key = :v", {"v": text}).scalar()
    if found is None:  # a key the paper had before a rekey still names it
        found = conn.execute(
            "SELECT paper_id FROM citation_alias WHERE key = :v", {"v": text}
        ).scalar()
    return found


def resolve_paper_id(conn: ReadConnection, text: str) -> str:
    """Like find_paper_id, but a clear NotFoundError (with a guess) when absent."""
    found = find_paper_id(conn, text)
    if found is not None:
        return found
    raise paper_not_found(
        text, lambda: [r[0] for r in conn.execute("SELECT citation_key FROM paper")]
    )


def require_topic(conn: ReadConnection, slug: str) -> str:
    if conn.execute("SELECT 1 FROM topic WHERE slug = :s", {"s": slug}).first():
        return slug
    raise topic_not_found(slug, [r[0] for r in conn.execute("SELECT slug FROM topic")])


def require_tag(conn: ReadConnection, tag: str) -> str:
    """``tag`` when some paper has it; otherwise NotFoundError with a guess."""
    if conn.execute("SELECT 1 FROM paper_tag WHERE tag = :t LIMIT 1", {"t": tag}).first():
        return tag
    names = [r[0] for r in conn.execute("SELECT DISTINCT tag FROM paper_tag")]
    close = difflib.get_close_matches(tag, names, n=3)
    hint = f"Did you mean {', '.join(close)}?" if close else "See the tags in use: paperlab tags"
    raise NotFoundError(f"No paper is tagged {shown(tag)}.", hint=hint)


def tags_overview(store: Store) -> list[dict[str, Any]]:
    """Every free tag in use with its number of papers, most used first."""
    with store.connect() as conn:
        rows = conn.execute(
            "SELECT tag, COUNT(*) FROM paper_tag GROUP BY tag ORDER BY COUNT(*) DESC, tag"
        ).all()
    return [{"tag": tag, "papers": int(n)} for tag, n in rows]


def require_list(conn: ReadConnection, name: str) -> int:
    """The id of the reading list called ``name``."""
    found = conn.execute("SELECT id FROM reading_list WHERE name = :n", {"n": name}).scalar()
    if found is not None:
        return int(found)
    raise list_not_found(name, [r[0] for r in conn.execute("SELECT name FROM reading_list")])


# --------------------------------------------------------------------------- papers


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
    tags: list[str]  # free tags, beside the roadmap topics

    @property
    def labels(self) -> list[str]:
        """Topics, then free tags marked ``#`` as Obsidian writes them: how listings show both."""
        return self.topics + [f"#{t}" for t in self.tags]

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _grouped(rows: Iterable[tuple[Any, ...]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in rows:
        out.setdefault(key, []).append(value)
    return out


def _year(published: str | None) -> int | None:
    value = parse_datetime(published)
    return value.year if value else None


def list_papers(
    store: Store,
    *,
    list_name: str | None = None,
    topic: str | None = None,
    tag: str | None = None,
    states: Iterable[str] = (),
) -> list[PaperRow]:
    """Papers filtered by list, topic, tag and (pipeline or reading) state.

    ``tag`` is a free tag or, as ``paperlab tag`` takes either, a roadmap topic.

    Papers of a list come in the list's order (week, position); otherwise by
    the date they were added.
    """
    states = list(states)
    for state in states:
        if state not in PIPELINE_STATES and state not in READING_STATES:
            raise UsageError(
                f"Unknown state {shown(state)}.",
                hint=f"Use one of: {', '.join(PIPELINE_STATES + READING_STATES)}.",
            )
    joins: list[str] = []
    where: list[str] = []
    params: dict[str, Any] = {}
    order = "p.added_at, p.id"
    with store.connect() as conn:
        if list_name is not None:
            params["list"] = require_list(conn, list_name)
            joins.append(f"JOIN {LIST_MEMBERS} e ON e.paper_id = p.id")
            where.append("e.list_id = :list")
            order = "e.week, e.position"
        if topic is not None:
            params["topic"] = require_topic(conn, topic)
            joins.append("JOIN paper_topic t ON t.paper_id = p.id")
            where.append("t.topic_slug = :topic")
        if tag is not None:
            tag = tag.strip().removeprefix("#")
            if conn.execute("SELECT 1 FROM topic WHERE slug = :s", {"s": tag}).first():
                joins.append("JOIN paper_topic pt ON pt.paper_id = p.id")
                where.append("pt.topic_slug = :tag")
            else:
                require_tag(conn, tag)
                joins.append("JOIN paper_tag g ON g.paper_id = p.id")
                where.append("g.tag = :tag")
            params["tag"] = tag
        pipeline = [s for s in states if s in PIPELINE_STATES]
        reading = [s for s in states if s in READING_STATES]
        if pipeline:
            where.append("p.state IN :pipeline")
            params["pipeline"] = pipeline
        params.update(me())  # reading states are the current user's
        if reading:
            where.append(f"{reading_state_of('p')} IN :reading")
            params["reading"] = reading
        papers = conn.execute(
            "SELECT p.id, p.version, p.title, p.authors, p.published, p.state, "
            f"p.state_reason, {reading_state_of('p')}, p.citation_key FROM paper p "
            + " ".join(joins)
            + (" WHERE " + " AND ".join(where) if where else "")
            + f" ORDER BY {order}",
            params,
        ).all()
        topics = _grouped(
            conn.execute("SELECT paper_id, topic_slug FROM paper_topic ORDER BY topic_slug")
        )
        lists = _grouped(
            conn.execute(
                f"SELECT e.paper_id, l.name FROM {LIST_MEMBERS} e "
                "JOIN reading_list l ON l.id = e.list_id ORDER BY l.name"
            )
        )
        tags = _grouped(conn.execute("SELECT paper_id, tag FROM paper_tag ORDER BY tag"))
    return [
        PaperRow(
            id=pid,
            version=version,
            title=title,
            authors=[str(a) for a in loads_list(authors)],
            year=_year(published),
            state=state,
            state_reason=reason,
            reading_state=reading_state,
            topics=topics.get(pid, []),
            lists=lists.get(pid, []),
            citation_key=key,
            tags=tags.get(pid, []),
        )
        for pid, version, title, authors, published, state, reason, reading_state, key in papers
    ]


_DETAIL_COLUMNS = (
    "id",
    "version",
    "title",
    "authors",
    "abstract",
    "categories",
    "primary_category",
    "published",
    "updated",
    "doi",
    "journal_ref",
    "comment",
    "citation_key",
    "state",
    "state_reason",
    "metadata_complete",
    "pdf_path",
    "pdf_sha256",
    "pdf_version",
)


def _iso(value: str | None) -> str | None:
    parsed = parse_datetime(value)
    return parsed.isoformat() if parsed else None


def paper_details(store: Store, text: str) -> dict[str, Any]:
    """Everything `paperlab show` prints about one paper, as plain data."""
    with store.connect() as conn:
        paper_id = resolve_paper_id(conn, text)
        row = conn.execute(
            f"SELECT {', '.join(_DETAIL_COLUMNS)} FROM paper WHERE id = :p", {"p": paper_id}
        ).first()
        assert row is not None
        info: dict[str, Any] = dict(zip(_DETAIL_COLUMNS, row, strict=True))
        info["reading_state"] = conn.execute(
            f"SELECT {reading_state_of('p')} FROM paper p WHERE p.id = :p", {"p": paper_id, **me()}
        ).scalar()
        topics = [
            r[0]
            for r in conn.execute(
                "SELECT topic_slug FROM paper_topic WHERE paper_id = :p ORDER BY topic_slug",
                {"p": paper_id},
            )
        ]
        tags = [
            r[0]
            for r in conn.execute(
                "SELECT tag FROM paper_tag WHERE paper_id = :p ORDER BY tag", {"p": paper_id}
            )
        ]
        old_keys = [
            r[0]
            for r in conn.execute(
                "SELECT key FROM citation_alias WHERE paper_id = :p ORDER BY key", {"p": paper_id}
            )
        ]
        entries = conn.execute(
            f"SELECT l.name, e.week, e.position, e.why FROM {LIST_MEMBERS} e "
            "JOIN reading_list l ON l.id = e.list_id WHERE e.paper_id = :p",
            {"p": paper_id},
        ).all()
        versions = conn.execute(
            "SELECT version, updated, pdf_sha256, fetched_at FROM paper_version "
            "WHERE paper_id = :p ORDER BY version",
            {"p": paper_id},
        ).all()

        def count(table: str, where: str = "") -> int:
            statement = f"SELECT COUNT(*) FROM {table} WHERE x.paper_id = :p{where}"
            return int(conn.execute(statement, {"p": paper_id, **me()}).scalar())

        # The current user's note, and the annotations and log entries they see.
        mine = conn.execute(
            "SELECT shared FROM note WHERE paper_id = :p AND owner = :me", {"p": paper_id, **me()}
        ).first()
        shared_notes = [
            {
                "owner": owner,
                "shared": True,
                **dict(zip(NOTE_TEXT_COLUMNS, values, strict=True)),
                "updated_at": _iso(updated),
            }
            for owner, *values, updated in conn.execute(
                f"SELECT owner, {', '.join(NOTE_TEXT_COLUMNS)}, updated_at FROM note "
                "WHERE paper_id = :p AND owner <> :me AND shared ORDER BY owner",
                {"p": paper_id, **me()},
            )
        ]
        counts = {
            "pages": count("page x"),
            "chunks": count("chunk x"),
            "has_note": count("note x", " AND x.owner = :me") > 0,
            "annotations": count("annotation x", f" AND {visible('x')}"),
            "log_entries": count(
                "log_paper x JOIN log_entry l ON l.id = x.log_id", f" AND {visible('l')}"
            ),
        }
    info.update(
        authors=[str(a) for a in loads_list(info["authors"])],
        categories=[str(c) for c in loads_list(info["categories"])],
        published=_iso(info["published"]),
        updated=_iso(info["updated"]),
        metadata_complete=bool(info["metadata_complete"]),
    )
    info["abs_url"] = None if paper_id.startswith("local:") else f"https://arxiv.org/abs/{paper_id}"
    info["topics"] = topics
    info["tags"] = tags
    info["old_citation_keys"] = old_keys  # still valid: pinned keys keep their aliases
    info["lists"] = [
        {"name": name, "week": week, "position": position, "why": why}
        for name, week, position, why in entries
    ]
    info["versions"] = [
        {"version": v, "updated": _iso(updated), "sha256": sha, "fetched_at": _iso(fetched)}
        for v, updated, sha, fetched in versions
    ]
    info.update(counts)
    info["note_shared"] = bool(mine[0]) if mine else False
    info["shared_notes"] = shared_notes  # other users' notes on the paper that they shared
    return info


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
        papers = _grouped(
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
        failed = _grouped(
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


__all__ = [
    "PIPELINE_STATES",
    "READING_STATES",
    "PaperRow",
    "TopicRow",
    "ensure_roadmap",
    "find_paper_id",
    "list_not_found",
    "list_papers",
    "lists_overview",
    "paper_details",
    "paper_not_found",
    "require_list",
    "require_tag",
    "require_topic",
    "resolve_paper_id",
    "tags_overview",
    "topic_not_found",
    "topics_overview",
]
