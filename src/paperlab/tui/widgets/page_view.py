"""A read-only page of extracted text with highlighted spans and passage selection."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.style import Style
from textual.widgets import TextArea
from textual.widgets.text_area import Document, Selection

# Background of a highlight by its kind (plain highlights keep the old yellow-brown).
KIND_COLORS: dict[str, str] = {
    "highlight": "#6b5d00",
    "question": "#5f3f8f",
    "key-claim": "#00605a",
    "to-cite": "#8f2f4f",
}
MARK_STYLES = {
    "paperlab.annotation": Style(bgcolor=KIND_COLORS["highlight"], color="#ffffff"),
    **{
        f"paperlab.annotation-{kind}": Style(bgcolor=color, color="#ffffff")
        for kind, color in KIND_COLORS.items()
    },
    "paperlab.search": Style(bgcolor="#005f87", color="#ffffff", bold=True),
    "paperlab.find": Style(bgcolor="#875f00", color="#ffffff", underline=True),
}

_SENTENCE_END = re.compile(r"[.!?](?=\s)")
# A paragraph ends at a line break (``paragraph_span``). Extraction writes one
# layout block per line (PyMuPDF's blocks, their rows joined; a block that
# continues a sentence is joined to the one before), and MuPDF already starts a
# new block at an indented first row or a wider gap: on the shared arXiv PDFs
# no block holds an indented paragraph start. The page text has no blank lines.


def paragraph_span(text: str, at: int) -> tuple[int, int]:
    """The layout block around offset ``at``: from the line break before it to the
    next one, without surrounding spaces (empty on a blank line)."""
    start = text.rfind("\n", 0, at) + 1 if at > 0 else 0
    if 0 <= at < len(text) and text[at] == "\n" and at > 0 and text[at - 1] == "\n":
        return at, at  # a blank line
    end = text.find("\n", at)
    end = len(text) if end < 0 else end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


@dataclass(frozen=True)
class Mark:
    """A span of the page text (character offsets) shown in place."""

    start: int
    end: int
    kind: str = "annotation"  # annotation | search | find
    tone: str = ""  # an annotation's highlight kind (question, key-claim, to-cite)

    @property
    def style(self) -> str:
        if self.kind == "annotation" and self.tone and self.tone != "highlight":
            return f"paperlab.annotation-{self.tone}"
        return f"paperlab.{self.kind}"


class PageView(TextArea):
    """TextArea in read-only mode: the cursor moves and selects (shift+arrows, mouse).

    Marks are drawn through TextArea's highlight map, the same path syntax
    highlighting uses, so they follow soft wrapping and scrolling for free.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            "",
            read_only=True,
            soft_wrap=True,
            show_line_numbers=False,
            id=id,
            highlight_cursor_line=False,
        )
        self.marks: list[Mark] = []

    def _set_theme(self, theme: str) -> None:
        super()._set_theme(theme)
        # A new dict: the theme object's own dict may be shared with other widgets.
        self._theme.syntax_styles = {**self._theme.syntax_styles, **MARK_STYLES}

    def show_page(self, text: str, marks: list[Mark]) -> None:
        """Replace the text and the marks; the cursor goes to the top."""
        self.marks = list(marks)
        self.load_text(text)
        self._build_highlight_map()
        self.refresh()

    def set_marks(self, marks: list[Mark]) -> None:
        self.marks = list(marks)
        self._build_highlight_map()
        self.refresh()

    def _build_highlight_map(self) -> None:
        self._line_cache.clear()
        highlights = self._highlights
        highlights.clear()
        lines = self.document.lines
        for mark in getattr(self, "marks", []):
            start_row, start_col = self.location_of(mark.start)
            end_row, end_col = self.location_of(mark.end)
            for row in range(start_row, end_row + 1):
                line = lines[row]
                col_from = start_col if row == start_row else 0
                col_to = end_col if row == end_row else len(line)
                # The highlight map is in UTF-8 byte offsets.
                b_from = len(line[:col_from].encode("utf-8"))
                b_to = len(line[:col_to].encode("utf-8"))
                if b_to > b_from:
                    highlights[row].append((b_from, b_to, mark.style))

    def location_of(self, index: int) -> tuple[int, int]:
        index = max(0, min(index, len(self.text)))
        return self._document().get_location_from_index(index)

    def index_of(self, location: tuple[int, int]) -> int:
        return self._document().get_index_from_location(location)

    def _document(self) -> Document:
        document = self.document
        assert isinstance(document, Document)  # no syntax tree: always a plain Document
        return document

    def selected_span(self) -> tuple[int, int] | None:
        """The selection as character offsets into the page text, or None when empty."""
        start, end = sorted(self.selection)
        if start == end:
            return None
        return self.index_of(start), self.index_of(end)

    def select_span(self, start: int, end: int) -> None:
        """Select characters ``start:end`` and scroll them into view."""
        self.selection = Selection(self.location_of(start), self.location_of(end))
        self.scroll_cursor_visible(center=True)

    def select_paragraph(self) -> None:
        """Select the paragraph around the cursor (see ``paragraph_span``)."""
        self.select_span(*paragraph_span(self.text, self.index_of(self.cursor_location)))

    def select_sentence(self) -> None:
        """Select the sentence around the cursor (ends at . ! or ? before a space)."""
        text = self.text
        at = self.index_of(self.cursor_location)
        start = 0
        for match in _SENTENCE_END.finditer(text, 0, at):
            start = match.end()
        found = _SENTENCE_END.search(text, at)
        end = found.end() if found else len(text)
        while start < end and text[start].isspace():
            start += 1
        self.select_span(start, end)


__all__ = ["KIND_COLORS", "MARK_STYLES", "Mark", "PageView", "paragraph_span"]
