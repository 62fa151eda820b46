"""A paper's front page: why it matters, reachable from the library, search and topics."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from paperlab.notes import save_note
from paperlab.paperpage import Section, failure_advice, front_page, register_section
from paperlab.pdferrors import (
    CRASHED,
    CRASHED_HINT,
    DAMAGED,
    DAMAGED_HINT,
    ENCRYPTED,
    ENCRYPTED_HINT,
    MISSING,
    MISSING_HINT,
    NO_TEXT,
    NO_TEXT_HINT,
)
from paperlab.pipeline import NO_TEXT_TO_INDEX
from paperlab.store import Store
from paperlab.tui.screens.front_page import FrontPageScreen
from paperlab.tui.screens.reader import ReaderScreen
from tests.tui.helpers import until

pytestmark = pytest.mark.anyio

ATTENTION = "1706.03762"
WHY = "The Transformer: every later model in the plan builds on it."


def set_why(store: Store, paper: str, why: str) -> None:
    conn = sqlite3.connect(store.path)
    with conn:
        conn.execute("UPDATE reading_list_entry SET why = ? WHERE paper_id = ?", (why, paper))
    conn.close()


def set_failure(store: Store, paper: str, reason: str) -> None:
    conn = sqlite3.connect(store.path)
    with conn:
        conn.execute(
            "UPDATE paper SET state = 'failed', state_reason = ? WHERE id = ?", (reason, paper)
        )
    conn.close()


def page_text(pilot: Any) -> str:
    return str(pilot.app.screen.query_one("#front-page-text").render())


async def wait_front_page(pilot: Any, paper: str) -> str:
    await until(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, FrontPageScreen)
            and pilot.app.screen.paper_id == paper
            and pilot.app.screen.page is not None
        ),
        what="front page",
    )
    await pilot.pause()
    return page_text(pilot)


async def test_front_page_from_the_library_says_why_the_paper_matters(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    set_why(lab_store, ATTENTION, WHY)
    save_note(lab_store, ATTENTION, {"summary": "Attention alone is enough for translation."})
    async with make_app().run_test(size=(160, 45)) as pilot:
        await until(pilot, lambda: pilot.app.screen.loaded, what="library")
        await pilot.press("down", "down", "down")  # week 20: Attention
        assert pilot.app.screen.selected_paper() == ATTENTION
        await pilot.press("i")
        text = await wait_front_page(pilot, ATTENTION)
        for expected in (
            "Attention Is All You Need",
            "Ashish Vaswani, Noam Shazeer",
            "2017",
            "cite as key0",
            "The abstract of Attention Is All You Need.",
            "Reading and understanding research papers · week 20",
            "Research project background · week 22",
            WHY,
            "Builds on (roadmap weeks 1-18)",
            "Deep learning and CNNs",
            "Natural language processing",
            "Attention alone is enough for translation.",
            "1 highlight",
        ):
            assert expected in text, expected
        # No citation data in the library: no such section, not even an empty one.
        assert "cite" not in text.lower().replace("cite as key0", "")
        await pilot.press("r")
        await until(pilot, lambda: isinstance(pilot.app.screen, ReaderScreen), what="reader")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(pilot.app.screen, FrontPageScreen), what="back")
        await pilot.press("escape")
        await until(pilot, lambda: pilot.app.screen.__class__.__name__ == "LibraryScreen")


async def test_the_entry_says_what_it_builds_on_and_whether_it_is_core(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    conn = sqlite3.connect(lab_store.path)
    with conn:
        conn.execute(
            "UPDATE reading_list_entry SET core = 0, focus = 'Sections 3.2 and 4', pages = 15,"
            ' prerequisites = \'["nlp", "1312.5602"]\' WHERE paper_id = ? AND week = 22',
            (ATTENTION,),
        )
    conn.close()
    page = front_page(lab_store, ATTENTION)
    project = next(p for p in page.placements if p.week == 22)
    assert not project.core and project.pages == 15
    # The roadmap names the topic with its weeks (whatever the roadmap calls it).
    assert project.builds_on[0].endswith("(weeks 13-14)")
    assert project.builds_on[1] == (
        "Playing Atari with Deep Reinforcement Learning (earlier in the list)"
    )
    async with make_app().run_test(size=(160, 45)) as pilot:
        pilot.app.open_front_page(ATTENTION)
        text = await wait_front_page(pilot, ATTENTION)
        assert "optional · 15 pages" in text
        assert "Focus: Sections 3.2 and 4" in text
        assert f"Builds on: {project.builds_on[0]}; Playing Atari" in text


async def test_a_failed_paper_says_what_is_true_and_what_to_run(
    make_app: Callable[..., Any], lab_store: Store
) -> None:
    set_failure(lab_store, "1301.5088", "download: HTTP 503 from arxiv.org")
    async with make_app().run_test(size=(160, 45)) as pilot:
        await until(pilot, lambda: pilot.app.screen.loaded, what="library")
        assert pilot.app.screen.selected_paper() == "1301.5088"
        await pilot.press("i")
        text = await wait_front_page(pilot, "1301.5088")
        assert "could not be downloaded (HTTP 503 from arxiv.org)" in text
        assert "paperlab fetch --retry-failed" in text
        assert "paperlab index" not in text


def test_failure_advice_follows_the_failed_stage() -> None:
    assert "paperlab add FILE.pdf" in failure_advice("1234.5678", "not-found: no such id")
    # arXiv's own words name the id again: said once, with what to do.
    not_listed = failure_advice(
        "1512.03385", "not-found: 1512.03385 does not exist on arXiv; check the id."
    )
    assert not_listed == (
        "arXiv does not list 1512.03385: check the id, or if you have its PDF, "
        "import it with `paperlab add FILE.pdf`."
    )
    assert "--retry-failed" in failure_advice("1234.5678", "download: timed out")
    extract = failure_advice("1234.5678", "extract: No text to index: nothing is left")
    assert "paperlab add" in extract and "text layer" in extract
    assert "paperlab index 1234.5678" in failure_advice("1234.5678", "index: model missing")
    assert "--retry-failed" in failure_advice("1234.5678", None)


def test_failure_advice_for_what_add_and_index_record() -> None:
    """`paperlab add`, `index` and `doctor` record an extraction failure as its bare sentence."""
    scanned = failure_advice("local:1", NO_TEXT)
    assert NO_TEXT in scanned and NO_TEXT_HINT in scanned and "retry" not in scanned
    locked = failure_advice("local:1", ENCRYPTED)
    assert ENCRYPTED in locked and ENCRYPTED_HINT in locked
    damaged = failure_advice("1234.5678", DAMAGED.format(detail="no objects found"))
    assert "no objects found" in damaged and DAMAGED_HINT in damaged
    assert CRASHED_HINT in failure_advice("1234.5678", CRASHED)
    missing = failure_advice("1234.5678", MISSING.format(path="/lib/pdfs/1234.5678v1.pdf"))
    assert "/lib/pdfs/1234.5678v1.pdf" in missing and MISSING_HINT in missing
    boiler = failure_advice("local:1", NO_TEXT_TO_INDEX)
    assert boiler.count("No text to index") == 1 and "paperlab add" in boiler
    # fetch records the stage first: the same advice
    assert NO_TEXT_HINT in failure_advice("1234.5678", f"extract: {NO_TEXT}")


async def test_front_page_from_search_and_topics(make_app: Callable[..., Any]) -> None:
    async with make_app().run_test(size=(160, 45)) as pilot:
        await until(pilot, lambda: pilot.app.screen.loaded, what="library")
        await pilot.press("2", *"experience replay")
        await until(pilot, lambda: pilot.app.screen.hits, what="hits")
        await pilot.press("i")  # typed into the query, not a command
        assert not isinstance(pilot.app.screen, FrontPageScreen)
        await pilot.press("backspace", "escape", "i")  # to the results, then About
        text = await wait_front_page(pilot, "1312.5602")
        assert "Playing Atari with Deep Reinforcement Learning" in text
        await pilot.press("escape")
        await until(pilot, lambda: pilot.app.screen.__class__.__name__ == "SearchScreen")
        await pilot.press("escape", "4")
        await until(pilot, lambda: pilot.app.screen.__class__.__name__ == "TopicsScreen")
        await until(pilot, lambda: pilot.app.screen.topics, what="topics")
        await pilot.press("down", "down", "down", "down", "tab", "down", "i")  # reinforcement l.
        text = await wait_front_page(pilot, "1312.5602")
        assert "Reinforcement learning" in text


@pytest.fixture
def citations_section() -> Iterator[Section]:
    section = Section("Cited by", ("a paper in the library that cites it",))

    def source(conn: Any, paper_id: str) -> Section | None:
        count = conn.execute(
            "SELECT COUNT(*) FROM reading_list_entry WHERE paper_id = :p", {"p": paper_id}
        ).scalar()
        return section if count > 1 else None

    register_section(source)
    yield section
    from paperlab import paperpage

    paperpage._SECTION_SOURCES.remove(source)


def test_more_sections_plug_in_and_show_only_when_they_have_something(
    lab_store: Store, citations_section: Section
) -> None:
    assert front_page(lab_store, ATTENTION).sections == (citations_section,)  # on two lists
    assert front_page(lab_store, "1312.5602").sections == ()
    assert front_page(lab_store, "key0").id == ATTENTION


async def test_front_page_from_the_command_palette(make_app: Callable[..., Any]) -> None:
    async with make_app().run_test(size=(160, 45)) as pilot:
        await until(pilot, lambda: pilot.app.screen.loaded, what="library")
        await pilot.press("ctrl+p", *"about paper atari")
        await pilot.pause(0.5)
        await pilot.press("enter")
        text = await wait_front_page(pilot, "1312.5602")
        assert "Playing Atari with Deep Reinforcement Learning" in text
