"""Progress: this week's plan, the weeks 19-24 hours at 8 a week, and papers read per list."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Header, Label, Static

from paperlab.tui.screens.base import PaperlabScreen
from paperlab.tui.widgets.bars import Bar

if TYPE_CHECKING:
    # The service loads the ORM: imported when the screen first loads its data,
    # so it does not delay the app's start.
    from paperlab.planning import WeekPlan
    from paperlab.progress import PlanProgress


def hours(value: float) -> str:
    return f"{value:.1f} h"


class ProgressScreen(PaperlabScreen):
    """Bars for hours per plan week and for papers read per reading list."""

    AUTO_FOCUS = "#progress"
    SUB_TITLE = "Progress"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "r",
            "refresh",
            "Refresh",
            id="progress.refresh",
            tooltip="Recount reading time and papers read.",
        ),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="progress"):
            yield Static("", id="plan-summary")
            yield Label("This week", classes="side-title")
            yield Static("", id="week-plan")
            yield Label("Reading time per week (target 8 h)", classes="side-title")
            yield Vertical(id="week-bars", classes="bars")
            yield Label("Papers read per reading list", classes="side-title")
            yield Vertical(id="list-bars", classes="bars")
        yield Footer()

    def on_mount(self) -> None:
        # The first resume follows mount, so loading here too would draw twice.
        self.lab.library_changed.subscribe(self, lambda _: self.action_refresh())

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.action_refresh()

    def action_refresh(self) -> None:
        self.load()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="progress",
        description="Counting progress",
    )
    def load(self) -> None:
        from paperlab.planning import week_plan
        from paperlab.progress import plan_progress

        plan = plan_progress(self.lab.store, today=self.lab.today())
        week = week_plan(self.lab.store, today=self.lab.today())
        self.app.call_from_thread(self.show_week, week)
        self.app.call_from_thread(self.show_plan, plan)  # type: ignore[arg-type]

    def show_week(self, week: WeekPlan) -> None:
        self.query_one("#week-plan", Static).update(week_text(week))

    async def show_plan(self, plan: PlanProgress) -> None:
        summary = Text()
        summary.append("Weeks 19-24", style="bold")
        summary.append(
            f" from {plan.start:%Y-%m-%d} · {hours(plan.total_hours)} of {plan.target_hours:.0f} h"
        )
        if plan.current_week:
            summary.append(f" · this is week {plan.current_week}", style="yellow")
        weeks = self.query_one("#week-bars", Vertical)
        lists = self.query_one("#list-bars", Vertical)
        await weeks.remove_children()
        await lists.remove_children()
        self.query_one("#plan-summary", Static).update(summary)
        await weeks.mount_all(
            Bar(
                f"Week {w.week} ({w.start:%b %d})",
                w.hours,
                w.target,
                f"{hours(w.hours):>7} / {w.target:.0f} h",
                highlight=w.week == plan.current_week,
            )
            for w in plan.weeks
        )
        await weeks.mount(
            Bar(
                "All six weeks",
                plan.total_hours,
                plan.target_hours,
                f"{hours(plan.total_hours):>7} / {plan.target_hours:.0f} h",
            )
        )
        await lists.mount_all(
            Bar(
                item.title,
                item.read,
                item.total,
                label_width=44,
                suffix=f"{item.read:>3} / {item.total} read"
                + (f" · {item.reading} reading" if item.reading else ""),
            )
            for item in plan.lists
        )
        if not plan.lists:
            await lists.mount(
                Static(Text("No reading lists yet: paperlab fetch --list …", style="dim"))
            )


def _spent(minutes: float) -> str:
    return f"{minutes:.0f} min" if minutes < 60 else hours(minutes / 60)


def week_text(week: WeekPlan) -> Text:
    """The week as ``paperlab plan`` shows it, compact: papers, state, pages, next."""
    text = Text()
    text.append(f"Week {week.week}", style="bold")
    text.append(
        f" ({week.start:%b %d}-{week.end:%b %d}) · {_spent(week.spent_minutes)} of "
        f"{week.budget_hours:g} h · {week.core_pages} core pages"
    )
    if week.track and week.week >= 21:  # weeks 19-20 are the same for every track
        text.append(f" · track {week.track}")
    for title, papers in (("Core", week.core), ("Optional", week.optional)):
        if not papers:
            continue
        text.append(f"\n{title}", style="bold")
        for paper in papers:
            style = "dim" if paper.is_read else ("red" if paper.is_failed else "")
            pages = f" · {paper.pages} p" if paper.pages else ""
            spent = f" · {_spent(paper.minutes)}" if paper.minutes else ""
            text.append(f"\n  [{paper.state:<8}] {paper.title}{pages}{spent}", style=style)
    for task in week.milestones:
        text.append(f"\n  milestone: {task}", style="italic")
    if week.next_paper is not None:
        text.append("\nNext: ", style="bold")
        text.append(week.next_paper.title, style="yellow")
    elif not (week.core or week.optional):
        text.append("\nNothing to read this week", style="dim")
        if week.week >= 21 and week.track is None:
            text.append(": choose a track with paperlab track choose NAME", style="dim")
    return text


__all__ = ["ProgressScreen", "week_text"]
