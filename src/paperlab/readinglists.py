"""Load and validate the roadmap topics and the curated reading lists (TOML).

The roadmap (``roadmap.toml``, see ``roadmapfile``) names the topics and
projects of weeks 1-18; each reading list (every other ``*.toml`` beside it)
names papers for weeks 19-24 (``listentries``), links them back to those
topics and projects, and may be a weeks 21-24 track. Both ship with the package.

Validation is all-or-nothing: a file is checked completely before anything is
returned, so a caller never writes half a list. Every problem is reported as
``<file>:<line>: <what is wrong>`` with a hint. tomllib reports lines only for
syntax errors, so lines of semantic errors are found by scanning the raw text
for the table headers and keys (see ``TomlLocator``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from paperlab.errors import ReadingListError, clip_path, shown
from paperlab.listcheck import Checker, Table, example, suggest
from paperlab.listentries import Milestone, PaperEntry, check_milestones, check_papers
from paperlab.roadmapfile import SLUG, ProjectSpec, Roadmap, TopicSpec, check_roadmap
from paperlab.tomlsource import ListValidationError, Problem, read_toml

ROADMAP_FILE = "roadmap.toml"
# A two-pass read of a typical ML paper, figures and notes included: about an
# hour for ten pages. A week's core pages must fit hours_per_week times this.
PAGES_PER_HOUR = 10
DEFAULT_HOURS_PER_WEEK = 4.0
# Where a bare fetch, `paperlab track` and `paperlab plan` read the lists from
# instead of the bundled directory (a directory holding roadmap.toml).
LISTS_DIR_ENV = "PAPERLAB_LISTS_DIR"
# Lists sharing a week come in the plan by ``order``, lowest first, then by name.
DEFAULT_LIST_ORDER = 100


@dataclass(frozen=True)
class ReadingListSpec:
    """A validated reading list file."""

    name: str
    title: str
    description: str
    weeks: tuple[int, ...]
    entries: tuple[PaperEntry, ...]
    path: Path
    hours_per_week: float = DEFAULT_HOURS_PER_WEEK
    track: str | None = None  # set: a weeks 21-24 specialisation track
    builds_on: tuple[str, ...] = ()  # roadmap project and topic slugs
    milestones: tuple[Milestone, ...] = ()
    track_line: int = 0  # where ``track`` is written, to name a clash across files
    # Where the list comes among the lists of a week in the plan (lower first,
    # then by name): "how to read a paper" before the practical list in week 19.
    order: int = DEFAULT_LIST_ORDER

    @property
    def arxiv_entries(self) -> tuple[PaperEntry, ...]:
        return tuple(e for e in self.entries if e.arxiv_id is not None)

    @property
    def external_entries(self) -> tuple[PaperEntry, ...]:
        """Entries not on arXiv."""
        return tuple(e for e in self.entries if e.arxiv_id is None)


# ---------------------------------------------------------------- roadmap


def load_roadmap(path: Path | None = None) -> Roadmap:
    """Load and validate the roadmap (default: the bundled roadmap.toml).

    Raises ListValidationError (a ReadingListError) naming ``<file>:<line>:``.
    """
    return check_roadmap(path if path is not None else bundled_lists_dir() / ROADMAP_FILE)


# ---------------------------------------------------------------- reading lists

_LIST_KEYS = ("name", "title", "description", "weeks", "paper")
_LIST_OPTIONAL = ("hours_per_week", "track", "builds_on", "milestone", "order")
MAX_HOURS_PER_WEEK = 80.0
MAX_LIST_ORDER = 1000


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
    root.keys(_LIST_KEYS, _LIST_OPTIONAL)
    name, title, description = root.text("name"), root.text("title"), root.text("description")
    if name is not None and not SLUG.fullmatch(name):
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
    hours = root.number("hours_per_week", 0.0, MAX_HOURS_PER_WEEK)
    order = root.integer("order", 0, MAX_LIST_ORDER)
    track = root.slug("track", "track", SLUG)
    builds_on = _check_builds_on(root, roadmap, track)
    milestones = check_milestones(check, data, weeks)
    entries = check_papers(check, data, weeks, roadmap)
    if "paper" in data and not entries and not check.problems:
        root.bad("paper", "the list has no papers.", f"Add one: {example('paper')}.")
    check.raise_if_any()
    assert name and title and description and weeks and builds_on is not None
    return ReadingListSpec(
        name, title, description, weeks, tuple(entries), path,
        hours_per_week=hours if hours is not None else DEFAULT_HOURS_PER_WEEK,
        track=track, builds_on=builds_on, milestones=tuple(milestones),
        track_line=root.line("track") if track else 0,
        order=order if order is not None else DEFAULT_LIST_ORDER,
    )  # fmt: skip


def _check_builds_on(root: Table, roadmap: Roadmap, track: str | None) -> tuple[str, ...] | None:
    if track is not None and "builds_on" not in root.data:
        root.bad(
            "track",
            f"track {track!r} does not say what it builds on.",
            'Add builds_on = ["naive-bayes-text"]: the weeks 1-18 projects or topics it extends.',
        )
        return None
    names = root.strings("builds_on", empty_ok=True)
    if names is None:
        return None
    slugs = set(roadmap.projects_by_slug) | set(roadmap.by_slug)
    for name in names:
        if name not in slugs:
            close = suggest(name, slugs)
            guess = f"Did you mean {close[0]!r}? " if close else ""
            root.bad(
                "builds_on",
                f"unknown project or topic {shown(name)} in builds_on.",
                f"{guess}Name [[project]] or [[topic]] slugs of {roadmap.path.name}.",
            )
            return None
    return names


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


# ---------------------------------------------------------------- bundled lists


class BundledListsMissingError(ReadingListError):
    """A broken installation rather than bad input."""

    exit_code = 1


def bundled_lists_dir() -> Path:
    """The directory of the lists shipped with paperlab.

    An installed wheel carries them as ``paperlab/reading_lists``; a source or
    editable checkout has them at the repository's top level.
    ``PAPERLAB_LISTS_DIR`` names another directory in their place.
    """
    override = os.environ.get(LISTS_DIR_ENV, "").strip()
    if override:
        chosen = Path(override).expanduser()
        if not (chosen / ROADMAP_FILE).is_file():
            raise BundledListsMissingError(
                f"{LISTS_DIR_ENV}={clip_path(override)} holds no {ROADMAP_FILE}.",
                hint=f"Point {LISTS_DIR_ENV} at a directory of lists with its roadmap, "
                "or unset it to use the bundled lists.",
            )
        return chosen
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
    problems += _track_clashes(specs)
    if problems:
        raise ListValidationError(problems, ordered=True)
    return specs


def _track_clashes(specs: list[ReadingListSpec]) -> list[Problem]:
    """A track slug names one list: ``paperlab track choose`` must know which."""
    first: dict[str, ReadingListSpec] = {}
    problems: list[Problem] = []
    for spec in specs:
        if spec.track is None:
            continue
        if spec.track in first:
            other = first[spec.track]
            problems.append(
                Problem(
                    spec.track_line,
                    f"{spec.path}:{spec.track_line}: track {spec.track!r} is also the track of "
                    f"{other.path.name}.",
                    "Give each track its own slug: `paperlab track choose` takes it.",
                    str(spec.path),
                )
            )
        else:
            first[spec.track] = spec
    return problems


def load_bundled_lists(roadmap: Roadmap | None = None) -> list[ReadingListSpec]:
    """Load and validate every bundled list (against the bundled roadmap by default)."""
    roadmap = roadmap if roadmap is not None else load_roadmap()
    return load_reading_lists(bundled_list_paths(), roadmap)


def bundled_roadmap_and_lists() -> tuple[Roadmap, list[ReadingListSpec]]:
    roadmap = load_roadmap()
    return roadmap, load_bundled_lists(roadmap)


def tracks_of(specs: Iterable[ReadingListSpec]) -> dict[str, ReadingListSpec]:
    """The track lists by track slug, in file order."""
    return {spec.track: spec for spec in specs if spec.track is not None}


def bare_fetch_lists(specs: Iterable[ReadingListSpec], track: str | None) -> list[ReadingListSpec]:
    """What a bare fetch reads: every list that is not a track, and the chosen track.

    With no track chosen (or one no list offers any more), every track.
    """
    specs = list(specs)
    offered = tracks_of(specs)
    if track not in offered:
        return specs
    return [spec for spec in specs if spec.track is None or spec.track == track]


def find_list(name_or_path: str) -> Path:
    """A list file from a path to a ``.toml`` file or the name of a bundled list."""
    candidate = Path(name_or_path).expanduser()
    looks_like_path = candidate.suffix == ".toml" or "/" in name_or_path or "\\" in name_or_path
    if looks_like_path or is_file(candidate):
        if is_file(candidate):
            return candidate
        raise ReadingListError(
            f"{clip_path(name_or_path)}: no such reading list file.",
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


__all__ = [
    "DEFAULT_HOURS_PER_WEEK",
    "LISTS_DIR_ENV",
    "PAGES_PER_HOUR",
    "ROADMAP_FILE",
    "BundledListsMissingError",
    "ListValidationError",
    "Milestone",
    "PaperEntry",
    "ProjectSpec",
    "ReadingListSpec",
    "Roadmap",
    "TopicSpec",
    "bare_fetch_lists",
    "bundled_list_paths",
    "bundled_lists_dir",
    "bundled_roadmap_and_lists",
    "find_list",
    "is_file",
    "load_bundled_lists",
    "load_reading_list",
    "load_reading_lists",
    "load_roadmap",
    "tracks_of",
]
