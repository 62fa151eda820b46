"""Progress: this week's plan, what to read next and why, the weeks 19-24 hours at
8 a week, and papers read per list."""

from __future__ import annotations

import contextlib
from datetime import date
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Header, Label, OptionList, Static
from textual.widgets.option_list import Option

from paperlab.errors import PaperlabError
from paperlab.tui.screens.base import PaperlabScreen
from paperlab.tui.widgets.bars import Bar
from paperlab.tui.widgets.footer import KeysFooter

if TYPE_CHECKING:
    # The services load the ORM: imported when the screen first loads its data,
    # so they do not delay the app's start.
    from paperlab.nextread import NextPaper
    from paperlab.planning import PlanPaper, WeekPlan
    from paperlab.progress import PlanProgress

NBSP = "\u00a0"
TRACK_WEEKS = 21  # weeks 21-24 read the chosen track's lists
STATE_STYLE = {
    "unread": "dim",
    "skimming": "yellow",
    "reading": "cyan",
    "read": "green",
    "missing": "magenta",
    "failed": "bold red",
}


def _how_to_get(paper: PlanPaper) -> str | None:
    """For a paper of the plan not in the library yet: how to get it."""
    if paper.state != "missing":
        return None
    if paper.paper_id is not None and paper.url is None:
        return f"not downloaded yet: paperlab fetch {paper.paper_id}"
    if paper.url:
        return f"not on arXiv: get it from {paper.url}, then paperlab add FILE.pdf"
    return "not in the library yet: paperlab fetch"


def render_week_head(plan: WeekPlan, today: date) -> Text:
    """The week's dates, time read against its budget, and the next paper to read."""
    from paperlab.progress import HOURS_PER_WEEK, duration

    text = Text()
    budget = plan.budget_hours or HOURS_PER_WEEK
    # The plan's week is clamped to 19-24: say so when today is outside it.
    if today < plan.start:
        title = f"The plan starts on {plan.start:%b %d}: week {plan.week}"
    elif today > plan.end:
        title = f"The plan ended on {plan.end:%b %d}; its last week: week {plan.week}"
    else:
        title = f"This week: week {plan.week}"
    text.append(title, style="bold yellow")
    text.append(f" ({plan.start:%b %d} – {plan.end:%b %d})")
    text.append(f" · {duration(plan.spent_minutes)} read of {budget:g} h planned", style="bold")
    if plan.core_pages:
        text.append(f" · {plan.core_pages} core pages")
    if plan.track:
        text.append(f" · track {plan.track}", style="dim")
    text.append("\n")
    nxt = plan.next_paper
    if nxt is not None:
        text.append("Next: ", style="bold")
        text.append(nxt.title, style="bold cyan")
        text.append(f"  {nxt.key} · {nxt.state}", style="dim")
        if nxt.why:
            text.append(f"\n      {nxt.why}", style="italic")
    elif plan.core or plan.optional:
        text.append("Every paper of the week is read.", style="green")
    elif plan.week >= TRACK_WEEKS and plan.track is None:
        text.append(
            "Nothing to read this week: choose a track with paperlab track choose NAME.",
            style="dim",
        )
    else:
        text.append("No reading list covers this week.", style="dim")
    return text


def paper_prompt(paper: PlanPaper, number: int, is_next: bool) -> Text:
    """One paper of the week: its place, state, title, pages and time read, and
    how to get it when it is not in the library."""
    from paperlab.progress import duration

    # OptionList drops a line's leading spaces: indent with no-break spaces.
    text = Text(f"{'▸' if is_next else NBSP}{number:>2}. ".replace(" ", NBSP))
    if paper.state == "failed":
        text.append("✗ failed ", style=STATE_STYLE["failed"])
    else:
        text.append(f"{paper.state:<9}", style=STATE_STYLE.get(paper.state, ""))
    text.append(" " + paper.title, style="bold" if is_next else "")
    details = [f"{paper.pages} p" if paper.pages else ""]
    details.append(f"{duration(paper.minutes)} read" if paper.minutes else "")
    extra = " · ".join(d for d in details if d)
    if extra:
        text.append(f"  {extra}", style="dim")
    how = _how_to_get(paper)
    if paper.state == "failed":
        how = "not counted; see Failed papers below"
    if how:
        text.append(f"\n{NBSP * 10}{how}", style="dim")
    return text


def week_options(plan: WeekPlan) -> tuple[list[Option], dict[str, PlanPaper]]:
    """The week's core and optional papers in list order, under their headings,
    and each option's paper by option id."""
    options: list[Option] = []
    papers: dict[str, PlanPaper] = {}
    for title, group in (("Core", plan.core), ("Optional", plan.optional)):
        if not group:
            continue
        options.append(Option(Text(title, style="bold magenta"), id=title, disabled=True))
        for number, paper in enumerate(group, start=1):
            key = f"{title}-{number}"
            papers[key] = paper
            prompt = paper_prompt(paper, number, paper is plan.next_paper)
            options.append(Option(prompt, id=key))
    return options, papers


READ_NEXT = 5  # papers in the Read next section
READ_NEXT_REASONS = 2  # reasons shown per paper, most important first


def render_read_next(ranked: list[NextPaper]) -> Text:
    """The ranked papers to read next: title, key and state, the first reasons in
    words and, for a paper outside the library, the command that gets it."""
    text = Text()
    if not ranked:
        text.append("Nothing to suggest: every paper is read.", style="dim")
        return text
    for number, paper in enumerate(ranked, start=1):
        if number > 1:
            text.append("\n")
        text.append(f"{number:>2}. ", style="bold")
        text.append(paper.title or paper.paper_id, style="bold cyan" if number == 1 else "bold")
        label = paper.citation_key or paper.paper_id
        state = paper.reading_state if paper.in_library else "not in your library"
        text.append(f"  {label} · {state}", style="dim")
        # The last reason repeats the read state shown above.
        reasons = paper.reasons[:-1] if len(paper.reasons) > 1 else paper.reasons
        for reason in reasons[:READ_NEXT_REASONS]:
            text.append(f"\n    {reason}", style="italic")
        if paper.next_step:
            text.append(f"\n    next: {paper.next_step}", style="yellow")
    return text


def render_milestones(plan: WeekPlan) -> Text:
    text = Text()
    if plan.milestones:
        text.append("Milestones\n", style="bold magenta")
        text.append("\n".join(f"  • {task}" for task in plan.milestones))
    return text


class WeekPapers(OptionList):
    """This week's papers: enter reads the highlighted one (named so in the footer)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select",
            "Read",
            id="progress.read",
            tooltip="Open the highlighted paper of the week in the reader.",
        ),
    ]


def hours(value: float) -> str:
    """Hours as hours and minutes (see ``progress.duration``)."""
    from paperlab.progress import duration

    return duration(value * 60)


class ProgressScreen(PaperlabScreen):
    """Bars for hours per plan week and for papers read per reading list."""

    AUTO_FOCUS = "#week-papers"
    SUB_TITLE = "Progress"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "i",
            "about",
            "About",
            id="progress.about",
            tooltip="The front page of the highlighted paper (else the next one to read).",
        ),
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
            yield Static("Counting…", id="this-week")
            yield WeekPapers(id="week-papers")
            yield Static("", id="milestones")
            yield Label("Read next", classes="side-title")
            yield Static(Text("working…", style="dim"), id="read-next")
            yield Static("", id="plan-summary")
            yield Label("Reading time per week (target 8 h)", classes="side-title")
            yield Vertical(id="week-bars", classes="bars")
            yield Label("Papers read per reading list", classes="side-title")
            yield Vertical(id="list-bars", classes="bars")
            failed_title = Label(
                "Failed papers (not counted above)", id="failed-title", classes="side-title"
            )
            failed_title.display = False  # until a failed paper is counted
            yield failed_title
            yield Static("", id="failed-papers", classes="bars")
        yield KeysFooter()

    def __init__(self) -> None:
        super().__init__()
        self.plan: PlanProgress | None = None
        self.week: WeekPlan | None = None
        self.week_papers: dict[str, PlanPaper] = {}
        self.read_next: list[NextPaper] | None = None

    def on_mount(self) -> None:
        # The first resume follows mount, so loading here too would draw twice.
        self.lab.library_changed.subscribe(self, lambda _: self.action_refresh())

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.action_refresh()

    def action_refresh(self) -> None:
        self.load()
        # Ranking may load the embedding model: after the first paint, apart.
        self.call_after_refresh(self.load_read_next)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="read-next",
        description="Ranking what to read next",
    )
    def load_read_next(self) -> None:
        from paperlab.nextread import rank_next

        try:
            ranked = rank_next(self.lab.store, READ_NEXT, self.lab.settings, today=self.lab.today())
        except Exception as error:
            message = " ".join(str(error).split()) or type(error).__name__
            self.app.call_from_thread(self.show_read_next_failure, message)
            return
        self.app.call_from_thread(self.show_read_next, ranked)

    def show_read_next(self, ranked: list[NextPaper]) -> None:
        self.read_next = ranked
        self.query_one("#read-next", Static).update(render_read_next(ranked))

    def show_read_next_failure(self, message: str) -> None:
        self.read_next = []
        line = Text(f"Could not rank what to read next: {message[:200]}", style="red")
        self.query_one("#read-next", Static).update(line)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="progress",
        description="Counting progress",
    )
    def load(self) -> None:
        from paperlab.loading import ensure_plan_lists
        from paperlab.planning import week_plan
        from paperlab.progress import plan_progress

        # A library that never recorded a list (nothing fetched yet) still has a
        # plan: record the bundled lists, as `paperlab plan` does (nothing is
        # downloaded). A library with lists of its own is left as it is, and
        # unreadable bundled lists leave the plan to what the library holds.
        if not self._has_lists():
            with contextlib.suppress(PaperlabError):
                ensure_plan_lists(self.lab.store)
        today = self.lab.today()
        week = week_plan(self.lab.store, today=today)
        plan = plan_progress(self.lab.store, today=today)
        self.app.call_from_thread(self.show_plan, plan, week)  # type: ignore[arg-type]

    def _has_lists(self) -> bool:
        with self.lab.store.connect() as conn:
            return conn.execute("SELECT 1 FROM reading_list LIMIT 1").first() is not None

    async def show_plan(self, plan: PlanProgress, week: WeekPlan) -> None:
        self.show_week(week)
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

    def show_week(self, week: WeekPlan) -> None:
        self.week = week
        self.query_one("#this-week", Static).update(render_week_head(week, self.lab.today()))
        listing = self.query_one("#week-papers", WeekPapers)
        keep = listing.highlighted_option.id if listing.highlighted_option else None
        options, self.week_papers = week_options(week)
        listing.set_options(options)
        listing.display = bool(options)
        ids = [option.id for option in options]
        nxt = next((k for k, p in self.week_papers.items() if p is week.next_paper), None)
        target = keep if keep in self.week_papers else nxt
        if target is not None:
            listing.highlighted = ids.index(target)
        milestones = self.query_one("#milestones", Static)
        milestones.update(render_milestones(week))
        milestones.display = bool(week.milestones)

    def week_text(self) -> str:
        """The week panel as plain text (head, papers, milestones), as shown."""
        listing = self.query_one("#week-papers", WeekPapers)
        lines = [str(self.query_one("#this-week", Static).render())]
        for index in range(listing.option_count):
            prompt = listing.get_option_at_index(index).prompt
            lines.append(prompt.plain if isinstance(prompt, Text) else str(prompt))
        lines.append(str(self.query_one("#milestones", Static).render()))
        return "\n".join(lines)

    def _chosen_paper(self) -> str | None:
        """The highlighted paper of the week, else the next one to read."""
        listing = self.query_one("#week-papers", WeekPapers)
        option = listing.highlighted_option if listing.has_focus else None
        paper = self.week_papers.get(option.id or "") if option is not None else None
        if paper is None and self.week is not None:
            paper = self.week.next_paper
        if paper is None:
            self.notify("Nothing left to read this week.", timeout=3)
            return None
        if paper.paper_id is None:
            self.notify(_how_to_get(paper) or "Not in the library yet.", timeout=6)
            return None
        return paper.paper_id

    @on(OptionList.OptionSelected, "#week-papers")
    def _read(self) -> None:
        paper = self._chosen_paper()
        if paper is not None:
            self.lab.open_reader(paper)

    def action_about(self) -> None:
        paper = self._chosen_paper()
        if paper is not None:
            self.lab.open_front_page(paper)


__all__ = ["ProgressScreen", "render_read_next", "render_week_head", "week_options"]
