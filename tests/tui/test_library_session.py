"""The library as a learner uses it: state filter, collapsing groups, wide titles,
focus after a dialog, and narrow terminals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import Input

from paperlab.tui.screens.library import LibraryScreen
from paperlab.tui.screens.modals import HelpScreen, TagPickerModal
from paperlab.tui.widgets.virtual_table import VirtualTable
from tests.tui.helpers import footer_keys, until

pytestmark = pytest.mark.anyio

LONG_TITLE = "Neural Machine Translation by Jointly Learning to Align and Translate"


async def loaded(pilot: Any) -> LibraryScreen:
    await until(pilot, lambda: pilot.app.screen.loaded, what="library")
    return pilot.app.screen  # type: ignore[no-any-return]


def shown_papers(screen: LibraryScreen) -> set[str]:
    table = screen.query_one("#papers", VirtualTable)
    return {row.key.split("\x1f", 1)[1] for row in table.rows if not row.key.startswith("group")}


def row_text(table: VirtualTable, row: int) -> str:
    return table.render_line(row + 1 - int(table.scroll_y)).text


async def test_state_filter_matches_the_reading_state_not_the_list_title(
    make_app: Callable[..., Any],
) -> None:
    async with make_app().run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        await pilot.press("f", *"reading")
        # A bare word also matches the list "Reading and understanding research papers".
        await until(pilot, lambda: "1409.0473" in shown_papers(screen))
        screen.query_one("#filter", Input).value = ""
        await pilot.press(*"state:reading")
        await until(pilot, lambda: shown_papers(screen) == {"1706.03762"}, what="state filter")
        screen.query_one("#filter", Input).value = "state:failed"
        await until(pilot, lambda: shown_papers(screen) == {"1301.5088"}, what="pipeline state")
        screen.query_one("#filter", Input).value = "state:read atari"
        await until(pilot, lambda: shown_papers(screen) == {"1312.5602"}, what="state and word")
        # The start of a name matches as it is typed; a whole name only that state.
        screen.query_one("#filter", Input).value = "state:fail"
        await until(pilot, lambda: shown_papers(screen) == {"1301.5088"}, what="typing")
        screen.query_one("#filter", Input).value = "state:rea"
        await until(
            pilot, lambda: shown_papers(screen) == {"1706.03762", "1312.5602"}, what="prefix"
        )
        screen.query_one("#filter", Input).value = "state:read"
        await until(pilot, lambda: shown_papers(screen) == {"1312.5602"}, what="whole name")
        screen.query_one("#filter", Input).value = "state:bogus"
        await until(pilot, lambda: not shown_papers(screen), what="unknown state")
        status = str(screen.query_one("#library-status").render())
        assert "unread" in status and "skimming" in status  # says which states exist


async def test_a_group_heading_collapses_and_expands(make_app: Callable[..., Any]) -> None:
    async with make_app().run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        table = screen.query_one("#papers", VirtualTable)
        before = table.row_count
        await pilot.press("up")  # the first heading
        assert table.cursor_key() is not None and table.cursor_key().startswith("group")
        assert "▾" in row_text(table, 0)
        await pilot.press("enter")
        await until(pilot, lambda: table.row_count == before - 2, what="collapsed")
        assert "▸" in row_text(table, 0)
        assert "2 papers" in row_text(table, 0)  # a collapsed group still says what it holds
        assert table.cursor_row == 0
        # Collapsed groups stay collapsed while filtering and after a reload.
        screen.action_refresh()
        await pilot.pause(0.3)
        await until(pilot, lambda: table.row_count == before - 2, what="still collapsed")
        await pilot.press("enter")
        await until(pilot, lambda: table.row_count == before, what="expanded")
        # Space folds the group of the paper under the cursor, from any of its rows.
        await pilot.press("down", "space")
        await until(pilot, lambda: table.row_count == before - 2, what="collapsed by space")
        assert table.cursor_row == 0


async def test_titles_use_the_width_of_the_terminal(make_app: Callable[..., Any]) -> None:
    async with make_app().run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        table = screen.query_one("#papers", VirtualTable)
        row = next(i for i, r in enumerate(table.rows) if r.key.endswith("1409.0473"))
        assert LONG_TITLE in row_text(table, row)
        width = table.column_width("Title")
        assert width is not None and width > 80
        assert table.virtual_size.width <= table.scrollable_content_region.width


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
async def test_narrow_terminals_keep_the_table_and_footer_usable(
    make_app: Callable[..., Any], size: tuple[int, int]
) -> None:
    async with make_app().run_test(size=size) as pilot:
        screen = await loaded(pilot)
        table = screen.query_one("#papers", VirtualTable)
        # No column runs off the right edge: the table never scrolls sideways.
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert "Title" in table.shown_columns and "Reading" in table.shown_columns
        assert (table.column_width("Title") or 0) >= 36
        await pilot.pause()
        keys = footer_keys(screen)
        shown = {k.action for k in keys}
        # Help lists every key; quit and the screen's own first actions come next.
        assert {"help", "quit", "select_cursor", "notes", "mark"} <= shown, shown
        read = next(k for k in keys if k.action == "select_cursor")
        assert read.description == "Read"
        for key in keys:
            assert key.end <= size[0], f"{key.description} is cut off"


async def test_focus_returns_to_the_table_after_a_dialog(make_app: Callable[..., Any]) -> None:
    async with make_app().run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        table = screen.query_one("#papers", VirtualTable)
        await pilot.press("down", "t")
        await until(pilot, lambda: isinstance(pilot.app.screen, TagPickerModal), what="tags")
        await pilot.press("escape")
        await until(pilot, lambda: pilot.app.screen is screen, what="back")
        await pilot.pause()
        assert pilot.app.focused is table
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen), what="help")
        await pilot.press("escape")
        await until(pilot, lambda: pilot.app.screen is screen, what="back")
        await pilot.pause()
        assert pilot.app.focused is table
        # Screens opened from the table give it back too.
        for key, name in (
            ("n", "NotesScreen"),
            ("enter", "ReaderScreen"),
            ("i", "FrontPageScreen"),
        ):
            await pilot.press(key)
            await until(pilot, lambda n=name: pilot.app.screen.__class__.__name__ == n, what=name)
            await pilot.pause(0.2)
            await pilot.press("escape")
            await until(pilot, lambda: pilot.app.screen is screen, what=f"back from {name}")
            await pilot.pause()
            assert pilot.app.focused is table, name
        # A command key now acts, instead of being typed into the filter.
        await pilot.press("s")
        assert screen.sort_mode == "title"
        assert screen.query_one("#filter", Input).value == ""


async def test_the_footer_chooses_again_when_the_terminal_narrows(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)

        def shown() -> set[str]:
            return {k.action for k in footer_keys(screen)}

        await until(pilot, lambda: "switch_mode('library')" in shown(), what="wide footer")
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: "switch_mode('library')" not in shown(), what="narrow")
        assert max(key.end for key in footer_keys(screen)) <= 80
        await pilot.resize_terminal(160, 45)
        await until(pilot, lambda: "switch_mode('library')" in shown(), what="wide again")
