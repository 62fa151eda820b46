"""Small dialogs: help, tag picker, annotate a passage, go to page, note conflicts.

Every dialog hands focus back to the widget that had it when the dialog
opened (``Dialog``), so the key typed after closing one reaches the table or
editor the user was in, not a text box where it becomes text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, DataTable, Input, Label, Markdown, SelectionList, Static

ResultType = TypeVar("ResultType")

SCREENS_HELP = """\
**Screens** (switch with 1-6, or ctrl+p for the command palette)

1. **Library**: papers grouped by reading list and week; type to filter
   (`state:reading` keeps the papers in that state); enter on a heading or
   space folds a group.
2. **Search**: hybrid search over passages, notes, annotations and the log.
3. **Log**: the research log: ideas, questions, experiments, results, decisions, todos.
4. **Topics**: the roadmap's weeks 1-18 as tags, with linked papers and log entries.
5. **Progress**: this week's core and optional papers and the next one to read
   (enter reads it), what to read next and why, time per plan week (19-24),
   papers read per list, failed papers apart.
6. **Annotations**: every paper's highlights, by kind and tag.

From a paper: **Reader** (enter) shows its text page by page with the outline,
highlights and the log entries that cite it; **Notes** (n / e) holds the
structured note, saved as you type; **About** (i, in the library, search,
topics and progress) is its front page: abstract, why each list says to read
it, what it builds on, your note's summary, what it cites and what cites it.
"""

_CLOSE: list[BindingType] = [
    Binding("escape", "dismiss_none", "Close", id="modal.close", tooltip="Close without changes."),
]
# Tab and shift+tab as priority bindings move focus the moment they are read:
# as plain bindings they first travel up from the focused box, and the keys
# typed right after them land in the old box (a fast "comment<tab>tags").
FOCUS_KEYS: list[BindingType] = [
    Binding("tab", "app.focus_next", "Next", show=False, priority=True),
    Binding("shift+tab", "app.focus_previous", "Previous", show=False, priority=True),
]


class Dialog(ModalScreen[ResultType]):
    """A modal that gives focus back to where it was when the dialog opened."""

    def __init__(self) -> None:
        super().__init__()
        self._return_to: Widget | None = None
        self._discard_armed = False

    def may_discard(self, typed: bool) -> bool:
        """Whether escape may close the dialog: nothing typed, or escape pressed twice.

        A single key never throws typed text away: the first escape only says so.
        """
        if not typed or self._discard_armed:
            return True
        self._discard_armed = True
        self.notify(
            "Press escape again to discard what you typed (ctrl+s saves it).",
            severity="warning",
            timeout=4,
        )
        return False

    @on(Input.Changed)
    def _typed(self) -> None:
        self._discard_armed = False

    def on_mount(self) -> None:
        stack = self.app.screen_stack
        below = stack[-2] if len(stack) > 1 and stack[-1] is self else None
        self._return_to = below.focused if below is not None else None

    def on_unmount(self) -> None:
        target = self._return_to
        if target is None:
            return

        def give_back() -> None:
            screen = target.screen if target.is_attached else None
            # Only a focus the dialog's result did not move on purpose is put back.
            if (
                screen is not None
                and screen is self.app.screen
                and target.focusable
                and (screen.focused is None or isinstance(screen.focused, Input))
            ):
                target.focus()

        self.app.call_later(give_back)


class HelpScreen(Dialog[None]):
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
            yield Label("Help (escape closes)", classes="dialog-title")
            with VerticalScroll():
                yield Markdown(SCREENS_HELP)
                table: DataTable[str | Text] = DataTable(id="help-keys", show_cursor=False)
                table.add_columns("Key", "Action", "What it does")
                for key, description, tooltip in self.rows:
                    table.add_row(Text(key, style="bold"), description, tooltip)
                yield table

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class TagPickerModal(Dialog[list[str] | None]):
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
                yield Button("Apply (^s)", id="tag-apply", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="tag-cancel", compact=True)

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


class AnnotateModal(Dialog[AnnotationInput | None]):
    """Comment and tags for the selected passage."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *_CLOSE,
        *FOCUS_KEYS,
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
            # select_on_focus off: tabbing back must not make the next key replace the text.
            yield Input(
                placeholder="Comment (enter to save)", id="annotate-comment", select_on_focus=False
            )
            yield Input(
                placeholder="Tags, comma-separated (optional)",
                id="annotate-tags",
                select_on_focus=False,
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (enter)", id="annotate-save", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="annotate-cancel", compact=True)

    def action_dismiss_none(self) -> None:
        typed = any(i.value.strip() for i in self.query(Input))
        if self.may_discard(typed):
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


class GotoPageModal(Dialog[int | None]):
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


CHOICES = ("mine", "theirs", "both")


class NoteConflictModal(Dialog[dict[str, str] | None]):
    """One field at a time: your text and the text saved elsewhere, side by side.

    Returns each field's choice ("mine", "theirs" or "both"); None means decide
    later (the note keeps your text unsaved in its draft and asks again).
    """

    DEFAULT_CSS = """
    NoteConflictModal #conflict-sides { height: auto; }
    NoteConflictModal .conflict-side { width: 1fr; height: auto; }
    NoteConflictModal #conflict-mine-box, NoteConflictModal #conflict-theirs-box {
        height: auto;
        max-height: 10;
        border: round $primary-darken-2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "dismiss_none",
            "Decide later",
            id="conflict.later",
            tooltip="Close; your text stays unsaved in a draft and this question comes back.",
        ),
        Binding("m", "choose('mine')", "Mine", id="conflict.mine", tooltip="Keep your text."),
        Binding(
            "t",
            "choose('theirs')",
            "Theirs",
            id="conflict.theirs",
            tooltip="Take the text saved elsewhere.",
        ),
        Binding(
            "b",
            "choose('both')",
            "Both",
            id="conflict.both",
            tooltip="Keep both texts in the field: yours, then the other.",
        ),
        *FOCUS_KEYS,
    ]

    def __init__(self, conflicts: dict[str, tuple[str, str]], titles: dict[str, str]) -> None:
        super().__init__()
        self.conflicts = conflicts
        self.titles = titles
        self.order = list(conflicts)
        self.index = 0
        self.choices: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        title, mine, theirs = self._texts()
        with Vertical(id="conflict-box", classes="dialog"):
            yield Label(title, id="conflict-title", classes="dialog-title")
            with Horizontal(id="conflict-sides"):
                with Vertical(classes="conflict-side"):
                    yield Label("Yours (this screen)", classes="side-title")
                    with VerticalScroll(id="conflict-mine-box"):
                        yield Static(mine, id="conflict-mine")
                with Vertical(classes="conflict-side"):
                    yield Label("Theirs (saved elsewhere)", classes="side-title")
                    with VerticalScroll(id="conflict-theirs-box"):
                        yield Static(theirs, id="conflict-theirs")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Mine (m)", id="conflict-mine-button", variant="primary", compact=True)
                yield Button("Theirs (t)", id="conflict-theirs-button", compact=True)
                yield Button("Both (b)", id="conflict-both-button", compact=True)
                yield Button("Later (esc)", id="conflict-later-button", compact=True)

    def _texts(self) -> tuple[str, Text, Text]:
        name = self.order[self.index]
        mine, theirs = self.conflicts[name]
        title = self.titles.get(name, name)
        heading = f"Changed here and elsewhere: {title} ({self.index + 1} of {len(self.order)})"
        return heading, Text(mine or "(empty)"), Text(theirs or "(empty)")

    def show_field(self) -> None:
        title, mine, theirs = self._texts()
        self.query_one("#conflict-title", Label).update(title)
        self.query_one("#conflict-mine", Static).update(mine)
        self.query_one("#conflict-theirs", Static).update(theirs)

    def action_choose(self, choice: str) -> None:
        if choice not in CHOICES:
            return
        self.choices[self.order[self.index]] = choice
        if self.index + 1 < len(self.order):
            self.index += 1
            self.show_field()
        else:
            self.dismiss(dict(self.choices))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        button = event.button.id or ""
        if button == "conflict-later-button":
            self.dismiss(None)
            return
        for choice in CHOICES:
            if button == f"conflict-{choice}-button":
                self.action_choose(choice)


__all__ = [
    "AnnotateModal",
    "AnnotationInput",
    "Dialog",
    "GotoPageModal",
    "HelpScreen",
    "NoteConflictModal",
    "TagPickerModal",
]
