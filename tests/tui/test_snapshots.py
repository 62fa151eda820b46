"""Snapshots of the main screens on the fixed library (fixed dates, UTC, fixed today)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from paperlab.notes import save_note
from paperlab.store import Store
from tests.tui.helpers import until

SIZE = (120, 36)


async def _library(pilot: Pilot[Any]) -> None:
    await until(pilot, lambda: pilot.app.screen.loaded)
    await pilot.press("down", "down", "down")


def test_library(snap_compare: Any, make_app: Callable[..., Any]) -> None:
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_library)


def test_library_filtered(snap_compare: Any, make_app: Callable[..., Any]) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: pilot.app.screen.loaded)
        await pilot.press("f", *"deep", "enter", "s")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


def test_reader(snap_compare: Any, make_app: Callable[..., Any]) -> None:
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

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


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


def test_progress(snap_compare: Any, make_app: Callable[..., Any]) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await pilot.press("5")
        await until(pilot, lambda: len(pilot.app.screen.query("Bar")) == 9)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


def test_help(snap_compare: Any, make_app: Callable[..., Any]) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: pilot.app.screen.loaded)
        await pilot.press("question_mark")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)
