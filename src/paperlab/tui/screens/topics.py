"""Roadmap topics (weeks 1-18): weeks, resources, and the papers and log linked to each."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Header, Label, OptionList, Static
from textual.widgets.option_list import Option

from paperlab.overviews import TopicRow
from paperlab.tui.screens.base import PaperlabScreen
from paperlab.tui.widgets.footer import KeysFooter
from paperlab.wording import counted


def weeks_label(weeks: list[int]) -> str:
    if not weeks:
        return ""
    return f"w{weeks[0]}" if len(weeks) == 1 else f"w{min(weeks)}-{max(weeks)}"


def notes_label(topic: TopicRow) -> str:
    """Notes on the topic's papers and notes linked to the topic, each said as such."""
    on_papers = f"{counted(topic.paper_notes, 'note')} on its papers"
    linked = f"{topic.notes} linked to the topic"
    return f"{on_papers}, {linked}"


class TopicsScreen(PaperlabScreen):
    """Pick a topic on the left; its papers (enter to read) and log entries on the right."""

    AUTO_FOCUS = "#topic-list"
    SUB_TITLE = "Topics"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "leave",
            "Library",
            id="topics.leave",
            tooltip="Leave the topics for the library.",
        ),
        Binding(
            "t",
            "tags",
            "Tag paper",
            id="topics.tag",
            tooltip="Pick the topics of the highlighted paper.",
        ),
        Binding(
            "i",
            "front_page",
            "About",
            id="topics.about",
            tooltip="The highlighted paper's front page: abstract, why read it, your note.",
        ),
        Binding(
            "r", "refresh", "Refresh", id="topics.refresh", show=False, tooltip="Reload the topics."
        ),
        Binding(
            "tab",
            "app.focus_next",
            "Next pane",
            id="topics.next",
            show=False,
            tooltip="Move between the topic list and the paper list.",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.topics: list[TopicRow] = []
        self.titles: dict[str, str] = {}
        self.states: dict[str, str] = {}
        self.paper_ids: list[str] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="topics"):
            yield OptionList(id="topic-list")
            # The side pane scrolls with the focused paper list; it takes no focus
            # itself, so tab goes from the topics straight to the papers.
            with Vertical(id="topic-side"), VerticalScroll(id="topic-scroll", can_focus=False):
                yield Static("", id="topic-detail")
                yield Label("Papers", classes="side-title")
                yield OptionList(id="topic-papers")
                yield Label("Log entries", classes="side-title")
                yield Static("", id="topic-log")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.lab.library_changed.subscribe(self, lambda _: self.action_refresh())
        self.query_one("#topic-list", OptionList).focus()
        self.action_refresh()

    def on_resize(self) -> None:
        # The topic list gives way on narrow terminals so the papers stay readable.
        listing = self.query_one("#topic-list", OptionList)
        listing.styles.width = max(26, min(44, self.size.width * 2 // 5))

    def action_refresh(self) -> None:
        self.load()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="topics",
        description="Loading topics",
    )
    def load(self) -> None:
        from paperlab.catalog import list_papers
        from paperlab.overviews import topics_overview

        topics = topics_overview(self.lab.store)
        rows = list_papers(self.lab.store)
        titles = {row.id: row.title for row in rows}
        states = {row.id: row.state for row in rows}
        self.app.call_from_thread(self._loaded, topics, titles, states)

    def _loaded(
        self, topics: list[TopicRow], titles: dict[str, str], states: dict[str, str]
    ) -> None:
        self.topics, self.titles, self.states = topics, titles, states
        listing = self.query_one("#topic-list", OptionList)
        keep = listing.highlighted or 0
        listing.clear_options()
        for topic in topics:
            label = Text(f"{weeks_label(topic.weeks):<7}", style="dim")
            label.append(topic.title)
            if topic.papers:
                label.append(f" ({len(topic.papers)})", style="cyan")
            if topic.failed:
                label.append(f" {len(topic.failed)} failed", style="bold red")
            listing.add_option(Option(label, id=topic.slug))
        if topics:
            listing.highlighted = min(keep, len(topics) - 1)

    @on(OptionList.OptionHighlighted, "#topic-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        topic = next((t for t in self.topics if t.slug == event.option.id), None)
        if topic is not None:
            self.show_topic(topic)

    def show_topic(self, topic: TopicRow) -> None:
        detail = Text()
        detail.append(f"{topic.title}\n", style="bold")
        weeks = ", ".join(str(w) for w in topic.weeks)
        detail.append(f"#{topic.slug} · weeks {weeks} · {notes_label(topic)}\n", style="dim")
        if topic.description:
            detail.append(topic.description + "\n")
        for resource in topic.resources:
            detail.append(f"  • {resource}\n", style="italic")
        self.query_one("#topic-detail", Static).update(detail)
        papers = self.query_one("#topic-papers", OptionList)
        papers.clear_options()
        self.paper_ids = list(topic.papers)
        for pid in self.paper_ids:
            label = Text()
            if self.states.get(pid) == "failed":
                label.append("✗ failed  ", style="bold red")
            label.append(self.titles.get(pid, pid))
            label.append(f"  {pid}", style="dim")
            papers.add_option(Option(label, id=pid))
        if not self.paper_ids:
            papers.add_option(
                Option(
                    Text("no papers yet (t in the library tags one)", style="dim"),
                    id="",
                    disabled=True,
                )
            )
        self.load_log(topic.slug)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="topic-log",
        description="Loading the topic's log entries",
    )
    def load_log(self, slug: str) -> None:
        from paperlab.log_views import list_entries

        entries = list_entries(self.lab.store, topic=slug)
        self.app.call_from_thread(self._show_log, entries)

    def _show_log(self, entries: list[Any]) -> None:
        text = Text()
        for entry in entries:
            text.append(entry.created_at.astimezone().strftime("%Y-%m-%d "), style="dim")
            text.append(f"{entry.kind}: ", style="bold")
            text.append(" ".join(entry.text.split()) + "\n")
        self.query_one("#topic-log", Static).update(text or Text("none yet", style="dim"))

    @on(OptionList.OptionSelected, "#topic-papers")
    def _open(self, event: OptionList.OptionSelected) -> None:
        paper = event.option.id
        if paper and self.states.get(paper) == "failed":
            # No text to read: its front page says what went wrong and what to run.
            self.lab.open_front_page(paper)
        elif paper:
            self.lab.open_reader(paper)

    def action_leave(self) -> None:
        self.app.switch_mode("library")

    def action_tags(self) -> None:
        papers = self.query_one("#topic-papers", OptionList)
        index = papers.highlighted
        if index is None or index >= len(self.paper_ids):
            self.notify("Highlight a paper in the Papers list first.", timeout=3)
            return
        self.lab.action_tag_paper(self.paper_ids[index])

    def action_front_page(self) -> None:
        index = self.query_one("#topic-papers", OptionList).highlighted
        if index is None or index >= len(self.paper_ids):
            self.notify("Highlight a paper in the Papers list first.", timeout=3)
            return
        self.lab.open_front_page(self.paper_ids[index])


__all__ = ["TopicsScreen", "notes_label", "weeks_label"]
