"""The citation graph inside the library: references per paper version, resolved.

Entries are parsed from each PDF's references section when it is extracted
(``replace_references``, called by the pipeline in the same transaction
that replaces the pages and chunks) and kept per paper version. Reading them
resolves every entry against the library as it is now
(``paperlab.refmatch``), so a paper fetched today is found in references
parsed last month without parsing anything again.

These are the service functions the CLI and the TUI call: ``references``,
``cited_by``, ``citation_graph`` and ``candidates``. Reads are plain sqlite3.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from paperlab.extract.refparse import ParsedReference
from paperlab.ids import try_parse_arxiv_id
from paperlab.lookup import find_paper_id, resolve_paper_id
from paperlab.refmatch import LibraryIndex, Resolution
from paperlab.store import Store
from paperlab.store.values import reading_states

_CURRENT = (
    "FROM paper_reference r JOIN paper p ON p.id = r.paper_id "
    "WHERE r.version = COALESCE(p.pdf_version, 0)"
)
_COLUMNS = (
    "r.paper_id, r.ordinal, r.label, r.raw, r.authors, r.title, r.year, r.venue, "
    "r.arxiv_id, r.doi, r.url, r.online_arxiv_id, r.online_title"
)


@dataclass(frozen=True)
class ReferenceView:
    """One entry of a paper's reference list, with what it resolves to."""

    ordinal: int
    label: str | None
    raw: str
    authors: list[str]
    title: str | None
    year: int | None
    venue: str | None
    arxiv_id: str | None
    doi: str | None
    url: str | None
    paper_id: str | None = None  # the library paper it cites
    paper_title: str | None = None
    citation_key: str | None = None
    candidate_id: str | None = None  # an arXiv paper it cites that the library lacks
    resolved_by: str | None = None  # how: arxiv-id, doi, online, title+author, ...
    online_title: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CitingPaper:
    """A library paper that cites another, and the entry that does."""

    paper_id: str
    title: str
    citation_key: str | None
    reading_state: str
    ordinal: int
    entry: str
    resolved_by: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Candidate:
    """An arXiv paper cited from the library but not in it: ``paperlab fetch ID`` gets it."""

    arxiv_id: str
    title: str | None
    cited_by: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "next_step": f"paperlab fetch {self.arxiv_id}"}


@dataclass(frozen=True)
class Edge:
    source: str  # the citing library paper
    target: str  # a library paper, or an arXiv id outside the library
    in_library: bool
    resolved_by: str


# --------------------------------------------------------------------------- writing


def replace_references(
    conn: Any, paper_id: str, version: int, parsed: Sequence[ParsedReference]
) -> int:
    """Replace one paper version's entries (inside the caller's write transaction).

    What an online look-up confirmed for an entry is kept when the same entry
    (same text) is parsed again.
    """
    from sqlalchemy import text  # the write path has SQLAlchemy loaded already

    # Named parameters: the same statements run on SQLite and PostgreSQL.
    key = {"paper_id": paper_id, "version": version}
    kept = {
        str(raw): (online_id, online_title, checked)
        for raw, online_id, online_title, checked in conn.execute(
            text(
                "SELECT raw, online_arxiv_id, online_title, online_checked_at "
                "FROM paper_reference WHERE paper_id = :paper_id AND version = :version "
                "AND online_checked_at IS NOT NULL"
            ),
            key,
        )
    }
    conn.execute(
        text("DELETE FROM paper_reference WHERE paper_id = :paper_id AND version = :version"),
        key,
    )
    rows = []
    for ordinal, ref in enumerate(parsed, start=1):
        online_id, online_title, checked = kept.get(ref.raw, (None, None, None))
        rows.append(
            {
                **key, "ordinal": ordinal, "raw": ref.raw, "label": ref.label,
                "authors": json.dumps(ref.authors), "title": ref.title, "year": ref.year,
                "venue": ref.venue, "arxiv_id": ref.arxiv_id, "doi": ref.doi, "url": ref.url,
                "online_arxiv_id": online_id, "online_title": online_title,
                "online_checked_at": checked,
            }
        )  # fmt: skip
    if rows:
        conn.execute(
            text(
                "INSERT INTO paper_reference (paper_id, version, ordinal, raw, label, authors, "
                "title, year, venue, arxiv_id, doi, url, online_arxiv_id, online_title, "
                "online_checked_at) VALUES (:paper_id, :version, :ordinal, :raw, :label, "
                ":authors, :title, :year, :venue, :arxiv_id, :doi, :url, :online_arxiv_id, "
                ":online_title, :online_checked_at)"
            ),
            rows,
        )
    return len(rows)


# --------------------------------------------------------------------------- reading


def _authors(raw: str | None) -> list[str]:
    try:
        value = json.loads(raw or "[]")
    except ValueError:
        return []
    return [str(a) for a in value] if isinstance(value, list) else []


def _resolve(index: LibraryIndex, row: Sequence[Any]) -> Resolution | None:
    authors = _authors(row[4])
    return index.resolve(
        arxiv_id=row[8],
        doi=row[9],
        online_arxiv_id=row[11],
        title=row[5],
        year=row[6],
        first_author=authors[0] if authors else None,
    )


def references(store: Store, paper: str) -> list[ReferenceView]:
    """A paper's references (its current version), resolved ones naming their library paper.

    ``paper`` is an arXiv id, local id or citation key; an unknown one raises
    NotFoundError.
    """
    with store.connect() as conn:
        paper_id = resolve_paper_id(conn, paper)
        index = LibraryIndex.load(conn)
        rows = conn.execute(
            f"SELECT {_COLUMNS} {_CURRENT} AND r.paper_id = :p ORDER BY r.ordinal",
            {"p": paper_id},
        ).all()
    views = []
    for row in rows:
        found = _resolve(index, row)
        target = index.papers.get(found.paper_id) if found and found.paper_id else None
        if target is not None and target.id == paper_id:
            target = None  # an earlier version of itself is no edge
        views.append(
            ReferenceView(
                ordinal=int(row[1]),
                label=row[2],
                raw=row[3],
                authors=_authors(row[4]),
                title=row[5],
                year=row[6],
                venue=row[7],
                arxiv_id=row[8],
                doi=row[9],
                url=row[10],
                paper_id=target.id if target else None,
                paper_title=target.title if target else None,
                citation_key=target.citation_key if target else None,
                candidate_id=found.arxiv_id if found else None,
                resolved_by=found.how if found and (target or found.arxiv_id) else None,
                online_title=row[12],
            )
        )
    return views


def citation_edges(store: Store) -> tuple[LibraryIndex, list[Edge], dict[str, str | None]]:
    """Every resolved citation of the library's current versions.

    Returns the library index, the edges (one per citing paper and target),
    and for targets outside the library the title their entry printed.
    """
    with store.connect() as conn:
        index = LibraryIndex.load(conn)
        rows = conn.execute(f"SELECT {_COLUMNS} {_CURRENT} ORDER BY r.paper_id, r.ordinal").all()
    edges: dict[tuple[str, str], Edge] = {}
    outside_titles: dict[str, str | None] = {}
    for row in rows:
        found = _resolve(index, row)
        if found is None:
            continue
        source = str(row[0])
        target = found.paper_id or found.arxiv_id
        if target is None or target == source:
            continue
        if found.paper_id is None:
            outside_titles.setdefault(target, row[12] or row[5])
        edges.setdefault(
            (source, target), Edge(source, target, found.paper_id is not None, found.how)
        )
    return index, list(edges.values()), outside_titles


def cited_by(store: Store, paper: str) -> list[CitingPaper]:
    """Library papers whose references resolve to ``paper``, in id order.

    ``paper`` may also be an arXiv id the library does not hold (a candidate):
    then it is the papers whose entries name that id.
    """
    with store.connect() as conn:
        outside = try_parse_arxiv_id(paper.strip())
        if outside is not None and find_paper_id(conn, paper) is None:
            paper_id = outside.base
        else:
            paper_id = resolve_paper_id(conn, paper)
        index = LibraryIndex.load(conn)
        rows = conn.execute(f"SELECT {_COLUMNS} {_CURRENT} ORDER BY r.paper_id, r.ordinal").all()
        states = reading_states(conn)
    found_in: dict[str, CitingPaper] = {}
    for row in rows:
        source = str(row[0])
        if source == paper_id or source in found_in:
            continue
        found = _resolve(index, row)
        if found is None or paper_id not in (found.paper_id, found.arxiv_id):
            continue
        citing = index.papers[source]
        found_in[source] = CitingPaper(
            paper_id=source,
            title=citing.title,
            citation_key=citing.citation_key,
            reading_state=str(states.get(source, "unread")),
            ordinal=int(row[1]),
            entry=str(row[3]),
            resolved_by=found.how,
        )
    return list(found_in.values())


def candidates(store: Store) -> list[Candidate]:
    """arXiv papers the library cites but does not hold, most cited first."""
    _, edges, titles = citation_edges(store)
    by_id: dict[str, Candidate] = {}
    for edge in edges:
        if edge.in_library:
            continue
        candidate = by_id.setdefault(edge.target, Candidate(edge.target, titles.get(edge.target)))
        candidate.cited_by.append(edge.source)
    return sorted(by_id.values(), key=lambda c: (-len(c.cited_by), c.arxiv_id))


__all__ = [
    "Candidate",
    "CitingPaper",
    "Edge",
    "ReferenceView",
    "candidates",
    "citation_edges",
    "cited_by",
    "references",
    "replace_references",
]
