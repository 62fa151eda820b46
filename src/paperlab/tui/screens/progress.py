"""Progress: the weeks 19-24 plan at 8 hours a week, and papers read per list."""

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
    from paperlab.progress import PlanProgress


def hours(value: float) -> str:
    """Hours as hours and minutes (see ``progress.duration``)."""
    from paperlab.progress import duration

    return duration(value * 60)


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
            yield Label("Reading time per week (target 8 h)", classes="side-title")
            yield Vertical(id="week-bars", classes="bars")
            yield Label("Papers read per reading list", classes="side-title")
            yield Vertical(id="list-bars", classes="bars")
            yield Label(
                "Failed papers (not counted above)", id="failed-title", classes="side-title"
            )
            yield Static("", id="failed-papers", classes="bars")
        yield Footer()

    def __init__(self) -> None:
        super().__init__()
        self.plan: PlanProgress | None = None

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
        from paperlab.progress import plan_progress

        plan = plan_progress(self.lab.store, today=self.lab.today())
        self.app.call_from_thread(self.show_plan, plan)  # type: ignore[arg-type]

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
                f"{hours(w.hours):>10} / {w.target:.0f} h",
                highlight=w.week == plan.current_week,
            )
            for w in plan.weeks
        )
        await weeks.mount(
            Bar(
                "All six weeks",
                plan.total_hours,
                plan.target_hours,
                f"{hours(plan.total_hours):>10} / {plan.target_hours:.0f} h",
            )
        )
        suffixes = [
            f"{item.read:>3} / {item.total} read"
            + (f" · {item.reading} reading" if item.reading else "")
            + (f" · {item.failed} failed" if item.failed else "")
            for item in plan.lists
        ]
        longest = max(map(len, suffixes), default=0)
        await lists.mount_all(
            Bar(item.title, item.read, item.total, label_width=44, suffix=suffix.ljust(longest))
            for item, suffix in zip(plan.lists, suffixes, strict=True)
        )
        if not plan.lists:
            await lists.mount(
                Static(Text("No reading lists yet: paperlab fetch --list …", style="dim"))
            )
        failed = Text()
        for paper in plan.failed:
            failed.append("✗ ", style="bold red")
            failed.append(paper.title, style="bold")
            failed.append(f"  {paper.id}\n", style="dim")
            failed.append(f"  {paper.advice}\n")
        self.query_one("#failed-papers", Static).update(failed)
        self.query_one("#failed-title").display = bool(plan.failed)
        self.query_one("#failed-papers").display = bool(plan.failed)
        self.plan = plan


__all__ = ["ProgressScreen"]
