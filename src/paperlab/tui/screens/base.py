"""What every paperlab screen shares: the app's store, one worker-failure handler,
and a footer that keeps the most useful keys when the terminal is narrow."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, cast

from textual import events, on
from textual.binding import ActiveBinding
from textual.screen import Screen
from textual.worker import Worker

if TYPE_CHECKING:
    from paperlab.tui.app import PaperlabApp

# Room the footer keeps for the command palette key on its right ("▏ ^p palette").
PALETTE_WIDTH = 12
# Screen switches come last: help (which lists every key) and the screen's own keys first.
APP_SWITCHES = ("app.library", "app.search", "app.log", "app.topics", "app.progress")


def footer_rank(position: int, binding_id: str | None, key: str, own: bool) -> tuple[int, int]:
    """How much a footer key matters (lower stays longer): the ways out (escape,
    quit) and help, then the focused widget's and screen's keys in their order,
    then the screen switches."""
    if key == "escape" or binding_id in ("app.help", "app.quit"):
        return (0, position)
    if own:
        return (1, position)
    if binding_id in APP_SWITCHES:
        return (3, position)
    return (4, position)


def footer_width(key_display: str, description: str) -> int:
    """Cells a footer key takes: `` key description `` (as KeysFooter draws it)."""
    return len(key_display) + len(description) + 3


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

    _footer_width: int | None = None

    @on(events.Resize)
    def _fit_footer(self) -> None:
        # The footer chooses its keys for the terminal's width (see active_bindings):
        # choose again when that width changes, not on the first layout, which
        # already had it (recomposing the footer then only makes it flicker).
        width = self.app.size.width
        if self._footer_width is not None and width != self._footer_width:
            self.refresh_bindings()
        self._footer_width = width

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """The keys in force; those shown in the footer are the most useful ones that
        fit the width, the others hidden there (they still work and are in help)."""
        bindings = super().active_bindings
        shown: list[tuple[tuple[int, int], str, int]] = []
        seen: set[str] = set()
        for position, (key, active) in enumerate(bindings.items()):
            binding = active.binding
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            own = active.node is not self.app
            display = binding.key_display or self.app.get_key_display(binding)
            rank = footer_rank(position, binding.id, key, own)
            shown.append((rank, key, footer_width(display, binding.description)))
        room = self.app.size.width - PALETTE_WIDTH
        hidden: set[str] = set()
        for _rank, key, width in sorted(shown):
            if width <= room:
                room -= width
            else:
                hidden.add(key)
                room = -1  # keep the order: nothing less useful may take a later gap
        if not hidden:
            return bindings
        return {
            key: active._replace(binding=dataclasses.replace(active.binding, show=False))
            if key in hidden
            else active
            for key, active in bindings.items()
        }
