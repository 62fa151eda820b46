"""What every paperlab screen shares: the app's store and one worker-failure handler."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen
from textual.worker import Worker

if TYPE_CHECKING:
    from paperlab.tui.app import PaperlabApp


class PaperlabScreen(Screen[None]):
    """A screen of the lab bench. Worker.StateChanged does not bubble, so each
    screen forwards it to the app's single reporting method."""

    @property
    def lab(self) -> PaperlabApp:
        return cast("PaperlabApp", self.app)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.lab.report_worker(event)

    def on_screen_resume(self) -> None:
        self.lab.active_paper = None
