"""This week's reading plan: the week's lists, their core and optional papers, hours against budget.

The plan's weeks are 19-24, counted from the plan start (``progress.plan_start``:
``PAPERLAB_PLAN_START`` or the library's first activity). A week's lists are
the stored lists that cover it, minus the weeks 21-24 tracks the learner did
not choose (``paperlab track choose``); with no track chosen, no track is in
the plan. Lists are taken by their ``order`` (then name), papers in list order.

Reads use plain sqlite3 (``Store.connect()``); the front ends (``paperlab
plan``, the TUI's progress screen) only format what ``week_plan`` returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from paperlab.errors import PaperlabError, ReadingListError, UsageError
from paperlab.listentries import prerequisite_ref
from paperlab.progress import PLAN_WEEKS, plan_start
from paperlab.roadmapfile import Roadmap
from paperlab.store import Store
from paperlab.store.reader import ReadConnection
from paperlab.store.values import (
    PipelineState,
    ReadingState,
    loads_list,
    me,
    parse_datetime,
    reading_state_of,
)

# The weeks 21-24 are the specialisation tracks' (weeks 19-20 lists belong to every track).
FIRST_TRACK_WEEK = 21

TRACK_SETTING = "track"
MISSING = "missing"  # not in the library yet: to fetch, or to get by hand and `paperlab add`
FAILED = "failed"


@dataclass(frozen=True)
class PlanPaper:
    """One paper of a week's plan."""

    paper_id: str | None  # library paper id; None for a not-on-arXiv entry not yet imported
    key: str  # citation key of the library paper, or the entry's key
    title: str
    list_name: str
    week: int
    core: bool
    pages: int | None  # the list's pages, else the fetched PDF's page count (None: unknown)
    focus: str | None
    why: str
    state: str  # "failed", else the reading state (skimming/reading/read) the learner set,
    #   else "missing" (no PDF or text in the library yet) or "unread"
    minutes: float  # reading minutes recorded for it
    builds_on: tuple[str, ...]  # roadmap topic titles, project titles, earlier entries
    url: str | None  # link for entries to get by hand (doi or url)

    @property
    def is_read(self) -> bool:
        return self.state == ReadingState.READ.value

    @property
    def is_failed(self) -> bool:
        return self.state == FAILED


@dataclass(frozen=True)
class WeekPlan:
    """One plan week: what to read, what was spent, what comes next."""

    week: int  # 19..24
    start: date
    end: date  # the week's last day (inclusive)
    is_current: bool  # today falls in this week
    track: str | None  # chosen track slug (weeks 21-24), None when none chosen
    budget_hours: float  # the week's reading budget (sum of its lists' hours_per_week)
    spent_minutes: float  # reading minutes recorded in that week's dates
    core: tuple[PlanPaper, ...]  # in list order
    optional: tuple[PlanPaper, ...]
    milestones: tuple[str, ...]
    next_paper: PlanPaper | None  # first core paper not read and not failed, else optional
    core_pages: int
    lists: tuple[str, ...] = ()  # names of the lists in the week, in plan order


def chosen_track(store: Store) -> str | None:
    """The weeks 21-24 track the learner chose, or None."""
    with store.connect() as conn:
        return _chosen_track(conn)


def _chosen_track(conn: ReadConnection) -> str | None:
    value = conn.execute(
        "SELECT value FROM library_setting WHERE key = :k", {"k": TRACK_SETTING}
    ).scalar()
    return str(value) if value else None


def current_week(store: Store, today: date | None = None) -> int:
    """The plan week ``today`` falls in, clamped to 19..24."""
    return _week_of(plan_start(store), today or datetime.now().date())


def _week_of(start: date, today: date) -> int:
    offset = (today - start).days // 7
    return PLAN_WEEKS[min(max(offset, 0), len(PLAN_WEEKS) - 1)]


def check_week(week: int) -> int:
    if week not in PLAN_WEEKS:
        raise UsageError(
            f"Week {week} is not a week of the plan.",
            hint=f"The plan runs weeks {PLAN_WEEKS[0]}-{PLAN_WEEKS[-1]}, e.g. --week 21.",
        )
    return week


def week_plan(store: Store, week: int | None = None, today: date | None = None) -> WeekPlan:
    """The plan of ``week`` (default: the current week)."""
    if week is not None:
        check_week(week)
    start = plan_start(store)
    today = today or datetime.now().date()
    current = _week_of(start, today)
    week = week if week is not None else current
    first = start + timedelta(days=7 * (week - PLAN_WEEKS[0]))
    last = first + timedelta(days=6)
    roadmap = _roadmap()
    with store.connect() as conn:
        track = _chosen_track(conn)
        lists = _lists_of_week(conn, week, track)
        ids = [row["id"] for row in lists]
        papers = _papers(conn, week, lists, roadmap, store.home)
        milestones = tuple(
            str(task)
            for (task,) in conn.execute(
                "SELECT m.task FROM list_milestone m JOIN reading_list l ON l.id = m.list_id "
                "WHERE m.week = :w AND m.list_id IN :ids ORDER BY l.plan_order, l.name, m.position",
                {"w": week, "ids": ids or [-1]},
            )
        )
        spent = _minutes_between(conn, first, last)
    core = tuple(p for p in papers if p.core)
    optional = tuple(p for p in papers if not p.core)
    return WeekPlan(
        week=week,
        start=first,
        end=last,
        is_current=first <= today <= last,  # not before the plan starts or after it ends
        track=track,
        budget_hours=sum(float(row["hours"]) for row in lists),
        spent_minutes=spent,
        core=core,
        optional=optional,
        milestones=milestones,
        next_paper=_next(core) or _next(optional),
        core_pages=sum(p.pages or 0 for p in core),
        lists=tuple(str(row["name"]) for row in lists),
    )


def _next(papers: tuple[PlanPaper, ...]) -> PlanPaper | None:
    return next((p for p in papers if not p.is_read and not p.is_failed), None)


def _roadmap() -> Roadmap | None:
    """The roadmap for readable prerequisites; None when it cannot be read (titles from the DB)."""
    from paperlab.readinglists import load_roadmap

    try:
        return load_roadmap()
    except ReadingListError:
        return None


def _lists_of_week(conn: ReadConnection, week: int, track: str | None) -> list[dict[str, Any]]:
    rows = []
    for list_id, name, weeks, hours, list_track in conn.execute(
        "SELECT id, name, weeks, hours_per_week, track FROM reading_list ORDER BY plan_order, name"
    ):
        if week not in [int(w) for w in loads_list(weeks)]:
            continue
        if list_track is not None and list_track != track:
            continue  # a track the learner did not choose
        rows.append({"id": list_id, "name": name, "hours": hours})
    return rows


# The reading state is the current user's (``:me``).
_ARXIV_ROWS = f"""
SELECT e.list_id, e.position, e.paper_id, COALESCE(NULLIF(p.title, ''), e.expected_title),
       e.core, e.pages, e.focus, e.why, e.prerequisites, NULL, p.id, p.citation_key,
       p.state, {reading_state_of("p")}, p.pdf_path, e.paper_id
FROM reading_list_entry e JOIN paper p ON p.id = e.paper_id
WHERE e.week = :w AND e.list_id IN :ids
"""
_EXTERNAL_ROWS = f"""
SELECT x.list_id, x.position, x.key, x.title, x.core, x.pages, x.focus, x.why,
       x.prerequisites, COALESCE(x.url, 'https://doi.org/' || x.doi), p.id, p.citation_key,
       p.state, {reading_state_of("p")}, p.pdf_path, x.key
FROM list_external_entry x LEFT JOIN paper p ON p.id = x.paper_id
WHERE x.week = :w AND x.list_id IN :ids
"""


def _papers(
    conn: ReadConnection,
    week: int,
    lists: list[dict[str, Any]],
    roadmap: Roadmap | None,
    home: Path,
) -> list[PlanPaper]:
    order = {row["id"]: (i, row["name"]) for i, row in enumerate(lists)}
    params = {"w": week, "ids": list(order) or [-1], **me()}
    rows = conn.execute(_ARXIV_ROWS, params).all() + conn.execute(_EXTERNAL_ROWS, params).all()
    rows.sort(key=lambda r: (order[r[0]][0], r[1]))
    minutes = dict(
        conn.execute(
            "SELECT paper_id, SUM(minutes) FROM reading_session WHERE owner = :me "
            "GROUP BY paper_id",
            me(),
        ).all()
    )
    titles = _entry_titles(conn, list(order))
    topic_titles = dict(conn.execute("SELECT slug, title FROM topic").all())
    papers: list[PlanPaper] = []
    seen: set[str] = set()
    for row in rows:
        (list_id, _pos, ref, title, core, pages, focus, why, prereqs, link,
         paper_id, citekey, state, reading, pdf_path, entry_ref) = row  # fmt: skip
        identity = paper_id or f"{list_id}:{ref}"
        if identity in seen:
            continue  # the same paper in two lists of the week: shown once
        seen.add(identity)
        papers.append(
            PlanPaper(
                paper_id=paper_id,
                key=citekey or str(entry_ref),
                title=str(title),
                list_name=order[list_id][1],
                week=week,
                core=bool(core),
                pages=pages if pages is not None else _page_count(conn, paper_id, pdf_path, home),
                focus=focus,
                why=str(why),
                state=_state(paper_id, state, reading, pdf_path),
                minutes=float(minutes.get(paper_id, 0.0) or 0.0) if paper_id else 0.0,
                builds_on=_builds_on(
                    loads_list(prereqs), roadmap, topic_titles, titles.get(list_id, {})
                ),
                url=link if paper_id is None or pdf_path is None else None,
            )
        )
    return papers


def _state(paper_id: str | None, state: str | None, reading: str | None, pdf: str | None) -> str:
    """Failed first (never counted as read), then what the learner said, then missing/unread.

    A paper read elsewhere (on paper, online) counts as read with no PDF in the library.
    """
    if paper_id is None:
        return MISSING
    if state == PipelineState.FAILED.value:
        return FAILED
    if reading and reading != ReadingState.UNREAD.value:
        return str(reading)
    if not pdf and state not in (PipelineState.EXTRACTED.value, PipelineState.INDEXED.value):
        return MISSING
    return ReadingState.UNREAD.value


def _page_count(
    conn: ReadConnection, paper_id: str | None, pdf_path: str | None, home: Path
) -> int | None:
    """The extracted page count, else the stored PDF's (a fetch with --no-index)."""
    if paper_id is None:
        return None
    count = conn.execute("SELECT COUNT(*) FROM page WHERE paper_id = :p", {"p": paper_id}).scalar()
    if count:
        return int(count)
    if not pdf_path:
        return None
    from paperlab.extract.pdf import open_document

    try:
        doc = open_document(home / pdf_path)
    except (PaperlabError, OSError):
        return None  # a missing or broken file: `paperlab fetch` repairs it
    try:
        return int(doc.page_count) or None
    finally:
        doc.close()


def _entry_titles(conn: ReadConnection, list_ids: list[int]) -> dict[int, dict[str, str]]:
    """Every entry's title by list and by how prerequisites name it (id or key)."""
    titles: dict[int, dict[str, str]] = {}
    ids = list_ids or [-1]
    for list_id, ref, title in conn.execute(
        "SELECT e.list_id, e.paper_id, COALESCE(NULLIF(p.title, ''), e.expected_title) "
        "FROM reading_list_entry e JOIN paper p ON p.id = e.paper_id WHERE e.list_id IN :ids "
        "UNION ALL SELECT list_id, key, title FROM list_external_entry WHERE list_id IN :ids",
        {"ids": ids},
    ):
        titles.setdefault(list_id, {})[str(ref)] = str(title)
    return titles


def _builds_on(
    prerequisites: list[Any],
    roadmap: Roadmap | None,
    topic_titles: dict[str, str],
    entries: dict[str, str],
) -> tuple[str, ...]:
    readable: list[str] = []
    for name in prerequisites:
        ref = prerequisite_ref(str(name))
        text = roadmap.describe(ref) if roadmap is not None else None
        if text is None and ref in topic_titles:
            text = topic_titles[ref]
        if text is None and ref in entries:
            text = f"{entries[ref]} (earlier in the list)"
        readable.append(text or str(name))
    return tuple(readable)


def _minutes_between(conn: ReadConnection, first: date, last: date) -> float:
    total = 0.0
    sessions = "SELECT started_at, minutes FROM reading_session WHERE owner = :me"
    for started, minutes in conn.execute(sessions, me()):
        when = parse_datetime(started)
        if when is not None and first <= when.astimezone().date() <= last:
            total += float(minutes)
    return total


__all__ = [
    "FAILED",
    "MISSING",
    "TRACK_SETTING",
    "PlanPaper",
    "WeekPlan",
    "check_week",
    "chosen_track",
    "current_week",
    "week_plan",
]
