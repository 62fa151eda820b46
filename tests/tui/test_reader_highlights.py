"""Highlights in the reader: a key reaches the list, which shows tags; kinds are set
from the annotate dialog or with k, and shown in colour on the page and in the list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import Input, OptionList

from paperlab.annotations import list_annotations, update_annotation
from paperlab.store import Store
from paperlab.tui.screens.reader import ReaderScreen
from paperlab.tui.widgets.page_view import MARK_STYLES, PageView
from tests.tui.helpers import until

pytestmark = pytest.mark.anyio

ATTENTION = "1706.03762"
SIZE = (140, 40)


async def open_reader(pilot: Any, paper: str = ATTENTION) -> ReaderScreen:
    pilot.app.open_reader(paper)
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, ReaderScreen) and pilot.app.screen.loaded,
        what="reader",
    )
    return pilot.app.screen  # type: ignore[no-any-return]


def option_texts(listing: OptionList) -> list[str]:
    return [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]


async def test_h_goes_to_the_highlights_which_show_their_tags(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    first = list_annotations(lab_store, ATTENTION)[0]
    update_annotation(lab_store, first.id, tags=["transformer", "claim"])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_reader(pilot)
        listing = reader.query_one("#annotation-list", OptionList)
        await pilot.press("h")
        assert listing.has_focus and listing.highlighted == 0
        label = option_texts(listing)[0]
        assert "#transformer" in label and "#claim" in label
        assert "the core claim" in label
        # Enter jumps to it and selects the quote; escape from the list returns to the page.
        await pilot.press("right_square_bracket", "h", "enter")
        view = reader.query_one(PageView)
        assert reader.page == 1 and view.has_focus
        span = view.selected_span()
        assert span is not None
        assert view.text[span[0] : span[1]] == "based solely on attention mechanisms"
        await pilot.press("h", "escape")
        assert view.has_focus and app.screen is reader


async def test_kinds_from_the_dialog_and_from_k(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_reader(pilot)
        view = reader.query_one(PageView)
        await pilot.press("f", *"intra-attention", "enter", "s", "a")
        await until(pilot, lambda: app.screen.query_one("#annotate-comment", Input))
        await pilot.press(*"what is it", "tab", *"question, attention", "enter")
        await until(pilot, lambda: len(reader.annotations) == 2, what="annotation")
        saved = next(a for a in list_annotations(lab_store, ATTENTION) if a.page == 2)
        # A tag naming a kind sets the kind; the other tags stay tags.
        assert saved.kind == "question" and saved.tags == '["attention"]'
        marks = [m for m in view.marks if m.kind == "annotation"]
        assert [m.style for m in marks] == ["paperlab.annotation-question"]
        assert "paperlab.annotation-question" in MARK_STYLES
        listing = reader.query_one("#annotation-list", OptionList)
        assert "question" in option_texts(listing)[1] and "#attention" in option_texts(listing)[1]
        # k on the highlight under the cursor: question -> key-claim.
        await pilot.press("escape")  # clear the find
        view.move_cursor(view.location_of(saved.char_start or 0))
        await pilot.press("k")
        await until(
            pilot,
            lambda: [a.kind for a in reader.annotations] == ["highlight", "key-claim"],
            what="kind changed",
        )
        assert [m.style for m in view.marks] == ["paperlab.annotation-key-claim"]
        # k in the list changes the highlighted one: the first, a plain highlight.
        await pilot.press("h", "k")
        await until(
            pilot,
            lambda: [a.kind for a in reader.annotations] == ["question", "key-claim"],
            what="kind changed in the list",
        )
        assert listing.has_focus
    kinds = [a.kind for a in list_annotations(lab_store, ATTENTION)]
    assert kinds == ["question", "key-claim"]


async def test_k_away_from_a_highlight_says_how(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_reader(pilot)
        await pilot.press("right_square_bracket", "k")
        assert any("Put the cursor on a highlight" in n.message for n in app._notifications)
        assert [a.kind for a in reader.annotations] == ["highlight"]
