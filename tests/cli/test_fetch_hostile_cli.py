"""`paperlab fetch` against hostile feed entries: one bad entry fails one paper."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakearxiv import FakeArxiv, sample_paper
from tests.helpers import run_cli

GOOD = ["1608.03983", "1502.03167"]
BAD = "2101.00001"


def states(home: Path) -> dict[str, tuple[str, str | None]]:
    with sqlite3.connect(home / "paperlab.db") as conn:
        rows = conn.execute("SELECT id, state, state_reason FROM paper").fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


@pytest.fixture
def foreign() -> Iterator[FakeArxiv]:
    server = FakeArxiv([sample_paper(BAD)], host="127.0.0.2").start()
    try:
        yield server
    finally:
        server.stop()


def fetch_with_bad_entry(
    fake: FakeArxiv, capsys: pytest.CaptureFixture[str], **bad: str
) -> tuple[int, str]:
    fake.add(*(sample_paper(i, version=2) for i in GOOD))
    fake.add(sample_paper(BAD, **bad))  # type: ignore[arg-type]
    result = run_cli(capsys, "fetch", "--no-index", GOOD[0], BAD, GOOD[1])
    return result.code, result.err


@pytest.mark.parametrize(
    "updated", ["not-a-date", "2020-13-45T99:99:99Z", "9999-12-31T23:59:59-23:59"]
)
def test_a_bad_updated_date_fails_only_that_paper(
    fake_arxiv: FakeArxiv,
    paperlab_home: Path,
    capsys: pytest.CaptureFixture[str],
    updated: str,
) -> None:
    code, err = fetch_with_bad_entry(fake_arxiv, capsys, updated_text=updated)
    assert code == 1, err
    assert "Unexpected" not in err and "Traceback" not in err
    assert f"failed: {BAD} (metadata)" in err
    found = states(paperlab_home)
    assert found[GOOD[0]][0] == found[GOOD[1]][0] == "fetched"
    assert found[BAD][0] == "failed"
    assert found[BAD][1] is not None and "date" in found[BAD][1]
    assert sorted(p.name for p in (paperlab_home / "pdfs").glob("*.pdf")) == [
        "1502.03167v2.pdf",
        "1608.03983v2.pdf",
    ]


@pytest.mark.parametrize(
    "link", ["http://[::1/pdf/2101.00001v1", "http://127.0.0.1:99999/pdf/2101.00001v1", "::"]
)
def test_a_malformed_pdf_link_fails_only_that_paper(
    fake_arxiv: FakeArxiv,
    paperlab_home: Path,
    capsys: pytest.CaptureFixture[str],
    link: str,
) -> None:
    code, err = fetch_with_bad_entry(fake_arxiv, capsys, pdf_link=link)
    assert code == 1, err
    assert "Unexpected" not in err and "Traceback" not in err
    assert f"failed: {BAD} (download)" in err
    found = states(paperlab_home)
    assert found[GOOD[0]][0] == found[GOOD[1]][0] == "fetched"
    assert found[BAD][0] == "failed" and "Refusing" in (found[BAD][1] or "")


def test_a_pdf_link_to_a_foreign_host_in_disguise_is_never_followed(
    fake_arxiv: FakeArxiv,
    foreign: FakeArxiv,
    paperlab_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    here = fake_arxiv.url.removeprefix("http://")
    there = foreign.url.removeprefix("http://")
    code, err = fetch_with_bad_entry(
        fake_arxiv, capsys, pdf_link=f"http://{there}\\@{here}/pdf/{BAD}v1"
    )
    assert code == 1, err
    assert f"failed: {BAD} (download)" in err and "Refusing to download" in err
    assert foreign.requests() == []
    assert states(paperlab_home)[GOOD[0]][0] == "fetched"
