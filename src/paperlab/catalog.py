"""The paper listing and one paper's details, as ``list``, ``show`` and the TUI show them.

``paperlab list``, ``show`` and the TUI's library read through here, on
``Store.connect()`` with plain sqlite3: no ORM is imported, which is most of
what such a command used to spend. The services that write (``library``)
keep SQLModel and re-export these. Resolving what the user typed lives in
``lookup``, the topic, list and tag overviews in ``overviews``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from paperlab.errors import UsageError, shown
from paperlab.lookup import require_list, require_tag, require_topic, resolve_paper_id
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
    from paperlab.store import Store
    from paperlab.store.reader import ReadConnection

PIPELINE_STATES = [s.value for s in PipelineState]
READING_STATES = [s.value for s in ReadingState]
STATES = PIPELINE_STATES + READING_STATES  # what `--state` takes

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


def grouped(rows: Iterable[tuple[Any, ...]]) -> dict[str, list[str]]:
    """``(key, value)`` rows as key -> values in row order (``overviews`` groups the same way)."""
    out: dict[str, list[str]] = {}
    for key, value in rows:
        out.setdefault(key, []).append(value)
    return out


def _year(published: str | None) -> int | None:
    value = parse_datetime(published)
    return value.year if value else None


@dataclass(frozen=True)
class _Chosen:
    """The joins and conditions over ``paper p`` that a listing's filters make."""

    sql: str  # joins, then " WHERE ..." when a filter applies
    params: dict[str, Any]
    order: str


def _chosen(
    conn: ReadConnection,
    list_name: str | None,
    topic: str | None,
    tag: str | None,
    states: Iterable[str],
) -> _Chosen:
    """The filters of ``list_papers`` as SQL; unknown names and states raise."""
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
    sql = " ".join(joins) + (" WHERE " + " AND ".join(where) if where else "")
    return _Chosen(sql, params, order)


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
    with store.connect() as conn:
        chosen = _chosen(conn, list_name, topic, tag, states)
        papers = conn.execute(
            "SELECT p.id, p.version, p.title, p.authors, p.published, p.state, "
            f"p.state_reason, {reading_state_of('p')}, p.citation_key FROM paper p "
            + chosen.sql
            + f" ORDER BY {chosen.order}",
            chosen.params,
        ).all()
        topics = grouped(
            conn.execute("SELECT paper_id, topic_slug FROM paper_topic ORDER BY topic_slug")
        )
        lists = grouped(
            conn.execute(
                f"SELECT e.paper_id, l.name FROM {LIST_MEMBERS} e "
                "JOIN reading_list l ON l.id = e.list_id ORDER BY l.name"
            )
        )
        tags = grouped(conn.execute("SELECT paper_id, tag FROM paper_tag ORDER BY tag"))
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


def chosen_paper_ids(
    store: Store,
    *,
    ids: Iterable[str] = (),
    list_name: str | None = None,
    tag: str | None = None,
    states: Iterable[str] = (),
) -> list[str] | None:
    """The papers that every given filter keeps, or None when no filter is given.

    ``ids`` are papers as the user names them (ids, URLs, citation keys); the
    list, tag and states filter as ``list_papers`` does. An unknown paper, list
    or tag raises the lookup's NotFoundError.
    """
    ids, states = list(ids), list(states)
    if not (ids or list_name is not None or tag is not None or states):
        return None
    chosen: list[str] | None = None
    with store.connect() as conn:
        if list_name is not None or tag is not None or states:
            # Only the ids: a search within 10,000 papers needs no rows to show.
            where = _chosen(conn, list_name, None, tag, states)
            rows = conn.execute(
                f"SELECT p.id FROM paper p {where.sql} ORDER BY {where.order}", where.params
            )
            chosen = [str(r[0]) for r in rows]
        if ids:
            named = list(dict.fromkeys(resolve_paper_id(conn, text) for text in ids))
            chosen = named if chosen is None else [p for p in chosen if p in set(named)]
    return chosen


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


__all__ = [
    "PIPELINE_STATES",
    "READING_STATES",
    "STATES",
    "PaperRow",
    "chosen_paper_ids",
    "grouped",
    "list_papers",
    "paper_details",
]
