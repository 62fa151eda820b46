"""No single key loses or abandons typed text, and escape always offers a way out.

``type_fast`` hands the app a burst of keys without waiting between them, as a
terminal does when the user types quickly; ``pilot.press`` waits for each key
to be handled, which hides races.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual import events
from textual.widgets import Input, OptionList, TextArea

from paperlab.annotation_views import annotation_tags
from paperlab.annotations import list_annotations
from paperlab.notes import get_note
from paperlab.store import Store
from paperlab.tui.screens.library import LibraryScreen
from paperlab.tui.screens.modals import AnnotateModal, HelpScreen, TagPickerModal
from paperlab.tui.screens.notes import NotesScreen
from paperlab.tui.screens.reader import ReaderScreen
from paperlab.tui.screens.search import SearchScreen
from tests.tui.helpers import footer_keys, until

pytestmark = pytest.mark.anyio

ATTENTION = "1706.03762"
SIZE = (120, 36)


def type_fast(pilot: Any, keys: list[str]) -> None:
    """Queue key events the way a fast typist's terminal delivers them: all at once."""
    driver = pilot.app._driver
    for key in keys:
        char = key if len(key) == 1 else {"space": " ", "tab": "\t", "enter": "\r"}.get(key)
        event = events.Key(key, char)
        event.set_sender(pilot.app)
        driver.send_message(event)


def chars(text: str) -> list[str]:
    return ["space" if c == " " else c for c in text]


async def open_notes(pilot: Any, paper: str = ATTENTION) -> NotesScreen:
    pilot.app.open_notes(paper)
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, NotesScreen) and pilot.app.screen.loaded,
        what="notes",
    )
    return pilot.app.screen  # type: ignore[no-any-return]


def footer_descriptions(screen: Any) -> dict[str, str]:
    """Key -> description of the keys the footer draws on ``screen``."""
    return {key.key: key.description for key in footer_keys(screen)}


async def test_tab_past_the_last_field_keeps_typing_in_the_note(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_notes(pilot)
        screen.query_one("#note-body", TextArea).focus()
        await pilot.press(*chars("last words"), "tab")
        assert isinstance(app.focused, TextArea)  # not the form, where letters are commands
        await pilot.press(*chars("quick 1 2 3 q?"))
        assert app.screen is screen
        assert app.focused is screen.query_one("#note-summary", TextArea)
        assert app.focused.text == "quick 1 2 3 q?"
        await pilot.press("shift+tab")
        assert app.focused is screen.query_one("#note-body", TextArea)
        await pilot.press("escape")
    note = get_note(lab_store, ATTENTION)
    assert note is not None
    assert note.summary == "quick 1 2 3 q?" and note.body == "last words"


async def test_a_fast_tab_moves_to_the_next_field_before_the_next_letters(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_notes(pilot)
        type_fast(pilot, [*chars("one"), "tab", *chars("two")])
        await until(
            pilot,
            lambda: screen.query_one("#note-contributions", TextArea).text == "two",
            what="second field",
        )
        assert screen.query_one("#note-summary", TextArea).text == "one"


async def test_the_form_shows_the_box_focused_by_a_burst_of_tabs(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_notes(pilot)
        form = screen.query_one("#notes-form")
        # Eight tabs go round the eight boxes and back to the summary, at the top.
        type_fast(pilot, ["tab"] * 8 + chars("back at the top"))
        summary = screen.query_one("#note-summary", TextArea)
        await until(pilot, lambda: summary.text == "back at the top", what="typed")
        await pilot.pause(0.5)
        assert app.focused is summary
        assert form.region.contains_region(summary.region), (form.scroll_y, summary.region)


@pytest.mark.parametrize("leave", ["ctrl+q", "escape"])
async def test_leaving_right_after_typing_saves_every_character(
    make_app: Callable[..., Any], lab_store: Store, leave: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_notes(pilot)
        type_fast(pilot, [*chars("typed just before leaving"), leave])
        await until(
            pilot,
            lambda: not app.is_running or not isinstance(app.screen, NotesScreen),
            what="left",
            timeout=10,
        )
    note = get_note(lab_store, ATTENTION)
    assert note is not None and note.summary == "typed just before leaving"


async def test_q_in_the_reader_over_a_note_saves_the_note_first(
    make_app: Callable[..., Any], lab_store: Store, monkeypatch: Any
) -> None:
    import paperlab.tui.screens.notes as notes_screen

    monkeypatch.setattr(notes_screen, "SAVE_DELAY", 600.0)  # nothing saved before the quit
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_notes(pilot)
        await pilot.press(*chars("written, then off to read"), "ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, ReaderScreen) and app.screen.loaded)
        assert get_note(lab_store, ATTENTION) is None
        await pilot.press("q")
    note = get_note(lab_store, ATTENTION)
    assert note is not None and note.summary == "written, then off to read"


async def test_a_closed_dialog_gives_focus_back_to_the_note(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_notes(pilot)
        field = screen.query_one("#note-method", TextArea)
        field.focus()
        await pilot.press("ctrl+t")
        await until(pilot, lambda: isinstance(app.screen, TagPickerModal), what="tag picker")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.pause()
        assert app.focused is field
        await pilot.press(*"q")
        assert app.screen is screen and field.text == "q"


async def test_a_closed_dialog_gives_focus_back_to_the_table(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LibraryScreen) and app.screen.loaded)
        library = app.screen
        before = app.focused
        assert before is not None and not isinstance(before, Input)
        for key, dialog in (("question_mark", HelpScreen), ("t", TagPickerModal)):
            await pilot.press("down", "down", "down", key)
            await until(pilot, lambda d=dialog: isinstance(app.screen, d), what=dialog.__name__)
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is library)
            await pilot.pause()
            assert app.focused is before, dialog.__name__
        # The next command key is a command, not text in the filter box.
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NotesScreen), what="notes")
        assert library.query_one("#filter", Input).value == ""


async def test_a_fast_tab_in_the_annotate_dialog_keeps_comment_and_tags_apart(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_reader(ATTENTION)
        await until(pilot, lambda: isinstance(app.screen, ReaderScreen) and app.screen.loaded)
        reader = app.screen
        await pilot.press("f", *"intra-attention", "enter", "s", "a")
        await until(pilot, lambda: isinstance(app.screen, AnnotateModal))
        await until(pilot, lambda: app.focused is app.screen.query_one("#annotate-comment"))
        # The comment, tab, the tags and enter arrive in one burst.
        type_fast(pilot, [*chars("defines it"), "tab", *chars("key, define"), "enter"])
        await until(pilot, lambda: app.screen is reader and len(reader.annotations) == 2)
    saved = [a for a in list_annotations(lab_store, ATTENTION) if a.page == 2]
    assert len(saved) == 1
    assert saved[0].comment == "defines it"
    assert sorted(annotation_tags(saved[0])) == ["define", "key"]


async def test_escape_leaves_the_search_query_then_the_screen(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LibraryScreen) and app.screen.loaded)
        await pilot.press("2")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen))
        search = app.screen
        query = search.query_one("#query", Input)
        assert app.focused is query
        assert "escape" in footer_descriptions(search)  # the way out is on the footer
        await pilot.press(*"attention 2")
        assert query.value == "attention 2"  # digits are text while in the query
        await pilot.press("escape")
        assert app.focused is search.query_one("#results", OptionList)
        assert footer_descriptions(search)["escape"] == "Library"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, LibraryScreen), what="left search")
        # "/" goes back to the query; the next key adds to it, it does not replace it.
        await pilot.press("2")
        await until(pilot, lambda: app.screen is search)
        await pilot.press("slash", *"s")
        assert app.focused is query and query.value == "attention 2s"
        await pilot.press("escape", "escape")
        await until(pilot, lambda: isinstance(app.screen, LibraryScreen), what="left")
        # Back again: the query is where it was, and escape still leads out.
        await pilot.press("2")
        await until(pilot, lambda: app.screen is search)
        await pilot.press("escape", "escape")
        await until(pilot, lambda: isinstance(app.screen, LibraryScreen), what="left again")


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
async def test_small_terminals_keep_escape_on_the_footer(
    make_app: Callable[..., Any], size: tuple[int, int]
) -> None:
    def visible_keys() -> list[str]:
        return [k.key for k in footer_keys(app.screen) if k.end <= size[0]]

    app = make_app()
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LibraryScreen) and app.screen.loaded)
        for mode in ("search", "log", "topics"):
            await app.switch_mode(mode)
            # The footer composes its keys over a few refreshes: wait for the one that matters.
            await until(pilot, lambda: "escape" in visible_keys(), what=f"escape on {mode} footer")
        await app.switch_mode("library")
        await open_notes(pilot)
        await until(pilot, lambda: "escape" in visible_keys(), what="escape on notes footer")
