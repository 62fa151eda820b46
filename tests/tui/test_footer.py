"""The key footer rebuilds only when the keys it shows change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets._footer import FooterKey

from paperlab.tui.widgets.footer import KeysFooter
from tests.tui.helpers import until

pytestmark = pytest.mark.anyio


@pytest.fixture
def rebuilds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each footer rebuild, as the screen it happened on."""
    seen: list[str] = []
    recompose = KeysFooter.recompose

    async def counted(self: KeysFooter) -> None:
        seen.append(type(self.screen).__name__)
        await recompose(self)

    monkeypatch.setattr(KeysFooter, "recompose", counted)
    return seen


async def settled(pilot: Any) -> None:
    """The library loaded and the footer's first build done."""
    await until(pilot, lambda: pilot.app.screen.loaded)
    await pilot.pause(0.2)


def shown(app: Any) -> list[str]:
    return [key.action for key in app.screen.query(FooterKey) if key.display]


async def test_launch_builds_the_footer_once(
    make_app: Callable[..., Any], rebuilds: list[str]
) -> None:
    # Textual's Footer rebuilt the same sixteen keys three times at launch.
    async with make_app().run_test(size=(160, 45)) as pilot:
        await settled(pilot)
        assert rebuilds == ["LibraryScreen"]
        assert {"help", "quit", "select_cursor", "notes"} <= set(shown(pilot.app))


async def test_refreshes_that_change_nothing_rebuild_nothing(
    make_app: Callable[..., Any], rebuilds: list[str]
) -> None:
    async with make_app().run_test(size=(160, 45)) as pilot:
        await settled(pilot)
        before = shown(pilot.app)
        for _ in range(3):
            pilot.app.screen.refresh_bindings()
        await pilot.press("down", "down")
        await pilot.pause(0.2)
        assert rebuilds == ["LibraryScreen"]
        assert shown(pilot.app) == before


async def test_keys_that_change_rebuild_the_footer(
    make_app: Callable[..., Any], rebuilds: list[str]
) -> None:
    async with make_app().run_test(size=(160, 45)) as pilot:
        await settled(pilot)
        wide = shown(pilot.app)
        # A narrower terminal fits fewer keys: the footer must show that.
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: len(rebuilds) == 2, what="a second rebuild")
        await pilot.pause(0.2)
        narrow = shown(pilot.app)
        assert len(narrow) < len(wide)
        for key in pilot.app.screen.query(FooterKey):
            if key.display:
                assert key.region.right <= 80, f"{key.description} is cut off"
        # Another screen has other keys: its own footer is built for it.
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert shown(pilot.app) == narrow
