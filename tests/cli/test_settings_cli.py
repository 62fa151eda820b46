"""A bad setting in the environment: exit 2, one sentence and a hint, nothing stored changes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.fakearxiv import FakeArxiv, sample_paper
from tests.helpers import run_cli


def rows(home: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(home / "paperlab.db") as conn:
        return conn.execute("SELECT * FROM paper ORDER BY id").fetchall()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PAPERLAB_ARXIV_DELAY", "inf"),
        ("PAPERLAB_ARXIV_DELAY", "nan"),
        ("PAPERLAB_HTTP_TIMEOUT", "0"),
        ("PAPERLAB_MAX_PDF_MB", "x" * 10_000),
        ("PAPERLAB_EXTRACT_WORKERS", "-1"),
        ("PAPERLAB_EXTRACT_WORKERS", "two"),
    ],
)
def test_bad_setting_exits_2_and_changes_nothing(
    fake_arxiv: FakeArxiv,
    paperlab_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    value: str,
) -> None:
    fake_arxiv.add(sample_paper("1608.03983"), sample_paper("1502.03167"))
    assert run_cli(capsys, "fetch", "--no-index", "1608.03983").code == 0
    before = rows(paperlab_home)
    fake_arxiv.clear_log()

    monkeypatch.setenv(name, value)
    result = run_cli(capsys, "fetch", "--no-index", "1502.03167")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 2, result.err
    assert lines[0].startswith(f"Error: {name}=") and len(lines[0]) < 150
    assert lines[1].startswith("Hint: ") and name in lines[1]
    assert "Traceback" not in result.err and "Unexpected" not in result.err
    assert fake_arxiv.requests() == []
    assert rows(paperlab_home) == before
