"""``paperlab db copy``: a personal SQLite library into a lab database on PostgreSQL and back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paperlab.store import open_store
from paperlab.store.models import Annotation, Embedding, LogEntry, LogPaper, Note, PaperTag
from tests.conftest import new_lab_database
from tests.helpers import library_rows, run_cli
from tests.unit.test_searching import PHOTOSYNTHESIS, TRANSFORMER, add_paper


def _personal_library() -> None:
    store = open_store()
    add_paper(store, "1706.03762", "Attention", [TRANSFORMER])
    add_paper(store, "2401.00002", "Plants", [PHOTOSYNTHESIS])
    with store.write() as session:
        session.add(Note(paper_id="1706.03762", summary="Attention replaces recurrence."))
        session.add(Annotation(paper_id="2401.00002", quote="glucose", comment="yield?"))
        entry = LogEntry(kind="idea", text="Compare with an RNN baseline")
        session.add(entry)
        session.flush()
        assert entry.id is not None
        session.add(LogPaper(log_id=entry.id, paper_id="1706.03762"))
        session.add(PaperTag(paper_id="1706.03762", tag="transformers"))
        session.add(Embedding(content_hash="h", model="m", dim=2, vector=b"\0" * 8))
    store.close()


def test_copy_to_a_lab_database_and_back(
    lab_server: object,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _personal_library()
    url = new_lab_database(lab_server)

    first = run_cli(capsys, "db", "copy", "--to", url, "--json")
    assert first.code == 0, first.err
    report = json.loads(first.out)
    tables = report["tables"]
    assert tables["paper"] == {
        "source": 2, "copied": 2, "present": 0, "conflicts": 0, "conflict_keys": []
    }  # fmt: skip
    for name in ("chunk", "note", "annotation", "log_entry", "log_paper", "paper_tag", "embedding"):
        assert tables[name]["copied"] == tables[name]["source"] > 0, name

    again = json.loads(run_cli(capsys, "db", "copy", "--to", url, "--json").out)
    assert again["copied"] == 0 and again["conflicts"] == 0
    assert again["tables"]["note"]["present"] == 1

    # The lab library is complete: listed, searched, and new rows get fresh ids.
    monkeypatch.setenv("PAPERLAB_DATABASE_URL", url)
    assert library_rows("SELECT summary FROM note") == [("Attention replaces recurrence.",)]
    found = json.loads(run_cli(capsys, "search", "--json", "--in", "notes", "recurrence").out)
    assert found and found[0]["kind"] == "note"
    added = run_cli(capsys, "log", "add", "A colleague's idea")
    assert added.code == 0, added.err
    assert library_rows("SELECT COUNT(DISTINCT id) FROM log_entry") == [(2,)]

    # And back into a new SQLite file.
    back = tmp_path / "back.db"
    out = run_cli(capsys, "db", "copy", "--to", str(back), "--json")
    assert out.code == 0, out.err
    assert json.loads(out.out)["tables"]["log_entry"]["copied"] == 2
    monkeypatch.delenv("PAPERLAB_DATABASE_URL")
    monkeypatch.setenv("PAPERLAB_HOME", str(tmp_path))
    back.rename(tmp_path / "paperlab.db")
    assert len(library_rows("SELECT id FROM log_entry")) == 2
    assert library_rows("SELECT tag FROM paper_tag") == [("transformers",)]


def test_a_row_that_differs_in_the_target_is_left_alone(
    lab_server: object, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _personal_library()
    url = new_lab_database(lab_server)
    assert run_cli(capsys, "db", "copy", "--to", url).code == 0
    monkeypatch.setenv("PAPERLAB_DATABASE_URL", url)
    assert run_cli(capsys, "note", "1706.03762", "--set", "summary=Edited on the server").code == 0
    monkeypatch.delenv("PAPERLAB_DATABASE_URL")
    result = run_cli(capsys, "db", "copy", "--to", url)
    assert result.code == 0 and "differ" in result.out
    monkeypatch.setenv("PAPERLAB_DATABASE_URL", url)
    assert library_rows("SELECT summary FROM note") == [("Edited on the server",)]


def test_bad_targets_are_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for target in ("postgresql+psycopg://u@h", str(tmp_path / "no" / "such" / "x.db")):
        result = run_cli(capsys, "db", "copy", "--to", target)
        assert result.code == 2 and "Traceback" not in result.err, target
