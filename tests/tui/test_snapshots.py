"""Snapshots of the main screens on the fixed library (fixed dates, UTC, fixed today).

The library, reader and progress screens are taken at the three terminal sizes
the lab bench is laid out for: 160x45, 100x30 and 80x24.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

from paperlab.notes import save_note
from paperlab.store import Store
from tests.tui.helpers import until

SIZE = (120, 36)
SIZES = [pytest.param((160, 45), id="160x45"), pytest.param((100, 30), id="100x30")]
SIZES.append(pytest.param((80, 24), id="80x24"))


async def _library(pilot: Pilot[Any]) -> None:
    await until(pilot, lambda: pilot.app.screen.loaded)
    await pilot.press("down", "down", "down")


@pytest.mark.parametrize("size", SIZES)
def test_library(snap_compare: Any, make_app: Callable[..., Any], size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=_library)


def test_library_folded(snap_compare: Any, make_app: Callable[..., Any]) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: pilot.app.screen.loaded)
        await pilot.press("down", "down", "space")  # fold week 20

    assert snap_compare(make_app(), terminal_size=(100, 30), run_before=run)


def test_library_filtered(snap_compare: Any, make_app: Callable[..., Any]) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: pilot.app.screen.loaded)
        await pilot.press("f", *"deep", "enter", "s")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_reader(snap_compare: Any, make_app: Callable[..., Any], size: tuple[int, int]) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        pilot.app.open_reader("1706.03762")
        await until(
            pilot,
            lambda: (
                getattr(pilot.app.screen, "loaded", False)
                and pilot.app.screen.__class__.__name__ == "ReaderScreen"
            ),
        )
        await pilot.press("f", *"self-attention", "enter")

    assert snap_compare(make_app(), terminal_size=size, run_before=run)


def test_notes(snap_compare: Any, make_app: Callable[..., Any], lab_store: Store) -> None:
    save_note(
        lab_store,
        "1312.5602",
        {
            "summary": "A CNN learns Atari control policies from raw pixels with Q-learning.",
            "contributions": "Experience replay; one architecture for seven games.",
            "limitations": "Long training; reward clipping hides reward scale.",
            "relevance": "Baseline for the RL part of my project.",
        },
    )

    async def run(pilot: Pilot[Any]) -> None:
        pilot.app.open_notes("1312.5602")
        await until(
            pilot,
            lambda: (
                getattr(pilot.app.screen, "loaded", False)
                and pilot.app.screen.__class__.__name__ == "NotesScreen"
            ),
        )
        # The focused field's cursor blinks: without this the picture caught
        # it on or off by chance (the first letter drawn reversed or not).
        for area in pilot.app.screen.query(TextArea):
            area.cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


def test_search(snap_compare: Any, make_app: Callable[..., Any]) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await pilot.press("2", *"attention")
        await until(pilot, lambda: pilot.app.screen.hits)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


def test_log(snap_compare: Any, make_app: Callable[..., Any]) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await pilot.press("3")
        await until(pilot, lambda: pilot.app.screen.entries)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


def test_topics(snap_compare: Any, make_app: Callable[..., Any]) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await pilot.press("4")
        await until(pilot, lambda: pilot.app.screen.topics)
        await pilot.press("down", "down", "down", "down")  # reinforcement learning
        await until(
            pilot,
            lambda: (
                "Does experience replay" in str(pilot.app.screen.query_one("#topic-log").render())
            ),
        )

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_progress(
    snap_compare: Any, make_app: Callable[..., Any], lab_store: Store, size: tuple[int, int]
) -> None:
    # The papers with text have their PDF, as after a fetch; the plan calls the others missing.
    conn = sqlite3.connect(lab_store.path)
    with conn:
        conn.execute("UPDATE paper SET pdf_path = 'pdfs/' || id || '.pdf' WHERE state = 'indexed'")
        conn.execute(
            "UPDATE paper SET state_reason = 'download: HTTP 503 from export.arxiv.org'"
            " WHERE state = 'failed'"
        )
        conn.execute("UPDATE reading_list_entry SET core = 0 WHERE paper_id = '1512.03385'")
    conn.close()

    async def run(pilot: Pilot[Any]) -> None:
        await pilot.press("5")
        await until(pilot, lambda: getattr(pilot.app.screen, "plan", None) is not None)
        await until(pilot, lambda: getattr(pilot.app.screen, "read_next", None) is not None)

    assert snap_compare(make_app(), terminal_size=size, run_before=run)


def test_front_page(snap_compare: Any, make_app: Callable[..., Any], lab_store: Store) -> None:
    conn = sqlite3.connect(lab_store.path)
    with conn:
        conn.execute(
            "UPDATE reading_list_entry SET why = 'The Transformer: the plan builds on it.'"
            " WHERE paper_id = '1706.03762'"
        )
    conn.close()

    async def run(pilot: Pilot[Any]) -> None:
        pilot.app.open_front_page("1706.03762")
        await until(pilot, lambda: getattr(pilot.app.screen, "page", None) is not None)

    assert snap_compare(make_app(), terminal_size=(100, 30), run_before=run)


def test_help(snap_compare: Any, make_app: Callable[..., Any]) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: pilot.app.screen.loaded)
        await pilot.press("question_mark")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)
