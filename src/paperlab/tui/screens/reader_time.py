"""Reading time for the reader: an activity clock credited to the paper while in use."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from textual import events, work

from paperlab.errors import PaperlabError
from paperlab.tui.clock import ActivityClock
from paperlab.tui.screens.base import PaperlabScreen

if TYPE_CHECKING:
    from paperlab.store import Store

CLOCK_TICK_SECONDS = 30.0


class ReadingTimeScreen(PaperlabScreen):
    """A screen that records reading time for ``paper_id`` while keys, clicks or
    scrolling say the learner is there (idle time stops the clock)."""

    paper_id: str

    def start_clock(self) -> None:
        self.clock = ActivityClock(self.lab.idle_minutes * 60)
        self.pending_minutes = 0.0
        self.set_interval(CLOCK_TICK_SECONDS, self._tick)

    def touch_clock(self) -> None:
        clock: ActivityClock | None = getattr(self, "clock", None)
        if clock is not None:
            clock.touch()

    def on_key(self, _event: events.Key) -> None:
        self.touch_clock()

    def on_mouse_scroll_down(self, _event: events.MouseScrollDown) -> None:
        self.touch_clock()

    def on_mouse_scroll_up(self, _event: events.MouseScrollUp) -> None:
        self.touch_clock()

    def on_click(self, _event: events.Click) -> None:
        self.touch_clock()

    def _tick(self) -> None:
        clock: ActivityClock | None = getattr(self, "clock", None)
        if clock is None:
            return
        self.pending_minutes += clock.take_minutes()
        if self.pending_minutes >= 1.0:
            minutes, self.pending_minutes = self.pending_minutes, 0.0
            self.record(minutes)

    @work(
        thread=True,
        exclusive=False,
        exit_on_error=False,
        group="reading-time",
        description="Recording reading time",
    )
    def record(self, minutes: float) -> None:
        from paperlab.progress import record_reading

        record_reading(self.lab.store, self.paper_id, minutes)

    def flush_reading_time(self, store: Store) -> None:
        """Record what the clock holds now (synchronous: used while the screen goes)."""
        clock: ActivityClock | None = getattr(self, "clock", None)
        if clock is None:
            return
        minutes = self.pending_minutes + clock.take_minutes()
        self.pending_minutes = 0.0
        if minutes >= 0.05:
            from paperlab.progress import record_reading

            # Losing a few minutes of timing must never block leaving the reader.
            with contextlib.suppress(PaperlabError):
                record_reading(store, self.paper_id, minutes)


__all__ = ["CLOCK_TICK_SECONDS", "ReadingTimeScreen"]
