"""The research log: dated ideas, questions, experiments, results, decisions and todos."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Select, Static

from paperlab.tui.screens.base import PaperlabScreen

LOG_KINDS = ("idea", "question", "experiment", "result", "decision", "todo")
KIND_STYLE = {
    "idea": "yellow",
    "question": "cyan",
    "experiment": "blue",
    "result": "green",
    "decision": "magenta",
    "todo": "red",
}


class LogScreen(PaperlabScreen):
    """Write an entry (mention arXiv ids to link papers); enter on an entry opens its paper."""

    AUTO_FOCUS = "#log-table"
    SUB_TITLE = "Research log"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "a",
            "new_entry",
            "New entry",
            id="log.new",
            tooltip="Write a new entry (kind, text, linked papers).",
        ),
        Binding(
            "k",
            "cycle_filter",
            "Filter kind",
            id="log.filter",
            tooltip="Show only one kind of entry; again for the next kind.",
        ),
        Binding("r", "refresh", "Refresh", id="log.refresh", tooltip="Reload the log."),
        Binding(
            "escape",
            "focus_table",
            "Entries",
            id="log.entries",
            show=False,
            tooltip="Back to the list of entries.",
        ),
    ]

    @dataclass
    class EntryAdded(Message):
        """A log entry was written."""

        entry_id: int | None
        paper_ids: list[str]

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[Any] = []
        self.kind_filter: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="log-form"):
            yield Select(
                [(k, k) for k in LOG_KINDS], value="idea", allow_blank=False, id="log-kind"
            )
            yield Input(
                placeholder="What happened? Mention arXiv ids to link papers (enter)", id="log-text"
            )
            yield Input(placeholder="Also link: ids, comma-separated", id="log-papers")
        table: DataTable[str | Text] = DataTable(
            id="log-table", cursor_type="row", zebra_stripes=True
        )
        yield table
        yield Static("", id="log-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#log-table", DataTable)
        table.add_column("Date", key="date", width=16)
        table.add_column("Kind", key="kind", width=10)
        table.add_column("Entry", key="text", width=70)
        table.add_column("Papers", key="papers")
        self.lab.library_changed.subscribe(self, lambda _: self.action_refresh())
        table.focus()
        self.action_refresh()

    def action_refresh(self) -> None:
        self.load()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="log",
        description="Loading the research log",
    )
    def load(self) -> None:
        from paperlab.views import list_entries

        entries = list_entries(self.lab.store, kind=self.kind_filter)
        self.app.call_from_thread(self.show_entries, entries)

    def show_entries(self, entries: list[Any]) -> None:
        self.entries = entries
        table = self.query_one("#log-table", DataTable)
        table.clear()
        for entry in entries:
            when = entry.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
            table.add_row(
                Text(when, style="dim"),
                Text(entry.kind, style=KIND_STYLE.get(entry.kind, "")),
                " ".join(entry.text.split()),
                Text(
                    ", ".join(entry.paper_ids + [f"#{t}" for t in entry.topic_slugs]),
                    style="italic",
                ),
                key=str(entry.id),
            )
        shown = f"{len(entries)} entries"
        if self.kind_filter:
            shown += f" of kind {self.kind_filter} (k for the next kind)"
        self.query_one("#log-status", Static).update(shown)

    def action_new_entry(self) -> None:
        self.query_one("#log-text", Input).focus()

    def action_focus_table(self) -> None:
        self.query_one("#log-table", DataTable).focus()

    def action_cycle_filter(self) -> None:
        order: list[str | None] = [None, *LOG_KINDS]
        self.kind_filter = order[(order.index(self.kind_filter) + 1) % len(order)]
        self.action_refresh()

    @on(Input.Submitted, "#log-text")
    @on(Input.Submitted, "#log-papers")
    def _submit(self) -> None:
        text = self.query_one("#log-text", Input).value.strip()
        if not text:
            self.notify("Write the entry's text first.", severity="warning", timeout=3)
            return
        kind = str(self.query_one("#log-kind", Select).value)
        raw = self.query_one("#log-papers", Input).value
        papers = [p.strip() for p in raw.replace(";", ",").split(",") if p.strip()]
        self.add(text, kind, papers)

    @work(
        thread=True,
        exclusive=False,
        exit_on_error=False,
        group="log-write",
        description="Adding the log entry",
    )
    def add(self, text: str, kind: str, papers: list[str]) -> None:
        from paperlab.researchlog import add_entry, list_entries

        entry = add_entry(self.lab.store, text, kind=kind, papers=papers)
        entries = list_entries(self.lab.store, kind=self.kind_filter)
        linked = next((e.paper_ids for e in entries if e.id == entry.id), [])
        self.app.call_from_thread(self._added, entries, linked)
        self.post_message(self.EntryAdded(entry.id, linked))

    def _added(self, entries: list[Any], linked: list[str]) -> None:
        self.query_one("#log-text", Input).value = ""
        self.query_one("#log-papers", Input).value = ""
        self.show_entries(entries)
        links = f" linked to {', '.join(linked)}" if linked else ""
        self.notify(f"Logged{links}.", timeout=3)

    @on(DataTable.RowSelected, "#log-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        entry = next((e for e in self.entries if str(e.id) == event.row_key.value), None)
        if entry is not None and entry.paper_ids:
            self.lab.open_reader(entry.paper_ids[0])


__all__ = ["LogScreen"]
