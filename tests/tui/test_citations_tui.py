"""Cites / Cited by on a paper's front page and Read next on the progress screen,
on three fetched papers that cite each other (generated PDFs, the fake arXiv)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from paperlab.settings import load_settings
from paperlab.store import Store, open_store
from paperlab.tui.screens.front_page import FrontPageScreen
from paperlab.tui.screens.progress import ProgressScreen
from tests.cli.test_citations_cli import ADAM, A, B, C, library  # noqa: F401 - fixture
from tests.helpers import run_cli
from tests.tui.helpers import until

pytestmark = pytest.mark.anyio


@pytest.fixture
def cite_store(library: Path) -> Iterator[Store]:  # noqa: F811 - the imported fixture
    store = open_store()
    yield store
    store.close()


def make(store: Store) -> Any:
    from paperlab.tui.app import PaperlabApp

    return PaperlabApp(store=store, settings=load_settings(), load_model=False, poll_interval=None)


def page_text(pilot: Any) -> str:
    return str(pilot.app.screen.query_one("#front-page-text").render())


def links_text(pilot: Any) -> list[str]:
    links = pilot.app.screen.query_one("#front-links")
    return [
        str(getattr(links.get_option_at_index(i).prompt, "plain", ""))
        for i in range(links.option_count)
    ]


async def open_page(pilot: Any, paper: str) -> None:
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


async def test_front_page_shows_cites_and_cited_by_and_enter_follows_them(
    cite_store: Store,
) -> None:
    async with make(cite_store).run_test(size=(140, 45)) as pilot:
        pilot.app.open_front_page(B[0])
        await open_page(pilot, B[0])
        lines = links_text(pilot)
        assert lines[0] == "Cites"
        assert any(A[1] in line and "unread" in line for line in lines)
        assert any(C[1] in line for line in lines)
        assert "Cited by" not in lines  # nothing in the library cites B

        pilot.app.open_front_page(A[0])
        await open_page(pilot, A[0])
        lines = links_text(pilot)
        assert any(f"paperlab fetch {ADAM}" in line for line in lines)
        assert any("1 reference entry not matched" in line for line in lines)
        cited_by = lines[lines.index("Cited by") + 1 :]
        assert [B[1] in cited_by[0], C[1] in cited_by[1]] == [True, True]

        # Tab to the links, down to the first citing paper, enter opens its page.
        await pilot.press("tab")
        links = pilot.app.screen.query_one("#front-links")
        assert links.has_focus
        target = lines.index("Cited by") + 1
        for _ in range(len(lines)):
            if links.highlighted == target:
                break
            await pilot.press("down")
        assert links.highlighted == target
        await pilot.press("enter")
        await open_page(pilot, B[0])


async def test_progress_ranks_the_next_paper_with_a_reason(
    cite_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "read", B[0], "read").code == 0
    async with make(cite_store).run_test(size=(140, 60)) as pilot:
        await until(pilot, lambda: pilot.app.screen.loaded, what="library")
        await pilot.press("5")
        await until(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, ProgressScreen)
                and pilot.app.screen.read_next is not None
            ),
            what="read next",
        )
        screen = pilot.app.screen
        assert isinstance(screen, ProgressScreen)
        text = str(screen.query_one("#read-next").render())
        assert "Could not rank" not in text
        top = screen.read_next[0] if screen.read_next else None
        assert top is not None and top.paper_id in (A[0], C[0])
        assert text.startswith(" 1. ")
        assert f"{B[1]} (read" in text  # the reason: a paper you read cites it
        assert f"next: paperlab fetch {ADAM}" in text
