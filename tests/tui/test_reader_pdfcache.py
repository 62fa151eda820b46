"""The reader's `x` on a machine that has the lab's rows but not the PDF file yet.

A lab library on a real PostgreSQL server; arXiv is the fake server on
127.0.0.1; the viewer is a script that writes down what it was asked to open.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from paperlab.store import Store
from paperlab.store.models import Paper
from tests.fakearxiv import FakeArxiv, make_pdf, sample_paper
from tests.helpers import viewer_on_path
from tests.tui.helpers import notifications, until
from tests.tui.test_reader_session import ATTENTION, SIZE, open_reader

pytestmark = pytest.mark.anyio

STEM = f"{ATTENTION}v5"


@pytest.fixture(autouse=True)
def on_a_lab(lab_server: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import new_lab_database

    monkeypatch.setenv("PAPERLAB_DATABASE_URL", new_lab_database(lab_server))


@pytest.fixture
def viewer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return viewer_on_path(tmp_path, monkeypatch)


def _recorded_elsewhere(store: Store, fake_arxiv: FakeArxiv, sha: str | None = None) -> bytes:
    """The paper as another machine of the lab stored it: rows here, the file there."""
    data = make_pdf("Attention Is All You Need", ["The Transformer."], stamp=f"arXiv:{STEM}")
    fake_arxiv.add(sample_paper(ATTENTION, version=5, pdf_bytes=data))
    with store.write() as session:
        paper = session.get(Paper, ATTENTION)
        assert paper is not None
        paper.pdf_path, paper.pdf_version = f"pdfs/{STEM}.pdf", 5
        paper.pdf_sha256 = sha or hashlib.sha256(data).hexdigest()
        session.add(paper)
    return data


async def test_x_fetches_the_missing_pdf_verifies_it_and_opens_it(
    make_app: Callable[..., Any],
    lab_store: Store,
    paperlab_home: Path,
    fake_arxiv: FakeArxiv,
    viewer: Path,
) -> None:
    data = _recorded_elsewhere(lab_store, fake_arxiv)
    target = paperlab_home / "pdfs" / f"{STEM}.pdf"
    assert not target.exists()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_reader(pilot)
        await pilot.press("x")
        await until(pilot, lambda: any("Opened in zathura" in m for m in notifications(app)))
        await until(pilot, viewer.exists, what="the viewer")
    assert target.read_bytes() == data
    assert viewer.read_text().split() == ["--page=1", str(target)]
    assert [r.path for r in fake_arxiv.requests("pdf")] == [f"/pdf/{STEM}"]


async def test_x_refuses_a_pdf_that_is_not_the_recorded_one(
    make_app: Callable[..., Any],
    lab_store: Store,
    paperlab_home: Path,
    fake_arxiv: FakeArxiv,
    viewer: Path,
) -> None:
    _recorded_elsewhere(lab_store, fake_arxiv, sha="0" * 64)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_reader(pilot)
        await pilot.press("x")
        await until(pilot, lambda: any("it was not kept" in m for m in notifications(app)))
    assert not (paperlab_home / "pdfs" / f"{STEM}.pdf").exists()
    assert not viewer.exists()
    assert list((paperlab_home / "pdfs").glob(".partial-*")) == []
