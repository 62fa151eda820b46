"""The library: papers grouped by reading list and week, filtered as you type.

Each paper's cells and search text are made once per load; a keystroke in
the filter only picks and orders rows and hands them to a VirtualTable, which
draws the screenful on view. That keeps a keystroke within a few tens of
milliseconds at 10,000 papers, so the filter applies on every key, unbuffered.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
from dataclasses import dataclass
from typing import ClassVar

from textual import messages, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Header, Input, Static

from paperlab.catalog import READING_STATES
from paperlab.tui.library_rows import (
    ALL_STATES,
    SEP,
    haystack,
    heading_row,
    paper_row,
    sort_key,
    split_terms,
)
from paperlab.tui.screens.base import PaperlabScreen
from paperlab.tui.widgets.footer import KeysFooter
from paperlab.tui.widgets.virtual_table import Column, TableRow, VirtualTable
from paperlab.views import LibraryItem, library_items

# The title takes the width left over; on a narrow terminal the id goes first,
# then the topics, then the pipeline state and the year (the reading state stays).
COLUMNS = (
    Column("Title", 40, grow=True),
    Column("Year", 4, keep=4),
    Column("Topics", 16, keep=2),
    Column("Reading", 8),
    Column("Pipeline", 9, keep=3),
    Column("Id", 12, keep=1),
)
SORTS = ("list order", "title", "year", "reading state")


class PaperTable(VirtualTable):
    """The library's table: enter is "Read" in the footer and help. (The table's own
    enter binding comes first in the chain, so one on the screen is never shown.)"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select_cursor",
            "Read",
            id="library.read",
            tooltip="Open the selected paper in the reader; on a group heading, fold or unfold it.",
        ),
    ]


class LibraryScreen(PaperlabScreen):
    """Papers by list and week; enter reads, n writes notes, m marks progress."""

    AUTO_FOCUS = "#papers"
    SUB_TITLE = "Library"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "i",
            "front_page",
            "About",
            id="library.about",
            tooltip="The paper's front page: abstract, why read it, what it builds on, your note.",
        ),
        Binding(
            "n",
            "notes",
            "Notes",
            id="library.notes",
            tooltip="Open the structured note of the selected paper.",
        ),
        Binding(
            "m",
            "mark",
            "Mark",
            id="library.mark",
            tooltip="Cycle the reading state: unread, skimming, reading, read.",
        ),
        Binding(
            "s",
            "sort",
            "Sort",
            id="library.sort",
            tooltip="Cycle the order within groups: list, title, year, reading state.",
        ),
        Binding(
            "t",
            "tags",
            "Tags",
            id="library.tags",
            tooltip="Pick the roadmap topics of the selected paper.",
        ),
        Binding(
            "f",
            "focus_filter",
            "Filter",
            id="library.filter",
            tooltip="Type to filter by title, id, topic, tag, list or author;"
            " state:reading (or any reading or pipeline state) keeps papers in that state.",
        ),
        Binding(
            "r",
            "refresh",
            "Refresh",
            id="library.refresh",
            tooltip="Reload papers (a fetch in another terminal shows up here).",
        ),
        Binding(
            "space",
            "toggle_group",
            "Fold",
            id="library.fold",
            tooltip="Collapse or expand the group under the cursor (enter on a heading too).",
        ),
        Binding(
            "x",
            "open_pdf",
            "PDF",
            id="library.pdf",
            tooltip="Open the paper's PDF in the system viewer, at the page you left it.",
        ),
        Binding(
            "escape",
            "clear_filter",
            "Clear filter",
            id="library.clear",
            show=False,
            tooltip="Clear the filter and go back to the table.",
        ),
    ]

    @dataclass
    class ReadingStateChanged(Message):
        """The user changed a paper's reading state here."""

        paper_id: str
        state: str

    def __init__(self) -> None:
        super().__init__()
        self.items: list[LibraryItem] = []
        self.sort_mode = SORTS[0]
        self.filter_text = ""
        self.loaded = False
        # Per item (same order as self.items): its search text and its table row.
        self._haystacks: list[str] = []
        self._rows: list[TableRow] = []
        self._ids: list[str] = []
        self._item_of_key: dict[str, int] = {}
        self._total = 0
        self._orders: dict[str, list[tuple[str, list[int]]]] = {}
        self._states: list[tuple[str, str]] = []
        # Groups folded by the user: kept across filtering, sorting and reloads.
        self.collapsed: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(
            placeholder="Filter: title, id, topic, list, author… · state:reading, state:failed…",
            id="filter",
        )
        yield PaperTable(COLUMNS, id="papers")
        yield Static("", id="library-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#papers", VirtualTable).focus()
        self.lab.library_changed.subscribe(self, lambda _: self.action_refresh())
        self.action_refresh()

    def on_unmount(self) -> None:
        gc.unfreeze()  # see show_items: what it kept from the collector can go now

    # ------------------------------------------------------------------ loading

    def action_refresh(self) -> None:
        self.load()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="library",
        description="Loading the library",
    )
    def load(self) -> None:
        items = library_items(self.lab.store)
        self.app.call_from_thread(self.show_items, items)

    def show_items(self, items: list[LibraryItem]) -> None:
        self.set_items(items)
        # The loaded papers (and the app) live on: keep the cycle collector from
        # rescanning them. At 10,000 papers each full collection took ~80 ms,
        # a visible stall in the middle of typing a filter. (They are freed by
        # reference counting when replaced; none of them is in a cycle.)
        gc.freeze()
        self.loaded = True
        seen: dict[str, str] = {}
        for item in items:
            seen.setdefault(item.paper.id, item.paper.title)
        self.lab.paper_titles = list(seen.items())
        self.render_table()

    def set_items(self, items: list[LibraryItem]) -> None:
        """Keep ``items`` with what filtering and drawing need of each, made once."""
        self.items = items
        self._haystacks = [haystack(item) for item in items]
        self._rows = [paper_row(item) for item in items]
        self._ids = [item.paper.id for item in items]
        self._states = [(item.paper.reading_state, item.paper.state) for item in items]
        self._item_of_key = {row.key: i for i, row in enumerate(self._rows)}
        self._total = len(set(self._ids))
        self._orders = {}

    def _groups(self) -> list[tuple[str, list[int]]]:
        """Groups in order, each with its items' indices in the current sort (cached)."""
        mode = self.sort_mode
        if mode not in self._orders:
            groups: dict[str, list[int]] = {}
            for i, item in enumerate(self.items):
                groups.setdefault(item.group, []).append(i)
            self._orders[mode] = [
                (group, sorted(members, key=lambda i: sort_key(mode, self.items[i])))
                for group, members in groups.items()
            ]
        return self._orders[mode]

    def render_table(self) -> None:
        """Rebuild the rows from memory (no database): filtering never waits on I/O."""
        table = self.query_one("#papers", VirtualTable)
        keep = self.selected_key()
        keep_item = self._item_of_key.get(keep) if keep is not None else None
        keep_row: int | None = None
        terms, states = split_terms(self.filter_text)
        hay = self._haystacks
        rows: list[TableRow] = []
        papers: set[str] = set()
        for group, members in self._groups():
            if states:
                own = self._states
                members = [i for i in members if states & set(own[i])]
            if not terms:
                hits = members
            elif len(terms) == 1:
                term = terms[0]
                hits = [i for i in members if term in hay[i]]
            else:
                hits = [i for i in members if all(t in hay[i] for t in terms)]
            if not hits:
                continue
            folded = group in self.collapsed
            heading = f"group{SEP}{group}"
            if keep == heading or (folded and keep_item is not None and keep_item in hits):
                keep_row = len(rows)
            rows.append(heading_row(heading, self.items[hits[0]], len(hits), folded))
            papers.update(map(self._ids.__getitem__, hits))
            if folded:
                continue
            if keep_item is not None and self.items[keep_item].group == group:
                with contextlib.suppress(ValueError):  # filtered out
                    keep_row = len(rows) + hits.index(keep_item)
            rows.extend(map(self._rows.__getitem__, hits))
        table.replace_rows(rows)
        status = f"{len(papers)} of {self._total} papers · sorted by {self.sort_mode}"
        if self.filter_text:
            status += f" · filter “{self.filter_text}”"
        unknown = sorted(states - set(ALL_STATES))
        if unknown:
            status += f" · no state {', '.join(unknown)}: use " + ", ".join(ALL_STATES)
        if self.collapsed:
            status += " · space or enter on a heading unfolds a group"
        # One line, always: no need to lay the screen out again for it. Posted
        # now (not when the widget next idles) so it changes with the rows.
        line = self.query_one("#library-status", Static)
        line.update(status, layout=False)
        self.post_message(messages.Update(line))
        if keep_row is not None:
            table.move_cursor(keep_row)
        elif papers:
            # The first paper, or the first heading when that group is folded.
            first_is_paper = len(rows) > 1 and not rows[1].key.startswith(f"group{SEP}")
            table.move_cursor(1 if first_is_paper else 0)

    def selected_key(self) -> str | None:
        return self.query_one("#papers", VirtualTable).cursor_key()

    def selected_paper(self) -> str | None:
        key = self.selected_key()
        if key is None or key.startswith(f"group{SEP}"):
            return None
        return key.split(SEP, 1)[1]

    def _need_paper(self) -> str | None:
        paper = self.selected_paper()
        if paper is None:
            self.notify("Select a paper first (a group heading is selected).", timeout=3)
        return paper

    # ------------------------------------------------------------------ filter

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self.render_table()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one("#papers", VirtualTable).focus()

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""
        self.query_one("#papers", VirtualTable).focus()

    def action_sort(self) -> None:
        self.sort_mode = SORTS[(SORTS.index(self.sort_mode) + 1) % len(SORTS)]
        self.render_table()

    # ------------------------------------------------------------------ actions

    @on(VirtualTable.RowSelected, "#papers")
    def _row_selected(self, event: VirtualTable.RowSelected) -> None:
        if event.row_key.startswith(f"group{SEP}"):
            self.action_toggle_group()
        else:
            self.action_open_reader()

    def action_toggle_group(self) -> None:
        """Fold or unfold the group under the cursor; the cursor rests on its heading."""
        key = self.selected_key()
        if key is None:
            return
        head, rest = key.split(SEP, 1)
        group = rest if head == "group" else head  # a heading's key, or a paper's
        self.collapsed ^= {group}
        table = self.query_one("#papers", VirtualTable)
        heading = f"group{SEP}{group}"
        # Put the cursor on the heading first, so render_table keeps it there.
        for index, row in enumerate(table.rows):
            if row.key == heading:
                table.move_cursor(index)
                break
        self.render_table()

    def action_open_reader(self) -> None:
        paper = self._need_paper()
        if paper:
            self.lab.open_reader(paper)

    def action_front_page(self) -> None:
        paper = self._need_paper()
        if paper:
            self.lab.open_front_page(paper)

    def action_notes(self) -> None:
        paper = self._need_paper()
        if paper:
            self.lab.open_notes(paper)

    def action_tags(self) -> None:
        paper = self._need_paper()
        if paper:
            self.lab.action_tag_paper(paper)

    def action_open_pdf(self) -> None:
        paper = self._need_paper()
        if paper:
            self.open_pdf(paper)

    @work(
        thread=True, exclusive=True, exit_on_error=False, group="pdf", description="Opening the PDF"
    )
    def open_pdf(self, paper: str) -> None:
        from paperlab.pdfviewer import open_paper

        # As `paperlab open`: where the reader left the paper; a lab's PDF is
        # put on this machine first.
        opened = open_paper(self.lab.store, self.lab.settings, paper)
        self.app.call_from_thread(self.notify, opened.sentence(), timeout=4)

    def action_mark(self) -> None:
        paper = self._need_paper()
        if paper is None:
            return
        current = next(i.paper.reading_state for i in self.items if i.paper.id == paper)
        state = READING_STATES[(READING_STATES.index(current) + 1) % len(READING_STATES)]
        # Show it at once; the write follows in a worker.
        self.set_items(
            [
                dataclasses.replace(i, paper=dataclasses.replace(i.paper, reading_state=state))
                if i.paper.id == paper
                else i
                for i in self.items
            ]
        )
        self.render_table()
        self.save_state(paper, state)

    @work(
        thread=True,
        exclusive=False,
        exit_on_error=False,
        group="library-write",
        description="Saving the reading state",
    )
    def save_state(self, paper: str, state: str) -> None:
        from paperlab.library import set_reading_state

        set_reading_state(self.lab.store, paper, state)
        self.post_message(self.ReadingStateChanged(paper, state))


__all__ = ["LibraryScreen"]
