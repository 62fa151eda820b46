"""A paper's front page: why it matters and where it sits, read in one transaction.

Title, authors, year and abstract; the reading lists it is on with their
"why read this"; the roadmap topics (weeks 1-18) it builds on; its note's
summary; its citation key; what it cites and what cites it in the library
(through ``paperlab.references``); and, for a paper whose fetch failed, what
to run about it. Plain sqlite3 reads (``Store.connect()``), plain values out.

More sections plug in through ``register_section``: a section source returns
``None`` when it has nothing to say, so a front page never shows an empty
heading or a placeholder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from paperlab.fetchreport import DOWNLOAD, EXTRACT, FAILURE_STAGES, INDEX, NOT_FOUND
from paperlab.lookup import resolve_paper_id
from paperlab.pdferrors import failure_hint
from paperlab.store.values import (
    NOTE_TEXT_COLUMNS,
    loads_list,
    me,
    parse_datetime,
    reading_state_of,
    reading_states,
    visible,
)

if TYPE_CHECKING:
    from paperlab.store import Store
    from paperlab.store.reader import ReadConnection

ROADMAP_LAST_WEEK = 18  # weeks 1-18 are the roadmap's foundations; 19-24 the plan


@dataclass(frozen=True)
class Placement:
    """One reading list the paper is on, why the list says to read it, and what
    the entry says it builds on (roadmap topics and projects, earlier entries)."""

    list_name: str
    list_title: str
    week: int | None
    why: str
    core: bool = True
    focus: str | None = None
    pages: int | None = None
    builds_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class Prerequisite:
    """A roadmap topic of weeks 1-18 the paper builds on (it is tagged with it)."""

    slug: str
    title: str
    weeks: tuple[int, ...]


@dataclass(frozen=True)
class LinkedPaper:
    """A library paper this one cites or that cites it."""

    paper_id: str
    title: str
    citation_key: str | None
    reading_state: str


@dataclass(frozen=True)
class Citations:
    """What a paper's reference list says: library papers it cites, how many
    entries match nothing, arXiv papers outside the library (``paperlab fetch
    ID`` gets them), and the library papers that cite it."""

    cites: tuple[LinkedPaper, ...] = ()
    unresolved: int = 0
    candidates: tuple[str, ...] = ()
    cited_by: tuple[LinkedPaper, ...] = ()


@dataclass(frozen=True)
class Section:
    """A further titled block of lines (see ``register_section``)."""

    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class FrontPage:
    id: str
    title: str
    authors: tuple[str, ...]
    year: int | None
    abstract: str
    citation_key: str | None
    reading_state: str
    state: str  # pipeline state
    trouble: str | None  # for a failed paper: what went wrong and what to run
    placements: tuple[Placement, ...]
    prerequisites: tuple[Prerequisite, ...]
    note_summary: str
    note_fields: int  # how many fields of its note hold text
    annotations: int
    sections: tuple[Section, ...] = ()
    citations: Citations = Citations()
    # Other users' shared notes with a summary: (owner, summary), by owner.
    shared_summaries: tuple[tuple[str, str], ...] = ()


SectionSource = Callable[["ReadConnection", str], Section | None]
_SECTION_SOURCES: list[SectionSource] = []


def register_section(source: SectionSource) -> SectionSource:
    """Add a section to every front page (usable as a decorator). ``source`` reads
    with the page's connection and returns ``None`` to add nothing for a paper."""
    if source not in _SECTION_SOURCES:
        _SECTION_SOURCES.append(source)
    return source


def failure_advice(paper_id: str, reason: str | None) -> str:
    """What is true about a failed paper and the command that deals with it.

    ``reason`` is the stored ``state_reason``, ``"<stage>: <message>"``.
    """
    stage, _, message = (reason or "").partition(": ")
    if reason and stage not in FAILURE_STAGES:
        # add, index and doctor record an extraction failure as the bare sentence
        stage, message = EXTRACT, reason
    detail = f" ({message.rstrip('.')})" if message else ""
    if stage == NOT_FOUND:
        # arXiv's answer ("ID does not exist on arXiv; check the id.") adds nothing
        # to the stage but the id again.
        return (
            f"arXiv does not list {paper_id}: check the id, or if you have its PDF,"
            " import it with `paperlab add FILE.pdf`."
        )
    if stage == DOWNLOAD:
        return (
            f"Its PDF could not be downloaded{detail}. `paperlab fetch --retry-failed` tries again."
        )
    if stage == EXTRACT:
        hint = failure_hint(message) or (
            "Import a copy with a text layer with `paperlab add FILE.pdf`."
        )
        return f"Its text could not be extracted: {message} {hint}"
    if stage == INDEX:
        return (
            f"Its text is stored but was not indexed{detail}."
            f" `paperlab index {paper_id}` tries again."
        )
    return f"Its fetch failed{detail}. `paperlab fetch --retry-failed` tries again."


def _prerequisite_namer(conn: ReadConnection, list_ids: list[int]) -> Callable[[int, str], str]:
    """Name an entry's prerequisite readably: a roadmap topic or project with its
    weeks, else a topic's title, else the title of an entry of the same list."""
    from paperlab.errors import ReadingListError
    from paperlab.listentries import prerequisite_ref
    from paperlab.readinglists import load_roadmap

    try:
        roadmap = load_roadmap() if list_ids else None
    except ReadingListError:
        roadmap = None  # titles from the library below
    topics = dict(conn.execute("SELECT slug, title FROM topic").all())
    titles: dict[tuple[int, str], str] = {}
    if list_ids:
        for list_id, ref, title in conn.execute(
            "SELECT e.list_id, e.paper_id, COALESCE(NULLIF(p.title, ''), e.expected_title)"
            " FROM reading_list_entry e JOIN paper p ON p.id = e.paper_id"
            " WHERE e.list_id IN :ids"
            " UNION ALL SELECT list_id, key, title FROM list_external_entry"
            " WHERE list_id IN :ids",
            {"ids": list_ids},
        ):
            titles[(list_id, str(ref))] = str(title)

    def describe(list_id: int, name: str) -> str:
        ref = prerequisite_ref(name)
        text = roadmap.describe(ref) if roadmap is not None else None
        if text is None and ref in topics:
            text = str(topics[ref])
        if text is None and (list_id, ref) in titles:
            text = f"{titles[(list_id, ref)]} (earlier in the list)"
        return text or name

    return describe


_NOTE_FIELDS = NOTE_TEXT_COLUMNS


def citations(store: Store, paper_id: str) -> Citations:
    """What ``paper_id`` cites and what cites it, each library paper once, in
    reference-list order."""
    from paperlab.references import cited_by, references

    refs = references(store, paper_id)
    with store.connect() as conn:
        states = reading_states(conn)
    cites: dict[str, LinkedPaper] = {}
    candidates: dict[str, None] = {}
    unresolved = 0
    for ref in refs:
        if ref.paper_id is not None:
            if ref.paper_id != paper_id and ref.paper_id not in cites:
                cites[ref.paper_id] = LinkedPaper(
                    ref.paper_id,
                    ref.paper_title or ref.title or ref.paper_id,
                    ref.citation_key,
                    str(states.get(ref.paper_id, "unread")),
                )
        elif ref.candidate_id is not None:
            candidates[ref.candidate_id] = None
        else:
            unresolved += 1
    citing: dict[str, LinkedPaper] = {}
    for source in cited_by(store, paper_id):
        if source.paper_id != paper_id and source.paper_id not in citing:
            citing[source.paper_id] = LinkedPaper(
                source.paper_id, source.title, source.citation_key, source.reading_state
            )
    return Citations(tuple(cites.values()), unresolved, tuple(candidates), tuple(citing.values()))


def front_page(store: Store, paper: str) -> FrontPage:
    """The front page of ``paper`` (any id spelling or citation key)."""
    with store.connect() as conn:
        paper_id = resolve_paper_id(conn, paper)
        row = conn.execute(
            "SELECT title, authors, published, abstract, citation_key,"
            f" {reading_state_of('paper')}, state, state_reason FROM paper WHERE id = :p",
            {"p": paper_id, **me()},
        ).first()
        assert row is not None  # resolve_paper_id found it in this transaction
        title, authors, published, abstract, key, reading, state, reason = row
        entries = conn.execute(
            "SELECT l.id, l.name, l.title, e.week, e.why, e.core, e.focus, e.pages,"
            " e.prerequisites FROM reading_list_entry e"
            " JOIN reading_list l ON l.id = e.list_id WHERE e.paper_id = :p"
            " ORDER BY e.week IS NULL, e.week, l.name",
            {"p": paper_id},
        ).all()
        describe = _prerequisite_namer(conn, [row[0] for row in entries])
        placements = tuple(
            Placement(
                name,
                list_title,
                week,
                why or "",
                core=bool(core),
                focus=focus or None,
                pages=pages,
                builds_on=tuple(describe(list_id, str(n)) for n in loads_list(prerequisites)),
            )
            for list_id, name, list_title, week, why, core, focus, pages, prerequisites in entries
        )
        topics = conn.execute(
            "SELECT t.slug, t.title, t.weeks FROM paper_topic pt"
            " JOIN topic t ON t.slug = pt.topic_slug WHERE pt.paper_id = :p",
            {"p": paper_id},
        ).all()
        note = conn.execute(
            f"SELECT {', '.join(_NOTE_FIELDS)} FROM note WHERE paper_id = :p AND owner = :me",
            {"p": paper_id, **me()},
        ).first()
        shared = conn.execute(
            "SELECT owner, summary FROM note WHERE paper_id = :p AND owner <> :me AND shared"
            " AND TRIM(summary) <> '' ORDER BY owner",
            {"p": paper_id, **me()},
        ).all()
        annotations = int(
            conn.execute(
                f"SELECT COUNT(*) FROM annotation a WHERE a.paper_id = :p AND {visible('a')}",
                {"p": paper_id, **me()},
            ).scalar()
        )
        sections = tuple(
            section
            for source in _SECTION_SOURCES
            if (section := source(conn, paper_id)) is not None
        )
    prerequisites = []
    for slug, topic_title, weeks in topics:
        numbers = tuple(int(w) for w in loads_list(weeks))
        # Topics of the plan weeks themselves are not prerequisites.
        if numbers and min(numbers) <= ROADMAP_LAST_WEEK:
            prerequisites.append(Prerequisite(slug, topic_title, numbers))
    prerequisites.sort(key=lambda p: (p.weeks, p.slug))
    published_at = parse_datetime(published)
    fields = [str(value or "").strip() for value in (note or ())]
    return FrontPage(
        id=paper_id,
        title=title or paper_id,
        authors=tuple(str(a) for a in loads_list(authors)),
        year=published_at.year if published_at else None,
        abstract=(abstract or "").strip(),
        citation_key=key,
        reading_state=reading,
        state=state,
        trouble=failure_advice(paper_id, reason) if state == "failed" else None,
        placements=placements,
        prerequisites=tuple(prerequisites),
        note_summary=fields[0] if fields else "",
        note_fields=sum(1 for f in fields if f),
        annotations=annotations,
        sections=sections,
        citations=citations(store, paper_id),
        shared_summaries=tuple((str(owner), str(summary).strip()) for owner, summary in shared),
    )


__all__ = [
    "Citations",
    "FrontPage",
    "LinkedPaper",
    "Placement",
    "Prerequisite",
    "Section",
    "SectionSource",
    "citations",
    "failure_advice",
    "front_page",
    "register_section",
]
