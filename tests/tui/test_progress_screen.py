"""The progress screen: minutes as well as hours, failed papers apart with true advice."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from paperlab.progress import duration, plan_progress, record_reading
from paperlab.store import Store
from paperlab.tui.screens.progress import ProgressScreen
from paperlab.tui.widgets.bars import Bar
from tests.tui.helpers import until
from tests.tui.library_fixture import TODAY

pytestmark = pytest.mark.anyio
# The plan's progress on SQLite and on a lab database (tests/conftest.py).
both_stores = pytest.mark.usefixtures("backend")

FAILED = "1301.5088"


def execute(store: Store, sql: str, params: dict[str, object]) -> None:
    """One write (``:name`` parameters) on either store, as a command would leave it."""
    from sqlalchemy import text

    with store.write() as session:
        session.connection().execute(text(sql), params)


def fail(store: Store, paper: str, reason: str) -> None:
    execute(
        store,
        "UPDATE paper SET state = 'failed', state_reason = :r WHERE id = :p",
        {"r": reason, "p": paper},
    )


async def open_progress(pilot: Any) -> ProgressScreen:
    await until(pilot, lambda: pilot.app.screen.loaded, what="library")
    await pilot.press("5")
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, ProgressScreen) and pilot.app.screen.plan is not None,
        what="progress",
    )
    await pilot.pause()
    return pilot.app.screen  # type: ignore[no-any-return]


def bar_line(screen: ProgressScreen, label: str) -> str:
    bar = next(b for b in screen.query(Bar) if b.label.startswith(label))
    return str(bar.render())


def test_duration_shows_minutes_as_well_as_hours() -> None:
    assert duration(1.4) == "1 min"
    assert duration(0) == "0 min"
    assert duration(60) == "1 h"
    assert duration(85.2) == "1 h 25 min"
    assert duration(48 * 60) == "48 h"


@both_stores
async def test_a_short_session_shows_in_minutes(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    # Week 21 had nothing: 1.4 minutes of reading must not show as "0.0 h".
    record_reading(lab_store, "1312.5602", 1.4, started_at=datetime(2025, 3, 18, 9, tzinfo=UTC))
    async with make_app().run_test(size=(160, 45)) as pilot:
        screen = await open_progress(pilot)
        line = bar_line(screen, "Week 21")
        assert "1 min / 8 h" in line and "0.0 h" not in line
        summary = str(screen.query_one("#plan-summary").render())
        assert "11 h 51 min of 48 h" in summary  # 270 + 440 + 1.4 minutes


@both_stores
async def test_failed_papers_are_apart_not_counted_and_advised_truly(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    fail(lab_store, FAILED, "download: HTTP 503 from export.arxiv.org")
    plan = plan_progress(lab_store, today=TODAY)
    first = next(item for item in plan.lists if item.name == "weeks-19-20-reading-papers")
    assert (first.total, first.failed, first.read) == (3, 1, 0)
    async with make_app().run_test(size=(160, 45)) as pilot:
        screen = await open_progress(pilot)
        line = bar_line(screen, "Reading and understanding")
        assert "0 / 3 read" in line and "1 failed" in line
        failed = str(screen.query_one("#failed-papers").render())
        assert "Piecewise Linear Multilayer Perceptrons and Dropout" in failed
        assert "paperlab fetch --retry-failed" in failed
        assert "paperlab index" not in failed


def on_disk(store: Store, *papers: str) -> None:
    """Give papers a stored PDF path, as a fetch does (the plan calls others missing)."""
    for paper in papers:
        execute(
            store,
            "UPDATE paper SET pdf_path = :f WHERE id = :p",
            {"f": f"pdfs/{paper}.pdf", "p": paper},
        )


def set_optional(store: Store, paper: str, week: int) -> None:
    execute(
        store,
        "UPDATE reading_list_entry SET core = FALSE WHERE paper_id = :p AND week = :w",
        {"p": paper, "w": week},
    )


@both_stores
async def test_this_week_at_a_glance(make_app: Callable[..., Any], lab_store: Store) -> None:
    on_disk(lab_store, "1706.03762", "1512.03385")
    set_optional(lab_store, "1512.03385", 20)
    async with make_app().run_test(size=(160, 45)) as pilot:  # today is in week 20
        screen = await open_progress(pilot)
        week = screen.week_text()
        assert "This week: week 20 (Mar 10 – Mar 16)" in week
        assert "Next: Attention Is All You Need" in week
        core, optional = week.split("Optional", 1)
        assert "reading" in core and "Attention Is All You Need" in core
        assert "Deep Residual Learning" in optional and "skimming" in optional
        assert "Deep Residual Learning" not in core
        # 7 h 20 min were read in week 20's dates, of the list's budget.
        assert "7 h 20 min read of 4 h planned" in week
        await pilot.press("enter")  # reads the next paper
        await until(pilot, lambda: pilot.app.screen.__class__.__name__ == "ReaderScreen")
        assert pilot.app.screen.paper_id == "1706.03762"
        await pilot.press("escape")
        await until(pilot, lambda: pilot.app.screen is screen, what="back")
        await pilot.press("i")
        await until(pilot, lambda: pilot.app.screen.__class__.__name__ == "FrontPageScreen")
        assert pilot.app.screen.paper_id == "1706.03762"
        # Any paper of the week: down skips the "Optional" heading to the next paper.
        await pilot.press("escape")
        await until(pilot, lambda: pilot.app.screen is screen, what="back again")
        await pilot.press("down", "i")
        await until(pilot, lambda: pilot.app.screen.__class__.__name__ == "FrontPageScreen")
        assert pilot.app.screen.paper_id == "1512.03385"
        await pilot.press("escape")
        await until(pilot, lambda: pilot.app.screen is screen, what="back once more")
        await pilot.press("enter")
        await until(pilot, lambda: pilot.app.screen.__class__.__name__ == "ReaderScreen")
        assert pilot.app.screen.paper_id == "1512.03385"


async def test_this_week_skips_a_failed_paper_and_says_what_is_missing(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    from datetime import date

    fail(lab_store, FAILED, "not-found: arXiv has no such paper")
    async with make_app(today=lambda: date(2025, 3, 4)).run_test(size=(160, 45)) as pilot:
        screen = await open_progress(pilot)
        week = screen.week_text()
        assert "This week: week 19" in week
        # The failed paper comes first in the list, but is not the next to read.
        assert "Next: Neural Machine Translation" in week
        assert "✗ failed" in week and "Piecewise Linear" in week
        # Not downloaded yet: the plan says how to get it, not to index it.
        assert "paperlab fetch 1409.0473" in week
        assert "paperlab index" not in week


async def test_after_the_plan_this_week_says_the_plan_has_ended(
    make_app: Callable[..., Any],
) -> None:
    from datetime import date

    async with make_app(today=lambda: date(2026, 11, 30)).run_test(size=(100, 30)) as pilot:
        screen = await open_progress(pilot)
        week = screen.week_text()
        assert "The plan ended on Apr 13; its last week: week 24" in week
        assert "This week" not in week


async def test_the_reader_gives_a_failed_paper_the_true_advice(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    from paperlab.tui.screens.reader import ReaderScreen
    from paperlab.tui.widgets.page_view import PageView

    fail(lab_store, FAILED, "download: HTTP 503 from export.arxiv.org")
    async with make_app().run_test(size=(160, 45)) as pilot:
        await until(pilot, lambda: pilot.app.screen.loaded, what="library")
        pilot.app.open_reader(FAILED)
        await until(
            pilot,
            lambda: isinstance(pilot.app.screen, ReaderScreen) and pilot.app.screen.loaded,
            what="reader",
        )
        text = pilot.app.screen.query_one(PageView).text
        assert "could not be downloaded" in text and "paperlab fetch --retry-failed" in text
        assert "paperlab index" not in text
        # A paper that has its PDF but no text yet is told to extract it.
        pilot.app.screen.dismiss()
        await until(pilot, lambda: not isinstance(pilot.app.screen, ReaderScreen), what="back")
        pilot.app.open_reader("1409.0473")  # fetched, no PDF path in the fixture, no pages
        await until(
            pilot,
            lambda: isinstance(pilot.app.screen, ReaderScreen) and pilot.app.screen.loaded,
            what="reader again",
        )
        text = pilot.app.screen.query_one(PageView).text
        assert "paperlab fetch 1409.0473" in text


async def test_read_next_failure_is_one_line_and_the_rest_of_the_screen_stays(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    # A library whose reference table is gone: ranking fails, progress does not.
    conn = sqlite3.connect(lab_store.path)
    with conn:
        conn.execute("DROP TABLE paper_reference")
    conn.close()
    async with make_app().run_test(size=(160, 45)) as pilot:
        screen = await open_progress(pilot)
        await until(pilot, lambda: screen.read_next is not None, what="read next")
        text = str(screen.query_one("#read-next").render())
        assert text.startswith("Could not rank what to read next: ")
        assert "paper_reference" in text
        assert "\n" not in text and "Traceback" not in text
        assert bar_line(screen, "Week 20").strip()


async def test_a_library_whose_lists_were_never_recorded_still_shows_the_week(
    paperlab_home: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before any fetch the plan's lists are recorded (nothing downloaded), as `plan` does."""
    from pathlib import Path

    from paperlab.readinglists import LISTS_DIR_ENV
    from paperlab.settings import load_settings
    from paperlab.store import open_store
    from paperlab.tui.app import PaperlabApp

    monkeypatch.setenv(LISTS_DIR_ENV, str(Path(__file__).parents[1] / "data" / "lists"))
    store = open_store()  # a new library: no list recorded
    app = PaperlabApp(store=store, settings=load_settings(), load_model=False,
                      poll_interval=None, today=lambda: TODAY)  # fmt: skip
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            await until(pilot, lambda: pilot.app.screen.loaded, what="library")
            await pilot.press("5")
            await until(
                pilot,
                lambda: (
                    isinstance(pilot.app.screen, ProgressScreen)
                    and pilot.app.screen.plan is not None
                ),
                what="progress",
            )
            week = pilot.app.screen.week_text()
            assert "No reading list covers this week" not in week
            assert "weeks-19-20-basics" in week or "Next:" in week, week
    finally:
        store.close()


async def test_read_next_says_first_why_a_failed_paper_cannot_be_read(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    """Only two reasons fit per paper: a failed fetch is said before them, with its step."""
    fail(lab_store, FAILED, "not-found: 1301.5088 does not exist on arXiv; check the id.")
    async with make_app().run_test(size=(160, 45)) as pilot:
        screen = await open_progress(pilot)
        await until(pilot, lambda: screen.read_next is not None, what="read next")
        assert screen.read_next is not None
        failed = next(p for p in screen.read_next if p.paper_id == FAILED)
        assert failed.reasons[0].startswith("arXiv does not list 1301.5088")
        text = str(screen.query_one("#read-next").render())
        assert "arXiv does not list 1301.5088" in text
        assert "next: with a PDF of it: paperlab add FILE.pdf" in text
