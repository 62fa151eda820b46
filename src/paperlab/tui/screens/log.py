"""The research log: dated ideas, questions, experiments, results, decisions and todos.

The table shows one line per entry, as wide as the terminal allows; the pane
under it shows the highlighted entry whole, and enter opens it in a dialog
from which it can be edited. Entries link papers and roadmap topics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from paperlab.errors import PaperlabError
from paperlab.tui.screens.base import PaperlabScreen
from paperlab.tui.screens.log_entry import (
    LOG_KINDS,
    LogDetailModal,
    LogEntryInput,
    LogEntryModal,
    entry_details,
)
from paperlab.tui.widgets.footer import KeysFooter
from paperlab.views import owner_label

KIND_STYLE = {
    "idea": "yellow",
    "question": "cyan",
    "experiment": "blue",
    "result": "green",
    "decision": "magenta",
    "todo": "red",
}
DATE_WIDTH, KIND_WIDTH = 16, 10


def column_widths(total: int) -> tuple[int, int]:
    """(entry, links) widths that fill a terminal ``total`` columns wide."""
    spare = max(total - DATE_WIDTH - KIND_WIDTH - 10, 30)
    links = min(28, max(12, spare // 4))
    return spare - links, links


class LogScreen(PaperlabScreen):
    """Write an entry (mention arXiv ids to link papers); enter shows an entry whole."""

    AUTO_FOCUS = "#log-table"
    SUB_TITLE = "Research log"
    DEFAULT_CSS = """
    LogScreen #log-detail-pane { height: auto; max-height: 7; padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "leave",
            "Library",
            id="log.leave",
            tooltip="Leave the log for the library.",
        ),
        Binding(
            "a",
            "new_entry",
            "New",
            id="log.new",
            tooltip="Write a new entry (kind, text, linked papers and topics).",
        ),
        Binding("e", "edit_entry", "Edit", id="log.edit", tooltip="Edit the highlighted entry."),
        Binding(
            "enter",
            "show_entry",
            "Show",
            id="log.show",
            priority=True,
            tooltip="Show the highlighted entry whole (edit or open its paper from there).",
        ),
        Binding(
            "o",
            "open_paper",
            "Open paper",
            id="log.open",
            show=False,
            tooltip="Open the highlighted entry's first paper in the reader.",
        ),
        Binding(
            "k",
            "cycle_filter",
            "Filter kind",
            id="log.filter",
            tooltip="Show only one kind of entry; again for the next kind.",
        ),
        Binding("r", "refresh", "Refresh", id="log.refresh", show=False, tooltip="Reload the log."),
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
        self.topics: list[tuple[str, str]] = []
        # A new entry closed without saving comes back the next time (a: new).
        self.unsaved: LogEntryInput | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        table: DataTable[str | Text] = DataTable(
            id="log-table", cursor_type="row", zebra_stripes=True
        )
        yield table
        with VerticalScroll(id="log-detail-pane", can_focus=False):
            yield Static("", id="log-detail")
        yield Static("", id="log-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.lab.library_changed.subscribe(self, lambda _: self.action_refresh())
        self.query_one("#log-table", DataTable).focus()
        self.action_refresh()

    def on_resize(self) -> None:
        if self.entries:
            self.show_entries(self.entries)

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
        from paperlab.log_views import list_entries
        from paperlab.overviews import topics_overview

        entries = list_entries(self.lab.store, kind=self.kind_filter)
        topics = [(t.slug, t.title) for t in topics_overview(self.lab.store)]
        self.app.call_from_thread(self._loaded, entries, topics)

    def _loaded(self, entries: list[Any], topics: list[tuple[str, str]]) -> None:
        self.topics = topics
        self.show_entries(entries)

    def show_entries(self, entries: list[Any], select: int | None = None) -> None:
        table = self.query_one("#log-table", DataTable)
        keep = select if select is not None else self.highlighted_id()
        self.entries = entries
        text_width, links_width = column_widths(self.size.width or 100)
        table.clear(columns=True)
        table.add_column("Date", key="date", width=DATE_WIDTH)
        table.add_column("Kind", key="kind", width=KIND_WIDTH)
        table.add_column("Entry", key="text", width=text_width)
        table.add_column("Links", key="links", width=links_width)
        for entry in entries:
            when = entry.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
            flat = owner_label(entry.owner, entry.shared) + " ".join(entry.text.split())
            if len(flat) > text_width:
                flat = flat[: text_width - 1] + "…"  # the pane below shows it whole
            table.add_row(
                Text(when, style="dim"),
                Text(entry.kind, style=KIND_STYLE.get(entry.kind, "")),
                flat,
                Text(
                    ", ".join(entry.paper_ids + [f"#{t}" for t in entry.topic_slugs]),
                    style="italic",
                ),
                key=str(entry.id),
            )
        ids = [e.id for e in entries]
        if keep in ids:
            table.move_cursor(row=ids.index(keep))
        self.show_detail()
        shown = f"{len(entries)} entries"
        if self.kind_filter:
            shown += f" of kind {self.kind_filter} (k for the next kind)"
        self.query_one("#log-status", Static).update(shown)

    # ------------------------------------------------------------------ the highlighted entry

    def highlighted(self) -> Any | None:
        table = self.query_one("#log-table", DataTable)
        if not self.entries or table.cursor_row is None:
            return None
        row = table.cursor_row
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def highlighted_id(self) -> int | None:
        entry = self.highlighted()
        return entry.id if entry is not None else None

    @on(DataTable.RowHighlighted, "#log-table")
    def show_detail(self) -> None:
        entry = self.highlighted()
        detail = self.query_one("#log-detail", Static)
        if entry is None:
            detail.update(Text("No entries yet: a writes one.", style="dim"))
        else:
            detail.update(entry_details(entry))

    def _need_entry(self) -> Any | None:
        entry = self.highlighted()
        if entry is None:
            self.notify("No entry highlighted: a writes one.", timeout=3)
        return entry

    def action_show_entry(self) -> None:
        entry = self._need_entry()
        if entry is None:
            return

        def chosen(choice: str | None) -> None:
            if choice == "edit":
                self.edit(entry)
            elif choice == "open":
                self.open_paper(entry)

        self.app.push_screen(LogDetailModal(entry), chosen)

    def action_open_paper(self) -> None:
        entry = self._need_entry()
        if entry is not None:
            self.open_paper(entry)

    def open_paper(self, entry: Any) -> None:
        if entry.paper_ids:
            self.lab.open_reader(entry.paper_ids[0])
        else:
            self.notify("This entry links no paper.", timeout=3)

    # ------------------------------------------------------------------ writing

    def action_new_entry(self) -> None:
        initial = self.unsaved or LogEntryInput("idea", "", "", "")
        self.unsaved = None
        self.ask("New log entry", initial, None, LogEntryInput("idea", "", "", ""))

    def action_edit_entry(self) -> None:
        entry = self._need_entry()
        if entry is not None:
            self.edit(entry)

    def edit(self, entry: Any) -> None:
        initial = LogEntryInput(
            entry.kind, entry.text, ", ".join(entry.paper_ids), ", ".join(entry.topic_slugs)
        )
        self.ask(f"Edit log entry {entry.id}", initial, entry.id, initial)

    def ask(
        self,
        title: str,
        initial: LogEntryInput,
        entry_id: int | None,
        original: LogEntryInput,
    ) -> None:
        modal = LogEntryModal(title, initial, self.topics, original=original)

        def done(result: LogEntryInput | None) -> None:
            if result is not None:
                self.write(result, entry_id, original)
            elif entry_id is None and modal.last is not None and modal.last.text.strip():
                self.unsaved = modal.last
                self.notify("The unsaved entry comes back with a.", timeout=3)

        self.app.push_screen(modal, done)

    @work(
        thread=True,
        exclusive=False,
        exit_on_error=False,
        group="log-write",
        description="Saving the log entry",
    )
    def write(self, form: LogEntryInput, entry_id: int | None, original: LogEntryInput) -> None:
        from paperlab.log_views import list_entries
        from paperlab.researchlog import add_entry, update_entry

        try:
            if entry_id is None:
                saved = add_entry(
                    self.lab.store,
                    form.text,
                    kind=form.kind,
                    papers=form.paper_list,
                    topics=form.topic_list,
                )
            else:
                saved = update_entry(
                    self.lab.store,
                    entry_id,
                    text=form.text,
                    kind=form.kind,
                    papers=form.paper_list,
                    topics=form.topic_list,
                )
        except PaperlabError as error:
            # Nothing was written: reopen the form with what was typed.
            self.app.call_from_thread(self._refused, form, entry_id, original, error)
            return
        entries = list_entries(self.lab.store, kind=self.kind_filter)
        linked = next((e for e in entries if e.id == saved.id), None)
        self.app.call_from_thread(self._written, entries, saved.id, linked, entry_id is None)
        if entry_id is None:
            self.post_message(self.EntryAdded(saved.id, linked.paper_ids if linked else []))

    def _refused(
        self,
        form: LogEntryInput,
        entry_id: int | None,
        original: LogEntryInput,
        error: PaperlabError,
    ) -> None:
        message = error.message + (f" {error.hint}" if error.hint else "")
        self.notify(message, title="Not saved", severity="error", timeout=8)
        title = "New log entry" if entry_id is None else f"Edit log entry {entry_id}"
        self.ask(title, form, entry_id, original)

    def _written(self, entries: list[Any], entry_id: int | None, entry: Any, new: bool) -> None:
        self.show_entries(entries, select=entry_id)
        links = []
        if entry is not None and entry.paper_ids:
            links.append(", ".join(entry.paper_ids))
        if entry is not None and entry.topic_slugs:
            links.append(", ".join(f"#{t}" for t in entry.topic_slugs))
        linked = f" linked to {'; '.join(links)}" if links else ""
        self.notify(f"{'Logged' if new else 'Saved'}{linked}.", timeout=3)

    # ------------------------------------------------------------------ navigation

    def action_leave(self) -> None:
        self.app.switch_mode("library")

    def action_cycle_filter(self) -> None:
        order: list[str | None] = [None, *LOG_KINDS]
        self.kind_filter = order[(order.index(self.kind_filter) + 1) % len(order)]
        self.action_refresh()


__all__ = ["LogScreen", "column_widths"]
