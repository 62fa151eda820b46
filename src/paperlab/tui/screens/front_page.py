"""A paper's front page: what it is, why the lists say to read it, what it builds on,
what it cites and what cites it (enter on one of those opens its front page)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from paperlab.tui.screens.base import PaperlabScreen
from paperlab.tui.widgets.footer import KeysFooter
from paperlab.wording import counted

if TYPE_CHECKING:
    from paperlab.paperpage import Citations, FrontPage, LinkedPaper

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
    counts = f"{counted(page.note_fields, 'note field')} written"
    counts += f" · {counted(page.annotations, 'highlight')}"
    if not page.note_summary:
        counts = "No summary yet (n writes the note) · " + counts
    text.append(counts + "\n", style="dim")
    for owner, summary in page.shared_summaries:
        # Other users' shared notes, under the user's own.
        text.append(f"  [{owner}] ", style="bold blue")
        text.append(" ".join(summary.split()) + "\n")
    for section in page.sections:
        heading(section.title)
        for line in section.lines:
            text.append(f"  {line}\n")
    return text


NBSP = "\u00a0"  # OptionList drops a line's leading spaces


def _linked_prompt(paper: LinkedPaper) -> Text:
    text = Text(NBSP * 2)
    text.append(f"{paper.citation_key or paper.paper_id:<14}", style="bold")
    text.append(f" {paper.title}")
    text.append(f"  {paper.reading_state}", style=READING_STYLE.get(paper.reading_state, "dim"))
    return text


def citation_options(citations: Citations) -> list[Option]:
    """The Cites and Cited by sections: each library paper an option named by its
    id (enter opens it), headings and counts as disabled lines."""
    options: list[Option] = []

    def note(line: str, key: str) -> None:
        options.append(Option(Text(NBSP * 2 + line, style="dim"), id=key, disabled=True))

    if citations.cites or citations.unresolved or citations.candidates:
        options.append(Option(Text("Cites", style="bold magenta"), id="h-cites", disabled=True))
        options.extend(Option(_linked_prompt(p), id=f"cites:{p.paper_id}") for p in citations.cites)
        if not citations.cites:
            note("no paper of your library", "cites-none")
        if citations.unresolved:
            entries = "entry" if citations.unresolved == 1 else "entries"
            note(f"{citations.unresolved} reference {entries} not matched to a paper", "unresolved")
        if citations.candidates:
            count = len(citations.candidates)
            papers = "paper" if count == 1 else "papers"
            first = citations.candidates[0]
            note(f"{count} arXiv {papers} outside your library: paperlab fetch {first}", "cand")
            for number, other in enumerate(citations.candidates[1:], start=1):
                note(f"{NBSP * 2}paperlab fetch {other}", f"cand-{number}")
    if citations.cited_by:
        options.append(
            Option(Text("Cited by", style="bold magenta"), id="h-cited-by", disabled=True)
        )
        options.extend(
            Option(_linked_prompt(p), id=f"cited-by:{p.paper_id}") for p in citations.cited_by
        )
    return options


class CitationLinks(OptionList):
    """Cites and Cited by: enter opens the highlighted paper's front page."""

    DEFAULT_CSS = """
    CitationLinks { height: auto; max-height: 100%; border: none; padding: 0; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select",
            "Open",
            id="front.open-link",
            tooltip="Open the front page of the highlighted paper.",
        ),
    ]


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
            links = CitationLinks(id="front-links")
            links.display = False  # until the paper cites or is cited by something
            yield links
        yield KeysFooter()

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
        links = self.query_one("#front-links", CitationLinks)
        keep = links.highlighted_option.id if links.highlighted_option else None
        options = citation_options(page.citations)
        links.set_options(options)
        links.display = bool(options)
        ids = [o.id for o in options]
        if keep in ids:
            links.highlighted = ids.index(keep)

    @on(OptionList.OptionSelected, "#front-links")
    def _open_link(self, event: OptionList.OptionSelected) -> None:
        _, _, paper = (event.option.id or "").partition(":")
        if paper:
            self.lab.open_front_page(paper)

    def action_back(self) -> None:
        self.dismiss()

    def action_read(self) -> None:
        self.lab.open_reader(self.paper_id)

    def action_notes(self) -> None:
        self.lab.open_notes(self.paper_id)

    def action_tags(self) -> None:
        self.lab.action_tag_paper(self.paper_id)


__all__ = ["CitationLinks", "FrontPageScreen", "citation_options", "render_front_page"]
