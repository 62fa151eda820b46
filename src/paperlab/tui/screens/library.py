"""The library: papers grouped by reading list and week, filtered as you type."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Static

from paperlab.library import READING_STATES
from paperlab.tui.screens.base import PaperlabScreen
from paperlab.views import LibraryItem, library_items

FILTER_DEBOUNCE = 0.15
SORTS = ("list order", "title", "year", "reading state")
READING_STYLE = {"unread": "dim", "skimming": "yellow", "reading": "cyan", "read": "green"}
PIPELINE_STYLE = {"failed": "bold red", "indexed": "green", "queued": "dim"}
_SEP = "\x1f"


_STYLED: dict[tuple[str, str], Text] = {}


def _styled(value: str, styles: dict[str, str]) -> Text | str:
    """A state word in its colour; the few distinct Text objects are shared."""
    style = styles.get(value)
    if not style:
        return value
    return _STYLED.setdefault((value, style), Text(value, style=style))


def matches(item: LibraryItem, terms: list[str]) -> bool:
    """Every term appears in the paper's title, id, year, topics, states, list or authors."""
    row = item.paper
    haystack = " ".join(
        [
            row.title,
            row.id,
            str(row.year or ""),
            " ".join(row.topics),
            row.reading_state,
            row.state,
            item.list_title,
            item.list_name or "",
            " ".join(row.authors),
            row.citation_key or "",
        ]
    ).lower()
    return all(term in haystack for term in terms)


def sort_key(mode: str, item: LibraryItem) -> tuple[object, ...]:
    row = item.paper
    if mode == "title":
        return (row.title.lower(),)
    if mode == "year":
        return (-(row.year or 0), row.title.lower())
    if mode == "reading state":
        return (
            READING_STATES.index(row.reading_state) if row.reading_state in READING_STATES else 9,
            row.title.lower(),
        )
    return (item.position,)


class LibraryScreen(PaperlabScreen):
    """Papers by list and week; enter reads, n writes notes, m marks progress."""

    AUTO_FOCUS = "#papers"
    SUB_TITLE = "Library"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "open_reader",
            "Read",
            id="library.read",
            tooltip="Open the selected paper in the reader.",
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
            tooltip="Type to filter by title, id, topic, state, list or author.",
        ),
        Binding(
            "r",
            "refresh",
            "Refresh",
            id="library.refresh",
            tooltip="Reload papers (a fetch in another terminal shows up here).",
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
        self._filter_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="Filter: title, id, topic, state, list, author…", id="filter")
        table: DataTable[str | Text] = DataTable(id="papers", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="library-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#papers", DataTable)
        table.add_column("Title", key="title", width=50)
        table.add_column("Year", key="year", width=4)
        table.add_column("Topics", key="topics", width=22)
        table.add_column("Reading", key="reading", width=8)
        table.add_column("Pipeline", key="pipeline", width=9)
        table.add_column("Id", key="id", width=12)
        table.focus()
        self.lab.library_changed.subscribe(self, lambda _: self.action_refresh())
        self.action_refresh()

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
        self.items = items
        self.loaded = True
        seen: dict[str, str] = {}
        for item in items:
            seen.setdefault(item.paper.id, item.paper.title)
        self.lab.paper_titles = list(seen.items())
        self.render_table()

    def render_table(self) -> None:
        """Rebuild the rows from memory (no database): filtering never waits on I/O."""
        table = self.query_one("#papers", DataTable)
        keep = self.selected_key()
        terms = self.filter_text.lower().split()
        groups: dict[str, list[LibraryItem]] = {}
        for item in self.items:
            if matches(item, terms):
                groups.setdefault(item.group, []).append(item)
        table.clear()
        shown = 0
        papers: set[str] = set()
        for group, members in groups.items():
            first = members[0]
            week = f"week {first.week}" if first.week is not None else ""
            table.add_row(
                Text(f"▾ {first.list_title}", style="bold magenta"),
                "",
                Text(week, style="bold magenta"),
                "",
                "",
                Text(f"{len(members)} paper{'s' if len(members) > 1 else ''}", style="dim"),
                key=f"group{_SEP}{group}",
            )
            for item in sorted(members, key=lambda i: sort_key(self.sort_mode, i)):
                row = item.paper
                # Plain strings where style is not needed: DataTable measures every
                # cell on each rebuild, and a str measures far faster than a Text.
                table.add_row(
                    "  " + row.title,
                    str(row.year or ""),
                    ", ".join(row.topics),
                    _styled(row.reading_state, READING_STYLE),
                    _styled(row.state, PIPELINE_STYLE),
                    row.id,
                    key=f"{group}{_SEP}{row.id}",
                )
                shown += 1
                papers.add(row.id)
        total = len({i.paper.id for i in self.items})
        status = f"{len(papers)} of {total} papers · sorted by {self.sort_mode}"
        if self.filter_text:
            status += f" · filter “{self.filter_text}”"
        self.query_one("#library-status", Static).update(status)
        if keep is not None and keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep), animate=False)
        elif shown:
            table.move_cursor(row=1, animate=False)

    def selected_key(self) -> str | None:
        table = self.query_one("#papers", DataTable)
        if table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:  # the cursor can sit past the end while the table rebuilds
            return None
        return key

    def selected_paper(self) -> str | None:
        key = self.selected_key()
        if key is None or key.startswith(f"group{_SEP}"):
            return None
        return key.split(_SEP, 1)[1]

    def _need_paper(self) -> str | None:
        paper = self.selected_paper()
        if paper is None:
            self.notify("Select a paper first (a group heading is selected).", timeout=3)
        return paper

    # ------------------------------------------------------------------ filter

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        # Rebuilding a 1,000-row table takes a few hundred ms: wait for a pause in
        # typing so keystrokes never queue up behind rebuilds.
        self.filter_text = event.value.strip()
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(FILTER_DEBOUNCE, self.render_table)

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
            self.render_table()
        self.query_one("#papers", DataTable).focus()

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""
        self.query_one("#papers", DataTable).focus()

    def action_sort(self) -> None:
        self.sort_mode = SORTS[(SORTS.index(self.sort_mode) + 1) % len(SORTS)]
        self.render_table()

    # ------------------------------------------------------------------ actions

    @on(DataTable.RowSelected, "#papers")
    def _row_selected(self) -> None:
        self.action_open_reader()

    def action_open_reader(self) -> None:
        paper = self._need_paper()
        if paper:
            self.lab.open_reader(paper)

    def action_notes(self) -> None:
        paper = self._need_paper()
        if paper:
            self.lab.open_notes(paper)

    def action_tags(self) -> None:
        paper = self._need_paper()
        if paper:
            self.lab.action_tag_paper(paper)

    def action_mark(self) -> None:
        paper = self._need_paper()
        if paper is None:
            return
        current = next(i.paper.reading_state for i in self.items if i.paper.id == paper)
        state = READING_STATES[(READING_STATES.index(current) + 1) % len(READING_STATES)]
        # Show it at once; the write follows in a worker.
        self.items = [
            dataclasses.replace(i, paper=dataclasses.replace(i.paper, reading_state=state))
            if i.paper.id == paper
            else i
            for i in self.items
        ]
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


__all__ = ["LibraryScreen", "matches", "sort_key"]
