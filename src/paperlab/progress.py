"""Reading time and the weeks 19-24 plan: hours per week against 8 h, papers read per list.

The plan has six weeks (19-24) of about eight hours each. Week 19 starts on
the Monday given by ``PAPERLAB_PLAN_START`` (an ISO date) when set, else on the
Monday of the first thing the library knows about the plan: the earliest
reading session or reading-list load.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlmodel import col, select

from paperlab.errors import UsageError
from paperlab.library import resolve_paper
from paperlab.paperpage import failure_advice
from paperlab.settings import current_user
from paperlab.store import Store
from paperlab.store.models import (
    PipelineState,
    ReadingList,
    ReadingSession,
    ReadingState,
    loads_list,
    utcnow,
)
from paperlab.store.values import me, reading_state_of

PLAN_WEEKS: tuple[int, ...] = (19, 20, 21, 22, 23, 24)
HOURS_PER_WEEK = 8.0
PLAN_START_ENV = "PAPERLAB_PLAN_START"
FAILED_KEY = "(failed)"  # counted apart from the reading states


def _aware(value: datetime) -> datetime:
    # SQLite hands datetimes back naive; they were written as UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def record_reading(
    store: Store, paper: str, minutes: float, *, started_at: datetime | None = None
) -> ReadingSession:
    """Add ``minutes`` of reading time to ``paper`` (any id spelling or citation key)."""
    if minutes <= 0:
        raise UsageError(
            f"Reading time must be positive, not {minutes:g} minutes.",
            hint="Record at least a fraction of a minute.",
        )
    start = started_at or utcnow() - timedelta(minutes=minutes)
    with store.write() as session:
        found = resolve_paper(session, paper)
        row = ReadingSession(paper_id=found.id, started_at=_aware(start), minutes=float(minutes))
        session.add(row)
    return row


@dataclass(frozen=True)
class WeekProgress:
    """Reading hours in one plan week."""

    week: int
    start: date
    end: date  # exclusive
    hours: float
    target: float = HOURS_PER_WEEK

    @property
    def fraction(self) -> float:
        return min(1.0, self.hours / self.target) if self.target else 0.0


def duration(minutes: float) -> str:
    """Reading time in hours and minutes, to the minute: ``1 h 25 min``, ``1 min``, ``8 h``.

    Hours with one decimal hid short sessions (1.4 minutes showed as ``0.0 h``).
    """
    hours, rest = divmod(round(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


@dataclass(frozen=True)
class FailedPaper:
    """A paper on a reading list whose fetch failed, and what to do about it."""

    id: str
    title: str
    lists: list[str]
    advice: str


@dataclass(frozen=True)
class ListProgress:
    """How far one reading list has been read. Papers whose fetch failed cannot be
    read yet: they are counted apart (``failed``), not in ``total`` or any state."""

    name: str
    title: str
    weeks: list[int]
    total: int
    read: int
    reading: int
    skimming: int
    failed: int = 0

    @property
    def fraction(self) -> float:
        return self.read / self.total if self.total else 0.0


@dataclass(frozen=True)
class PlanProgress:
    """The whole plan at a glance."""

    start: date
    weeks: list[WeekProgress]
    lists: list[ListProgress]
    total_hours: float
    target_hours: float
    current_week: int | None
    hours_by_paper: dict[str, float] = field(default_factory=dict)
    failed: list[FailedPaper] = field(default_factory=list)

    @property
    def fraction(self) -> float:
        return min(1.0, self.total_hours / self.target_hours) if self.target_hours else 0.0


def plan_start(store: Store) -> date:
    """The Monday week 19 starts on (see the module docstring)."""
    raw = os.environ.get(PLAN_START_ENV, "").strip()
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise UsageError(
                f"{PLAN_START_ENV}={raw!r} is not a date.",
                hint=f"Set {PLAN_START_ENV} to the first day of week 19, e.g. 2025-03-03.",
            ) from None
    with store.read() as session:
        first_session = session.exec(
            select(ReadingSession.started_at)
            .where(ReadingSession.owner == current_user())
            .order_by(col(ReadingSession.started_at))
        ).first()
        first_list = session.exec(
            select(ReadingList.loaded_at).order_by(col(ReadingList.loaded_at))
        ).first()
    candidates = [_aware(d).astimezone().date() for d in (first_session, first_list) if d]
    return _monday(min(candidates) if candidates else datetime.now().date())


def plan_progress(
    store: Store, *, start: date | None = None, today: date | None = None
) -> PlanProgress:
    """The current user's hours per plan week (vs 8 h) and papers read per reading list."""
    start = start or plan_start(store)
    today = today or datetime.now().date()
    weeks_hours = {w: 0.0 for w in PLAN_WEEKS}
    by_paper: dict[str, float] = {}
    with store.read() as session:
        sessions = session.exec(
            select(ReadingSession).where(ReadingSession.owner == current_user())
        ).all()
        lists = session.exec(select(ReadingList).order_by(col(ReadingList.name))).all()
    with store.connect() as conn:
        entries = conn.execute(
            f"SELECT e.list_id, p.id, p.title, {reading_state_of('p')}, p.state, p.state_reason"
            " FROM reading_list_entry e JOIN paper p ON p.id = e.paper_id",
            me(),
        ).all()
        # Entries not on arXiv count too: unread until their PDF is added and read.
        entries += conn.execute(
            "SELECT x.list_id, p.id, COALESCE(p.title, x.title),"
            f" {reading_state_of('p')}, p.state, p.state_reason"
            " FROM list_external_entry x LEFT JOIN paper p ON p.id = x.paper_id",
            me(),
        ).all()
    for row in sessions:
        day = _aware(row.started_at).astimezone().date()
        index = (day - start).days // 7
        by_paper[row.paper_id] = by_paper.get(row.paper_id, 0.0) + row.minutes / 60
        if 0 <= index < len(PLAN_WEEKS):
            weeks_hours[PLAN_WEEKS[index]] += row.minutes / 60
    counts: dict[int, dict[str, int]] = {}
    failed: dict[str, FailedPaper] = {}
    names = {rl.id: rl.name for rl in lists}
    for list_id, paper_id, title, reading_state, state, reason in entries:
        per = counts.setdefault(list_id, {})
        if state == PipelineState.FAILED.value and paper_id is not None:
            key = FAILED_KEY
            known = failed.get(paper_id)
            failed[paper_id] = FailedPaper(
                paper_id,
                title or paper_id,
                [*(known.lists if known else []), names.get(list_id, "")],
                failure_advice(paper_id, reason),
            )
        else:
            key = reading_state
        per[key] = per.get(key, 0) + 1
    list_rows = []
    for rl in lists:
        per = counts.get(rl.id or -1, {})
        list_rows.append(
            ListProgress(
                name=rl.name,
                title=rl.title,
                weeks=[int(w) for w in loads_list(rl.weeks)],
                total=sum(n for k, n in per.items() if k != FAILED_KEY),
                read=per.get(ReadingState.READ.value, 0),
                reading=per.get(ReadingState.READING.value, 0),
                skimming=per.get(ReadingState.SKIMMING.value, 0),
                failed=per.get(FAILED_KEY, 0),
            )
        )
    list_rows.sort(key=lambda r: (min(r.weeks) if r.weeks else 99, r.name))
    week_rows = [
        WeekProgress(
            week=w,
            start=start + timedelta(days=7 * i),
            end=start + timedelta(days=7 * (i + 1)),
            hours=weeks_hours[w],
        )
        for i, w in enumerate(PLAN_WEEKS)
    ]
    offset = (today - start).days // 7
    current = PLAN_WEEKS[offset] if 0 <= offset < len(PLAN_WEEKS) else None
    return PlanProgress(
        start=start,
        weeks=week_rows,
        lists=list_rows,
        total_hours=sum(weeks_hours.values()),
        target_hours=HOURS_PER_WEEK * len(PLAN_WEEKS),
        current_week=current,
        hours_by_paper=by_paper,
        failed=sorted(failed.values(), key=lambda f: f.id),
    )


__all__ = [
    "HOURS_PER_WEEK",
    "PLAN_WEEKS",
    "FailedPaper",
    "ListProgress",
    "PlanProgress",
    "WeekProgress",
    "duration",
    "plan_progress",
    "plan_start",
    "record_reading",
]
