"""A paper's front page: what it is, why the lists say to read it, what it builds on."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from paperlab.tui.screens.base import PaperlabScreen

if TYPE_CHECKING:
    from paperlab.paperpage import FrontPage

READING_STYLE = {"unread": "dim", "skimming": "yellow", "reading": "cyan", "read": "green"}


def render_front_page(page: FrontPage) -> Text:
    """The whole page as one text: headings in the accent colour, empty parts left out."""
    text = Text()
    text.append(page.title + "\n", style="bold")
    if page.authors:
        text.append(", ".join(page.authors) + "\n")
    facts = [str(page.year) if page.year else "", page.id]
    if page.citation_key:
        facts.append(f"cite as {page.citation_key}")
    text.append(" · ".join(f for f in facts if f), style="dim")
    text.append("  ")
    text.append(page.reading_state, style=READING_STYLE.get(page.reading_state, ""))
    text.append(f" · {page.state}\n", style="bold red" if page.state == "failed" else "dim")
    if page.trouble:
        text.append("\n✗ " + page.trouble + "\n", style="bold red")

    def heading(title: str) -> None:
        text.append(f"\n{title}\n", style="bold magenta")

    if page.placements:
        heading("Why read this")
        for place in page.placements:
            week = f" · week {place.week}" if place.week is not None else ""
            text.append(f"  {place.list_title}{week}", style="bold")
            kind = "core" if place.core else "optional"
            pages = f" · {place.pages} pages" if place.pages else ""
            text.append(f"  {kind}{pages} · {place.list_name}\n", style="dim")
            if place.why:
                text.append(f"    {place.why}\n")
            if place.focus:
                text.append("    Focus: ", style="bold")
                text.append(f"{place.focus}\n")
            if place.builds_on:
                text.append("    Builds on: ", style="bold")
                text.append("; ".join(place.builds_on) + "\n")
    if page.prerequisites:
        heading("Builds on (roadmap weeks 1-18)")
        for topic in page.prerequisites:
            weeks = "-".join(str(w) for w in (topic.weeks[0], topic.weeks[-1]))
            if len(topic.weeks) == 1:
                weeks = str(topic.weeks[0])
            text.append(f"  week {weeks:<6}", style="dim")
            text.append(f"{topic.title}")
            text.append(f"  #{topic.slug}\n", style="dim")
    if page.abstract:
        heading("Abstract")
        text.append(" ".join(page.abstract.split()) + "\n")
    heading("Your note")
    if page.note_summary:
        text.append(page.note_summary.strip() + "\n")
    counts = f"{page.note_fields} note field{'s' if page.note_fields != 1 else ''} written"
    counts += f" · {page.annotations} highlight{'s' if page.annotations != 1 else ''}"
    if not page.note_summary:
        counts = "No summary yet (n writes the note) · " + counts
    text.append(counts + "\n", style="dim")
    for section in page.sections:
        heading(section.title)
        for line in section.lines:
            text.append(f"  {line}\n")
    return text


class FrontPageScreen(PaperlabScreen):
    """One paper's front page; r or enter reads it, n opens its note."""

    AUTO_FOCUS = "#front-page"
    SUB_TITLE = "Paper"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "back",
            "Back",
            id="front.back",
            tooltip="Back to the screen you came from.",
        ),
        Binding(
            "enter,r",
            "read",
            "Read",
            id="front.read",
            key_display="r",
            tooltip="Open the paper in the reader.",
        ),
        Binding(
            "n",
            "notes",
            "Notes",
            id="front.notes",
            tooltip="Open the paper's structured note.",
        ),
        Binding(
            "t",
            "tags",
            "Tags",
            id="front.tags",
            tooltip="Pick the paper's roadmap topics.",
        ),
    ]

    def __init__(self, paper_id: str) -> None:
        super().__init__()
        self.paper_id = paper_id
        self.page: FrontPage | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="front-page"):
            yield Static("Loading…", id="front-page-text")
        yield Footer()

    def on_mount(self) -> None:
        self.lab.library_changed.subscribe(self, lambda _: self.load())
        self.load()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.lab.active_paper = self.paper_id
        if self.page is not None:
            self.load()  # a note or tags written meanwhile show up

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="front-page",
        description="Loading the paper",
    )
    def load(self) -> None:
        from paperlab.paperpage import front_page

        page = front_page(self.lab.store, self.paper_id)
        self.app.call_from_thread(self.show, page)

    def show(self, page: FrontPage) -> None:
        self.page = page
        self.sub_title = f"Paper · {page.citation_key or page.id}"
        self.query_one("#front-page-text", Static).update(render_front_page(page))

    def action_back(self) -> None:
        self.dismiss()

    def action_read(self) -> None:
        self.lab.open_reader(self.paper_id)

    def action_notes(self) -> None:
        self.lab.open_notes(self.paper_id)

    def action_tags(self) -> None:
        self.lab.action_tag_paper(self.paper_id)


__all__ = ["FrontPageScreen", "render_front_page"]
