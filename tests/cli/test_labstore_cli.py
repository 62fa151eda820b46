"""The command line on a lab library: the setting, its errors, and listing on both stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paperlab.store import Store
from paperlab.store.models import Paper
from tests.helpers import run_cli


def test_a_malformed_database_url_is_exit_2_with_a_hint(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, paperlab_home: Path
) -> None:
    monkeypatch.setenv("PAPERLAB_DATABASE_URL", "mysql://alice:hunter2@lab/papers")
    result = run_cli(capsys, "list")
    assert result.code == 2
    assert "PAPERLAB_DATABASE_URL" in result.err and "postgresql+psycopg://" in result.err
    assert "hunter2" not in result.err and "Traceback" not in result.err
    assert not paperlab_home.exists()


def test_an_unreachable_server_is_exit_1_and_nothing_is_written(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    paperlab_home: Path,
    tmp_path: Path,
) -> None:
    pytest.importorskip("psycopg")
    monkeypatch.setenv("PAPERLAB_DATABASE_URL", f"postgresql+psycopg://u@/lab?host={tmp_path}")
    for argv in (["list"], ["log", "add", "an idea"]):
        result = run_cli(capsys, *argv)
        assert result.code == 1, argv
        assert "Cannot reach the lab library" in result.err and "Traceback" not in result.err
    assert not paperlab_home.exists()


@pytest.mark.usefixtures("backend")
def test_list_show_and_tags_on_both_stores(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    with store.write() as session:
        session.add(Paper(id="1608.03983", title="SGDR: Warm Restarts", state="extracted"))
        session.add(Paper(id="1412.6980", title="Adam", state="fetched"))
    assert run_cli(capsys, "tag", "1412.6980", "optimizers").code == 0
    listed = json.loads(run_cli(capsys, "list", "--json").out)
    assert sorted(p["id"] for p in listed) == ["1412.6980", "1608.03983"]
    tagged = json.loads(run_cli(capsys, "list", "--json", "--tag", "optimizers").out)
    assert [p["id"] for p in tagged] == ["1412.6980"]
    shown = json.loads(run_cli(capsys, "show", "--json", "1608.03983").out)
    assert shown["title"] == "SGDR: Warm Restarts"
    missing = run_cli(capsys, "show", "9999.99999")
    assert missing.code != 0 and "Traceback" not in missing.err


@pytest.mark.parametrize("argv", [["doctor"], ["backup"]])
def test_sqlite_file_commands_say_so_on_a_lab_library(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERLAB_DATABASE_URL", "postgresql+psycopg://alice@lab/papers")
    result = run_cli(capsys, *argv)
    assert result.code == 2 and "works on a SQLite library" in result.err
