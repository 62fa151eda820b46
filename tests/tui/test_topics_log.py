"""The topics and log screens: focus, counts that say what they count, whole entries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual import events
from textual.widgets import DataTable, Input, OptionList

from paperlab.log_views import list_entries
from paperlab.notes import link_note_topics, save_note
from paperlab.overviews import topics_overview
from paperlab.researchlog import get_entry
from paperlab.store import Store
from paperlab.tagging import tag_paper
from paperlab.tui.screens.library import LibraryScreen
from paperlab.tui.screens.log import LogScreen
from paperlab.tui.screens.log_entry import LogDetailModal, LogEntryModal
from paperlab.tui.screens.topics import TopicsScreen
from tests.tui.helpers import until

pytestmark = pytest.mark.anyio

SIZE = (120, 36)
LONG = (
    "Reproduced the warm-up schedule of 1706.03762 on the toy task: without it the loss "
    "diverges after 300 steps, with it training is stable; keep it for week 22's experiments."
)


async def topics_screen(pilot: Any) -> TopicsScreen:
    await until(pilot, lambda: pilot.app.screen.loaded, what="library")
    await pilot.press("4")
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, TopicsScreen) and pilot.app.screen.topics,
        what="topics",
    )
    return pilot.app.screen  # type: ignore[no-any-return]


async def pick_topic(pilot: Any, screen: TopicsScreen, slug: str) -> None:
    listing = screen.query_one("#topic-list", OptionList)
    listing.focus()
    index = [t.slug for t in screen.topics].index(slug)
    listing.highlighted = index
    await until(pilot, lambda: f"#{slug}" in str(screen.query_one("#topic-detail").render()))


async def test_the_first_tab_from_the_topics_lands_on_the_papers(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await topics_screen(pilot)
        assert app.focused is screen.query_one("#topic-list")
        await pilot.press("tab")
        assert app.focused is screen.query_one("#topic-papers", OptionList)
        assert app.focused.region.area > 0  # a visible, focused list
        await pilot.press("escape")  # the way out, shown on the footer
        await until(pilot, lambda: isinstance(app.screen, LibraryScreen), what="left topics")


async def test_a_topic_counts_notes_on_its_papers_and_says_which(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    # 1706.03762 is tagged nlp; its note is not linked to the topic itself.
    save_note(lab_store, "1706.03762", {"summary": "Attention replaces recurrence."})
    link_note_topics(lab_store, "1409.0473", ["nlp"])  # an empty note linked to the topic
    nlp = next(t for t in topics_overview(lab_store) if t.slug == "nlp")
    assert (nlp.paper_notes, nlp.notes) == (1, 1)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await topics_screen(pilot)
        await pick_topic(pilot, screen, "nlp")
        detail = str(screen.query_one("#topic-detail").render())
        assert "1 note on its papers" in detail
        assert "1 linked to the topic" in detail


async def test_failed_papers_are_marked_in_a_topic(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    tag_paper(lab_store, "1301.5088", ["deep-learning"])  # its fetch failed
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await topics_screen(pilot)
        await pick_topic(pilot, screen, "deep-learning")
        papers = screen.query_one("#topic-papers", OptionList)
        labels = [str(papers.get_option_at_index(i).prompt) for i in range(papers.option_count)]
        failed = [label for label in labels if "1301.5088" in label]
        assert failed and "failed" in failed[0]
        assert not any("failed" in label for label in labels if "1706.03762" in label)
        row = screen.query_one("#topic-list", OptionList).get_option("deep-learning")
        assert "1 failed" in str(row.prompt)
        # enter on it: no text to read, so its front page, which says what went wrong.
        from paperlab.tui.screens.front_page import FrontPageScreen

        papers.focus()
        papers.highlighted = [
            papers.get_option_at_index(i).id for i in range(papers.option_count)
        ].index("1301.5088")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, FrontPageScreen), what="front page")


async def log_screen(pilot: Any) -> LogScreen:
    await until(pilot, lambda: pilot.app.screen.loaded, what="library")
    await pilot.press("3")
    await until(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, LogScreen)
            and pilot.app.screen.query_one("#log-table", DataTable).row_count > 0
        ),
        what="log",
    )
    return pilot.app.screen  # type: ignore[no-any-return]


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_a_log_entry_links_a_topic_and_is_shown_whole(
    make_app: Callable[..., Any], lab_store: Store, size: tuple[int, int]
) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await log_screen(pilot)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, LogEntryModal), what="entry form")
        await until(pilot, lambda: app.focused is app.screen.query_one("#logentry-text"))
        # Typed a little, the rest pasted (a terminal's bracketed paste): typing
        # all 171 characters through the pilot took seconds and tested nothing more.
        await pilot.press(*LONG[:10])
        field = app.screen.query_one("#logentry-text", Input)
        field.post_message(events.Paste(LONG[10:]))
        await until(pilot, lambda: field.value == LONG, what="pasted text")
        await pilot.press("tab", "tab", *"nlp", "enter")
        await until(pilot, lambda: screen.query_one("#log-table", DataTable).row_count == 3)
        entry = next(e for e in list_entries(lab_store) if e.text == LONG)
        assert entry.topic_slugs == ["nlp"] and entry.paper_ids == ["1706.03762"]
        # The new entry is highlighted and shown whole under the table.
        assert screen.highlighted_id() == entry.id
        detail = " ".join(str(screen.query_one("#log-detail").render()).split())
        assert LONG in detail and "#nlp" in detail
        # enter: a dialog with the whole entry; escape gives focus back to the table.
        table = screen.query_one("#log-table", DataTable)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LogDetailModal), what="details")
        shown = " ".join(str(app.screen.query_one("#logdetail-text").render()).split())
        assert LONG in shown
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.pause()
        assert app.focused is table


async def test_a_log_entry_can_be_edited(make_app: Callable[..., Any], lab_store: Store) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await log_screen(pilot)
        target = screen.highlighted()
        assert target is not None
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LogDetailModal), what="details")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, LogEntryModal), what="edit form")
        await until(pilot, lambda: app.focused is app.screen.query_one("#logentry-text"))
        text = app.screen.query_one("#logentry-text", Input)
        assert text.value == target.text
        text.value = ""
        await pilot.press(*"Replay matters less than the target network.", "tab", "tab")
        await pilot.press("end", *", ml-intro", "ctrl+s")
        await until(
            pilot,
            lambda: (
                get_entry(lab_store, target.id).text
                == "Replay matters less than the target network."
            ),
            what="edit saved",
        )
    edited = get_entry(lab_store, target.id)
    assert edited.topic_slugs == sorted({*target.topic_slugs, "ml-intro"})
    assert edited.paper_ids == target.paper_ids


async def test_an_entry_the_library_refuses_comes_back_with_its_text(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await log_screen(pilot)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, LogEntryModal), what="entry form")
        await until(pilot, lambda: app.focused is app.screen.query_one("#logentry-text"))
        await pilot.press(*"An idea worth keeping", "tab", "tab", *"no-such-topic", "enter")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, LogEntryModal)
                and app.screen.query_one("#logentry-text", Input).value == "An idea worth keeping"
            ),
            what="form back with the text",
        )
        assert screen.query_one("#log-table", DataTable).row_count == 2
        # Escape once only warns; typed text is never dropped by a single key.
        await pilot.press("escape")
        assert isinstance(app.screen, LogEntryModal)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        # ... and the unsaved entry comes back with the next "a".
        await pilot.press("a")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, LogEntryModal)
                and app.screen.query_one("#logentry-text", Input).value == "An idea worth keeping"
            ),
            what="unsaved entry back",
        )
