"""A reading session in the reader: the PDF opens from anywhere, the reader remembers
where the learner stopped, paragraphs follow the layout, find counts and steps back,
escape leads out step by step, and the side pane hides and adapts to the width."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, OptionList

from paperlab.pipeline import extract_paper
from paperlab.settings import load_settings
from paperlab.store import Store
from paperlab.store.models import Paper
from paperlab.tui.screens.library import LibraryScreen
from paperlab.tui.screens.reader import ReaderScreen
from paperlab.tui.widgets.page_view import PageView
from tests.helpers import viewer_on_path
from tests.tui.helpers import footer_keys, notifications, until

pytestmark = pytest.mark.anyio
# The reader's file paths and memory on SQLite and on a lab database (tests/conftest.py).
both_stores = pytest.mark.usefixtures("backend")

ATTENTION = "1706.03762"
EMPTY = "1409.0473"  # on the fixture's lists, no text yet
SIZE = (120, 36)


async def open_reader(pilot: Any, paper: str = ATTENTION, **kwargs: Any) -> ReaderScreen:
    pilot.app.open_reader(paper, **kwargs)
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, ReaderScreen) and pilot.app.screen.loaded,
        what="reader",
    )
    await pilot.pause()
    return pilot.app.screen  # type: ignore[no-any-return]


def status(reader: ReaderScreen) -> str:
    return str(reader.query_one("#reader-status").render())


# --------------------------------------------------------------------------- x opens the PDF


def _stored_pdf(store: Store, home: Path) -> Path:
    """A PDF file for the Attention paper, recorded relative to the library; its folder."""
    pdfs = home / "pdfs"
    pdfs.mkdir(parents=True, exist_ok=True)
    (pdfs / "1706.03762v5.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    with store.write() as s:
        paper = s.get(Paper, ATTENTION)
        assert paper is not None
        paper.pdf_path = "pdfs/1706.03762v5.pdf"  # stored relative to the library
    return pdfs


@both_stores
async def test_the_pdf_opens_whatever_folder_the_app_started_in(
    make_app: Callable[..., Any],
    lab_store: Store,
    paperlab_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pdfs = _stored_pdf(lab_store, paperlab_home)
    asked = viewer_on_path(tmp_path, monkeypatch)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not the library folder
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_reader(pilot)
        await pilot.press("right_square_bracket", "x")
        await until(pilot, lambda: any("Opened in zathura" in m for m in notifications(app)))
        await until(pilot, asked.exists, what="the viewer")
        assert reader.page == 2
    assert asked.read_text().split() == ["--page=2", str(pdfs / "1706.03762v5.pdf")]


@both_stores
async def test_a_missing_pdf_says_where_it_looked(
    make_app: Callable[..., Any], lab_store: Store, paperlab_home: Path
) -> None:
    with lab_store.write() as s:
        paper = s.get(Paper, ATTENTION)
        assert paper is not None
        paper.pdf_path = "pdfs/gone.pdf"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_reader(pilot)
        await pilot.press("x")
        expected = str(paperlab_home / "pdfs" / "gone.pdf")
        await until(pilot, lambda: any(expected in m for m in notifications(app)))


# --------------------------------------------------------------------------- where it stopped


@both_stores
async def test_the_reader_reopens_where_the_learner_stopped(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 16)) as pilot:  # short: page 3 scrolls
        reader = await open_reader(pilot)
        assert reader.page == 1
        await pilot.press("right_square_bracket", "right_square_bracket")
        view = reader.query_one(PageView)
        for _ in range(12):
            await pilot.press("down")
        await pilot.pause()
        cursor = view.cursor_location
        assert view.scroll_y > 0, "the page must scroll for this test"
        scroll = view.scroll_y
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, LibraryScreen), what="library")
        # Reopened in the same session: page 3, same line at the top, same cursor.
        reader = await open_reader(pilot)
        view = reader.query_one(PageView)
        await until(pilot, lambda: view.scroll_y == scroll, what="scroll restored")
        assert reader.page == 3 and view.cursor_location == cursor
        await pilot.press("left_square_bracket")  # now on page 2, cursor at the top
        await pilot.press("q")
    # And after a restart of the app.
    app = make_app()
    async with app.run_test(size=(100, 16)) as pilot:
        reader = await open_reader(pilot)
        assert reader.page == 2
        assert reader.query_one(PageView).cursor_location == (0, 0)
        # A page asked for (a search hit, a link) wins over the remembered place.
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, LibraryScreen), what="library")
        reader = await open_reader(pilot, page=1)
        assert reader.page == 1


async def test_the_place_is_saved_while_reading_not_only_on_leaving(
    make_app: Callable[..., Any], lab_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperlab.readingposition import load_position

    # The timer the reader saves by, shortened; nothing closes the reader below,
    # as when the terminal is closed or the process killed.
    monkeypatch.setattr(ReaderScreen, "POSITION_SAVE_SECONDS", 0.2)
    app = make_app()
    async with app.run_test(size=(100, 16)) as pilot:
        reader = await open_reader(pilot)
        await pilot.press("right_square_bracket", "right_square_bracket")
        for _ in range(5):
            await pilot.press("down")
        await pilot.pause()
        view = reader.query_one(PageView)
        cursor = view.index_of(view.cursor_location)
        assert cursor > 0

        def saved() -> tuple[int, int] | None:
            where = load_position(lab_store, ATTENTION)
            return None if where is None else (where.page, where.cursor)

        await until(pilot, lambda: saved() == (3, cursor), timeout=10, what="the place saved")
        assert app.screen is reader  # still reading: nothing closed it


# --------------------------------------------------------------------------- paragraphs

PARAGRAPHS = [
    "Restart techniques are common in gradient-free optimization and they help "
    "escape local minima in many problems of practical interest. They are used widely.",
    "We propose a simple warm restart technique for stochastic gradient descent that "
    "improves its anytime performance when training deep neural networks on images.",
    "Our empirical results suggest that the schedule requires fewer epochs than the "
    "usual schedules to reach comparable results.",
]


def _layout_pdf(path: Path) -> Path:
    """Three paragraphs set as a paper sets them: wrapped rows, no blank lines,
    the second and third with an indented first row."""
    import textwrap

    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((72, 72), "Warm Restarts", fontsize=16, fontname="tibo")
    y = 110.0
    for number, paragraph in enumerate(PARAGRAPHS):
        for row, line in enumerate(textwrap.wrap(paragraph, 80)):
            indent = 15 if row == 0 and number > 0 else 0
            page.insert_text((72 + indent, y), line, fontsize=10, fontname="tiro")
            y += 12
    doc.save(path)
    doc.close()
    return path


async def test_paragraph_selection_follows_the_layout(
    make_app: Callable[..., Any], lab_store: Store, tmp_path: Path
) -> None:
    pdf = _layout_pdf(tmp_path / "restarts.pdf")
    with lab_store.write() as s:
        paper = s.get(Paper, EMPTY)
        assert paper is not None
        paper.pdf_path = str(pdf)
    outcome = extract_paper(lab_store, load_settings(), EMPTY)
    assert outcome.ok, outcome.reason
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_reader(pilot, EMPTY)
        view = reader.query_one(PageView)
        assert "\n\n" not in view.text  # extracted text has no blank lines
        # The cursor in the middle of the second paragraph.
        middle = view.text.index("stochastic gradient")
        view.move_cursor(view.location_of(middle))
        await pilot.press("p")
        span = view.selected_span()
        assert span is not None
        assert " ".join(view.text[span[0] : span[1]].split()) == PARAGRAPHS[1]
        # The first paragraph, from its last word.
        view.move_cursor(view.location_of(view.text.index("widely.")))
        await pilot.press("p")
        span = view.selected_span()
        assert span is not None
        assert " ".join(view.text[span[0] : span[1]].split()) == PARAGRAPHS[0]


# --------------------------------------------------------------------------- find


async def test_find_counts_matches_steps_back_and_escape_stays_in_the_reader(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_reader(pilot)
        view = reader.query_one(PageView)
        await pilot.press("f", *"sequence transduction", "enter")
        # Three in the paper: page 1 (abstract), page 2, page 3.
        assert "match 1 of 3" in status(reader)
        assert reader.page == 1
        await pilot.press("n")
        assert "match 2 of 3" in status(reader) and reader.page == 2
        await pilot.press("N")  # back
        assert "match 1 of 3" in status(reader) and reader.page == 1
        await pilot.press("N")  # wraps to the last
        assert "match 3 of 3" in status(reader) and reader.page == 3
        span = view.selected_span()
        assert span is not None
        assert view.text[span[0] : span[1]].lower() == "sequence transduction"
        # Escape clears the find first, without leaving the reader.
        await pilot.press("escape")
        assert app.screen is reader
        assert "match" not in status(reader)
        assert not any(m.kind == "find" for m in view.marks)
        # Escape in the find box closes the box, not the reader.
        await pilot.press("f", *"attention")
        find = reader.query_one("#find", Input)
        assert find.has_focus
        await pilot.press("escape")
        assert app.screen is reader
        assert find.has_class("hidden") and view.has_focus
        # Only now does escape leave.
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is not reader, what="left the reader")


# --------------------------------------------------------------------------- side pane and width


def side(reader: ReaderScreen) -> Any:
    return reader.query_one("#reader-side")


async def test_the_side_pane_hides_and_shows(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_reader(pilot)
        view = reader.query_one(PageView)
        wide = view.size.width
        assert side(reader).display
        await pilot.press("b")
        await pilot.pause()
        assert not side(reader).display
        assert view.size.width > wide
        await pilot.press("b")
        await pilot.pause()
        assert side(reader).display
        # Hiding it while in one of its lists brings focus back to the page.
        await pilot.press("o")
        assert reader.query_one("#outline", OptionList).has_focus
        await pilot.press("b")
        assert view.has_focus


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
async def test_the_reader_is_usable_on_small_terminals(
    make_app: Callable[..., Any], size: tuple[int, int]
) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        reader = await open_reader(pilot)
        await pilot.pause()
        view = reader.query_one(PageView)
        # The page keeps room for reading: the side pane narrows, then starts hidden.
        assert view.size.width >= 60
        assert side(reader).display is (size[0] >= 90)
        keys = footer_keys(reader)
        shown = {k.action for k in keys}
        assert {"back", "find", "annotate", "help", "quit"} <= shown, shown
        for key in keys:
            assert key.end <= size[0], f"{key.description} is cut off"
        # b still brings the pane, h goes to the highlights in it.
        await pilot.press("h")
        await pilot.pause()
        assert side(reader).display
        assert reader.query_one("#annotation-list", OptionList).has_focus
        await pilot.press("escape")
        assert view.has_focus and app.screen is reader


async def test_x_in_the_library_opens_the_pdf_where_the_reader_left_it(
    make_app: Callable[..., Any],
    lab_store: Store,
    paperlab_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from paperlab.readingposition import ReadingPosition, save_position

    pdfs = _stored_pdf(lab_store, paperlab_home)
    save_position(lab_store, ReadingPosition(ATTENTION, page=3))
    asked = viewer_on_path(tmp_path, monkeypatch)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: pilot.app.screen.loaded, what="library")
        await pilot.press("f", *"attention", "enter")
        assert app.screen.selected_paper() == ATTENTION
        await pilot.press("x")
        sentence = f"Opened {ATTENTION} in zathura at page 3."
        await until(pilot, lambda: sentence in notifications(app), what="the notification")
        await until(pilot, asked.exists, what="the viewer")
    assert asked.read_text().split() == ["--page=3", str(pdfs / "1706.03762v5.pdf")]
