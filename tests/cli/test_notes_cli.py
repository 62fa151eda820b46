"""``paperlab note``, ``annotate`` and ``annotations`` through the real entry point."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from paperlab.notes import get_note
from paperlab.store import Store
from paperlab.store.models import Page, Paper
from tests.helpers import run_cli

PAPER = "1608.03983"
PAGE1 = "Restart techniques are common in gradient-free optimization to deal with\nmultimodal."
PAGE2 = "We propose a simple warm restart technique for stochastic gradient descent to im-\nprove."

# Each test runs on SQLite and on a lab database on PostgreSQL.
pytestmark = pytest.mark.usefixtures("backend")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``paperlab argv`` in-process; return (exit code, stdout, stderr)."""
    result = run_cli(capsys, *argv)
    return result.code, result.out, result.err


@pytest.fixture
def library(store: Store) -> Store:
    with store.write() as session:
        session.add(Paper(id=PAPER, title="SGDR: Warm Restarts", state="extracted"))
        session.add(Paper(id="1412.6980", title="Adam", state="fetched"))
        session.flush()
        session.add(Page(paper_id=PAPER, number=1, text=PAGE1))
        session.add(Page(paper_id=PAPER, number=2, text=PAGE2))
    return store


def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> Path:
    """Point $EDITOR at a Python script whose body gets ``path`` (the file to edit)."""
    script = tmp_path / "fake_editor.py"
    script.write_text(
        "import sys\nfrom pathlib import Path\npath = Path(sys.argv[1])\n" + body,
        encoding="utf-8",
    )
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f'"{sys.executable}" "{script}"')
    return script


# --------------------------------------------------------------------------- note --set/--json


def test_set_then_json_and_print(library: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "note", PAPER, "--set", "summary=Restarts help.", "--set", "Method=Cosine"
    )
    assert code == 0 and "Saved the note on 1608.03983" in out
    note = get_note(library, PAPER)
    assert note is not None and (note.summary, note.method) == ("Restarts help.", "Cosine")

    code, out, _ = run(capsys, "note", "arXiv:1608.03983v5", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["summary"] == "Restarts help." and data["results"] == ""

    code, out, _ = run(capsys, "note", PAPER, "--print")
    assert out.startswith("# SGDR: Warm Restarts (1608.03983)\n")
    assert "## Summary\n\nRestarts help.\n" in out


def test_json_without_a_note_has_empty_fields(
    library: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "note", "1412.6980", "--json")
    data = json.loads(out)
    assert code == 0 and data["summary"] == "" and data["body"] == ""
    assert get_note(library, "1412.6980") is None


def test_unknown_field_gets_a_did_you_mean(
    library: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "note", PAPER, "--set", "sumary=x")
    assert code == 2 and out == ""
    assert err.splitlines()[0] == "Error: Unknown note field 'sumary'."
    assert err.splitlines()[1].startswith("Hint: Did you mean summary?")
    code, _, err = run(capsys, "note", PAPER, "--set", "summary")
    assert code == 2 and "FIELD=TEXT" in err
    assert get_note(library, PAPER) is None


def test_unknown_paper(library: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "note", "1706.03762", "--json")
    assert code == 1
    assert "Error: Paper 1706.03762 is not in the library." in err
    assert "Hint: Fetch it first" in err


# --------------------------------------------------------------------------- note in $EDITOR


def test_editing_in_the_editor_saves_to_the_database(
    library: Store,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run(capsys, "note", PAPER, "--set", "results=old results")
    editor(
        tmp_path,
        monkeypatch,
        "text = path.read_text()\n"
        "assert text.startswith('# SGDR: Warm Restarts (1608.03983)')\n"
        "text = text.replace('## Summary\\n', '## Summary\\n\\nWarm restarts work.\\n')\n"
        "text = text.replace('old results', 'new results')\n"
        "text += '\\n## My extra heading\\n\\nkept in the body\\n'\n"
        "path.write_text(text)\n",
    )
    code, out, err = run(capsys, "note", PAPER)
    assert code == 0, err
    assert "Saved the note on 1608.03983 (summary, results, body)." in out
    note = get_note(library, PAPER)
    assert note is not None
    assert note.summary == "Warm restarts work."
    assert note.results == "new results"
    assert note.body == "## My extra heading\n\nkept in the body"


def test_unchanged_text_writes_nothing(
    library: Store,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    editor(tmp_path, monkeypatch, "path.write_text(path.read_text())\n")
    code, out, _ = run(capsys, "note", PAPER)
    assert (code, out) == (0, "Note unchanged.\n")
    assert get_note(library, PAPER) is None  # not even an empty note was created


def test_only_whitespace_changes_are_unchanged(
    library: Store,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run(capsys, "note", PAPER, "--set", "summary=S")
    before = get_note(library, PAPER)
    editor(tmp_path, monkeypatch, "path.write_text(path.read_text() + '\\n\\n   \\n')\n")
    code, out, _ = run(capsys, "note", PAPER)
    assert (code, out) == (0, "Note unchanged.\n")
    after = get_note(library, PAPER)
    assert before is not None and after is not None
    assert after.updated_at == before.updated_at


def test_editor_failure_saves_nothing(
    library: Store,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    editor(tmp_path, monkeypatch, "path.write_text('## Summary\\nlost')\nsys.exit(3)\n")
    code, out, err = run(capsys, "note", PAPER)
    assert code == 1 and out == ""
    assert "failed, so the note on 1608.03983 was not changed" in err
    assert "Hint:" in err
    assert get_note(library, PAPER) is None


def test_emptied_file_saves_nothing(
    library: Store,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run(capsys, "note", PAPER, "--set", "summary=precious")
    editor(tmp_path, monkeypatch, "path.write_text('')\n")
    code, _, err = run(capsys, "note", PAPER)
    assert code == 1
    assert "left empty, so nothing was saved" in err
    note = get_note(library, PAPER)
    assert note is not None and note.summary == "precious"


def test_a_concurrent_change_is_not_overwritten_and_the_edit_is_kept(
    library: Store,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    paperlab_home: Path,
) -> None:
    run(capsys, "note", PAPER, "--set", "summary=first")
    # While the editor is open, another process saves the note.
    editor(
        tmp_path,
        monkeypatch,
        "import os, sqlite3\n"
        "url = os.environ.get('PAPERLAB_DATABASE_URL')\n"
        "if url:\n"
        "    import psycopg\n"
        "    db = psycopg.connect(url.replace('postgresql+psycopg', 'postgresql'))\n"
        "else:\n"
        f"    db = sqlite3.connect({str(paperlab_home / 'paperlab.db')!r})\n"
        "db.execute(\"UPDATE note SET summary='from elsewhere', "
        "updated_at='2001-01-01 00:00:00.000000'\")\n"
        "db.commit()\n"
        "path.write_text(path.read_text().replace('first', 'my edit'))\n",
    )
    code, _, err = run(capsys, "note", PAPER)
    assert code == 1
    assert "changed elsewhere" in err
    note = get_note(library, PAPER)
    assert note is not None and note.summary == "from elsewhere"
    rescued = list((paperlab_home / "cache" / "unsaved-notes").glob("1608.03983-*.md"))
    assert len(rescued) == 1 and "my edit" in rescued[0].read_text()
    assert str(rescued[0]) in err


# --------------------------------------------------------------------------- annotations


def test_annotate_prints_the_page_and_lists(
    library: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys,
        "annotate",
        PAPER,
        "--quote",
        "descent to improve",
        "--comment",
        "key idea",
        "--tag",
        "method",
        "--color",
        "blue",
    )
    assert code == 0, err
    assert out.startswith("Annotation 1 anchored on page 2 of 1608.03983:")
    code, out, _ = run(capsys, "annotations", PAPER, "--json")
    (data,) = json.loads(out)
    assert data["quote"] == "descent to im-\nprove"
    assert (data["page"], data["comment"], data["color"], data["tags"]) == (
        2,
        "key idea",
        "blue",
        ["method"],
    )
    code, out, _ = run(capsys, "annotations", PAPER)
    assert code == 0 and "#1  p.2  [blue]" in out and "key idea" in out


def test_annotate_errors(library: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "annotate", PAPER, "--quote", "batch normalization")
    assert code == 1
    assert err.startswith("Error: The quote was not found in 1608.03983.\nHint: ")
    code, _, err = run(capsys, "annotate", "1412.6980", "--quote", "Adam")
    assert code == 2
    assert "Hint: Extract it first: paperlab index 1412.6980" in err
    code, _, err = run(capsys, "annotate", PAPER)
    assert code == 2 and "--quote" in err
    code, _, err = run(capsys, "annotate", PAPER, "--quote", "warm", "--color", "bleu")
    assert code == 2 and "Did you mean blue?" in err
    code, out, _ = run(capsys, "annotations", PAPER)
    assert out == "No annotations on 1608.03983 yet.\n"


def test_delete_an_annotation(library: Store, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "annotate", PAPER, "--quote", "multimodal")
    code, _, err = run(capsys, "annotations", "1412.6980", "--delete", "1")
    assert code == 2 and "does not belong" in err
    code, out, _ = run(capsys, "annotations", PAPER, "--delete", "1")
    assert (code, out) == (0, "Deleted annotation 1.\n")
    assert json.loads(run(capsys, "annotations", PAPER, "--json")[1]) == []
