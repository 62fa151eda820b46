"""The key footer: one widget, redrawn only when the keys it shows change, and
its keys work with the mouse as Textual's footer keys do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from paperlab.tui.screens.modals import HelpScreen
from paperlab.tui.widgets.footer import FooterItem, KeysFooter
from tests.tui.helpers import footer_keys, until

pytestmark = pytest.mark.anyio


@pytest.fixture
def rebuilds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each time a footer is given other keys to draw, as the screen it is on."""
    seen: list[str] = []
    show_items = KeysFooter.show_items

    def counted(self: KeysFooter, items: tuple[FooterItem, ...]) -> None:
        seen.append(type(self.screen).__name__)
        show_items(self, items)

    monkeypatch.setattr(KeysFooter, "show_items", counted)
    return seen


async def settled(pilot: Any) -> None:
    """The library loaded and the footer's first build done."""
    await until(pilot, lambda: pilot.app.screen.loaded)
    await pilot.pause(0.2)


def shown(app: Any) -> list[str]:
    return [key.action for key in footer_keys(app.screen)]


def footer_line(app: Any) -> str:
    return app.screen.query_one(KeysFooter).render().plain


async def test_the_footer_is_one_widget_drawn_once_at_launch(
    make_app: Callable[..., Any], rebuilds: list[str]
) -> None:
    # Textual's Footer made a widget per key (17 on the library screen), each
    # styled anew on every rebuild, and rebuilt them three times at launch.
    async with make_app().run_test(size=(160, 45)) as pilot:
        await settled(pilot)
        footer = pilot.app.screen.query_one(KeysFooter)
        assert list(footer.children) == []
        assert rebuilds == ["LibraryScreen"]
        assert {"help", "quit", "select_cursor", "notes"} <= set(shown(pilot.app))
        line = footer_line(pilot.app)
        assert line.startswith(" ⏎ Read  i About  n Notes ")
        assert line.endswith("▏^p palette ") and len(line) == 160
        # Each key is drawn where the footer says it is.
        for key in footer_keys(pilot.app.screen):
            assert line[key.start : key.end].strip().startswith(key.key_display)


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
        assert len(footer_line(pilot.app)) == 80
        for key in footer_keys(pilot.app.screen):
            assert key.end <= 80, f"{key.description} is cut off"
        # Another screen has other keys: its own footer is built for it.
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert shown(pilot.app) == narrow


async def test_a_click_on_a_key_presses_it(make_app: Callable[..., Any]) -> None:
    async with make_app().run_test(size=(160, 45)) as pilot:
        await settled(pilot)
        help_key = next(k for k in footer_keys(pilot.app.screen) if k.action == "help")
        await pilot.click(KeysFooter, offset=(help_key.start + 1, 0))
        await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen), what="help")
        await pilot.press("escape")
        await until(pilot, lambda: pilot.app.screen.loaded, what="the library again")
        # Between keys, or past the last one, a click presses nothing.
        keys = footer_keys(pilot.app.screen)
        gap = max(k.end for k in keys if not k.palette)
        palette = next(k for k in keys if k.palette)
        assert gap < palette.start - 1
        await pilot.click(KeysFooter, offset=(gap + 1, 0))
        await pilot.pause(0.2)
        assert pilot.app.screen.loaded and not isinstance(pilot.app.screen, HelpScreen)


async def test_the_key_under_the_mouse_is_highlighted_with_its_tooltip(
    make_app: Callable[..., Any],
) -> None:
    async with make_app().run_test(size=(160, 45)) as pilot:
        await settled(pilot)
        footer = pilot.app.screen.query_one(KeysFooter)
        notes = next(k for k in footer_keys(pilot.app.screen) if k.action == "notes")
        plain = footer.render()
        await pilot.hover(KeysFooter, offset=(notes.start + 2, 0))
        await pilot.pause(0.1)
        assert footer.item_at(notes.start + 2) == notes
        assert footer.tooltip == (notes.tooltip or notes.description)
        hovered = footer.render()
        assert hovered.plain == plain.plain
        changed = {
            x
            for x in range(len(plain.plain))
            if plain.get_style_at_offset(pilot.app.console, x)
            != hovered.get_style_at_offset(pilot.app.console, x)
        }
        assert changed == set(range(notes.start, notes.end))
