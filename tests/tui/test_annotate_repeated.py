"""The reader's annotate dialog on a passage the page holds more than once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import Input

from paperlab.annotations import list_annotations
from paperlab.store import Store
from paperlab.tui.widgets.page_view import PageView
from tests.tui.helpers import until
from tests.tui.test_flows import ATTENTION, SIZE, open_reader

pytestmark = pytest.mark.anyio


async def test_the_selected_occurrence_is_the_one_annotated(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_reader(pilot)
        reader.show_page(2)
        text = reader.pages[2]
        word = "attention"
        starts = [i for i in range(len(text)) if text.startswith(word, i)]
        assert len(starts) >= 2  # the quote alone is ambiguous on this page
        second = starts[1]
        view = reader.query_one(PageView)
        view.select_span(second, second + len(word))
        await pilot.press("a")
        await until(pilot, lambda: app.screen.query_one("#annotate-comment", Input))
        await pilot.press(*"the second one", "enter")
        await until(pilot, lambda: len(reader.annotations) == 2, what="annotation")
    (saved,) = [a for a in list_annotations(lab_store, ATTENTION) if a.page == 2]
    assert (saved.char_start, saved.char_end) == (second, second + len(word))
    assert saved.comment == "the second one"
