"""The reader: a paper's extracted text page by page, outline, highlights, annotate.

Find lives in ``reader_find``, the side pane's labels in ``reader_side``, reading
time in ``reader_time``; where the learner stopped is kept by
``paperlab.readingposition`` through ``reader_position`` and restored when the
paper is opened again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from paperlab.annotation_views import AnnotationView
from paperlab.errors import PaperlabError
from paperlab.readingposition import ReadingPosition
from paperlab.store.models import LogEntry, Paper
from paperlab.tui.screens.modals import GotoPageModal
from paperlab.tui.screens.reader_find import FindResults
from paperlab.tui.screens.reader_keys import READER_BINDINGS
from paperlab.tui.screens.reader_position import ReadingPositionScreen
from paperlab.tui.screens.reader_side import highlight_label, outline_label
from paperlab.tui.widgets.footer import KeysFooter
from paperlab.tui.widgets.page_view import Mark, PageView
from paperlab.views import OutlineEntry, load_outline, load_pages, load_paper
from paperlab.wording import counted

# Below this width the side pane starts hidden (b shows it); below WIDE it is narrower.
SIDE_HIDDEN_BELOW = 90
SIDE_WIDE_FROM = 130
SIDE_WIDTH = 36
SIDE_NARROW_WIDTH = 28


@dataclass(frozen=True)
class Loaded:
    paper: Paper | None
    pages: list[tuple[int, str]]
    outline: list[OutlineEntry]
    annotations: list[AnnotationView]
    log: list[LogEntry]
    position: ReadingPosition | None


class ReaderScreen(ReadingPositionScreen):
    """One paper, page by page. Select a passage and press a to annotate it."""

    AUTO_FOCUS = "#page"
    SUB_TITLE = "Reader"

    BINDINGS: ClassVar[list[BindingType]] = READER_BINDINGS
    POSITION_SAVE_SECONDS: ClassVar[float] = 30.0

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
        # A page or passage asked for (a search hit) wins over where the learner stopped.
        self.asked_for_place = page is not None or highlight is not None
        self.page = page or 1
        self.highlight = highlight
        self.pages: dict[int, str] = {}
        self.paper: Paper | None = None
        self.outline: list[OutlineEntry] = []
        self.annotations: list[AnnotationView] = []
        self.search_mark: tuple[int, int, int] | None = None
        self.find = FindResults()
        self.loaded = False
        self.side_chosen: bool | None = None  # the user's b, which wins over the width
        self.position: ReadingPosition | None = None  # last place seen, saved while reading
        self.saved_position: ReadingPosition | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="reader"):
            with Vertical(id="reader-side"):
                yield Label("Outline", classes="side-title")
                yield OptionList(id="outline")
                yield Label("Highlights (h)", classes="side-title")
                yield OptionList(id="annotation-list")
                yield Label("Log entries citing this paper", classes="side-title")
                yield Static("", id="paper-log")
            with Vertical(id="reader-main"):
                yield Static("", id="reader-title")
                yield PageView(id="page")
                yield Input(
                    placeholder="Find in paper (enter; n next, N previous, escape closes)",
                    id="find",
                    classes="hidden",
                )
                yield Static("", id="reader-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.start_clock()
        self.set_interval(self.POSITION_SAVE_SECONDS, self._save_position_while_reading)
        self.query_one(PageView).focus()
        self._fit_side(self.app.size.width)
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
        from paperlab.readingposition import load_position

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
            position=None if self.asked_for_place else load_position(store, self.paper_id),
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
        outline.add_options(Option(outline_label(e), id=str(i)) for i, e in enumerate(self.outline))
        self._show_log(loaded.log)
        self._set_annotations(loaded.annotations)
        if self.highlight and self.pages:
            self._anchor_highlight(self.highlight)
        self.saved_position = loaded.position
        where = loaded.position
        if where is not None and self.pages:
            self.page = where.page
        self.loaded = True
        self.show_page(self.page, select=self._mark_span(self.search_mark))
        if where is not None and self.pages and where.page == self.page:
            self._restore(where)

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
        highlighted = listing.highlighted
        listing.clear_options()
        listing.add_options(
            Option(highlight_label(a), id=str(i)) for i, a in enumerate(annotations)
        )
        if highlighted is not None and annotations:
            listing.highlighted = min(highlighted, len(annotations) - 1)

    # ------------------------------------------------------------------ pages

    @property
    def page_count(self) -> int:
        return max(self.pages) if self.pages else 0

    def _no_text_hint(self) -> str:
        """Why the paper has no text, and what to run: true for failed and undownloaded
        papers alike (running `paperlab index` helps neither)."""
        from paperlab.paperpage import failure_advice

        paper = self.paper
        if paper is None:
            return "No extracted text yet."
        if paper.state == "failed":
            return failure_advice(paper.id, paper.state_reason)
        if not paper.pdf_path:
            return f"No PDF yet: `paperlab fetch {paper.id}` downloads it."
        return f"No extracted text yet: `paperlab index {paper.id}` extracts it."

    def show_page(self, number: int, select: tuple[int, int] | None = None) -> None:
        """Show page ``number`` with its highlights, optionally selecting a span."""
        view = self.query_one(PageView)
        if not self.pages:
            abstract = self.paper.abstract if self.paper else ""
            view.show_page(f"{abstract}\n\n({self._no_text_hint()})", [])
            self.query_one("#reader-status", Static).update("No extracted text yet.")
            return
        number = max(1, min(self.page_count, number))
        self.page = number
        view.show_page(self.pages.get(number, ""), self._marks(number))
        if select:
            view.select_span(*select)
        self.touch_clock()
        self._remember()
        self.post_message(self.PageShown(self.paper_id, number))
        self._status()

    def _marks(self, number: int) -> list[Mark]:
        marks = [
            Mark(a.char_start, a.char_end, "annotation", a.kind)
            for a in self.annotations
            if a.page == number and a.char_start is not None and a.char_end is not None
        ]
        if self.search_mark and self.search_mark[0] == number:
            marks.append(Mark(self.search_mark[1], self.search_mark[2], "search"))
        current = self.find.current
        if current is not None and current[0] == number:
            marks.append(Mark(current[1], current[2], "find"))
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
            self._remember()
            self._status()

    def _status(self, extra: str = "") -> None:
        parts = [f"Page {self.page}/{self.page_count}"]
        view = self.query_one(PageView)
        if section := self.section_at(self.page, view.index_of(view.cursor_location)):
            parts.append(section)
        here = sum(1 for a in self.annotations if a.page == self.page)
        if here:
            parts.append(f"{counted(here, 'highlight')} here")
        if found := self.find.label():
            parts.append(found)
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

    # ------------------------------------------------------------------ side pane

    def on_resize(self, event: events.Resize) -> None:
        self._fit_side(event.size.width)

    def _fit_side(self, width: int) -> None:
        """The side pane narrows on smaller terminals and starts hidden on the
        narrowest, unless the user chose with b."""
        side = self.query_one("#reader-side")
        side.styles.width = SIDE_WIDTH if width >= SIDE_WIDE_FROM else SIDE_NARROW_WIDTH
        shown = self.side_chosen if self.side_chosen is not None else width >= SIDE_HIDDEN_BELOW
        side.display = shown

    def _show_side(self, shown: bool) -> None:
        self.side_chosen = shown
        self._fit_side(self.app.size.width)
        if not shown and self.focused is not None and self.focused.id != "page":
            self.query_one(PageView).focus()

    def action_toggle_side(self) -> None:
        self._show_side(not self.query_one("#reader-side").display)

    def action_outline(self) -> None:
        self._show_side(True)
        self.query_one("#outline", OptionList).focus()

    def action_highlights(self) -> None:
        listing = self.query_one("#annotation-list", OptionList)
        if not self.annotations:
            self.notify("No highlights yet: select a passage and press a.", timeout=3)
            return
        self._show_side(True)
        if listing.highlighted is None:
            listing.highlighted = 0
        listing.focus()

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
        self.query_one("#find", Input).add_class("hidden")
        self.query_one(PageView).focus()
        if not self.find.search(self.pages, event.value, self.page):
            if event.value.strip():
                self.notify(f"“{event.value.strip()}” is not in this paper.", timeout=3)
            self._status()
            return
        self._show_match()

    def action_find_step(self, delta: int) -> None:
        if not self.find.matches:
            self.action_find()
            return
        self.find.step(delta)
        self._show_match()

    def _show_match(self) -> None:
        current = self.find.current
        if current is not None:
            page, start, end = current
            self.show_page(page, select=(start, end))

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
        self.open_pdf(self.paper_id, self.page)

    async def action_search_paper(self) -> None:
        await self.lab.search_within(self.paper_id)

    @work(
        thread=True, exclusive=True, exit_on_error=False, group="pdf", description="Opening the PDF"
    )
    def open_pdf(self, paper_id: str, page: int) -> None:
        from paperlab.pdfcache import local_pdf
        from paperlab.pdfviewer import open_pdf

        # On a lab library the PDF may not be on this machine yet: the cache
        # writes it out from the database or downloads it, verified by sha256.
        path = local_pdf(self.lab.store, self.lab.settings, paper_id)
        message = open_pdf(str(path), page, self.lab.store.home)
        self.app.call_from_thread(self.notify, message, timeout=4)

    def action_back(self) -> None:
        """Escape leads out step by step: the find box, a side list, the find
        marks, then the reader itself."""
        find = self.query_one("#find", Input)
        view = self.query_one(PageView)
        if find.has_focus or not find.has_class("hidden"):
            find.add_class("hidden")
            view.focus()
            return
        if self.focused is not None and self.focused is not view:
            view.focus()
            return
        if self.find.matches:
            self.find.clear()
            view.set_marks(self._marks(self.page))
            self._status("find closed")
            return
        self._remember()
        self.dismiss()


__all__ = ["ReaderScreen"]
