"""The entries of a reading list: ``[[paper]]`` (arXiv or not) and ``[[milestone]]`` tables.

An arXiv entry has an ``id``; an entry that is not on arXiv has a ``key`` (a
slug unique in its list), ``authors``, ``year`` and a ``doi`` and/or ``url``.
Either kind may say whether it is core reading, how many pages to read and
which part (``focus``), and what it builds on (``prerequisites``: roadmap
topic or project slugs, or the id or key of an earlier entry of the same list).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from paperlab.errors import InvalidIdError, shown
from paperlab.ids import ArxivId, parse_arxiv_id
from paperlab.listcheck import Checker, Table, is_int, kind_of, suggest
from paperlab.roadmapfile import SLUG, Roadmap

MAX_PAGES = 2000
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_URL = re.compile(r"https?://[^\s/]+\S*", re.IGNORECASE)
_PAPER_REQUIRED = ("title", "why", "week")
_PAPER_OPTIONAL = (
    "id", "key", "authors", "year", "doi", "url", "core", "pages", "focus", "topics",
    "prerequisites",
)  # fmt: skip


@dataclass(frozen=True)
class PaperEntry:
    """One entry of a reading list, with the line of its ``[[paper]]`` header.

    ``arxiv_id`` is set for an arXiv paper; otherwise ``key`` names the entry
    and ``authors``, ``year``, ``doi``/``url`` say where to find it.
    """

    arxiv_id: ArxivId | None
    title: str
    why: str
    week: int
    topics: tuple[str, ...]
    line: int
    key: str | None = None
    core: bool = True
    pages: int | None = None
    focus: str | None = None
    prerequisites: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    year: int | None = None
    doi: str | None = None
    url: str | None = None

    @property
    def ref(self) -> str:
        """How the list names the entry: the version-less arXiv id, or the key."""
        if self.arxiv_id is not None:
            return self.arxiv_id.base
        assert self.key is not None
        return self.key

    @property
    def link(self) -> str | None:
        """Where a learner finds an entry that is not on arXiv: its url, else its DOI."""
        if self.url:
            return self.url
        return f"https://doi.org/{self.doi}" if self.doi else None


@dataclass(frozen=True)
class Milestone:
    """A task for one week of a list (a track's project rhythm)."""

    week: int
    task: str
    line: int


def check_milestones(
    check: Checker, data: dict[str, Any], weeks: tuple[int, ...] | None
) -> list[Milestone]:
    milestones: list[Milestone] = []
    for table in check.tables(data, "milestone"):
        table.keys(("week", "task"))
        week, task = check_week(table, weeks), table.text("task")
        if week is not None and task:
            milestones.append(Milestone(week, task, table.header))
    return milestones


def check_papers(
    check: Checker, data: dict[str, Any], weeks: tuple[int, ...] | None, roadmap: Roadmap
) -> list[PaperEntry]:
    entries: list[PaperEntry] = []
    seen: dict[str, tuple[int, str]] = {}  # base id or key -> (header line, as written)
    for table in check.tables(data, "paper"):
        table.keys(_PAPER_REQUIRED, _PAPER_OPTIONAL)
        arxiv_id, key, source_ok = _check_identity(table)
        ref = arxiv_id.base if arxiv_id is not None else key
        if ref is not None and ref in seen:
            first_line, first = seen[ref]
            written = str(arxiv_id) if arxiv_id is not None else ref
            table.bad(
                "id" if arxiv_id is not None else "key",
                f"paper {written!r} duplicates {first!r} (lines {first_line} and {table.header}).",
                "Remove one of them; versions of one paper count as the same paper.",
            )
            ref = None
        elif ref is not None:
            seen[ref] = (table.header, str(arxiv_id) if arxiv_id is not None else ref)
        title, why = table.text("title"), table.text("why")
        week = check_week(table, weeks)
        topics = _check_topics(table, roadmap)
        core = table.flag("core", True)
        pages = table.integer("pages", 1, MAX_PAGES)
        focus = table.text("focus")
        bad_optional = ("pages" in table.data and pages is None) or (
            "focus" in table.data and focus is None
        )
        earlier = {e.ref for e in entries}
        prerequisites = _check_prerequisites(table, roadmap, earlier, ref)
        if (
            ref
            and source_ok
            and title
            and why
            and week is not None
            and topics is not None
            and core is not None
            and prerequisites is not None
            and not bad_optional
        ):
            entries.append(
                PaperEntry(
                    arxiv_id,
                    title,
                    why,
                    week,
                    topics,
                    table.header,
                    key=key,
                    core=core,
                    pages=pages,
                    focus=focus,
                    prerequisites=prerequisites,
                    **_source(table, arxiv_id),
                )
            )
    return entries


def _source(table: Table, arxiv_id: ArxivId | None) -> dict[str, Any]:
    """The fields of an entry not on arXiv (already checked), for PaperEntry."""
    if arxiv_id is not None:
        return {}
    data = table.data
    return {
        "authors": tuple(a.strip() for a in data["authors"]),
        "year": data["year"],
        "doi": data["doi"].strip() if "doi" in data else None,
        "url": data["url"].strip() if "url" in data else None,
    }


def _check_identity(table: Table) -> tuple[ArxivId | None, str | None, bool]:
    """(arXiv id, key, where-to-find-it fields valid): an entry is one kind or the other."""
    has_id, has_key = "id" in table.data, "key" in table.data
    external = ("authors", "year", "doi", "url")
    if has_id and has_key:
        table.bad(
            "key",
            f"{table.where} has both an 'id' and a 'key'.",
            "An arXiv paper has an id; a paper not on arXiv has a key, authors, year and a "
            "doi or url. Keep one of them.",
        )
        return None, None, False
    if not has_id and not has_key:
        table.check.add(
            table.header,
            f"{table.where} has neither an 'id' nor a 'key'.",
            'Give an arXiv paper its id = "1706.03762"; a paper not on arXiv a key, authors, '
            "year and a doi or url.",
        )
        return None, None, False
    if has_id:
        for name in external:
            if name in table.data:
                table.bad(
                    name,
                    f"{name!r} in {table.where} is only for papers not on arXiv.",
                    "arXiv supplies the authors, year and links of an arXiv paper: remove it.",
                )
        return _check_id(table), None, not any(n in table.data for n in external)
    key = table.slug("key", "key", SLUG)
    return None, key, _check_external(table)


def _check_external(table: Table) -> bool:
    ok = True
    for name in ("authors", "year"):
        if name not in table.data:
            ok = False
            table.check.add(
                table.header,
                f"{table.where} is not on arXiv and is missing the required key {name!r}.",
                'Add it, e.g. authors = ["S. Keshav"] and year = 2007.',
            )
    if "authors" in table.data and table.strings("authors", empty_ok=False) is None:
        ok = False
    if "year" in table.data and table.integer("year", 1600, 2100) is None:
        ok = False
    if "doi" not in table.data and "url" not in table.data:
        ok = False
        table.check.add(
            table.header,
            f"{table.where} is not on arXiv and has neither a 'doi' nor a 'url'.",
            'Say where to find it, e.g. doi = "10.1145/1273445.1273458".',
        )
    doi = table.text("doi")
    if "doi" in table.data and (doi is None or not _DOI.fullmatch(doi)):
        ok = False
        if doi is not None:
            table.bad(
                "doi",
                f"{shown(doi)} in {table.where} is not a DOI.",
                'Write the DOI itself, without "https://doi.org/", e.g. '
                'doi = "10.1145/1273445.1273458".',
            )
    url = table.text("url")
    if "url" in table.data and (url is None or not _URL.fullmatch(url)):
        ok = False
        if url is not None:
            table.bad(
                "url",
                f"{shown(url)} in {table.where} is not an http(s) URL.",
                'Write the whole link, e.g. url = "https://jmlr.org/papers/v15/a.pdf".',
            )
    return ok


def _check_id(table: Table) -> ArxivId | None:
    value = table.data.get("id")
    if value is None:
        return None
    if not isinstance(value, str):
        table.bad(
            "id",
            f"'id' in {table.where} must be a string, not {kind_of(value)}.",
            'Quote the id, e.g. id = "1706.03762": bare, it reads as a number.',
        )
        return None
    try:
        return parse_arxiv_id(value)
    except InvalidIdError as exc:
        table.bad("id", f"{shown(value)} in {table.where} is not an arXiv id.", exc.hint or "")
        return None


def check_week(table: Table, weeks: tuple[int, ...] | None) -> int | None:
    value = table.data.get("week")
    if value is None:
        return None
    if not is_int(value):
        table.bad(
            "week",
            f"'week' in {table.where} must be an integer, not {kind_of(value)}.",
            "Write it without quotes, e.g. week = 19.",
        )
        return None
    assert isinstance(value, int)
    if weeks is not None and value not in weeks:
        listed = ", ".join(map(str, weeks))
        table.bad(
            "week",
            f"week {value} in {table.where} is outside this list's weeks ({listed}).",
            f"Use one of {listed}, or add {value} to the list's weeks.",
        )
        return None
    return value


def _check_topics(table: Table, roadmap: Roadmap) -> tuple[str, ...] | None:
    topics = table.strings("topics", empty_ok=True)
    if topics is None:
        return None
    known = roadmap.by_slug
    ok = True
    for slug in topics:
        if slug not in known:
            ok = False
            close = suggest(slug, known)
            guess = f"Did you mean {' or '.join(map(repr, close))}? " if close else ""
            table.bad(
                "topics",
                f"unknown topic {shown(slug)} in {table.where}.",
                f"{guess}Topics are the slugs in {roadmap.path}: {', '.join(known)}.",
            )
    if twice := [s for s in topics if topics.count(s) > 1]:
        ok = False
        table.bad("topics", f"topic {shown(twice[0])} is listed twice.", "List each topic once.")
    return topics if ok else None


def prerequisite_ref(name: str) -> str:
    """A prerequisite as entries are named: an arXiv id loses its version, a slug stays."""
    if SLUG.fullmatch(name):
        return name
    try:
        return parse_arxiv_id(name).base
    except InvalidIdError:
        return name


def _check_prerequisites(
    table: Table, roadmap: Roadmap, earlier: set[str], own: str | None
) -> tuple[str, ...] | None:
    names = table.strings("prerequisites", empty_ok=True)
    if names is None:
        return None
    slugs = set(roadmap.by_slug) | set(roadmap.projects_by_slug)
    ok = True
    for name in names:
        ref = prerequisite_ref(name)
        if ref in slugs or ref in earlier:
            continue
        ok = False
        if own is not None and ref == own:
            message = f"{table.where} names itself as a prerequisite."
            hint = "A paper builds on topics, projects or earlier papers, not on itself."
        else:
            close = suggest(ref, slugs | earlier)
            guess = f"Did you mean {close[0]!r}? " if close else ""
            message = f"unknown prerequisite {shown(name)} in {table.where}."
            hint = (
                f"{guess}Name a roadmap topic or project slug, or the id or key of an entry "
                "earlier in this list."
            )
        table.bad("prerequisites", message, hint)
    return tuple(names) if ok else None
