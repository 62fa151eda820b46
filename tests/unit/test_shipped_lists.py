"""The shipped roadmap and reading lists: valid, shaped as the roadmap needs, within load.

These tests check the content paperlab ships: that every file passes the real
loader, that the roadmap covers weeks 1-18 with its courses and projects, that
the weeks 19-20 lists and the weeks 21-24 tracks have the shape the plan relies
on, and that each week's core reading fits its budget. They never depend on
which PDFs happen to be at hand; the loader's own behaviour is tested with
fixture lists in test_readinglists.py.

Structure and load are read from the TOML text itself (with the format's
defaults: ``core = true``, ``hours_per_week = 4``), so that a failure names the
file and the entry as written.
"""

from __future__ import annotations

import csv
import json
import re
import tomllib
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from paperlab.ids import parse_arxiv_id
from paperlab.readinglists import (
    LISTS_DIR_ENV,
    PAGES_PER_HOUR,
    ROADMAP_FILE,
    bundled_list_paths,
    bundled_lists_dir,
    load_bundled_lists,
    load_roadmap,
)
from paperlab.tomlsource import ListValidationError

TOPIC_SLUGS = {
    "ml-intro", "linear-algebra", "calculus", "probability", "statistics", "python",
    "scikit-learn", "deep-learning", "cnn", "nlp", "reinforcement-learning", "applied-ml",
}  # fmt: skip
ROADMAP_WEEKS = set(range(1, 19))
TRACK_WEEKS = [21, 22, 23, 24]
DEFAULT_HOURS = 4.0
KESHAV_DOI = "10.1145/1273445.1273458"


def read(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def shipped_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read the lists paperlab ships, whatever directory the environment points at."""
    monkeypatch.delenv(LISTS_DIR_ENV, raising=False)


@pytest.fixture
def roadmap_data() -> dict[str, Any]:
    return read(bundled_lists_dir() / ROADMAP_FILE)


@pytest.fixture
def lists() -> dict[str, dict[str, Any]]:
    """Every shipped list as written, by file name."""
    return {path.name: read(path) for path in bundled_list_paths()}


def tracks(lists: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: data for name, data in lists.items() if "track" in data}


def weeks_19_20(lists: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: data for name, data in lists.items() if data["weeks"] == [19, 20]}


def entry_name(paper: dict[str, Any]) -> str:
    """The entry's identity within its list: the arXiv id without version, or its key."""
    if "id" in paper:
        return parse_arxiv_id(paper["id"]).base
    return str(paper["key"])


def core_pages_by_week(data: dict[str, Any]) -> Counter[int]:
    load: Counter[int] = Counter()
    for paper in data["paper"]:
        if paper.get("core", True):
            load[paper["week"]] += paper["pages"]
    return load


# ---------------------------------------------------------------- validity


def test_every_shipped_file_loads() -> None:
    try:
        specs = load_bundled_lists(load_roadmap())
    except ListValidationError as exc:  # every problem of every file, with file:line
        pytest.fail("\n".join((exc.message, *exc.details)))
    assert {spec.name for spec in specs} == {path.stem for path in bundled_list_paths()}
    assert all(len(spec.entries) == len(read(spec.path)["paper"]) for spec in specs)


def test_every_entry_is_complete(lists: dict[str, dict[str, Any]]) -> None:
    problems = []
    for name, data in lists.items():
        for paper in data["paper"]:
            where = f"{name}: {paper.get('id') or paper.get('key')}"
            if ("id" in paper) == ("key" in paper):
                problems.append(f"{where}: needs exactly one of id and key")
            if "key" in paper and not (paper.get("doi") or paper.get("url")):
                problems.append(f"{where}: an entry not on arXiv needs a doi or url")
            if not (isinstance(paper.get("pages"), int) and paper["pages"] > 0):
                problems.append(f"{where}: needs the pages to read")
            if paper["week"] not in data["weeks"]:
                problems.append(f"{where}: week {paper['week']} is outside the list's weeks")
            if len(paper.get("why", "").split()) < 12:
                problems.append(f"{where}: the why is too short to say why and what to look for")
    assert not problems, "\n".join(problems)


def test_ids_and_keys_are_unique_per_list(lists: dict[str, dict[str, Any]]) -> None:
    for name, data in lists.items():
        names = Counter(entry_name(paper) for paper in data["paper"])
        twice = sorted(n for n, count in names.items() if count > 1)
        assert not twice, f"{name} lists {twice} more than once"


def test_prerequisites_name_topics_projects_or_earlier_entries(
    roadmap_data: dict[str, Any], lists: dict[str, dict[str, Any]]
) -> None:
    topics = {topic["slug"] for topic in roadmap_data["topic"]}
    known = topics | {project["slug"] for project in roadmap_data["project"]}
    problems = []
    for name, data in lists.items():
        earlier: set[str] = set()
        for paper in data["paper"]:
            for prerequisite in paper.get("prerequisites", []):
                ref = prerequisite
                if re.fullmatch(r"\d{4}\.\d{4,5}(v\d+)?", prerequisite):
                    ref = parse_arxiv_id(prerequisite).base
                if ref not in known and ref not in earlier:
                    problems.append(f"{name}: {entry_name(paper)} needs unknown {prerequisite!r}")
            earlier.add(entry_name(paper))
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- roadmap


def test_roadmap_keeps_the_topic_slugs(roadmap_data: dict[str, Any]) -> None:
    slugs = [topic["slug"] for topic in roadmap_data["topic"]]
    assert sorted(slugs) == sorted(TOPIC_SLUGS)


def test_roadmap_covers_every_week_1_to_18(roadmap_data: dict[str, Any]) -> None:
    covered = {week for topic in roadmap_data["topic"] for week in topic["weeks"]}
    assert covered == ROADMAP_WEEKS  # at least once each; parallel topics share weeks


def test_each_topic_names_course_provider_and_outcomes(roadmap_data: dict[str, Any]) -> None:
    for topic in roadmap_data["topic"]:
        assert topic["course"].strip() and topic["provider"].strip(), topic["slug"]
        assert topic["outcomes"] and all(o.strip() for o in topic["outcomes"]), topic["slug"]


def test_projects_link_to_topics(roadmap_data: dict[str, Any]) -> None:
    topics = {t["slug"]: t for t in roadmap_data["topic"]}
    projects = {p["slug"]: p for p in roadmap_data["project"]}
    assert len(projects) == len(roadmap_data["project"]), "project slugs repeat"
    for project in projects.values():
        assert set(project["topics"]) <= set(topics), project["slug"]
        assert set(project["weeks"]) <= ROADMAP_WEEKS, project["slug"]
    for topic in topics.values():
        if "project" in topic:
            assert topic["project"] in projects, topic["slug"]
    anchored = {t["project"] for t in topics.values() if "project" in t}
    assert anchored == set(projects), "every project belongs to a roadmap topic"


# ---------------------------------------------------------------- weeks 19-20


def test_weeks_19_20_have_3_to_4_core_papers_a_week(lists: dict[str, dict[str, Any]]) -> None:
    early = weeks_19_20(lists)
    assert len(early) >= 2, "a reading-papers list and a practical-ML list"
    for name, data in early.items():
        core = Counter(p["week"] for p in data["paper"] if p.get("core", True))
        for week in (19, 20):
            assert 3 <= core[week] <= 4, f"{name}: {core[week]} core papers in week {week}"
        assert any(not p.get("core", True) for p in data["paper"]), f"{name}: nothing optional"


def test_reading_papers_opens_with_how_to_read_a_paper(lists: dict[str, dict[str, Any]]) -> None:
    first = lists["weeks-19-20-reading-papers.toml"]["paper"][0]
    assert first.get("doi") == KESHAV_DOI and first["week"] == 19
    assert first.get("core", True)


# ---------------------------------------------------------------- tracks


def test_at_least_four_tracks(lists: dict[str, dict[str, Any]]) -> None:
    slugs = [data["track"] for data in tracks(lists).values()]
    assert len(slugs) >= 4
    assert len(set(slugs)) == len(slugs), f"track slugs repeat: {slugs}"


def test_tracks_span_weeks_21_24_with_12_to_18_papers(lists: dict[str, dict[str, Any]]) -> None:
    for name, data in tracks(lists).items():
        assert data["weeks"] == TRACK_WEEKS, name
        assert 12 <= len(data["paper"]) <= 18, f"{name}: {len(data['paper'])} papers"
        core_weeks = {p["week"] for p in data["paper"] if p.get("core", True)}
        assert core_weeks == set(TRACK_WEEKS), f"{name}: a week without core reading"
        assert any(not p.get("core", True) for p in data["paper"]), f"{name}: nothing optional"


def test_each_track_builds_on_a_project(
    roadmap_data: dict[str, Any], lists: dict[str, dict[str, Any]]
) -> None:
    projects = {p["slug"] for p in roadmap_data["project"]}
    topics = {t["slug"] for t in roadmap_data["topic"]}
    for name, data in tracks(lists).items():
        builds_on = set(data["builds_on"])
        assert builds_on & projects, f"{name} extends no weeks 1-18 project"
        assert builds_on <= projects | topics, name


def test_track_milestones_scope_in_21_and_write_up_in_24(lists: dict[str, dict[str, Any]]) -> None:
    for name, data in tracks(lists).items():
        by_week = {m["week"]: m["task"].lower() for m in data.get("milestone", [])}
        assert "scope" in by_week.get(21, ""), f"{name}: the project is not scoped in week 21"
        assert "write" in by_week.get(24, ""), f"{name}: the project is not written up in week 24"
        assert set(by_week) <= set(TRACK_WEEKS), name


def test_tracks_leave_most_of_the_month_to_the_project(lists: dict[str, dict[str, Any]]) -> None:
    for name, data in tracks(lists).items():
        assert data.get("hours_per_week", DEFAULT_HOURS) <= 2.5, name


# ---------------------------------------------------------------- load


def test_core_pages_fit_each_weeks_budget(lists: dict[str, dict[str, Any]]) -> None:
    over = []
    for name, data in lists.items():
        budget = data.get("hours_per_week", DEFAULT_HOURS) * PAGES_PER_HOUR
        for week, pages in sorted(core_pages_by_week(data).items()):
            if pages > budget:
                over.append(f"{name}: week {week} has {pages} core pages, budget {budget:g}")
    assert not over, "\n".join(over)


# ---------------------------------------------------------------- titles


def shared_titles(shared: Path) -> dict[str, str]:
    """Current titles by arXiv id (no version) from the shared metadata files.

    The arxiv-browse ``ftp`` tree holds the latest version of each record
    (``orig`` holds superseded versions, whose titles may have changed), the
    Kaggle snapshot holds current records, the recorded API feeds hold what
    arXiv answered, and the PDF manifest holds the title printed on each PDF.
    """
    titles: dict[str, str] = {}
    abs_root = shared / "arxiv_metadata" / "arxiv_browse_abs_files" / "ftp"
    for path in abs_root.glob("*/papers/*/*.abs"):
        archive = path.parts[-4]
        arxiv_id = path.stem if archive == "arxiv" else f"{archive}/{path.stem}"
        text = path.read_text(encoding="utf-8", errors="replace")
        if m := re.search(r"^Title:(.*(?:\n[ \t].*)*)", text, re.MULTILINE):
            titles[arxiv_id] = m.group(1)
    for path in (shared / "arxiv_metadata").glob("**/*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                titles[record["id"]] = record["title"]
    atom = "{http://www.w3.org/2005/Atom}"
    for path in (shared / "arxiv_api" / "recorded_json").glob("*.xml"):
        for entry in ET.parse(path).getroot().iter(f"{atom}entry"):
            link, title = entry.findtext(f"{atom}id"), entry.findtext(f"{atom}title")
            if link and title and "/abs/" in link:
                titles[re.sub(r"v\d+$", "", link.split("/abs/", 1)[1])] = title
    manifest = shared / "pdfs" / "arxiv" / "manifest.tsv"
    if manifest.is_file():
        with manifest.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                titles.setdefault(re.sub(r"v\d+$", "", row["arxiv_id"]), row["title"])
    return titles


def norm(title: str) -> str:
    return " ".join(title.replace("–", "-").split()).casefold()


def test_shipped_titles_match_the_shared_metadata(
    shared_data: Path, lists: dict[str, dict[str, Any]]
) -> None:
    """Validation of ids: an id whose metadata is at hand must carry its own title."""
    known = shared_titles(shared_data)
    checked, wrong = 0, []
    for name, data in lists.items():
        for paper in data["paper"]:
            if "id" not in paper:
                continue
            base = parse_arxiv_id(paper["id"]).base
            if base in known:
                checked += 1
                if norm(known[base]) != norm(paper["title"]):
                    wrong.append(f"{name}: {base} is {known[base]!r}, not {paper['title']!r}")
    if not checked:
        pytest.skip("none of the shipped ids is in the shared metadata")
    assert not wrong, "\n".join(wrong)
