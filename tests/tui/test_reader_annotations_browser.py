"""The annotations browser: every paper's highlights, filtered by kind and tag,
reachable with 6 and the command palette; enter opens the reader on the passage."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import Input, OptionList

from paperlab.annotations import add_annotation
from paperlab.store import Store
from paperlab.tui.screens.annotations_browser import AnnotationsScreen
from paperlab.tui.screens.library import LibraryScreen
from paperlab.tui.screens.reader import ReaderScreen
from paperlab.tui.widgets.page_view import PageView
from tests.tui.helpers import footer_keys, until

pytestmark = pytest.mark.anyio

SIZE = (120, 36)


@pytest.fixture
def highlights(lab_store: Store) -> None:
    add_annotation(
        lab_store,
        "1312.5602",
        "Experience replay stores",
        page=2,
        comment="why replay?",
        kind="question",
        tags=["rl"],
    )
    add_annotation(
        lab_store, "1706.03762", "Self-attention", page=2, kind="to-cite", tags=["attention"]
    )
    add_annotation(lab_store, "1706.03762", "multi-headed self-attention", kind="key-claim")


async def browser(pilot: Any) -> AnnotationsScreen:
    await until(pilot, lambda: isinstance(pilot.app.screen, LibraryScreen), what="library")
    await pilot.press("6")
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, AnnotationsScreen) and pilot.app.screen.loaded,
        what="annotations",
    )
    return pilot.app.screen  # type: ignore[no-any-return]


def rows(screen: AnnotationsScreen) -> list[tuple[str, str]]:
    return [(p.annotation.paper_id, p.annotation.quote) for p in screen.shown if p is not None]


async def test_every_paper_filtered_by_kind_and_tag(
    make_app: Callable[..., Any], highlights: None
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        # Grouped by paper title: Attention (2 + the fixture's), then Atari.
        assert [pid for pid, _ in rows(screen)] == ["1706.03762"] * 3 + ["1312.5602"]
        headings = [p for p in screen.shown if p is None]
        assert len(headings) == 2
        await pilot.pause()
        footer = {k.description for k in footer_keys(screen)}
        assert {"Read", "Kind", "Filter", "Library"} <= footer, footer
        await pilot.press("k", "k")  # all -> highlight -> question
        assert screen.kind == "question"
        assert rows(screen) == [("1312.5602", "Experience replay stores")]
        status = str(screen.query_one("#annotations-status").render())
        assert "1 of 4 annotations" in status and "question" in status
        await pilot.press("k", "k", "k")  # key-claim, to-cite, all
        assert screen.kind is None
        await pilot.press("f", *"#attention")
        assert rows(screen) == [("1706.03762", "Self-attention")]
        await pilot.press("ctrl+u", *"core")  # a word of a comment
        assert rows(screen) == [("1706.03762", "based solely on attention mechanisms")]
        # Escape: from the filter to the list, from the list to the library.
        await pilot.press("escape")
        assert screen.query_one("#annotations", OptionList).has_focus
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, LibraryScreen), what="library")


async def test_enter_opens_the_reader_on_the_passage(
    make_app: Callable[..., Any], highlights: None
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        await pilot.press("f", *"#rl", "enter")
        assert screen.query_one("#annotations", OptionList).has_focus
        await pilot.press("enter")
        await until(
            pilot,
            lambda: isinstance(app.screen, ReaderScreen) and app.screen.loaded,
            what="reader",
        )
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        assert reader.paper_id == "1312.5602" and reader.page == 2
        view = reader.query_one(PageView)
        span = view.selected_span()
        assert span is not None and view.text[span[0] : span[1]] == "Experience replay stores"
        # A highlight added in the reader is in the browser when it comes back.
        await pilot.press("s", "a")
        await until(pilot, lambda: app.screen.query_one("#annotate-comment", Input))
        await pilot.press(*"replay", "tab", *"to-cite", "enter")
        await until(pilot, lambda: len(reader.annotations) == 2, what="saved")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, what="browser")
        await pilot.press("f", "ctrl+u")  # clear the #rl filter
        await until(pilot, lambda: len(rows(screen)) == 5, what="reloaded")
        assert [p.annotation.kind for p in screen.shown if p is not None].count("to-cite") == 2


async def test_the_command_palette_reaches_the_browser(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LibraryScreen), what="library")
        await pilot.press("ctrl+p")
        await pilot.press(*"annotations")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AnnotationsScreen), what="browser")
