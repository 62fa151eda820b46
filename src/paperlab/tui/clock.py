"""An activity clock: counts time only while the reader is in use."""

from __future__ import annotations

import time
from collections.abc import Callable


class ActivityClock:
    """Accumulates seconds of activity; a pause longer than ``idle_limit`` stops it."""

    def __init__(self, idle_limit: float, now: Callable[[], float] = time.monotonic) -> None:
        self.idle_limit = idle_limit
        self._now = now
        start = now()
        self.last_activity = start
        self.last_tick = start
        self.accumulated = 0.0

    def tick(self) -> None:
        """Credit time since the last tick, up to ``idle_limit`` after the last activity."""
        now = self._now()
        active_until = min(now, self.last_activity + self.idle_limit)
        if active_until > self.last_tick:
            self.accumulated += active_until - self.last_tick
        self.last_tick = now

    def touch(self) -> None:
        """The user did something."""
        self.tick()
        self.last_activity = self._now()

    def take_minutes(self) -> float:
        """Minutes accumulated since the last call."""
        self.tick()
        minutes = self.accumulated / 60
        self.accumulated = 0.0
        return minutes


__all__ = ["ActivityClock"]
