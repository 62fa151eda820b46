"""Bad ids, failed papers and no network: `paperlab fetch` against the fake arXiv."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.fakearxiv import FakeArxiv, sample_paper
from tests.helpers import bundled_arxiv_ids, run_cli, use_fixture_lists, write_list


def db_rows(home: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(home / "paperlab.db") as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(autouse=True)
def fixture_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bare fetches read the tests' own lists, not the shipped ones."""
    use_fixture_lists(monkeypatch)


def asked_ids(arxiv: FakeArxiv) -> set[str]:
    asked: set[str] = set()
    for request in arxiv.requests("api"):
        asked.update(request.query.get("id_list", "").split(","))
    return asked


def test_a_mistyped_id_is_confirmed_absent_with_one_requery(
    fake_arxiv: FakeArxiv, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_arxiv.add(sample_paper("1608.03983", title="SGDR"))
    result = run_cli(capsys, "fetch", "--no-index", "1608.03983", "1608.93983")
    assert result.code == 1
    assert "failed: 1608.93983 (not-found): 1608.93983 does not exist on arXiv" in result.err
    assert "check the id" in result.err
    assert "again to retry" not in result.err and "--retry-failed" not in result.err
    # The batch, then one re-query for the id it left out; nothing more.
    assert [r.query["id_list"] for r in fake_arxiv.requests("api")] == [
        "1608.03983,1608.93983",
        "1608.93983",
    ]
    assert dict(db_rows(paperlab_home, "SELECT id, state FROM paper")) == {
        "1608.03983": "fetched",
        "1608.93983": "failed",
    }
    reason = db_rows(paperlab_home, "SELECT state_reason FROM paper WHERE id = '1608.93983'")
    assert str(reason[0][0]).startswith("not-found: ")


def test_bare_fetch_leaves_failed_papers_to_retry_failed(
    fake_arxiv: FakeArxiv, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = bundled_arxiv_ids()
    absent, flaky = ids[0], ids[1]
    fake_arxiv.add(*(sample_paper(i, title=f"Paper {i}") for i in ids if i != absent))
    fake_arxiv.inject("pdf", "html", count=1)  # the first download fails: not a PDF
    first = run_cli(capsys, "fetch", "--no-index")
    assert first.code == 1
    assert f"failed: {absent} (not-found)" in first.err
    failed = {
        str(r[0]) for r in db_rows(paperlab_home, "SELECT id FROM paper WHERE state='failed'")
    }
    assert absent in failed and len(failed) == 2
    (broken,) = failed - {absent}
    del flaky

    fake_arxiv.clear_log()
    again = run_cli(capsys, "fetch", "--no-index")
    assert again.code == 0, again.err
    assert "2 papers that failed before left alone" in again.err
    assert "--retry-failed" in again.err
    assert absent not in asked_ids(fake_arxiv) and broken not in asked_ids(fake_arxiv)
    assert fake_arxiv.requests("pdf") == []

    fake_arxiv.clear_log()
    retry = run_cli(capsys, "fetch", "--no-index", "--retry-failed")
    assert retry.code == 1  # the absent id is still absent
    assert {absent, broken} <= asked_ids(fake_arxiv)
    states = dict(db_rows(paperlab_home, "SELECT id, state FROM paper"))
    assert states[broken] == "fetched" and states[absent] == "failed"


def test_offline_is_one_line_and_points_at_add(
    tmp_path: Path,
    paperlab_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # conftest points the API at a closed port: connection refused.
    monkeypatch.setenv("PAPERLAB_HTTP_RETRIES", "1")
    papers = [(f"2101.{n:05d}", f"Paper {n}") for n in range(1, 31)]
    listing = write_list(tmp_path / "many.toml", "many", papers, "deep-learning")
    result = run_cli(capsys, "fetch", "--no-index", str(listing))
    assert result.code == 1
    # Past the progress line naming the stage, one sentence and one hint.
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert lines[0] == "metadata: 30 papers"
    lines = lines[1:]
    assert len(lines) == 2, result.err
    assert lines[0].startswith("Error: arXiv cannot be reached")
    assert "connection refused" in lines[0]
    assert "paperlab add" in lines[1]
    assert "failed:" not in result.err and "Traceback" not in result.err
    # Not marked failed: the next fetch tries them all again.
    assert db_rows(paperlab_home, "SELECT DISTINCT state FROM paper") == [("queued",)]

    verbose = run_cli(capsys, "fetch", "--no-index", "-v", str(listing))
    assert verbose.code == 1
    assert sum(line.startswith("failed: ") for line in verbose.err.splitlines()) == 30
