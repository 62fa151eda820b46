"""A row-cursor table that draws only the rows on screen, with fixed column widths.

Textual's DataTable measures every cell of every row it is given, so
rebuilding it for each filter keystroke costs ~0.1-0.6 s at a few hundred to
a thousand rows. Here the columns have fixed widths and rows are plain
tuples: replacing all rows is a list assignment, and a row is rendered (and
cached) only when it scrolls into view, so a keystroke costs the filter
itself plus one screenful, at any library size.

It looks and drives like a DataTable with ``cursor_type="row"`` and zebra
stripes (it uses DataTable's component classes), and keeps the parts of its
API the library screen uses: ``row_count``, ``cursor_row``, ``move_cursor``
and a ``RowSelected`` message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events, messages
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

PADDING = 1  # spaces either side of each cell, as DataTable's cell_padding


@dataclass(frozen=True)
class Column:
    """A column ``width`` cells wide; a ``grow`` column also takes the width left
    over, and when the table is too narrow the columns with the lowest
    ``keep`` (above 0) are left out first, so the ones that matter stay whole."""

    label: str
    width: int
    grow: bool = False
    keep: int = 0  # 0: always shown; else shown while there is room, higher kept longer


class _Styles(NamedTuple):
    base: Style
    header: Style
    even: Style
    odd: Style
    cursor: Style


class TableRow(NamedTuple):
    """One row: a unique key and one cell (plain or styled text) per column, or a
    single cell that spans the table (a heading)."""

    key: str
    cells: tuple[str | Text, ...]


class VirtualTable(ScrollView, can_focus=True):
    """Fixed-width columns, a row cursor, and rendering of the visible rows only."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "datatable--header",
        "datatable--cursor",
        "datatable--even-row",
        "datatable--odd-row",
    }

    DEFAULT_CSS = """
    VirtualTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        &:focus {
            background-tint: $foreground 5%;
            & > .datatable--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .datatable--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .datatable--even-row {
            background: $surface-darken-1 40%;
        }
        & > .datatable--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .datatable--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .datatable--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .datatable--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first", "First row", show=False),
        Binding("end,ctrl+end", "last", "Last row", show=False),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True, repaint=False)

    @dataclass
    class RowSelected(Message):
        """Enter or a click on a row."""

        table: VirtualTable
        cursor_row: int
        row_key: str

        @property
        def control(self) -> VirtualTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        zebra_stripes: bool = True,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.columns = tuple(columns)
        self.zebra_stripes = zebra_stripes
        self._rows: list[TableRow] = []
        self._lines: dict[tuple[int, bool], Strip] = {}
        self._pieces: dict[tuple[int, int], tuple[Text, list[tuple[str, Style | None]]]] = {}
        self._header: Strip | None = None
        self._styles: _Styles | None = None
        # (index into each row's cells, width) of the columns shown at this width.
        self._layout: tuple[tuple[int, int], ...] = tuple(
            (i, c.width) for i, c in enumerate(self.columns)
        )
        self._table_width = sum(c.width + 2 * PADDING for c in self.columns)

    def fit_columns(self, width: int) -> None:
        """Choose the columns and their widths for ``width`` cells (see ``Column``)."""
        shown = list(range(len(self.columns)))

        def needed() -> int:
            return sum(self.columns[i].width + 2 * PADDING for i in shown)

        droppable = sorted(
            (i for i, c in enumerate(self.columns) if c.keep), key=lambda i: self.columns[i].keep
        )
        while needed() > width and droppable:
            shown.remove(droppable.pop(0))
        spare = max(0, width - needed())
        growing = [i for i in shown if self.columns[i].grow]
        layout = []
        for i in shown:
            extra = spare // len(growing) if i in growing else 0
            layout.append((i, self.columns[i].width + extra))
        new = tuple(layout)
        if new != self._layout:
            self._layout = new
            self._table_width = sum(w + 2 * PADDING for _, w in new)
            self._forget_drawing()
            self._pieces.clear()
            self.virtual_size = Size(self._table_width, len(self._rows) + 1)
            self.refresh()

    @property
    def shown_columns(self) -> list[str]:
        """The labels of the columns shown at the current width."""
        return [self.columns[i].label for i, _ in self._layout]

    def column_width(self, label: str) -> int | None:
        """How wide the column ``label`` is drawn now (None when left out)."""
        for i, width in self._layout:
            if self.columns[i].label == label:
                return width
        return None

    # ------------------------------------------------------------------ data

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def rows(self) -> Sequence[TableRow]:
        return self._rows

    def replace_rows(self, rows: list[TableRow]) -> None:
        """Show ``rows`` instead (nothing is measured or rendered here)."""
        self._rows = rows
        self._lines.clear()
        self._pieces.clear()
        size = Size(self._table_width, len(rows) + 1)
        resized = size != self.virtual_size
        if resized:
            # Not through the reactive's own refresh(layout=True): that reaches
            # the screen when this widget next idles, one or two frames after
            # the keystroke that changed the rows is painted. Telling the
            # screen now puts the rows, and the layout the new height needs,
            # in that same frame; the scroll bar follows in the next.
            self.set_reactive(VirtualTable.virtual_size, size)
        self.cursor_row = min(self.cursor_row, max(0, len(rows) - 1))
        self.refresh()
        if self.is_mounted:
            # The Update comes first even when the size changed: a layout pass
            # repaints only what moved, and leaves the rows of a table that kept
            # its place on screen for the frame after (~30 ms later).
            self.screen.post_message(messages.Update(self))
            if resized:
                self.screen.post_message(messages.Layout(self))

    def cursor_key(self) -> str | None:
        if 0 <= self.cursor_row < len(self._rows):
            return self._rows[self.cursor_row].key
        return None

    def move_cursor(self, row: int) -> None:
        self.cursor_row = row

    # ------------------------------------------------------------------ cursor

    def validate_cursor_row(self, row: int) -> int:
        return max(0, min(row, len(self._rows) - 1))

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._lines.pop((old, True), None)
        self._lines.pop((new, False), None)
        self.refresh_line(old)
        self.refresh_line(new)
        self._scroll_to_cursor()

    def _scroll_to_cursor(self) -> None:
        """Scroll just enough that the cursor's row shows under the header."""
        rows_in_view = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_y)
        row = self.cursor_row
        if row < top:
            target = row
        elif row >= top + rows_in_view:
            target = row - rows_in_view + 1
        else:
            target = min(top, self.max_scroll_y)  # the table may have shrunk under it
        if target != top:
            self.scroll_to(y=target, animate=False, force=True, immediate=True)

    def refresh_line(self, row: int) -> None:
        self.refresh(Region(0, row + 1 - int(self.scroll_y), self.size.width, 1))

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor_up(self) -> None:
        self.cursor_row -= 1

    def action_cursor_down(self) -> None:
        self.cursor_row += 1

    def action_page_up(self) -> None:
        self.cursor_row -= self._page()

    def action_page_down(self) -> None:
        self.cursor_row += self._page()

    def action_first(self) -> None:
        self.cursor_row = 0

    def action_last(self) -> None:
        self.cursor_row = len(self._rows) - 1

    def action_select_cursor(self) -> None:
        key = self.cursor_key()
        if key is not None:
            self.post_message(self.RowSelected(self, self.cursor_row, key))

    async def _on_click(self, event: events.Click) -> None:
        row = event.y - 1 + int(self.scroll_y)
        if event.y >= 1 and 0 <= row < len(self._rows):
            self.cursor_row = row
            self.action_select_cursor()

    # ------------------------------------------------------------------ drawing

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._forget_drawing()

    def _on_focus(self, event: events.Focus) -> None:
        self._forget_drawing()  # the cursor style depends on focus

    def _on_blur(self, event: events.Blur) -> None:
        self._forget_drawing()

    def _on_resize(self, event: events.Resize) -> None:
        self._forget_drawing()  # lines are filled out to the width
        # Leave room for the vertical scroll bar whether or not it shows now,
        # so a longer list never brings a horizontal one with it.
        self.fit_columns(self.size.width - self.styles.scrollbar_size_vertical)

    def _forget_drawing(self) -> None:
        self._lines.clear()
        self._header = None
        self._styles = None

    def _row_styles(self) -> _Styles:
        # Resolving a style walks the CSS: do it once per style change, not per line.
        if self._styles is None:
            base = self.rich_style
            component = self.get_component_rich_style
            self._styles = _Styles(
                base=base,
                header=component("datatable--header"),
                even=base + component("datatable--even-row") if self.zebra_stripes else base,
                odd=base + component("datatable--odd-row") if self.zebra_stripes else base,
                cursor=component("datatable--cursor"),
            )
        return self._styles

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        styles = self._row_styles()
        if y == 0:
            if self._header is None:
                labels = [c.label for c in self.columns]
                self._header = self._strip(labels, styles.header, None)
            strip = self._header
        else:
            index = y - 1 + scroll_y
            if index >= len(self._rows):
                return Strip.blank(width, styles.base)
            # A blurred table still shows its (dimmer) cursor, as DataTable does.
            cursor = index == self.cursor_row
            strip = self._lines.get((index, cursor)) or self._render_row(index, cursor)
        return strip.crop_extend(scroll_x, scroll_x + width, None)

    def _render_row(self, index: int, cursor: bool) -> Strip:
        styles = self._row_styles()
        style = styles.odd if index % 2 else styles.even
        post = styles.cursor if cursor else None
        if post is not None:
            style += post
        strip = self._strip(self._rows[index].cells, style, post)
        self._lines[(index, cursor)] = strip
        return strip

    def _strip(self, cells: Sequence[str | Text], style: Style, post: Style | None) -> Strip:
        """One line: each cell padded and cut to its column, then the rest of the width."""
        segments: list[Segment] = []
        pad = " " * PADDING
        plain = style + post if post else style
        layout = self._layout
        if len(cells) == 1 and len(self.columns) > 1:
            # A one-cell row (a group heading) spans the whole table.
            layout = ((0, self._table_width - 2 * PADDING),)
        for index, width in layout:
            if index >= len(cells):
                break
            cell = cells[index]
            if isinstance(cell, str):
                segments.append(Segment(pad + set_cell_size(cell, width) + pad, plain))
                continue
            for text, cell_style in self._styled_pieces(cell, width):
                if cell_style is None:
                    segments.append(Segment(text, plain))
                else:
                    combined = style + cell_style
                    segments.append(Segment(text, combined + post if post else combined))
        fill = max(0, self.size.width - self._table_width)
        if fill:
            segments.append(Segment(" " * fill, Style(color=style.color, bgcolor=style.bgcolor)))
        return Strip(segments).simplify()

    def _styled_pieces(self, cell: Text, width: int) -> list[tuple[str, Style | None]]:
        """A styled cell cut and padded to ``width``, as (text, style) runs (cached)."""
        key = (id(cell), width)
        found = self._pieces.get(key)
        if found is None:
            text = cell.copy()
            text.truncate(width, overflow="crop")
            pad = " " * PADDING
            runs: list[tuple[str, Style | None]] = [(pad, None)]
            # Appended, the cell's own style becomes a span that render() keeps.
            line = Text(end="")
            line.append_text(text)
            runs += [(s.text, s.style) for s in line.render(self.app.console, end="")]
            runs.append((" " * (width - text.cell_len) + pad, None))
            # The cell is kept alive with its runs, so its id cannot be reused meanwhile.
            found = self._pieces[key] = (cell, runs)
        return found[1]


__all__ = ["Column", "TableRow", "VirtualTable"]
