"""``paperlab note`` in $EDITOR while the note changes elsewhere (the TUI, another shell)."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperlab.notes import get_note, note_fields
from paperlab.store import Store
from tests.cli.test_notes_cli import PAPER, editor, library, run

__all__ = ["library"]  # the fixture, used by name

MARKERS = ("<<<<<<<", ">>>>>>>", "=======")


def _elsewhere(paperlab_home: Path, column: str, value: str) -> str:
    """Editor-script lines that save one field from another connection meanwhile."""
    return (
        "import sqlite3\n"
        f"db = sqlite3.connect({str(paperlab_home / 'paperlab.db')!r})\n"
        f"db.execute(\"UPDATE note SET {column}='{value}', "
        "updated_at='2001-01-01 00:00:00.000000'\")\n"
        "db.commit()\n"
    )


def test_an_edit_of_another_field_is_merged_with_the_change_elsewhere(
    library: Store,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    paperlab_home: Path,
) -> None:
    run(capsys, "note", PAPER, "--set", "summary=first")
    editor(
        tmp_path,
        monkeypatch,
        _elsewhere(paperlab_home, "results", "from the TUI")
        + "path.write_text(path.read_text().replace('first', 'my edit'))\n",
    )
    code, out, err = run(capsys, "note", PAPER)
    assert code == 0, err
    assert "changed elsewhere meanwhile (results)" in out
    note = get_note(library, PAPER)
    assert note is not None
    assert (note.summary, note.results) == ("my edit", "from the TUI")


def test_an_edit_of_the_same_field_names_it_and_saves_nothing(
    library: Store,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    paperlab_home: Path,
) -> None:
    run(capsys, "note", PAPER, "--set", "summary=first")
    editor(
        tmp_path,
        monkeypatch,
        _elsewhere(paperlab_home, "summary", "from the TUI")
        + "path.write_text(path.read_text().replace('first', 'my edit'))\n",
    )
    code, _, err = run(capsys, "note", PAPER)
    assert code == 1
    assert "both changed: Summary" in err and "unsaved-notes" in err
    note = get_note(library, PAPER)
    assert note is not None and note.summary == "from the TUI"
    assert not any(m in v for v in note_fields(note).values() for m in MARKERS)
