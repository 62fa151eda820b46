"""The roadmap file (``roadmap.toml``): the topics of weeks 1-18 and the projects built in them.

Topics carry the course that taught them, its provider and what a learner can
do after them; projects are what the learner built, the anchors the weeks
21-24 tracks extend. Topics may share weeks (the roadmap runs some in
parallel), but every week from 1 to the last one a topic names must be covered
by at least one topic. Every problem is reported at its line, as for the lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paperlab.errors import shown
from paperlab.listcheck import Checker, Table, example, suggest
from paperlab.tomlsource import read_toml

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class TopicSpec:
    """One roadmap topic: a slug that papers, notes and log entries link to."""

    slug: str
    title: str
    weeks: tuple[int, ...]
    resources: tuple[str, ...]
    description: str
    line: int
    course: str = ""
    provider: str = ""
    outcomes: tuple[str, ...] = ()
    project: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class ProjectSpec:
    """A project built in weeks 1-18: what a weeks 21-24 track extends."""

    slug: str
    title: str
    weeks: tuple[int, ...]
    topics: tuple[str, ...]
    description: str
    line: int


@dataclass(frozen=True)
class Roadmap:
    """The validated roadmap file."""

    topics: tuple[TopicSpec, ...]
    path: Path
    projects: tuple[ProjectSpec, ...] = ()

    @property
    def by_slug(self) -> dict[str, TopicSpec]:
        return {t.slug: t for t in self.topics}

    @property
    def projects_by_slug(self) -> dict[str, ProjectSpec]:
        return {p.slug: p for p in self.projects}

    def describe(self, slug: str) -> str | None:
        """A readable name for a topic or project slug, None when it is neither."""
        if (project := self.projects_by_slug.get(slug)) is not None:
            weeks = _weeks_text(project.weeks)
            return f"{project.title} (project, {weeks})"
        if (topic := self.by_slug.get(slug)) is not None:
            return f"{topic.title} ({_weeks_text(topic.weeks)})"
        return None


def _weeks_text(weeks: tuple[int, ...]) -> str:
    if len(weeks) > 1 and list(weeks) == list(range(weeks[0], weeks[-1] + 1)):
        return f"weeks {weeks[0]}-{weeks[-1]}"
    return ("weeks " if len(weeks) > 1 else "week ") + ", ".join(map(str, weeks))


_TOPIC_KEYS = ("slug", "title", "weeks", "course", "provider", "description", "outcomes")
_TOPIC_OPTIONAL = ("resources", "project", "note")
_PROJECT_KEYS = ("slug", "title", "weeks", "topics", "description")


def check_roadmap(path: Path) -> Roadmap:
    """Load and validate ``path``; raise ListValidationError naming ``<file>:<line>:``."""
    data, loc = read_toml(path)
    check = Checker(path, loc)
    root = check.root(data, "the roadmap")
    root.keys(("topic",), ("title", "description", "project"))
    root.text("title"), root.text("description")
    topics, wanted_projects = _check_topics(check, data)
    projects = _check_projects(check, data, {t.slug for t in topics})
    known = {p.slug for p in projects}
    for table, slug in wanted_projects:
        if slug not in known:
            close = suggest(slug, known)
            guess = f"Did you mean {close[0]!r}? " if close else ""
            table.bad(
                "project",
                f"unknown project {shown(slug)} in {table.where}.",
                f"{guess}Name the slug of a [[project]] in this file"
                + (f": {', '.join(sorted(known))}." if known else "."),
            )
    if "topic" in data and not topics and not check.problems:
        root.bad("topic", "the roadmap has no topics.", f"Add one: {example('topic')}.")
    if topics and not check.problems:
        _check_coverage(root, topics)
    check.raise_if_any()
    return Roadmap(tuple(topics), path, tuple(projects))


def _check_topics(
    check: Checker, data: dict[str, Any]
) -> tuple[list[TopicSpec], list[tuple[Table, str]]]:
    topics: list[TopicSpec] = []
    wanted: list[tuple[Table, str]] = []  # (table, project slug) checked once projects are known
    seen: dict[str, int] = {}
    for table in check.tables(data, "topic"):
        table.keys(_TOPIC_KEYS, _TOPIC_OPTIONAL)
        slug = _unique_slug(table, "topic slug", seen)
        title, description = table.text("title"), table.text("description")
        course, provider = table.text("course"), table.text("provider")
        weeks = table.weeks("weeks")
        resources = table.strings("resources", empty_ok=True)
        outcomes = table.strings("outcomes", empty_ok=False)
        note = table.text("note")
        project = table.slug("project", "project slug", SLUG)
        if project is not None:
            wanted.append((table, project))
        required = (slug, title, description, course, provider, weeks, outcomes)
        if all(required) and resources is not None:
            assert slug and title and description and course and provider and weeks and outcomes
            topics.append(
                TopicSpec(
                    slug,
                    title,
                    weeks,
                    resources,
                    description,
                    table.header,
                    course=course,
                    provider=provider,
                    outcomes=outcomes,
                    project=project,
                    note=note,
                )
            )
    return topics, wanted


def _unique_slug(table: Table, what: str, seen: dict[str, int]) -> str | None:
    slug = table.slug("slug", what, SLUG)
    if slug is not None and slug in seen:
        table.bad(
            "slug",
            f"{what} {slug!r} is used twice (lines {seen[slug]} and {table.header}).",
            "Give each its own slug, or merge the two.",
        )
        return None
    if slug is not None:
        seen[slug] = table.header
    return slug


def _check_projects(check: Checker, data: dict[str, Any], topics: set[str]) -> list[ProjectSpec]:
    projects: list[ProjectSpec] = []
    seen: dict[str, int] = {}
    for table in check.tables(data, "project"):
        table.keys(_PROJECT_KEYS)
        slug = _unique_slug(table, "project slug", seen)
        if slug is not None and slug in topics:
            table.bad(
                "slug",
                f"project slug {slug!r} is also a topic's slug.",
                "Prerequisites name topics and projects by slug: give the project its own, "
                f"e.g. '{slug}-project'.",
            )
            slug = None
        title, description = table.text("title"), table.text("description")
        weeks = table.weeks("weeks")
        linked = table.strings("topics", empty_ok=False)
        for name in linked or ():
            if name not in topics:
                close = suggest(name, topics)
                guess = f"Did you mean {close[0]!r}? " if close else ""
                table.bad(
                    "topics",
                    f"unknown topic {shown(name)} in {table.where}.",
                    f"{guess}Topics are the slugs of the [[topic]] tables.",
                )
                linked = None
        if slug and title and description and weeks and linked:
            projects.append(ProjectSpec(slug, title, weeks, linked, description, table.header))
    return projects


def _check_coverage(root: Table, topics: list[TopicSpec]) -> None:
    """Every week from 1 to the last a topic names is some topic's (parallel topics allowed)."""
    covered = {week for topic in topics for week in topic.weeks}
    gaps = [week for week in range(1, max(covered) + 1) if week not in covered]
    if gaps:
        listed = ", ".join(map(str, gaps[:10])) + (", ..." if len(gaps) > 10 else "")
        root.check.add(
            topics[0].line,
            f"the roadmap leaves week{'s' if len(gaps) > 1 else ''} {listed} without a topic.",
            "Give each week from 1 to the last at least one topic; topics may share weeks.",
        )
