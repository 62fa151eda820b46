"""A note changed from the shell while the notes screen shows it.

The other writer is the real `paperlab note` command (its own store and
connection on the same library file); the app's change check runs every
0.2 s here instead of 5 s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from textual.widgets import TextArea

from paperlab.cli import cli
from paperlab.notes import get_note, note_fields, save_note
from paperlab.store import Store
from paperlab.tui.drafts import DraftStore
from paperlab.tui.screens.modals import NoteConflictModal
from paperlab.tui.screens.notes import NotesScreen
from tests.tui.helpers import notifications, until

pytestmark = pytest.mark.anyio

ATTENTION = "1706.03762"
SIZE = (120, 36)
MARKERS = ("<<<<<<<", ">>>>>>>", "=======")


def shell_note(paper: str, *assignments: str) -> None:
    """`paperlab note PAPER --set FIELD=TEXT ...`, as typed in another terminal."""
    args = ["note", paper]
    for item in assignments:
        args += ["--set", item]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output


def no_markers(store: Store, paper: str = ATTENTION) -> bool:
    note = get_note(store, paper)
    return note is None or not any(m in v for v in note_fields(note).values() for m in MARKERS)


async def open_notes(pilot: Any, paper: str = ATTENTION) -> NotesScreen:
    if pilot.app.poll_interval:
        # The first change check records the library as it is; later ones compare.
        await until(pilot, lambda: pilot.app._signature is not None, what="first check")
    pilot.app.open_notes(paper)
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, NotesScreen) and pilot.app.screen.loaded,
        what="notes",
    )
    return pilot.app.screen  # type: ignore[no-any-return]


async def conflict_shown(pilot: Any) -> NoteConflictModal:
    await until(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, NoteConflictModal)
            and pilot.app.screen.query_one("#conflict-theirs")
        ),
        what="the side-by-side choice",
    )
    return pilot.app.screen  # type: ignore[no-any-return]


def area(screen: Any, name: str) -> TextArea:
    return screen.query_one(f"#note-{name}", TextArea)  # type: ignore[no-any-return]


async def test_a_note_changed_in_the_shell_is_reloaded_with_a_notice(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    save_note(lab_store, ATTENTION, {"summary": "first"})
    app = make_app(poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_notes(pilot)
        assert area(screen, "summary").text == "first"
        shell_note(ATTENTION, "summary=rewritten in the shell", "results=BLEU 28.4")
        await until(
            pilot,
            lambda: area(screen, "summary").text == "rewritten in the shell",
            what="reload",
        )
        assert area(screen, "results").text == "BLEU 28.4"
        # The notice is a message the app handles after the editor was filled.
        await until(
            pilot,
            lambda: any("changed elsewhere" in m for m in notifications(app)),
            what="the reload notice",
        )
        # Typing on from the reloaded text saves over it, without a conflict.
        area(screen, "summary").focus()
        await pilot.press("end", *" and here")
        await until(
            pilot,
            lambda: (
                (n := get_note(lab_store, ATTENTION)) is not None
                and n.summary == "rewritten in the shell and here"
            ),
            what="save after reload",
        )
        assert not isinstance(app.screen, NoteConflictModal)
    note = get_note(lab_store, ATTENTION)
    assert note is not None and note.results == "BLEU 28.4"


async def test_a_field_changed_only_here_is_kept_when_another_reloads(
    make_app: Callable[..., Any], lab_store: Store, monkeypatch: Any
) -> None:
    import paperlab.tui.screens.notes as notes_screen

    monkeypatch.setattr(notes_screen, "SAVE_DELAY", 600.0)  # still unsaved when the shell writes
    app = make_app(poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_notes(pilot)
        area(screen, "questions").focus()
        await pilot.press(*"why sinusoids?")
        shell_note(ATTENTION, "method=multi-head attention")
        await until(pilot, lambda: area(screen, "method").text == "multi-head attention")
        assert area(screen, "questions").text == "why sinusoids?"
        await pilot.press("ctrl+s")
        await until(
            pilot,
            lambda: (
                (n := get_note(lab_store, ATTENTION)) is not None
                and n.questions == "why sinusoids?"
            ),
            what="save",
        )
    note = get_note(lab_store, ATTENTION)
    assert note is not None and note.method == "multi-head attention"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("m", "mine here"),
        ("t", "theirs from the shell"),
        ("b", "mine here\n\ntheirs from the shell"),
    ],
)
async def test_both_sides_changed_the_user_chooses_side_by_side(
    make_app: Callable[..., Any], lab_store: Store, monkeypatch: Any, key: str, expected: str
) -> None:
    import paperlab.tui.screens.notes as notes_screen

    monkeypatch.setattr(notes_screen, "SAVE_DELAY", 600.0)
    app = make_app(poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_notes(pilot)
        await pilot.press(*"mine here")
        shell_note(ATTENTION, "summary=theirs from the shell", "results=BLEU 28.4")
        modal = await conflict_shown(pilot)
        # Side by side: both texts in full, nothing merged into the field yet.
        assert "mine here" in str(modal.query_one("#conflict-mine").render())
        assert "theirs from the shell" in str(modal.query_one("#conflict-theirs").render())
        assert area(screen, "summary").text == "mine here"
        assert area(screen, "results").text == "BLEU 28.4"  # changed only there: reloaded
        footer_keys = {b.binding.key for b in modal.active_bindings.values() if b.binding.show}
        assert {"m", "t", "b", "escape"} <= footer_keys
        note = get_note(lab_store, ATTENTION)
        assert note is not None and note.summary == "theirs from the shell"
        await pilot.press(key)
        await until(pilot, lambda: app.screen is screen, what="choice made")
        assert area(screen, "summary").text == expected
        await pilot.press("ctrl+s")
        await until(
            pilot,
            lambda: (n := get_note(lab_store, ATTENTION)) is not None and n.summary == expected,
            what="chosen text saved",
        )
        assert app.focused is area(screen, "summary")  # back where the user was typing
    assert no_markers(lab_store)
    assert DraftStore(app.settings.cache_dir).read(ATTENTION) is None


async def test_an_undecided_conflict_survives_quitting_and_is_asked_again(
    make_app: Callable[..., Any], lab_store: Store, monkeypatch: Any
) -> None:
    import paperlab.tui.screens.notes as notes_screen

    monkeypatch.setattr(notes_screen, "SAVE_DELAY", 600.0)
    app = make_app(poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_notes(pilot)
        await pilot.press(*"mine")
        shell_note(ATTENTION, "summary=theirs")
        await conflict_shown(pilot)
        await pilot.press("escape")  # decide later
        await until(pilot, lambda: app.screen is screen)
        assert "ctrl+r" in str(screen.query_one("#notes-status").render())
        await pilot.press(*" more")  # typing on in the undecided field
        await pilot.press("ctrl+q")
    # Nothing was decided for the user: the library keeps theirs, the draft keeps mine.
    note = get_note(lab_store, ATTENTION)
    assert note is not None and note.summary == "theirs"
    assert no_markers(lab_store)
    draft = DraftStore(app.settings.cache_dir).read(ATTENTION)
    assert draft is not None and draft.fields["summary"] == "mine more"
    app2 = make_app()
    async with app2.run_test(size=SIZE) as pilot:
        app2.open_notes(ATTENTION)
        await conflict_shown(pilot)
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app2.screen, NotesScreen))
        await pilot.press("escape")
    note = get_note(lab_store, ATTENTION)
    assert note is not None and note.summary == "mine more\n\ntheirs"


async def test_a_save_racing_a_shell_edit_never_writes_markers(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    """The old failure: the next keystroke's save merged both texts with markers."""
    save_note(lab_store, ATTENTION, {"summary": "first"})
    app = make_app()  # no change check: the save itself meets the other change
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_notes(pilot)
        shell_note(ATTENTION, "summary=theirs", "results=BLEU 28.4")
        await pilot.press("end", *" mine")
        await conflict_shown(pilot)
        assert no_markers(lab_store)
        await pilot.press("m")
        await until(pilot, lambda: app.screen is screen)
        await until(
            pilot,
            lambda: (n := get_note(lab_store, ATTENTION)) is not None and n.summary == "first mine",
            what="mine saved",
        )
    note = get_note(lab_store, ATTENTION)
    assert note is not None and note.results == "BLEU 28.4"
    assert no_markers(lab_store)


async def test_a_draft_restored_over_a_changed_note_saves_what_it_can_and_asks_the_rest(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    from paperlab.settings import load_settings

    # The app died with two unsaved fields; meanwhile the shell changed one of them.
    empty = note_fields(None)
    DraftStore(load_settings().cache_dir).write(
        ATTENTION, {**empty, "summary": "mine", "questions": "why sinusoids?"}, empty
    )
    shell_note(ATTENTION, "summary=theirs")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pilot.app.open_notes(ATTENTION)
        modal = await conflict_shown(pilot)
        assert modal.order == ["summary"]
        await pilot.press("escape")  # decide later
        await until(
            pilot,
            lambda: (
                (n := get_note(lab_store, ATTENTION)) is not None
                and n.questions == "why sinusoids?"
            ),
            what="the field without a conflict saved",
        )
        note = get_note(lab_store, ATTENTION)
        assert note is not None and note.summary == "theirs"
        assert area(app.screen, "summary").text == "mine"
        await pilot.press("ctrl+r")
        await conflict_shown(pilot)
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, NotesScreen))
        assert area(app.screen, "summary").text == "theirs"
    assert no_markers(lab_store)
    assert DraftStore(app.settings.cache_dir).read(ATTENTION) is None


async def test_the_choice_waits_for_a_pause_in_typing(
    make_app: Callable[..., Any], lab_store: Store, monkeypatch: Any
) -> None:
    """Its keys are single letters: opened mid-sentence, it would catch the user's m, t, b."""
    import paperlab.tui.screens.notes as notes_screen

    monkeypatch.setattr(notes_screen, "SAVE_DELAY", 600.0)
    app = make_app(poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_notes(pilot)
        await pilot.press(*"mine")
        shell_note(ATTENTION, "summary=theirs")
        # Keep typing past the next change checks: every letter lands in the note.
        for _ in range(6):
            await pilot.press(*" mtb")
            await pilot.pause(0.2)
            assert app.screen is screen
        await until(pilot, lambda: screen.state.conflicts, what="conflict noticed")
        assert area(screen, "summary").text == "mine" + " mtb" * 6
        await conflict_shown(pilot)  # once typing pauses
        await pilot.press("m")
        await until(pilot, lambda: app.screen is screen)
        await until(
            pilot,
            lambda: (
                (n := get_note(lab_store, ATTENTION)) is not None
                and n.summary == "mine" + " mtb" * 6
            ),
            what="mine saved",
        )


async def test_a_conflict_found_while_reading_is_asked_back_on_the_note(
    make_app: Callable[..., Any], lab_store: Store, monkeypatch: Any
) -> None:
    import paperlab.tui.screens.notes as notes_screen
    from paperlab.tui.screens.reader import ReaderScreen

    monkeypatch.setattr(notes_screen, "SAVE_DELAY", 600.0)
    monkeypatch.setattr(notes_screen, "ASK_AFTER_IDLE", 0.0)
    app = make_app(poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_notes(pilot)
        await pilot.press(*"mine", "ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, ReaderScreen) and app.screen.loaded)
        reader = app.screen
        shell_note(ATTENTION, "summary=theirs")
        await until(pilot, lambda: screen.state.conflicts, what="conflict noticed")
        await pilot.pause(0.5)
        assert app.screen is reader  # not put over the reader
        await pilot.press("escape")
        await conflict_shown(pilot)
        await pilot.press("t")
        await until(pilot, lambda: app.screen is screen)
        assert area(screen, "summary").text == "theirs"


async def test_a_save_keeps_a_field_another_machine_changed_unseen(
    make_app: Callable[..., Any], lab_store: Store, monkeypatch: Any
) -> None:
    """No change check runs (as when the other writer is another machine the
    screen has not polled yet): the save itself merges field by field."""
    import paperlab.tui.screens.notes as notes_screen

    monkeypatch.setattr(notes_screen, "SAVE_DELAY", 600.0)  # saved on ctrl+s only
    save_note(lab_store, ATTENTION, {"summary": "first", "results": "r0"})
    app = make_app(poll_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_notes(pilot)
        area(screen, "summary").focus()
        await pilot.press("end", *" and mine")
        save_note(lab_store, ATTENTION, {"results": "from the other machine"})  # unseen
        await pilot.press("ctrl+s")
        await until(
            pilot,
            lambda: (
                (n := get_note(lab_store, ATTENTION)) is not None and n.summary == "first and mine"
            ),
            what="save",
        )
        # The other machine's field is kept in the library and shown here.
        await until(
            pilot, lambda: area(screen, "results").text == "from the other machine", what="shown"
        )
        assert not isinstance(app.screen, NoteConflictModal)
    note = get_note(lab_store, ATTENTION)
    assert note is not None and note.results == "from the other machine"
