"""Search as you type and land on the right page with the passage highlighted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import Input, OptionList

from paperlab.tui.screens.reader import ReaderScreen
from paperlab.tui.screens.search import SearchScreen
from paperlab.tui.widgets.page_view import PageView
from tests.tui.helpers import until
from tests.unit.test_searching import real_embedder  # noqa: F401  (fixture)

pytestmark = pytest.mark.anyio


async def test_search_opens_reader_at_the_passage(make_app: Callable[..., Any]) -> None:
    app = make_app()  # no model: the screen searches lexically until one is loaded
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("2")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen))
        screen = app.screen
        await pilot.press(*"experience replay")
        await until(
            pilot, lambda: screen.last_query == "experience replay" and screen.hits, what="results"
        )
        first = screen.hits[0]
        assert first.paper_id == "1312.5602" and first.page == 2
        results = screen.query_one("#results", OptionList)
        results.focus()
        await pilot.press("enter")
        await until(
            pilot, lambda: isinstance(app.screen, ReaderScreen) and app.screen.loaded, what="reader"
        )
        reader = app.screen
        assert reader.paper_id == "1312.5602" and reader.page == 2
        view = reader.query_one(PageView)
        marks = [m for m in view.marks if m.kind == "search"]
        assert marks, "the passage is highlighted"
        assert "Experience replay" in view.text[marks[0].start : marks[0].end]
        span = view.selected_span()
        assert span is not None and span[0] == marks[0].start


async def test_search_finds_notes_and_log(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("2")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen))
        screen = app.screen
        await pilot.press(*"toy translation")
        await until(
            pilot, lambda: screen.last_query == "toy translation" and screen.hits, what="results"
        )
        assert any(h.kind == "log" for h in screen.hits)
        status = str(screen.query_one("#search-status").render())
        assert "lexical" in status


async def test_a_query_about_nothing_in_the_library_says_so(
    make_app: Callable[..., Any],
    lab_store: Any,
    real_embedder: Any,  # noqa: F811
) -> None:
    """With the model loaded, an unrelated query finds nothing and the status says why."""
    from paperlab.indexing import index_pending
    from paperlab.settings import load_settings

    index_pending(lab_store, load_settings(), embedder=real_embedder)
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app.embedder = real_embedder
        await pilot.press("2")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen))
        screen = app.screen
        await pilot.press(*"chocolate cake recipe")
        await until(pilot, lambda: screen.last_query == "chocolate cake recipe", what="search")
        status = str(screen.query_one("#search-status").render())
        assert screen.hits == []
        assert "No results for “chocolate cake recipe”: no text contains these words" in status


async def test_search_terms_keep_the_papers_they_choose(make_app: Callable[..., Any]) -> None:
    """`paper:`, `list:` and `state:` among the words search within those papers; a name
    the library does not know says so in the status line, with the closest one."""
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("2")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen))
        screen = app.screen

        async def search(text: str) -> set[str | None]:
            box = screen.query_one("#query", Input)
            box.value = text
            await until(pilot, lambda: screen.last_query == text, what=text)
            return {hit.paper_id for hit in screen.hits}

        assert await search("sequence") == {"1706.03762", "1312.5602"}
        assert await search("sequence paper:1312.5602") == {"1312.5602"}
        assert await search("list:weeks-19-20-reading-papers sequence") == {"1706.03762"}
        assert await search("sequence state:read") == {"1312.5602"}
        status = str(screen.query_one("#search-status").render())
        assert "for “sequence” with reading state read" in status
        assert await search("sequence list:weeks-19-20-reading-paper") == set()
        status = str(screen.query_one("#search-status").render())
        assert "No reading list 'weeks-19-20-reading-paper'" in status
        assert "Did you mean weeks-19-20-reading-papers?" in status
        assert await search("paper:1312.5602") == set()
        status = str(screen.query_one("#search-status").render())
        assert status == "Type what to search for among 1312.5602."


async def test_slash_in_the_reader_searches_that_paper(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app.open_reader("1312.5602")
        await until(pilot, lambda: isinstance(app.screen, ReaderScreen) and app.screen.loaded)
        await pilot.press("slash")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen), what="search")
        screen = app.screen
        box = screen.query_one("#query", Input)
        assert box.value == "paper:1312.5602 " and box.has_focus
        await pilot.press(*"sequence")
        query = "paper:1312.5602 sequence"
        await until(pilot, lambda: screen.last_query == query and screen.hits, what="results")
        assert {hit.paper_id for hit in screen.hits} == {"1312.5602"}


def test_its_keys_can_be_checked_before_it_is_composed() -> None:
    """Switching to search builds the screen while footers still ask which of its keys
    apply: a busy machine made that ask before the query box existed, and the app died."""
    screen = SearchScreen()
    assert screen.check_action("leave_query", ()) is False
    assert screen.check_action("leave", ()) is True
