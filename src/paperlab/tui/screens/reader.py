"""The reader: a paper's extracted text page by page, outline, highlights, annotate."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Footer, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from paperlab.errors import PaperlabError
from paperlab.store.models import LogEntry, Paper
from paperlab.tui.clock import ActivityClock
from paperlab.tui.screens.base import PaperlabScreen
from paperlab.tui.screens.modals import AnnotateModal, AnnotationInput, GotoPageModal
from paperlab.tui.widgets.page_view import Mark, PageView
from paperlab.views import AnnotationView, OutlineEntry, load_outline, load_pages, load_paper

CLOCK_TICK_SECONDS = 30.0


@dataclass(frozen=True)
class Loaded:
    paper: Paper | None
    pages: list[tuple[int, str]]
    outline: list[OutlineEntry]
    annotations: list[AnnotationView]
    log: list[LogEntry]


class ReaderScreen(PaperlabScreen):
    """One paper, page by page. Select a passage and press a to annotate it."""

    AUTO_FOCUS = "#page"
    SUB_TITLE = "Reader"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="reader.back", tooltip="Back to the previous screen."),
        Binding(
            "right_square_bracket",
            "page(1)",
            "Next page",
            id="reader.next",
            tooltip="Go to the next page.",
            key_display="]",
        ),
        Binding(
            "left_square_bracket",
            "page(-1)",
            "Prev page",
            id="reader.prev",
            tooltip="Go to the previous page.",
            key_display="[",
        ),
        Binding("g", "goto", "Go to page", id="reader.goto", tooltip="Jump to a page number."),
        Binding(
            "o",
            "outline",
            "Outline",
            id="reader.outline",
            tooltip="Move to the section outline (enter jumps to the section).",
        ),
        Binding("f", "find", "Find", id="reader.find", tooltip="Find text in the whole paper."),
        Binding(
            "n",
            "find_next",
            "Next match",
            id="reader.find_next",
            tooltip="Go to the next match of the last find.",
        ),
        Binding(
            "p",
            "select_paragraph",
            "Paragraph",
            id="reader.paragraph",
            tooltip="Select the paragraph around the cursor.",
        ),
        Binding(
            "s",
            "select_sentence",
            "Sentence",
            id="reader.sentence",
            tooltip="Select the sentence around the cursor.",
        ),
        Binding(
            "a",
            "annotate",
            "Annotate",
            id="reader.annotate",
            tooltip="Annotate the selected passage with a comment and tags.",
        ),
        Binding("e", "notes", "Notes", id="reader.notes", tooltip="Open this paper's note."),
        Binding("t", "tags", "Tags", id="reader.tags", tooltip="Pick this paper's topics."),
        Binding(
            "m",
            "mark",
            "Mark",
            id="reader.mark",
            tooltip="Cycle the reading state: unread, skimming, reading, read.",
        ),
        Binding(
            "x",
            "open_pdf",
            "PDF",
            id="reader.pdf",
            tooltip="Open the PDF in the system viewer at this page.",
        ),
    ]

    @dataclass
    class AnnotationAdded(Message):
        """An annotation was saved for the paper being read."""

        paper_id: str
        annotation_id: int | None

    @dataclass
    class PageShown(Message):
        """The reader moved to another page."""

        paper_id: str
        page: int

    def __init__(
        self, paper_id: str, *, page: int | None = None, highlight: str | None = None
    ) -> None:
        super().__init__()
        self.paper_id = paper_id
        self.page = page or 1
        self.highlight = highlight
        self.pages: dict[int, str] = {}
        self.paper: Paper | None = None
        self.outline: list[OutlineEntry] = []
        self.annotations: list[AnnotationView] = []
        self.search_mark: tuple[int, int, int] | None = None
        self.find_matches: list[tuple[int, int, int]] = []
        self.find_index = -1
        self.clock: ActivityClock | None = None
        self.pending_minutes = 0.0
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="reader"):
            with Vertical(id="reader-side"):
                yield Label("Outline", classes="side-title")
                yield OptionList(id="outline")
                yield Label("Highlights", classes="side-title")
                yield OptionList(id="annotation-list")
                yield Label("Log entries citing this paper", classes="side-title")
                yield Static("", id="paper-log")
            with Vertical(id="reader-main"):
                yield Static("", id="reader-title")
                yield PageView(id="page")
                yield Input(
                    placeholder="Find in paper (enter; n for next)", id="find", classes="hidden"
                )
                yield Static("", id="reader-status")
        yield Footer()

    def on_mount(self) -> None:
        self.clock = ActivityClock(self.lab.idle_minutes * 60)
        self.set_interval(CLOCK_TICK_SECONDS, self._tick)
        self.query_one(PageView).focus()
        self.load()

    def on_screen_resume(self) -> None:
        self.lab.active_paper = self.paper_id

    # ------------------------------------------------------------------ loading

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="reader",
        description="Opening the paper",
    )
    def load(self) -> None:
        from paperlab.annotations import list_annotations
        from paperlab.library import log_entries_for_paper

        store = self.lab.store
        paper = load_paper(store, self.paper_id)
        if paper is None:
            raise PaperlabError(f"Paper {self.paper_id} is not in the library.")
        loaded = Loaded(
            paper=paper,
            pages=load_pages(store, self.paper_id),
            outline=load_outline(store, self.paper_id),
            annotations=list_annotations(store, self.paper_id),
            log=log_entries_for_paper(store, self.paper_id),
        )
        self.app.call_from_thread(self._loaded, loaded)

    def _loaded(self, loaded: Loaded) -> None:
        self.paper = loaded.paper
        self.pages = dict(loaded.pages)
        self.outline = loaded.outline
        title = self.paper.title if self.paper else self.paper_id
        year = f" ({self.paper.year})" if self.paper and self.paper.year else ""
        self.query_one("#reader-title", Static).update(
            Text.assemble((title, "bold"), year, ("  " + self.paper_id, "dim"))
        )
        outline = self.query_one("#outline", OptionList)
        outline.clear_options()
        outline.add_options(
            Option(f"p.{e.page:<3} {e.section}", id=str(i)) for i, e in enumerate(self.outline)
        )
        self._show_log(loaded.log)
        self._set_annotations(loaded.annotations)
        if self.highlight and self.pages:
            self._anchor_highlight(self.highlight)
        self.loaded = True
        self.show_page(self.page, select=self._mark_span(self.search_mark))

    def _anchor_highlight(self, passage: str) -> None:
        from paperlab.annotations import locate

        pages = sorted(self.pages.items())
        anchor = locate(pages, passage, page_hint=self.page)
        if anchor is None:
            # A chunk can run over a page break; its opening words still anchor it.
            anchor = locate(pages, " ".join(passage.split()[:12]), page_hint=self.page)
        if anchor is not None:
            self.page = anchor.page
            self.search_mark = (anchor.page, anchor.start, anchor.end)

    @staticmethod
    def _mark_span(mark: tuple[int, int, int] | None) -> tuple[int, int] | None:
        return (mark[1], mark[2]) if mark else None

    def _show_log(self, entries: list[LogEntry]) -> None:
        text = Text()
        for entry in entries:
            when = entry.created_at.strftime("%Y-%m-%d")
            text.append(f"{when} ", style="dim")
            text.append(f"{entry.kind}: ", style="bold")
            text.append(entry.text.strip() + "\n")
        self.query_one("#paper-log", Static).update(text or Text("none yet", style="dim"))

    def _set_annotations(self, annotations: list[AnnotationView]) -> None:
        self.annotations = annotations
        listing = self.query_one("#annotation-list", OptionList)
        listing.clear_options()
        for i, a in enumerate(annotations):
            quote = " ".join(a.quote.split())
            label = Text(f"p.{a.page if a.page is not None else '?':<3} ", style="dim")
            label.append(f"“{quote[:48]}{'…' if len(quote) > 48 else ''}”")
            if a.comment:
                label.append(f" {a.comment}", style="italic")
            listing.add_option(Option(label, id=str(i)))

    # ------------------------------------------------------------------ pages

    @property
    def page_count(self) -> int:
        return max(self.pages) if self.pages else 0

    def show_page(self, number: int, select: tuple[int, int] | None = None) -> None:
        """Show page ``number`` with its highlights, optionally selecting a span."""
        view = self.query_one(PageView)
        if not self.pages:
            abstract = self.paper.abstract if self.paper else ""
            view.show_page(f"{abstract}\n\n(No extracted text yet: run `paperlab index`.)", [])
            self.query_one("#reader-status", Static).update("No extracted text yet.")
            return
        number = max(1, min(self.page_count, number))
        self.page = number
        view.show_page(self.pages.get(number, ""), self._marks(number))
        if select:
            view.select_span(*select)
        if self.clock:
            self.clock.touch()
        self.post_message(self.PageShown(self.paper_id, number))
        self._status()

    def _marks(self, number: int) -> list[Mark]:
        marks = [
            Mark(a.char_start, a.char_end, "annotation")
            for a in self.annotations
            if a.page == number and a.char_start is not None and a.char_end is not None
        ]
        if self.search_mark and self.search_mark[0] == number:
            marks.append(Mark(self.search_mark[1], self.search_mark[2], "search"))
        if 0 <= self.find_index < len(self.find_matches):
            page, start, end = self.find_matches[self.find_index]
            if page == number:
                marks.append(Mark(start, end, "find"))
        return marks

    def section_at(self, number: int, offset: int | None = None) -> str:
        """The section heading in force at ``offset`` of page ``number``."""
        current = ""
        for entry in self.outline:
            if entry.page > number or (
                entry.page == number and offset is not None and entry.offset > offset
            ):
                break
            current = entry.section
        return current

    @on(PageView.SelectionChanged, "#page")
    def _cursor_moved(self) -> None:
        if self.loaded and self.pages:
            self._status()

    def _status(self, extra: str = "") -> None:
        parts = [f"Page {self.page}/{self.page_count}"]
        view = self.query_one(PageView)
        if section := self.section_at(self.page, view.index_of(view.cursor_location)):
            parts.append(section)
        here = sum(1 for a in self.annotations if a.page == self.page)
        if here:
            parts.append(f"{here} highlight{'s' if here > 1 else ''} here")
        if extra:
            parts.append(extra)
        self.query_one("#reader-status", Static).update(" · ".join(parts))

    def action_page(self, delta: int) -> None:
        self.show_page(self.page + delta)

    def action_goto(self) -> None:
        if not self.pages:
            return

        def go(page: int | None) -> None:
            if page is not None:
                self.show_page(page)

        self.app.push_screen(GotoPageModal(self.page_count), go)

    def action_outline(self) -> None:
        self.query_one("#outline", OptionList).focus()

    @on(OptionList.OptionSelected, "#outline")
    def _section_chosen(self, event: OptionList.OptionSelected) -> None:
        entry = self.outline[int(event.option.id or 0)]
        self.show_page(entry.page)
        view = self.query_one(PageView)
        view.move_cursor(view.location_of(entry.offset))
        view.scroll_cursor_visible(center=False)
        view.focus()

    @on(OptionList.OptionSelected, "#annotation-list")
    def _annotation_chosen(self, event: OptionList.OptionSelected) -> None:
        a = self.annotations[int(event.option.id or 0)]
        if a.page is None or a.char_start is None or a.char_end is None:
            self.notify("This highlight's text was not found in the current extraction.")
            return
        self.show_page(a.page, select=(a.char_start, a.char_end))
        self.query_one(PageView).focus()

    # ------------------------------------------------------------------ find

    def action_find(self) -> None:
        find = self.query_one("#find", Input)
        find.remove_class("hidden")
        find.focus()

    @on(Input.Submitted, "#find")
    def _find(self, event: Input.Submitted) -> None:
        words = event.value.split()
        self.find_matches = []
        self.find_index = -1
        if not words:
            return
        pattern = re.compile(r"\s+".join(re.escape(w) for w in words), re.IGNORECASE)
        for number, text in sorted(self.pages.items()):
            self.find_matches += [(number, m.start(), m.end()) for m in pattern.finditer(text)]
        self.query_one(PageView).focus()
        if not self.find_matches:
            self.notify(f"“{event.value}” is not in this paper.", timeout=3)
            return
        later = [i for i, m in enumerate(self.find_matches) if m[0] >= self.page]
        self.find_index = (later[0] if later else 0) - 1
        self.action_find_next()

    def action_find_next(self) -> None:
        if not self.find_matches:
            self.action_find()
            return
        self.find_index = (self.find_index + 1) % len(self.find_matches)
        page, start, end = self.find_matches[self.find_index]
        self.show_page(page, select=(start, end))
        self._status(f"match {self.find_index + 1}/{len(self.find_matches)}")

    # ------------------------------------------------------------------ annotate

    def action_select_paragraph(self) -> None:
        self.query_one(PageView).select_paragraph()

    def action_select_sentence(self) -> None:
        self.query_one(PageView).select_sentence()

    def action_annotate(self) -> None:
        view = self.query_one(PageView)
        span = view.selected_span() if self.pages else None
        if span is None:
            self.notify(
                "Select a passage first: shift+arrows, a mouse drag, "
                "p (paragraph) or s (sentence).",
                severity="warning",
                timeout=4,
            )
            return
        quote = view.text[span[0] : span[1]]
        page = self.page
        start = span[0]

        def save(result: AnnotationInput | None) -> None:
            if result is not None:
                self.save_annotation(quote, page, result, start)

        self.app.push_screen(AnnotateModal(quote, page), save)

    @work(
        thread=True,
        exclusive=False,
        exit_on_error=False,
        group="reader-write",
        description="Saving the annotation",
    )
    def save_annotation(
        self, quote: str, page: int, result: AnnotationInput, start: int | None = None
    ) -> None:
        from paperlab.annotations import add_annotation, list_annotations

        store = self.lab.store
        # The selection's offset says which occurrence of a repeated passage it is.
        added = add_annotation(
            store,
            self.paper_id,
            quote,
            page=page,
            comment=result.comment,
            tags=result.tags,
            near=start,
        )
        annotations = list_annotations(store, self.paper_id)
        self.app.call_from_thread(self._annotation_saved, annotations)
        self.post_message(self.AnnotationAdded(self.paper_id, added.id))

    def _annotation_saved(self, annotations: list[AnnotationView]) -> None:
        self._set_annotations(annotations)
        self.query_one(PageView).set_marks(self._marks(self.page))
        self._status("annotation saved")

    # ------------------------------------------------------------------ other

    def action_notes(self) -> None:
        self.lab.open_notes(self.paper_id)

    def action_tags(self) -> None:
        self.lab.action_tag_paper(self.paper_id)

    def action_mark(self) -> None:
        from paperlab.library import READING_STATES

        if self.paper is None:
            return
        state = READING_STATES[
            (READING_STATES.index(self.paper.reading_state) + 1) % len(READING_STATES)
        ]
        self.paper.reading_state = state
        self.set_state(state)
        self._status(f"marked {state}")

    @work(
        thread=True,
        exclusive=False,
        exit_on_error=False,
        group="reader-write",
        description="Saving the reading state",
    )
    def set_state(self, state: str) -> None:
        from paperlab.library import set_reading_state

        set_reading_state(self.lab.store, self.paper_id, state)
        self.app.post_message(self.lab.LibraryChanged())

    def action_open_pdf(self) -> None:
        self.open_pdf(self.paper.pdf_path if self.paper else None, self.page)

    @work(
        thread=True, exclusive=True, exit_on_error=False, group="pdf", description="Opening the PDF"
    )
    def open_pdf(self, path: str | None, page: int) -> None:
        from paperlab.tui.viewer import open_pdf

        message = open_pdf(path, page)
        self.app.call_from_thread(self.notify, message, timeout=4)

    def action_back(self) -> None:
        find = self.query_one("#find", Input)
        if find.has_focus:
            find.add_class("hidden")
            self.query_one(PageView).focus()
            return
        self.dismiss()

    # ------------------------------------------------------------------ reading time

    def on_key(self, _event: events.Key) -> None:
        if self.clock:
            self.clock.touch()

    def on_mouse_scroll_down(self, _event: events.MouseScrollDown) -> None:
        self.on_key(None)  # type: ignore[arg-type]

    def on_mouse_scroll_up(self, _event: events.MouseScrollUp) -> None:
        self.on_key(None)  # type: ignore[arg-type]

    def on_click(self, _event: events.Click) -> None:
        self.on_key(None)  # type: ignore[arg-type]

    def _tick(self) -> None:
        if self.clock is None:
            return
        self.pending_minutes += self.clock.take_minutes()
        if self.pending_minutes >= 1.0:
            minutes, self.pending_minutes = self.pending_minutes, 0.0
            self.record(minutes)

    @work(
        thread=True,
        exclusive=False,
        exit_on_error=False,
        group="reading-time",
        description="Recording reading time",
    )
    def record(self, minutes: float) -> None:
        from paperlab.progress import record_reading

        record_reading(self.lab.store, self.paper_id, minutes)

    def on_unmount(self) -> None:
        # Synchronous on purpose: a worker started now would be cancelled with the screen.
        if self.clock is None:
            return
        minutes = self.pending_minutes + self.clock.take_minutes()
        self.pending_minutes = 0.0
        if minutes >= 0.05:
            from paperlab.progress import record_reading

            # Losing a few minutes of timing must never block leaving the reader.
            with contextlib.suppress(PaperlabError):
                record_reading(self.lab.store, self.paper_id, minutes)


__all__ = ["ReaderScreen"]
