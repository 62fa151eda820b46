"""Pilot tests for each flow of the lab bench, on a real library file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, TextArea

from paperlab.annotations import list_annotations
from paperlab.library import set_reading_state
from paperlab.notes import get_note, save_note
from paperlab.researchlog import list_entries
from paperlab.store import Store
from paperlab.store.models import Paper
from paperlab.tagging import paper_topics
from paperlab.tui.drafts import DraftStore
from paperlab.tui.screens.library import LibraryScreen
from paperlab.tui.screens.modals import GotoPageModal, HelpScreen, TagPickerModal
from paperlab.tui.screens.notes import NotesScreen
from paperlab.tui.screens.reader import ReaderScreen
from paperlab.tui.widgets.page_view import PageView
from paperlab.tui.widgets.virtual_table import VirtualTable
from tests.tui.helpers import notifications, until

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("backend")]

ATTENTION = "1706.03762"
SIZE = (120, 36)


async def open_reader(pilot: Any, paper: str = ATTENTION, **kwargs: Any) -> ReaderScreen:
    pilot.app.open_reader(paper, **kwargs)
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, ReaderScreen) and pilot.app.screen.loaded,
        what="reader",
    )
    return pilot.app.screen  # type: ignore[no-any-return]


async def library_loaded(pilot: Any) -> LibraryScreen:
    await until(pilot, lambda: pilot.app.screen.loaded, what="library")
    return pilot.app.screen  # type: ignore[no-any-return]


async def test_library_groups_filters_and_marks(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await library_loaded(pilot)
        table = screen.query_one("#papers", VirtualTable)
        # 4 groups (list x week) + 6 paper rows (one paper is on two lists).
        assert table.row_count == 10
        assert screen.selected_paper() == "1301.5088"
        await pilot.press("f", *"atari")
        await until(pilot, lambda: table.row_count == 2, what="filtered")
        await pilot.press("enter")  # back to the table, on the only paper
        assert screen.selected_paper() == "1312.5602"
        await pilot.press("m")  # read -> unread
        await until(pilot, lambda: not app.workers._workers, what="save")
    with lab_store.read() as s:
        paper = s.get(Paper, "1312.5602")
        assert paper is not None and paper.reading_state == "unread"


async def test_open_paper_and_move_pages(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await library_loaded(pilot)
        await pilot.press("down", "down", "down")  # skip a group heading
        assert screen.selected_paper() == ATTENTION
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ReaderScreen) and app.screen.loaded)
        reader = app.screen
        assert reader.page == 1 and reader.page_count == 3
        assert "Attention Is All You Need" in reader.query_one(PageView).text
        await pilot.press("right_square_bracket")
        assert reader.page == 2
        assert reader.query_one(PageView).text.startswith("2 Background")
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, GotoPageModal))
        await pilot.press("3", "enter")
        await until(pilot, lambda: app.screen is reader and reader.page == 3)
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket")
        assert reader.page == 1
        # Jump by section: the outline lists headings with their pages.
        await pilot.press("o", "down", "down", "down", "enter")  # "2 Background"
        assert reader.page == 2
        assert "2 Background" in reader.query_one("#reader-status").render().plain
        await pilot.press("escape")
        assert isinstance(app.screen, LibraryScreen)


async def test_find_select_and_annotate(make_app: Callable[..., Any], lab_store: Store) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_reader(pilot)
        await pilot.press("f", *"intra-attention", "enter")
        assert reader.page == 2
        view = reader.query_one(PageView)
        span = view.selected_span()
        assert span is not None and view.text[span[0] : span[1]] == "intra-attention"
        await pilot.press("s")  # widen to the sentence around the match
        span = view.selected_span()
        assert span is not None
        sentence = view.text[span[0] : span[1]]
        assert sentence.startswith("Self-attention, sometimes called intra-attention")
        assert sentence.endswith("representation of the sequence.")
        await pilot.press("a")
        await until(pilot, lambda: app.screen.query_one("#annotate-comment", Input))
        await pilot.press(*"defines self-attention", "enter")
        await until(pilot, lambda: len(reader.annotations) == 2, what="annotation")
        # Shown in place: a highlight mark over the quote on this page.
        assert any(m.kind == "annotation" for m in view.marks)
    saved = [a for a in list_annotations(lab_store, ATTENTION) if a.page == 2]
    assert len(saved) == 1
    assert saved[0].comment == "defines self-attention"
    assert saved[0].quote.startswith("Self-attention, sometimes called")


async def test_annotate_without_selection_says_how(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_reader(pilot)
        await pilot.press("a")
        assert any("Select a passage first" in m for m in notifications(app))


async def test_keyboard_selection_with_shift(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_reader(pilot)
        await pilot.press(
            "shift+right",
            "shift+right",
            "shift+right",
            "shift+right",
            "shift+right",
            "shift+right",
            "shift+right",
            "shift+right",
            "shift+right",
        )
        view = reader.query_one(PageView)
        span = view.selected_span()
        assert span is not None and view.text[span[0] : span[1]] == "Attention"


async def test_note_persists_after_restart(make_app: Callable[..., Any], lab_store: Store) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_notes("1312.5602")
        await until(pilot, lambda: isinstance(app.screen, NotesScreen) and app.screen.loaded)
        await pilot.press(*"Deep Q-learning from pixels.")
        app.screen.query_one("#note-relevance", TextArea).focus()
        await pilot.press(*"Baseline for my RL project.")
        await pilot.press("escape")  # leaving saves at once
        assert isinstance(app.screen, LibraryScreen)
    note = get_note(lab_store, "1312.5602")
    assert note is not None
    assert note.summary == "Deep Q-learning from pixels."
    assert note.relevance == "Baseline for my RL project."
    app2 = make_app()
    async with app2.run_test(size=SIZE) as pilot:
        app2.open_notes("1312.5602")
        await until(pilot, lambda: isinstance(app2.screen, NotesScreen) and app2.screen.loaded)
        assert app2.screen.query_one("#note-summary", TextArea).text == (
            "Deep Q-learning from pixels."
        )


async def test_autosave_is_debounced_and_quit_flushes(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_notes(ATTENTION)
        await until(pilot, lambda: isinstance(app.screen, NotesScreen) and app.screen.loaded)
        await pilot.press(*"Attention only.")
        await until(
            pilot,
            lambda: (
                (n := get_note(lab_store, ATTENTION)) is not None and n.summary == "Attention only."
            ),
            what="autosave",
        )
        await pilot.press(*" No recurrence.")
        await pilot.press("q")  # typed into the note, not a quit
        await app.action_quit()
    note = get_note(lab_store, ATTENTION)
    assert note is not None and note.summary == "Attention only. No recurrence.q"


async def test_unsaved_text_survives_a_crash(
    make_app: Callable[..., Any], lab_store: Store, monkeypatch: Any
) -> None:
    import paperlab.tui.screens.notes as notes_screen

    monkeypatch.setattr(notes_screen, "SAVE_DELAY", 600.0)  # the crash comes first
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_notes(ATTENTION)
        await until(pilot, lambda: isinstance(app.screen, NotesScreen) and app.screen.loaded)
        app.screen.query_one("#note-questions", TextArea).focus()
        await pilot.press(*"Why sinusoids?")
        # The process dies before the debounced save: only the draft has the text.
        drafts = DraftStore(app.settings.cache_dir)
        draft = drafts.read(ATTENTION)
        assert draft is not None and draft.fields["questions"] == "Why sinusoids?"
        app.screen.loaded = False  # nothing reaches the database from here on
    monkeypatch.setattr(notes_screen, "SAVE_DELAY", 0.2)
    assert get_note(lab_store, ATTENTION) is None
    # Meanwhile another process writes another field of the same note.
    save_note(lab_store, ATTENTION, {"method": "Multi-head attention."})
    app2 = make_app()
    async with app2.run_test(size=SIZE) as pilot:
        app2.open_notes(ATTENTION)
        await until(pilot, lambda: isinstance(app2.screen, NotesScreen) and app2.screen.loaded)
        assert app2.screen.query_one("#note-questions", TextArea).text == "Why sinusoids?"
        assert app2.screen.query_one("#note-method", TextArea).text == "Multi-head attention."
        await until(
            pilot,
            lambda: (
                (n := get_note(lab_store, ATTENTION)) is not None
                and n.questions == "Why sinusoids?"
            ),
            what="restored draft saved",
        )
    assert DraftStore(app2.settings.cache_dir).read(ATTENTION) is None


async def test_concurrent_edit_is_merged_not_lost(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    from paperlab.tui.screens.modals import NoteConflictModal

    save_note(lab_store, ATTENTION, {"summary": "first"})
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_notes(ATTENTION)
        await until(pilot, lambda: isinstance(app.screen, NotesScreen) and app.screen.loaded)
        # Another process (a CLI `paperlab note`) changes the same note.
        save_note(lab_store, ATTENTION, {"results": "BLEU 28.4", "summary": "theirs"})
        await pilot.press(*"mine ")
        # Both changed the summary: the user is asked, and keeps both.
        await until(pilot, lambda: isinstance(app.screen, NoteConflictModal), what="choice")
        await pilot.pause(0.1)
        await pilot.press("b")
        await until(
            pilot,
            lambda: (n := get_note(lab_store, ATTENTION)) is not None and "mine" in n.summary,
            what="merged save",
        )
        await pilot.pause(0.2)
    note = get_note(lab_store, ATTENTION)
    assert note is not None
    assert note.results == "BLEU 28.4"
    assert "mine" in note.summary and "theirs" in note.summary  # both kept, as chosen
    assert "<<<<" not in note.summary


async def test_log_entry_links_a_paper(make_app: Callable[..., Any], lab_store: Store) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await until(pilot, lambda: app.screen.query_one("#log-table", DataTable).row_count == 2)
        await pilot.press("a")
        await pilot.press(*"Decided to reproduce 1312.5602 on Pong first", "enter")
        await until(pilot, lambda: app.screen.query_one("#log-table", DataTable).row_count == 3)
        entries = list_entries(lab_store, paper="1312.5602")
        assert any("Pong" in e.text for e in entries)
        # The paper shows the entries that cite it.
        reader = await open_reader(pilot, "1312.5602")
        assert "Pong" in str(reader.query_one("#paper-log").render())


async def test_tag_a_paper_with_a_topic(make_app: Callable[..., Any], lab_store: Store) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await library_loaded(pilot)
        await pilot.press("down", "down", "down")
        assert screen.selected_paper() == ATTENTION
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TagPickerModal))
        # First option is ml-intro (weeks 1-2): toggle it on, apply.
        await pilot.press("space", "ctrl+s")
        await until(
            pilot, lambda: "ml-intro" in paper_topics(lab_store, ATTENTION), what="tag saved"
        )
        await until(
            pilot,
            lambda: any("ml-intro" in i.paper.topics for i in screen.items),
            what="library refreshed",
        )
        await pilot.press("4")
        await until(pilot, lambda: app.screen.topics)
        assert "1706.03762" in app.screen.paper_ids  # ml-intro is the first topic


async def test_refresh_shows_papers_added_elsewhere(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    app = make_app(poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        screen = await library_loaded(pilot)
        await pilot.pause(0.3)  # the first poll records the fingerprint
        from paperlab.store import open_store

        other = open_store(app.settings)  # like `paperlab fetch` in another terminal
        with other.write() as s:
            s.add(
                Paper(
                    id="2005.14165", title="Language Models are Few-Shot Learners", state="fetched"
                )
            )
        other.close()
        await until(
            pilot,
            lambda: any(i.paper.id == "2005.14165" for i in screen.items),
            what="new paper shown",
        )


async def test_reading_state_set_elsewhere_appears_on_refresh_key(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await library_loaded(pilot)
        set_reading_state(lab_store, "1409.0473", "read")
        await pilot.press("r")
        await until(
            pilot,
            lambda: any(
                i.paper.id == "1409.0473" and i.paper.reading_state == "read" for i in screen.items
            ),
        )


async def test_help_palette_and_quit(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await library_loaded(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = [row[1] for row in app.screen.rows]
        assert "Mark" in keys and "Library" in keys
        await pilot.press("escape", "ctrl+p")
        await pilot.press(*"Progress")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: app.current_mode == "progress")
        await pilot.press("q")
    assert app.return_code == 0


async def test_open_pdf_without_a_viewer_says_so(
    make_app: Callable[..., Any], lab_store: Store, tmp_path: Path, monkeypatch: Any
) -> None:
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with lab_store.write() as s:
        paper = s.get(Paper, ATTENTION)
        assert paper is not None
        paper.pdf_path = str(pdf)
    monkeypatch.setenv("PATH", str(tmp_path))  # no viewer, no xdg-open
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_reader(pilot)
        await pilot.press("x")
        await until(pilot, lambda: any("No PDF viewer" in m for m in notifications(app)))


async def test_free_tags_show_and_filter_in_the_library(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    from paperlab.tagging import tag_paper

    app = make_app(poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        screen = await library_loaded(pilot)
        table = screen.query_one("#papers", VirtualTable)
        await pilot.pause(0.3)  # the first poll records the fingerprint
        tag_paper(lab_store, ATTENTION, ["gans"])  # like `paperlab tag` in another terminal
        await until(
            pilot,
            lambda: any("#gans" in i.paper.labels for i in screen.items),
            what="tag shown",
        )
        await pilot.press("f", *"gans")
        # on two lists: each list's week group and the paper under it
        await until(pilot, lambda: table.row_count == 4, what="filtered")
        await pilot.press("enter")
        assert screen.selected_paper() == ATTENTION
