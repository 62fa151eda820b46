"""Dialogs of the research log: one entry shown whole, and the form to write or edit one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from paperlab.tui.screens.modals import FOCUS_KEYS, Dialog

LOG_KINDS = ("idea", "question", "experiment", "result", "decision", "todo")


def split_list(raw: str) -> list[str]:
    """Ids or slugs typed comma- or semicolon-separated ('#' allowed before a slug)."""
    parts = (p.strip().lstrip("#").strip() for p in raw.replace(";", ",").split(","))
    return [p for p in parts if p]


@dataclass(frozen=True)
class LogEntryInput:
    """What the form holds: kept whole when saving fails, so nothing typed is lost."""

    kind: str
    text: str
    papers: str
    topics: str

    @property
    def paper_list(self) -> list[str]:
        return split_list(self.papers)

    @property
    def topic_list(self) -> list[str]:
        return split_list(self.topics)


def entry_details(entry: Any) -> Text:
    """An entry in full: date, kind, the whole text, then its papers and topics."""
    text = Text()
    when = entry.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    text.append(f"#{entry.id}  {when}  ", style="dim")
    text.append(entry.kind, style="bold")
    text.append("\n" + entry.text.strip() + "\n")
    if entry.paper_ids:
        text.append("papers: ", style="dim")
        text.append(", ".join(entry.paper_ids) + "\n", style="italic")
    if entry.topic_slugs:
        text.append("topics: ", style="dim")
        text.append(", ".join(f"#{t}" for t in entry.topic_slugs) + "\n", style="italic")
    return text


class LogEntryModal(Dialog[LogEntryInput | None]):
    """Write a new entry or edit one: kind, text, linked papers and topics."""

    DEFAULT_CSS = """
    LogEntryModal .logentry-row { height: 1; margin-bottom: 1; }
    LogEntryModal .logentry-label { width: 8; color: $accent; }
    LogEntryModal .logentry-row Input, LogEntryModal .logentry-row Select { width: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "dismiss_none",
            "Close",
            id="logentry.close",
            tooltip="Close without saving (twice when something is typed).",
        ),
        Binding("ctrl+s", "save", "Save", id="logentry.save", tooltip="Save the entry."),
        *FOCUS_KEYS,
    ]

    def __init__(
        self,
        title: str,
        initial: LogEntryInput,
        topics: list[tuple[str, str]] | None = None,
        *,
        original: LogEntryInput | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.initial = initial
        # What counts as "nothing typed": the stored entry, or an empty form.
        self.original = original or LogEntryInput(initial.kind, "", "", "")
        self.last: LogEntryInput | None = None  # what the form held when closed unsaved
        self.topics = topics or []

    def compose(self) -> ComposeResult:
        hint = ", ".join(slug for slug, _title in self.topics[:4])
        with Vertical(id="logentry-box", classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            with Horizontal(classes="logentry-row"):
                yield Label("Kind", classes="logentry-label")
                yield Select(
                    [(k, k) for k in LOG_KINDS],
                    value=self.initial.kind if self.initial.kind in LOG_KINDS else "idea",
                    allow_blank=False,
                    compact=True,
                    id="logentry-kind",
                )
            with Horizontal(classes="logentry-row"):
                yield Label("Text", classes="logentry-label")
                yield Input(
                    self.initial.text,
                    placeholder="What happened? arXiv ids in it link papers (enter saves)",
                    compact=True,
                    select_on_focus=False,  # tabbing in must not make a key wipe it
                    id="logentry-text",
                )
            with Horizontal(classes="logentry-row"):
                yield Label("Papers", classes="logentry-label")
                yield Input(
                    self.initial.papers,
                    placeholder="ids, comma-separated",
                    compact=True,
                    select_on_focus=False,
                    id="logentry-papers",
                )
            with Horizontal(classes="logentry-row"):
                yield Label("Topics", classes="logentry-label")
                yield Input(
                    self.initial.topics,
                    placeholder=f"slugs, comma-separated ({hint}…)" if hint else "slugs",
                    compact=True,
                    select_on_focus=False,
                    id="logentry-topics",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (^s)", id="logentry-save", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="logentry-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#logentry-text", Input).focus()

    def current(self) -> LogEntryInput:
        return LogEntryInput(
            kind=str(self.query_one("#logentry-kind", Select).value),
            text=self.query_one("#logentry-text", Input).value,
            papers=self.query_one("#logentry-papers", Input).value,
            topics=self.query_one("#logentry-topics", Input).value,
        )

    def action_dismiss_none(self) -> None:
        if self.may_discard(self.current() != self.original):
            self.last = self.current()
            self.dismiss(None)

    def action_save(self) -> None:
        entry = self.current()
        if not entry.text.strip():
            self.notify("Write the entry's text first.", severity="warning", timeout=3)
            self.query_one("#logentry-text", Input).focus()
            return
        self.dismiss(entry)

    @on(Input.Submitted)
    @on(Button.Pressed, "#logentry-save")
    def _save(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#logentry-cancel")
    def _cancel(self) -> None:
        self.last = self.current()
        self.dismiss(None)


class LogDetailModal(Dialog[str | None]):
    """One entry, whole. Returns "edit" or "open" when the user asks for either."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Close", id="logdetail.close", tooltip="Close."),
        Binding("e", "choose('edit')", "Edit", id="logdetail.edit", tooltip="Edit this entry."),
        Binding(
            "o",
            "choose('open')",
            "Open paper",
            id="logdetail.open",
            tooltip="Open the first linked paper in the reader.",
        ),
    ]

    def __init__(self, entry: Any) -> None:
        super().__init__()
        self.entry = entry

    def compose(self) -> ComposeResult:
        with Vertical(id="logdetail-box", classes="dialog"):
            yield Label(f"Log entry {self.entry.id}", classes="dialog-title")
            with VerticalScroll(id="logdetail-scroll"):
                yield Static(entry_details(self.entry), id="logdetail-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Edit (e)", id="logdetail-edit", variant="primary", compact=True)
                if self.entry.paper_ids:
                    yield Button("Open paper (o)", id="logdetail-open", compact=True)
                yield Button("Close (esc)", id="logdetail-close", compact=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose" and parameters == ("open",):
            return bool(self.entry.paper_ids)
        return True

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        choice = (event.button.id or "").removeprefix("logdetail-")
        self.dismiss(None if choice == "close" else choice)


__all__ = [
    "LOG_KINDS",
    "LogDetailModal",
    "LogEntryInput",
    "LogEntryModal",
    "entry_details",
    "split_list",
]
