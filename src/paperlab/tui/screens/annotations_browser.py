"""Every paper's annotations in one place, filtered by kind (k) and by tag or words.

Tags are matched whole (``#method`` or ``tag:method``), other words anywhere in
the quote, the comment or the paper's title. Enter opens the reader on the
passage.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from paperlab.annotation_views import HIGHLIGHT_KINDS, AnnotatedPassage, annotation_tags
from paperlab.tui.screens.base import PaperlabScreen
from paperlab.tui.screens.reader_side import highlight_label
from paperlab.tui.widgets.footer import KeysFooter

QUOTE_CHARS = 90


def parse_filter(text: str) -> tuple[list[str], list[str]]:
    """The tags (``#tag``, ``tag:tag``) and the other words of a filter, lower-cased."""
    tags: list[str] = []
    words: list[str] = []
    for word in text.lower().split():
        if word.startswith("#") and len(word) > 1:
            tags.append(word[1:])
        elif word.startswith("tag:") and len(word) > 4:
            tags.append(word[4:])
        else:
            words.append(word)
    return tags, words


def matches(passage: AnnotatedPassage, kind: str | None, tags: list[str], words: list[str]) -> bool:
    annotation = passage.annotation
    if kind is not None and annotation.kind != kind:
        return False
    own = {t.lower() for t in annotation_tags(annotation)}
    if any(tag not in own for tag in tags):
        return False
    haystack = " ".join((annotation.quote, annotation.comment, passage.title)).lower()
    return all(word in haystack for word in words)


class PassageList(OptionList):
    """The list names its enter key "Read" (OptionList's own binding is hidden)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Read", id="annotations.open", tooltip="Open the reader here."),
    ]


class AnnotationsScreen(PaperlabScreen):
    """Highlights across the library, grouped by paper."""

    SUB_TITLE = "Annotations"
    AUTO_FOCUS = "#annotations"
    DEFAULT_CSS = """
    AnnotationsScreen #annotations { height: 1fr; }
    AnnotationsScreen #annotations-status { height: 1; padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "leave",
            "Library",
            id="annotations.leave",
            tooltip="From the filter to the list; from the list back to the library.",
        ),
        Binding(
            "k",
            "cycle_kind",
            "Kind",
            id="annotations.kind",
            tooltip="Show one kind: highlight, question, key-claim, to-cite, or all.",
        ),
        Binding(
            "f",
            "filter",
            "Filter",
            id="annotations.filter",
            tooltip="Filter by #tag (or tag:NAME) and words of the quote, comment or title.",
        ),
        Binding(
            "r",
            "refresh",
            "Refresh",
            id="annotations.refresh",
            show=False,
            tooltip="Reload the annotations.",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.passages: list[AnnotatedPassage] = []
        self.shown: list[AnnotatedPassage | None] = []  # per option; None for a paper heading
        self.kind: str | None = None
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(
            placeholder="Filter: #tag or words (enter); k changes the kind", id="annotations-filter"
        )
        yield PassageList(id="annotations")
        yield Static("", id="annotations-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.lab.library_changed.subscribe(self, lambda _: self.action_refresh())
        self.action_refresh()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.loaded:
            self.action_refresh()  # highlights made in the reader meanwhile

    def action_refresh(self) -> None:
        self.load()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="annotations",
        description="Loading the annotations",
    )
    def load(self) -> None:
        from paperlab.annotation_views import browse_annotations

        passages = browse_annotations(self.lab.store)
        self.app.call_from_thread(self._loaded, passages)

    def _loaded(self, passages: list[AnnotatedPassage]) -> None:
        self.passages = passages
        self.loaded = True
        self._show()

    @on(Input.Changed, "#annotations-filter")
    def _filter_changed(self) -> None:
        self._show()

    @on(Input.Submitted, "#annotations-filter")
    def _filter_done(self) -> None:
        self.query_one("#annotations", OptionList).focus()

    def _show(self) -> None:
        tags, words = parse_filter(self.query_one("#annotations-filter", Input).value)
        listing = self.query_one("#annotations", OptionList)
        listing.clear_options()
        self.shown = []
        current = None
        count = 0
        for passage in self.passages:
            if not matches(passage, self.kind, tags, words):
                continue
            paper_id = passage.annotation.paper_id
            if paper_id != current:
                current = paper_id
                heading = Text.assemble((passage.title, "bold"), ("  " + paper_id, "dim"))
                listing.add_option(Option(heading, disabled=True))
                self.shown.append(None)
            listing.add_option(Option(highlight_label(passage.annotation, QUOTE_CHARS)))
            self.shown.append(passage)
            count += 1
        if count:
            listing.highlighted = 1
        kind = self.kind or "all kinds"
        filters = " ".join([*(f"#{t}" for t in tags), *words])
        self.query_one("#annotations-status", Static).update(
            f"{count} of {len(self.passages)} annotations · {kind}"
            + (f" · {filters}" if filters else "")
            + ("" if count or not self.loaded else " · none match")
        )

    def selected(self) -> AnnotatedPassage | None:
        listing = self.query_one("#annotations", OptionList)
        index = listing.highlighted
        if index is None or not 0 <= index < len(self.shown):
            return None
        return self.shown[index]

    def action_cycle_kind(self) -> None:
        order: list[str | None] = [None, *HIGHLIGHT_KINDS]
        self.kind = order[(order.index(self.kind) + 1) % len(order)]
        self._show()

    def action_filter(self) -> None:
        self.query_one("#annotations-filter", Input).focus()

    @on(OptionList.OptionSelected, "#annotations")
    def _open(self) -> None:
        passage = self.selected()
        if passage is None:
            return
        a = passage.annotation
        self.lab.open_reader(a.paper_id, page=a.page, highlight=a.quote)

    def action_leave(self) -> None:
        listing = self.query_one("#annotations", OptionList)
        if not listing.has_focus:
            listing.focus()
            return
        self.app.switch_mode("library")


__all__ = ["AnnotationsScreen", "matches", "parse_filter"]
