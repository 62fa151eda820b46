"""The library table at a thousand papers: filtering redraws a screenful, not the table.

No timings here (bench/tui_bench.py measures them); these check the things
that make the screen fast at any size: a keystroke filters at once (no
debounce), only rows in view are ever rendered, and the cursor, keys and
clicks work on a table that only draws what is on screen.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from paperlab.settings import load_settings
from paperlab.store import Store, open_store
from paperlab.tui.screens.library import LibraryScreen
from paperlab.tui.screens.reader import ReaderScreen
from paperlab.tui.widgets.virtual_table import VirtualTable
from tests.tui.helpers import until

pytestmark = pytest.mark.anyio

PAPERS = 1000
SIZE = (120, 36)


@pytest.fixture
def big_store(paperlab_home: Path) -> Iterator[Store]:
    """A real library of PAPERS papers on three lists (every third paper on none)."""
    store = open_store()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    conn = sqlite3.connect(store.path)
    with conn:
        conn.executemany(
            "INSERT INTO reading_list (id, name, title, weeks, loaded_at) "
            "VALUES (?, ?, ?, '[]', ?)",
            [(k, f"list-{k}", f"List {k}", str(start)) for k in (1, 2, 3)],
        )
        conn.executemany(
            "INSERT INTO paper (id, title, authors, published, state, reading_state, added_at, "
            "updated_at) VALUES (?, ?, '[\"A. Author\"]', ?, 'indexed', 'unread', ?, ?)",
            [
                (
                    f"2401.{i:05d}",
                    f"{'Zebra' if i == 777 else 'Paper'} number {i}",
                    str(start),
                    str(start + timedelta(seconds=i)),
                    str(start),
                )
                for i in range(PAPERS)
            ],
        )
        conn.executemany(
            "INSERT INTO reading_list_entry (list_id, paper_id, week, position) "
            "VALUES (?, ?, ?, ?)",
            [(i % 3 + 1, f"2401.{i:05d}", 19, i) for i in range(PAPERS) if i % 3 != 2],
        )
    conn.close()
    yield store
    store.close()


def make(store: Store) -> Any:
    from paperlab.tui.app import PaperlabApp

    return PaperlabApp(store=store, settings=load_settings(), load_model=False, poll_interval=None)


async def loaded(pilot: Any) -> LibraryScreen:
    await until(pilot, lambda: pilot.app.screen.loaded, what="library")
    return pilot.app.screen  # type: ignore[no-any-return]


async def test_a_keystroke_filters_at_once_and_renders_one_screenful(big_store: Store) -> None:
    async with make(big_store).run_test(size=SIZE) as pilot:
        screen = await loaded(pilot)
        table = screen.query_one("#papers", VirtualTable)
        assert table.row_count == PAPERS + 3  # a heading per list and one for no list
        await pilot.pause()
        # Only what is on screen was drawn, however long the table.
        assert 0 < len(table._lines) <= table.size.height
        await pilot.press("f", "z")
        await pilot.pause()  # one turn of the event loop: no waiting for a pause in typing
        assert [row.key.split("\x1f")[1] for row in table.rows[1:]] == ["2401.00777"]
        assert screen.selected_paper() == "2401.00777"
        assert len(table._lines) <= table.size.height
        await pilot.press("backspace")
        await pilot.pause()
        assert table.row_count == PAPERS + 3
        # The cursor stays on the paper it was on while the filter changed.
        assert screen.selected_paper() == "2401.00777"


async def test_keys_and_clicks_move_the_cursor_through_a_long_table(big_store: Store) -> None:
    async with make(big_store).run_test(size=SIZE) as pilot:
        screen = await loaded(pilot)
        table = screen.query_one("#papers", VirtualTable)
        assert table.cursor_row == 1  # the first paper, under its list's heading
        await pilot.press("end")
        assert table.cursor_row == table.row_count - 1
        assert table.scroll_y == table.max_scroll_y  # scrolled to keep the cursor in view
        await pilot.press("home", "pagedown")
        assert table.cursor_row == table.scrollable_content_region.height - 1
        assert table.scroll_y > 0
        await pilot.press("ctrl+home", "down", "down")
        assert screen.selected_paper() == table.rows[2].key.split("\x1f")[1]
        # A click on a paper's line selects and opens it (line 0 is the header).
        assert table.scroll_y == 0
        expected = table.rows[3].key.split("\x1f")[1]
        await pilot.click("#papers", offset=(5, 4))
        await until(pilot, lambda: isinstance(pilot.app.screen, ReaderScreen), what="reader")
        assert pilot.app.screen.paper_id == expected


async def test_a_filter_that_shrinks_the_table_scrolls_back_to_its_rows(big_store: Store) -> None:
    async with make(big_store).run_test(size=SIZE) as pilot:
        screen = await loaded(pilot)
        table = screen.query_one("#papers", VirtualTable)
        await pilot.press("end")
        assert table.scroll_y > 0
        await pilot.press("f", *"zebra")
        await pilot.pause()
        assert table.row_count == 2 and table.scroll_y == 0
        assert "Zebra number 777" in table.render_line(2).text
        await pilot.press(*"zz")  # nothing matches: an empty table, still no error
        await pilot.pause()
        assert table.row_count == 0 and table.scroll_y == 0
        assert screen.selected_paper() is None


def updated_lines(update: Any) -> set[int]:
    """The screen lines a compositor update writes."""
    if hasattr(update, "spans"):  # a partial update
        return {y for y, _, _ in update.spans}
    region = update.region  # a full layout update
    return set(range(region.y, region.y + len(update.strips)))


async def test_filtered_rows_arrive_with_the_typed_character(big_store: Store) -> None:
    # The table's height changes with the filter; its new rows were painted a
    # frame after the filter box's (~30 ms later), which a user sees as lag.
    app = make(big_store)
    updates: list[set[int]] = []
    display = app._display

    def recorded(screen: Any, update: Any) -> None:
        if update is not None:
            updates.append(updated_lines(update))
        display(screen, update)

    app._display = recorded  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot)
        table = screen.query_one("#papers", VirtualTable)
        await pilot.press("f")
        await pilot.pause()
        filter_line = screen.query_one("#filter").region.y + 1
        table_lines = set(range(table.region.y + 1, table.region.bottom))
        for key, rows in (("z", 2), ("backspace", PAPERS + 3)):
            updates.clear()
            await pilot.press(key)
            await pilot.pause()
            assert table.row_count == rows
            first = next(lines for lines in updates if filter_line in lines)
            assert first & table_lines, f"{key}: the rows came after the filter box"
