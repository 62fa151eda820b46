"""Small dialogs: help, tag picker, annotate a passage, go to page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Markdown, SelectionList, Static

SCREENS_HELP = """\
**Screens** (switch with 1-5, or ctrl+p for the command palette)

1. **Library**: papers grouped by reading list and week; type to filter.
2. **Search**: hybrid search over passages, notes, annotations and the log.
3. **Log**: the research log: ideas, questions, experiments, results, decisions, todos.
4. **Topics**: the roadmap's weeks 1-18 as tags, with linked papers and log entries.
5. **Progress**: hours per plan week (19-24) against 8 h, papers read per list.

From a paper: **Reader** (enter) shows its text page by page with the outline,
highlights and the log entries that cite it; **Notes** (n / e) holds the
structured note, saved as you type.
"""

_CLOSE: list[BindingType] = [
    Binding("escape", "dismiss_none", "Close", id="modal.close", tooltip="Close without changes."),
]


class HelpScreen(ModalScreen[None]):
    """Keys of the screen underneath, and what each screen is for."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *_CLOSE,
        Binding(
            "q", "dismiss_none", "Close", id="help.close", show=False, tooltip="Close the help."
        ),
    ]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box", classes="dialog"):
            yield Label("Help", classes="dialog-title")
            with VerticalScroll():
                yield Markdown(SCREENS_HELP)
                table: DataTable[str | Text] = DataTable(id="help-keys", show_cursor=False)
                table.add_columns("Key", "Action", "What it does")
                for key, description, tooltip in self.rows:
                    table.add_row(Text(key, style="bold"), description, tooltip)
                yield table

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class TagPickerModal(ModalScreen[list[str] | None]):
    """Pick a paper's roadmap topics; returns the new set of slugs."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *_CLOSE,
        Binding("ctrl+s", "apply", "Apply", id="tags.apply", tooltip="Save the chosen topics."),
    ]

    def __init__(
        self, paper_id: str, topics: list[tuple[str, str, list[int]]], current: list[str]
    ) -> None:
        super().__init__()
        self.paper_id = paper_id
        self.topics = topics
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="tag-box", classes="dialog"):
            yield Label(f"Topics of {self.paper_id}", classes="dialog-title")
            options = [
                (f"{_weeks(weeks):>9}  {title} ({slug})", slug, slug in self.current)
                for slug, title, weeks in self.topics
            ]
            yield SelectionList[str](*options, id="tag-list")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply", id="tag-apply", variant="primary")
                yield Button("Cancel", id="tag-cancel")

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    def action_apply(self) -> None:
        self.dismiss(list(self.query_one(SelectionList).selected))

    @on(Button.Pressed, "#tag-apply")
    def _apply(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#tag-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


def _weeks(weeks: list[int]) -> str:
    if not weeks:
        return ""
    if len(weeks) == 1:
        return f"week {weeks[0]}"
    return f"weeks {min(weeks)}-{max(weeks)}"


@dataclass(frozen=True)
class AnnotationInput:
    comment: str
    tags: list[str]


class AnnotateModal(ModalScreen[AnnotationInput | None]):
    """Comment and tags for the selected passage."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *_CLOSE,
        Binding("ctrl+s", "save", "Save", id="annotate.save", tooltip="Save the annotation."),
    ]

    def __init__(self, quote: str, page: int) -> None:
        super().__init__()
        self.quote = quote
        self.page = page

    def compose(self) -> ComposeResult:
        with Vertical(id="annotate-box", classes="dialog"):
            yield Label(f"Annotate (page {self.page})", classes="dialog-title")
            shown = self.quote if len(self.quote) < 400 else self.quote[:400] + "…"
            yield Static(Text(f"“{shown}”", style="italic"), id="annotate-quote")
            yield Input(placeholder="Comment (enter to save)", id="annotate-comment")
            yield Input(placeholder="Tags, comma-separated (optional)", id="annotate-tags")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="annotate-save", variant="primary")
                yield Button("Cancel", id="annotate-cancel")

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        comment = self.query_one("#annotate-comment", Input).value.strip()
        raw_tags = self.query_one("#annotate-tags", Input).value
        tags = [t.strip() for t in raw_tags.split(",") if t.strip()]
        self.dismiss(AnnotationInput(comment, tags))

    @on(Input.Submitted)
    @on(Button.Pressed, "#annotate-save")
    def _save(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#annotate-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class GotoPageModal(ModalScreen[int | None]):
    """Ask for a page number."""

    BINDINGS: ClassVar[list[BindingType]] = list(_CLOSE)

    def __init__(self, pages: int) -> None:
        super().__init__()
        self.pages = pages

    def compose(self) -> ComposeResult:
        with Vertical(id="goto-box", classes="dialog"):
            yield Label(f"Go to page (1-{self.pages})", classes="dialog-title")
            yield Input(placeholder="page", type="integer", id="goto-page")

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _go(self, event: Input.Submitted) -> None:
        try:
            page = int(event.value)
        except ValueError:
            self.notify("Type a page number.", severity="warning")
            return
        self.dismiss(max(1, min(self.pages, page)))


__all__ = ["AnnotateModal", "AnnotationInput", "GotoPageModal", "HelpScreen", "TagPickerModal"]
