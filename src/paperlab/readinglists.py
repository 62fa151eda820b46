"""Load and validate the roadmap topics and the curated reading lists (TOML).

The roadmap (``roadmap.toml``) names the topics of weeks 1-18; each reading
list (every other ``*.toml`` beside it) names arXiv papers for weeks 19-24 and
links them back to those topics. Both ship with the package.

Validation is all-or-nothing: a file is checked completely before anything is
returned, so a caller never writes half a list. Every problem is reported as
``<file>:<line>: <what is wrong>`` with a hint. tomllib reports lines only for
syntax errors, so lines of semantic errors are found by scanning the raw text
for the table headers and keys (see ``TomlLocator``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paperlab.errors import InvalidIdError, ReadingListError, clip, shown
from paperlab.ids import ArxivId, parse_arxiv_id
from paperlab.listcheck import Checker, Table, example, is_int, kind_of, suggest
from paperlab.tomlsource import ListValidationError, Problem, read_toml

ROADMAP_FILE = "roadmap.toml"
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class TopicSpec:
    """One roadmap topic: a slug that papers, notes and log entries link to."""

    slug: str
    title: str
    weeks: tuple[int, ...]
    resources: tuple[str, ...]
    description: str
    line: int


@dataclass(frozen=True)
class Roadmap:
    """The validated roadmap file."""

    topics: tuple[TopicSpec, ...]
    path: Path

    @property
    def by_slug(self) -> dict[str, TopicSpec]:
        return {t.slug: t for t in self.topics}


@dataclass(frozen=True)
class PaperEntry:
    """One paper of a reading list, with the line of its ``[[paper]]`` header."""

    arxiv_id: ArxivId
    title: str
    why: str
    week: int
    topics: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class ReadingListSpec:
    """A validated reading list file."""

    name: str
    title: str
    description: str
    weeks: tuple[int, ...]
    entries: tuple[PaperEntry, ...]
    path: Path


# ---------------------------------------------------------------- checking


# ---------------------------------------------------------------- roadmap

_TOPIC_KEYS = ("slug", "title", "weeks", "resources", "description")


def load_roadmap(path: Path | None = None) -> Roadmap:
    """Load and validate the roadmap topics (default: the bundled roadmap.toml).

    Raises ListValidationError (a ReadingListError) naming ``<file>:<line>:``.
    """
    path = path if path is not None else bundled_lists_dir() / ROADMAP_FILE
    data, loc = read_toml(path)
    check = Checker(path, loc)
    root = check.root(data, "the roadmap")
    root.keys(("topic",), ("title", "description"))
    root.text("title"), root.text("description")
    topics: list[TopicSpec] = []
    seen: dict[str, int] = {}
    for table in check.tables(data, "topic"):
        table.keys(_TOPIC_KEYS)
        slug = table.text("slug")
        if slug is not None and not _SLUG.fullmatch(slug):
            table.bad(
                "slug",
                f"topic slug {shown(slug)} is not a slug.",
                "Use lowercase letters, digits and hyphens, e.g. 'linear-algebra'.",
            )
            slug = None
        elif slug is not None and slug in seen:
            table.bad(
                "slug",
                f"topic slug {slug!r} is used twice (lines {seen[slug]} and {table.header}).",
                "Give each topic its own slug, or merge the two.",
            )
            slug = None
        title, description = table.text("title"), table.text("description")
        weeks, resources = table.weeks("weeks"), table.strings("resources", empty_ok=False)
        if slug is not None:
            seen[slug] = table.header
        if slug and title and description and weeks and resources:
            topics.append(TopicSpec(slug, title, weeks, resources, description, table.header))
    if "topic" in data and not topics and not check.problems:
        root.bad("topic", "the roadmap has no topics.", f"Add one: {example('topic')}.")
    check.raise_if_any()
    return Roadmap(tuple(topics), path)


# ---------------------------------------------------------------- reading lists

_LIST_KEYS = ("name", "title", "description", "weeks", "paper")
_PAPER_KEYS = ("id", "title", "why", "week")


def load_reading_list(path: Path, roadmap: Roadmap | None = None) -> ReadingListSpec:
    """Load and validate one reading list; its topics must be slugs of ``roadmap``.

    ``roadmap`` defaults to the bundled one. Raises ListValidationError (a
    ReadingListError) holding every problem, each naming ``<file>:<line>:``;
    nothing is returned unless the whole file is valid.
    """
    roadmap = roadmap if roadmap is not None else load_roadmap()
    data, loc = read_toml(path)
    check = Checker(path, loc)
    root = check.root(data, "the list")
    root.keys(_LIST_KEYS)
    name, title, description = root.text("name"), root.text("title"), root.text("description")
    if name is not None and not _SLUG.fullmatch(name):
        root.bad(
            "name",
            f"list name {shown(name)} is not a slug.",
            "Use lowercase letters, digits and hyphens, e.g. 'weeks-21-24-deep-rl'.",
        )
    elif name is not None and _takes_bundled_name(name, path):
        root.bad(
            "name",
            f"list name {name!r} belongs to a bundled list; loading this file would replace "
            "that list's papers.",
            f'Give your list its own name, e.g. name = "my-{name}".',
        )
    weeks = root.weeks("weeks")
    entries = _check_papers(check, data, weeks, roadmap)
    if "paper" in data and not entries and not check.problems:
        root.bad("paper", "the list has no papers.", f"Add one: {example('paper')}.")
    check.raise_if_any()
    assert name and title and description and weeks  # guaranteed once no problem remains
    return ReadingListSpec(name, title, description, weeks, tuple(entries), path)


def _takes_bundled_name(name: str, path: Path) -> bool:
    """True when ``path`` is not a bundled list but its ``name`` is a bundled list's.

    Lists are stored by name, so such a file would silently replace the bundled
    list's entries; the bundled list itself, by any path to it, is fine.
    """
    try:
        bundled = {p.stem: p for p in bundled_list_paths()}
    except ReadingListError:
        return False  # no bundled lists at hand: nothing to collide with
    return name in bundled and path.resolve() != bundled[name].resolve()


def _check_papers(
    check: Checker, data: dict[str, Any], weeks: tuple[int, ...] | None, roadmap: Roadmap
) -> list[PaperEntry]:
    entries: list[PaperEntry] = []
    seen: dict[str, tuple[int, str]] = {}  # base id -> (header line, id as written)
    for table in check.tables(data, "paper"):
        table.keys(_PAPER_KEYS, ("topics",))
        arxiv_id = _check_id(table)
        if arxiv_id is not None and arxiv_id.base in seen:
            first_line, first = seen[arxiv_id.base]
            table.bad(
                "id",
                f"paper {str(arxiv_id)!r} duplicates {first!r} (lines {first_line} "
                f"and {table.header}).",
                "Remove one of them; versions of one paper count as the same paper.",
            )
            arxiv_id = None
        elif arxiv_id is not None:
            seen[arxiv_id.base] = (table.header, str(arxiv_id))
        title, why = table.text("title"), table.text("why")
        week = _check_week(table, weeks)
        topics = _check_topics(table, roadmap)
        if arxiv_id and title and why and week is not None and topics is not None:
            entries.append(PaperEntry(arxiv_id, title, why, week, topics, table.header))
    return entries


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


def _check_week(table: Table, weeks: tuple[int, ...] | None) -> int | None:
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


# ---------------------------------------------------------------- bundled lists


class BundledListsMissingError(ReadingListError):
    """A broken installation rather than bad input."""

    exit_code = 1


def bundled_lists_dir() -> Path:
    """The directory of the lists shipped with paperlab.

    An installed wheel carries them as ``paperlab/reading_lists``; a source or
    editable checkout has them at the repository's top level.
    """
    here = Path(__file__).resolve().parent
    candidates = (here / "reading_lists", here.parents[1] / "reading_lists")
    for candidate in candidates:
        if (candidate / ROADMAP_FILE).is_file():
            return candidate
    raise BundledListsMissingError(
        f"The bundled reading lists are missing: no {ROADMAP_FILE} in "
        f"{candidates[0]} or {candidates[1]}.",
        hint="Reinstall paperlab, or pass a list file by its path.",
    )


def bundled_list_paths() -> list[Path]:
    """Every bundled reading list file (all ``*.toml`` but the roadmap), sorted."""
    return sorted(p for p in bundled_lists_dir().glob("*.toml") if p.name != ROADMAP_FILE)


def load_reading_lists(paths: Iterable[Path], roadmap: Roadmap) -> list[ReadingListSpec]:
    """Load and validate every list; raise one error holding every problem of every file.

    A user fixing a list sees all of its mistakes (and those of the other
    files given) in one run, instead of one per run.
    """
    specs: list[ReadingListSpec] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            specs.append(load_reading_list(path, roadmap))
        except ListValidationError as exc:
            problems.extend(exc.problems)
        except ReadingListError as exc:  # an unreadable file: no line to name
            problems.append(Problem(0, exc.message, exc.hint, str(path)))
    if problems:
        raise ListValidationError(problems, ordered=True)
    return specs


def load_bundled_lists(roadmap: Roadmap | None = None) -> list[ReadingListSpec]:
    """Load and validate every bundled list (against the bundled roadmap by default)."""
    roadmap = roadmap if roadmap is not None else load_roadmap()
    return load_reading_lists(bundled_list_paths(), roadmap)


def find_list(name_or_path: str) -> Path:
    """A list file from a path to a ``.toml`` file or the name of a bundled list."""
    candidate = Path(name_or_path).expanduser()
    looks_like_path = candidate.suffix == ".toml" or "/" in name_or_path or "\\" in name_or_path
    if looks_like_path or is_file(candidate):
        if is_file(candidate):
            return candidate
        raise ReadingListError(
            f"{clip(name_or_path)}: no such reading list file.",
            hint="Check the path, or give the name of a bundled list (`paperlab lists`).",
        )
    bundled = {p.stem: p for p in bundled_list_paths()}
    if name_or_path in bundled:
        return bundled[name_or_path]
    close = suggest(name_or_path, bundled)
    guess = f"Did you mean {close[0]!r}? " if close else ""
    raise ReadingListError(
        f"There is no bundled reading list named {shown(name_or_path)}.",
        hint=f"{guess}Bundled lists: {', '.join(bundled)}; or pass a path to a .toml file.",
    )


def is_file(path: Path) -> bool:
    """``path.is_file()``, but False for text no file can be named (too long, NUL)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False
