"""``paperlab plan [--week N] [--json]``: the week's reading, hours against budget, what next."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import click

from paperlab.cli.common import get_store, json_option, print_json, terminal_text

if TYPE_CHECKING:
    from paperlab.planning import PlanPaper, WeekPlan


TRACK_WEEK = 21  # the first week of the tracks


def spent(minutes: float) -> str:
    """Reading time as hours, or minutes when under an hour."""
    if minutes < 60:
        return f"{minutes:.0f} min"
    return f"{minutes / 60:.1f} h"


def _paper_lines(number: int, paper: PlanPaper) -> list[str]:
    facts = [f"{paper.pages} pages" if paper.pages else "pages unknown"]
    if paper.focus:
        facts.append(paper.focus)
    if paper.minutes:
        facts.append(f"{spent(paper.minutes)} spent")
    lines = [
        f"  {number}. [{paper.state}] {paper.key}  {paper.title}",
        f"       {'; '.join(facts)}",
    ]
    if paper.builds_on:
        lines.append(f"       builds on: {'; '.join(paper.builds_on)}")
    if paper.paper_id is None and paper.url:
        lines.append(f"       not on arXiv: get it from {paper.url}, then `paperlab add FILE.pdf`")
    return [terminal_text(line) for line in lines]


def _section(title: str, papers: tuple[PlanPaper, ...], start: int = 1) -> list[str]:
    if not papers:
        return []
    lines = [title]
    for number, paper in enumerate(papers, start=start):
        lines += _paper_lines(number, paper)
    return lines


def render(plan: WeekPlan) -> list[str]:
    when = f"{plan.start:%a %d %b} - {plan.end:%a %d %b %Y}"
    now = ", this week" if plan.is_current else ""
    track = f"; track: {plan.track}" if plan.track and plan.week >= TRACK_WEEK else ""
    lines = [f"Week {plan.week} ({when}{now}{track})"]
    budget_pages = 0.0
    if plan.lists:
        from paperlab.readinglists import PAGES_PER_HOUR

        budget_pages = plan.budget_hours * PAGES_PER_HOUR
        lines.append(terminal_text(f"Lists: {', '.join(plan.lists)}"))
    lines.append(
        f"Reading: {spent(plan.spent_minutes)} of {plan.budget_hours:g} h; "
        f"core pages {plan.core_pages} of {budget_pages:g}"
    )
    if plan.week >= TRACK_WEEK and plan.track is None:
        lines.append(
            "No track chosen for weeks 21-24: `paperlab track` lists them, "
            "`paperlab track choose NAME` picks one."
        )
    elif plan.week >= TRACK_WEEK and not plan.lists:
        lines.append(
            terminal_text(
                f"The chosen track {plan.track!r} has no list in the library: "
                "`paperlab track` lists the tracks offered, `paperlab fetch` records them."
            )
        )
    failed = tuple(p for p in (*plan.core, *plan.optional) if p.is_failed)
    core = tuple(p for p in plan.core if not p.is_failed)
    optional = tuple(p for p in plan.optional if not p.is_failed)
    read = sum(1 for p in core if p.is_read)
    lines += ["", *_section(f"Core ({read} of {len(core)} read)", core)]
    lines += _section("Optional", optional, start=len(core) + 1)
    if failed:
        lines += _section("Failed (not counted as read; `paperlab show ID` says why)", failed)
    lines += _fetch_line(plan)
    if plan.milestones:
        lines.append("Milestones")
        lines += [terminal_text(f"  - {task}") for task in plan.milestones]
    if plan.next_paper is not None:
        lines.append(terminal_text(f"Next: {plan.next_paper.key}  {plan.next_paper.title}"))
    elif core or optional:
        lines.append("Next: nothing left this week.")
    elif failed:
        lines.append(
            "Next: nothing until the failed papers are fetched (`paperlab fetch --retry-failed`)."
        )
    else:
        lines.append("Nothing to read this week.")
    return lines


def _to_fetch(plan: WeekPlan) -> tuple[list[str], int]:
    """The lists whose arXiv papers of the week are not in the library yet, and how many."""
    from paperlab.planning import MISSING

    missing = [
        p for p in (*plan.core, *plan.optional) if p.state == MISSING and p.paper_id is not None
    ]
    return list(dict.fromkeys(p.list_name for p in missing)), len(missing)


def _fetch_line(plan: WeekPlan) -> list[str]:
    lists, count = _to_fetch(plan)
    if not count:
        return []
    week = "this week" if plan.is_current else f"week {plan.week}"
    papers = "paper" if count == 1 else "papers"
    return [
        terminal_text(
            f"To fetch: `paperlab fetch {' '.join(lists)}` brings the {count} arXiv {papers}"
            f" of {week} not in the library yet."
        )
    ]


def plan_json(plan: WeekPlan) -> dict[str, Any]:
    data = asdict(plan)
    data["failed"] = [asdict(p) for p in (*plan.core, *plan.optional) if p.is_failed]
    data["to_fetch"] = _to_fetch(plan)[0]  # lists to fetch for the week's missing arXiv papers
    return data


@click.command()
@click.option("--week", type=int, default=None, help="A week of the plan (19-24); default: now.")
@json_option
def plan(week: int | None, as_json: bool) -> None:
    """This week's reading plan: core and optional papers, hours spent, the next paper.

    Weeks count from the plan start (PAPERLAB_PLAN_START, else the library's
    first activity). Weeks 21-24 follow the chosen track (`paperlab track`).
    Lists not recorded yet are recorded (nothing is downloaded): their papers
    show as missing until `paperlab fetch` gets them.
    """
    from paperlab.loading import ensure_plan_lists
    from paperlab.planning import check_week, week_plan

    if week is not None:
        check_week(week)  # before anything is written
    store = get_store()
    ensure_plan_lists(store)
    result = week_plan(store, week)
    if as_json:
        print_json(plan_json(result))
        return
    for line in render(result):
        click.echo(line)
