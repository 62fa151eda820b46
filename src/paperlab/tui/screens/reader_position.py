"""Where the learner is in the reader: the page, first visible line and cursor,
noted as they read, saved while reading and on leaving, restored on opening.

A layer of ``ReaderScreen`` (as ``reader_time`` and ``reader_annotate`` are)
so the reader module keeps to pages, the side pane and find; the reader
provides the page, its text and when the paper has loaded.
"""

from __future__ import annotations

import contextlib

from textual import work

from paperlab.errors import PaperlabError
from paperlab.readingposition import ReadingPosition
from paperlab.tui.screens.reader_annotate import AnnotatingScreen
from paperlab.tui.widgets.page_view import PageView


class ReadingPositionScreen(AnnotatingScreen):
    """The reader's memory of the place; ``position`` is the last one seen,
    ``saved_position`` the one stored."""

    loaded: bool
    position: ReadingPosition | None
    saved_position: ReadingPosition | None

    def _restore(self, where: ReadingPosition) -> None:
        view = self.query_one(PageView)
        view.move_cursor(view.location_of(where.cursor))

        def scroll() -> None:
            view.scroll_to(y=where.scroll_y, animate=False, immediate=True)
            self._remember()

        # After the new text is laid out, or the scroll is clamped to the old height.
        self.call_after_refresh(scroll)

    def touch_clock(self) -> None:
        super().touch_clock()
        self._remember()

    def _remember(self) -> None:
        """Note the page, first visible line and cursor (saved when the reader closes)."""
        if not self.loaded or not self.pages:
            return
        with contextlib.suppress(Exception):  # the view may be gone while the screen closes
            view = self.query_one(PageView)
            self.position = ReadingPosition(
                self.paper_id,
                self.page,
                round(view.scroll_y),
                view.index_of(view.cursor_location),
            )

    def _unsaved_position(self) -> ReadingPosition | None:
        """The place seen last, when it differs from the one stored."""
        self._remember()
        where, before = self.position, self.saved_position
        if where is None or (
            before is not None
            and (where.page, where.scroll_y, where.cursor)
            == (before.page, before.scroll_y, before.cursor)
        ):
            return None
        return where

    def _save_position(self, where: ReadingPosition) -> None:
        from paperlab.readingposition import save_position

        # Losing the place must never block reading or leaving (a read-only library).
        with contextlib.suppress(PaperlabError):
            save_position(self.lab.store, where)
            self.saved_position = where

    def _save_position_while_reading(self) -> None:
        # Saved every POSITION_SAVE_SECONDS too, not only on leaving, so a
        # terminal closed or a process killed loses at most that much.
        where = self._unsaved_position()
        if where is not None:
            self._write_position(where)

    @work(thread=True, exclusive=True, exit_on_error=False, group="reader-position")
    def _write_position(self, where: ReadingPosition) -> None:
        self._save_position(where)

    def on_unmount(self) -> None:
        # Synchronous on purpose: a worker started now would be cancelled with the screen.
        self.flush_reading_time(self.lab.store)
        where = self._unsaved_position()
        if where is not None:
            self._save_position(where)


__all__ = ["ReadingPositionScreen"]
