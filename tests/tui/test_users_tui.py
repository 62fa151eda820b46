"""Other users' shared items in the TUI: marked with their owner, private ones never shown.

The app runs as the test user (PAPERLAB_USER=tester); alice writes through
the services under her own name first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import DataTable, OptionList

from paperlab.annotations import add_annotation
from paperlab.notes import save_note
from paperlab.researchlog import add_entry
from paperlab.store import Store
from paperlab.tui.screens.annotations_browser import AnnotationsScreen
from paperlab.tui.screens.front_page import FrontPageScreen
from paperlab.tui.screens.library import LibraryScreen
from paperlab.tui.screens.log import LogScreen
from tests.tui.helpers import until

pytestmark = pytest.mark.anyio

SIZE = (140, 40)
ATTENTION = "1706.03762"


@pytest.fixture
def alices(lab_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERLAB_USER", "alice")
    save_note(lab_store, ATTENTION, {"summary": "Alice shares: attention is enough."}, shared=True)
    save_note(lab_store, "1312.5602", {"summary": "Alice keeps this to herself."})
    add_annotation(lab_store, ATTENTION, "Self-attention", page=2, shared=True)
    add_annotation(lab_store, ATTENTION, "multi-headed self-attention")  # private
    add_entry(lab_store, "A shared plan for the reading group", shared=True)
    add_entry(lab_store, "A private worry about the deadline")
    monkeypatch.setenv("PAPERLAB_USER", "tester")


async def library(pilot: Any) -> None:
    await until(pilot, lambda: isinstance(pilot.app.screen, LibraryScreen), what="library")
    await until(pilot, lambda: pilot.app.screen.loaded, what="library loaded")


@pytest.mark.usefixtures("alices")
async def test_the_front_page_shows_others_shared_summaries(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await library(pilot)
        app.open_front_page(ATTENTION)
        await until(
            pilot,
            lambda: isinstance(app.screen, FrontPageScreen) and app.screen.page is not None,
            what="front page",
        )
        await pilot.pause()
        text = str(app.screen.query_one("#front-page-text").render())
        assert "[alice] Alice shares: attention is enough." in text
        assert "2 highlights" in text  # the fixture's and her shared one; not her private one
        app.open_front_page("1312.5602")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, FrontPageScreen)
                and app.screen.paper_id == "1312.5602"
                and app.screen.page is not None
            ),
            what="second front page",
        )
        await pilot.pause()
        assert "Alice keeps" not in str(app.screen.query_one("#front-page-text").render())


@pytest.mark.usefixtures("alices")
async def test_the_log_and_the_annotations_name_the_owner(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await library(pilot)
        await pilot.press("3")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, LogScreen)
                and app.screen.query_one("#log-table", DataTable).row_count > 0
            ),
            what="log",
        )
        table = app.screen.query_one("#log-table", DataTable)
        texts = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert any(t.startswith("[alice] A shared plan") for t in texts)
        assert not any("private worry" in t for t in texts)
        assert not any(t.startswith("[tester]") for t in texts)  # one's own: no mark
        await pilot.press("escape")
        await library(pilot)
        await pilot.press("6")
        await until(
            pilot,
            lambda: isinstance(app.screen, AnnotationsScreen) and app.screen.loaded,
            what="annotations",
        )
        listing = app.screen.query_one(OptionList)
        labels = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
        assert any("[alice]" in label and "Self-attention" in label for label in labels)
        assert not any("multi-headed" in label for label in labels)
