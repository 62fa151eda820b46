"""Pilot helpers: wait for a condition instead of sleeping a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot
from textual.screen import Screen

from paperlab.tui.widgets.footer import FooterItem, KeysFooter


async def until(
    pilot: Pilot[object],
    condition: Callable[[], object],
    timeout: float = 30.0,
    what: str = "condition",
) -> None:
    """Pause until ``condition()`` is truthy (workers run in threads meanwhile)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except Exception:  # the screen may not be composed yet
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def wait_workers(pilot: Pilot[object]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def notifications(app: object) -> list[str]:
    return [n.message for n in app._notifications]  # type: ignore[attr-defined]


def footer_keys(screen: Screen[object]) -> list[FooterItem]:
    """The keys the screen's footer draws, left to right (the palette's key last).

    Each fits the footer: its ``end`` (one past its last cell) is at most the
    footer's width, which is the terminal's.
    """
    footer = screen.query_one(KeysFooter)
    items = list(footer.items)
    assert all(item.end <= footer.size.width for item in items), items
    return items
