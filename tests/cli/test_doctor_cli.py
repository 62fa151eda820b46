"""`paperlab doctor`, `doctor --repair`, `backup`, and damaged libraries seen from the shell."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run_cli, run_process
from tests.unit.test_doctor import build_library, garble_table_page
from tests.unit.test_fast_embedder import export_home, exported  # noqa: F401  (fixtures)
from tests.unit.test_searching import counting, real_embedder  # noqa: F401  (fixtures)

QUERY = "snapshot ensembles one training run"


@pytest.fixture
def library(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    counting: Any,  # noqa: F811
    exported: Path,  # noqa: F811  (searches in a subprocess need the ONNX export)
) -> Any:
    return build_library(tmp_path, capsys, counting)


def _one_sentence_and_a_hint(err: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("Error: The library file ") and "is damaged" in lines[0]
    assert lines[1].startswith("Hint: ") and "paperlab doctor --repair" in lines[1]
    assert "[SQL" not in err and "Traceback" not in err and "sqlalche" not in err


@pytest.mark.slow
def test_damaged_chunk_page_search_rebuild_doctor_repair(
    library: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = library
    before = json.loads(run_process("search", "--json", "-k", "3", QUERY).out)
    assert before and before[0]["paper_id"] == "1704.00109"
    # Garbled text in every chunk page: a search reads some of it back.
    garble_table_page(settings.db_path, "chunk", every=True)
    failed = run_process("search", QUERY)
    assert failed.code == 1, failed
    _one_sentence_and_a_hint(failed.err)
    # A garbled row length as well: rebuilding the full-text index reads every row.
    garble_table_page(settings.db_path, "chunk", where="cell", every=True)
    failed = run_process("index", "rebuild")
    assert failed.code == 1, failed
    _one_sentence_and_a_hint(failed.err)

    checked = run_cli(capsys, "doctor")
    assert checked.code == 1
    assert "PROBLEM  database  The database file is damaged: derived tables chunk" in checked.out
    assert "paperlab doctor --repair" in checked.err
    report = json.loads(run_cli(capsys, "doctor", "--json").out)
    assert report["ok"] is False and "chunk" in report["damaged_tables"]
    assert {f["check"] for f in report["findings"]} == {
        "database",
        "fulltext",
        "vectors",
        "pdfs",
        "orphans",
    }

    repaired = run_cli(capsys, "doctor", "--repair")
    assert repaired.code == 0, repaired.err
    assert "re-extracted 2 papers" in repaired.err
    assert "extract [1/2] " in repaired.err and "extract [2/2] " in repaired.err  # progress
    kept = Path(repaired.err.split("The replaced file is kept at ")[1].split("\n")[0].rstrip("."))
    assert kept.parent == settings.home / "backups" and kept.name.endswith("-before-repair.db")
    assert run_cli(capsys, "doctor").code == 0

    after = json.loads(run_process("search", "--json", "-k", "3", QUERY).out)
    assert [(h["paper_id"], h["text"]) for h in after] == [
        (h["paper_id"], h["text"]) for h in before
    ]
    notes = json.loads(run_process("search", "--json", "--in", "notes", "sharp minima").out)
    assert any(h["kind"] == "note" for h in notes)


@pytest.mark.slow
def test_repair_json_and_what_it_cannot_fix(
    library: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = library
    (settings.pdf_dir / "1704.00109v1.pdf").unlink()
    result = run_cli(capsys, "doctor", "--repair", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["repair"]["papers_failed"] == {
        "1704.00109": data["repair"]["papers_failed"]["1704.00109"]
    }
    assert "missing" in data["repair"]["papers_failed"]["1704.00109"]
    # The database itself was sound: its backup is not called damaged.
    assert data["repair"]["backup"].endswith("-before-repair.db")
    assert data["after"]["ok"] is False
    pdfs = next(f for f in data["after"]["findings"] if f["check"] == "pdfs")
    assert "1 missing" in pdfs["message"]


def test_salvage_needs_repair(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "doctor", "--salvage")
    assert result.code == 2 and "--salvage only goes with --repair" in result.err


def test_doctor_on_an_empty_home(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "doctor", "--json")
    assert result.code == 0
    assert json.loads(result.out)["ok"] is True


def test_backup_command(
    store: Any, tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store.close()
    made = run_cli(capsys, "backup")
    assert made.code == 0, made.err
    default = Path(made.out.strip())
    assert default.parent == paperlab_home / "backups" and default.is_file()
    with closing(sqlite3.connect(default)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    as_json = json.loads(run_cli(capsys, "backup", "--json", str(tmp_path)).out)
    assert Path(as_json["path"]).parent == tmp_path and as_json["bytes"] > 0

    named = tmp_path / "mine.db"
    assert run_cli(capsys, "backup", str(named)).out.strip() == str(named)
    again = run_cli(capsys, "backup", str(named))
    assert again.code == 2 and "already exists" in again.err
    nowhere = run_cli(capsys, "backup", str(tmp_path / "no" / "such" / "x.db"))
    assert nowhere.code == 2 and "does not exist" in nowhere.err


def test_backup_without_a_library(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "backup")
    assert result.code == 1 and "no library" in result.err and "Traceback" not in result.err
