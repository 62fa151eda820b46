"""Pinned citation keys through the CLI: offline add, export, metadata, rekey, pandoc."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import bibtexparser
import pytest

from tests.fakearxiv import FakeArxiv, make_pdf, sample_paper
from tests.helpers import run_cli

TITLE = "End-to-End Training of Deep Visuomotor Policies"
BODY = ["1 Introduction\nPolicy search learns visuomotor control from raw images. " * 20]
MINE = "My text: compare with guided policy search.\n"

# Each test runs on SQLite and on a lab database on PostgreSQL.
pytestmark = pytest.mark.usefixtures("backend")


def _pandoc(draft: Path, bibliography: Path) -> str:
    """``draft`` rendered with citeproc; fails on any unresolved citation."""
    done = subprocess.run(
        ["pandoc", str(draft), "--citeproc", "--bibliography", str(bibliography), "-t", "plain"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "not found" not in done.stderr, done.stderr  # [WARNING] Citeproc: citation ... not found
    return done.stdout


def _export(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    result = run_cli(capsys, "export", *args)
    assert result.code == 0, result.err
    return result.out + result.err


def test_a_key_survives_new_metadata_and_a_rekey_keeps_the_old_one(
    tmp_path: Path,
    fake_arxiv: FakeArxiv,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if shutil.which("pandoc") is None:
        pytest.skip("pandoc is not installed")
    monkeypatch.setenv("PAPERLAB_ARXIV_API_URL", "http://127.0.0.1:9/api/query")  # offline
    pdf = tmp_path / "levine.pdf"
    pdf.write_bytes(make_pdf(TITLE, BODY, stamp="arXiv:1504.00702v1 [cs.LG] 2 Apr 2015"))
    added = run_cli(capsys, "add", "--no-index", "--json", str(pdf))
    assert added.code == 0, added.err
    assert json.loads(added.out)[0]["paper_id"] == "1504.00702"

    vault, bib, csl = tmp_path / "vault", tmp_path / "refs.bib", tmp_path / "refs.json"
    _export(capsys, "notes", str(vault))
    (note,) = vault.glob("*.md")
    key = note.stem
    assert key == "anonendtoend"  # the best known then: a title, no authors yet
    _export(capsys, "bibtex", "--include-incomplete", "--out", str(bib))
    draft = tmp_path / "draft.md"
    draft.write_text(f"Visuomotor policies [@{key}].\n", encoding="utf-8")
    assert TITLE in _pandoc(draft, bib)
    note.write_text(note.read_text(encoding="utf-8") + MINE, encoding="utf-8")

    # Online: arXiv's metadata arrives; the key, the note and the draft stay as they are.
    monkeypatch.setenv("PAPERLAB_ARXIV_API_URL", fake_arxiv.api_url)
    fake_arxiv.add(
        sample_paper(
            "1504.00702",
            title=TITLE,
            authors=["Sergey Levine", "Chelsea Finn"],
            published=datetime(2015, 4, 2, tzinfo=UTC),
        )
    )
    fetched = run_cli(capsys, "fetch", "--no-index", "1504.00702")
    assert fetched.code == 0, fetched.err
    assert "0 created, 1 updated, 0 unchanged" in _export(capsys, "notes", str(vault))
    assert [p.name for p in vault.glob("*.md")] == [f"{key}.md"]
    text = note.read_text(encoding="utf-8")
    assert text.endswith(MINE) and '"Sergey Levine"' in text
    _export(capsys, "bibtex", "--out", str(bib))
    assert "Levine" in _pandoc(draft, bib)
    assert "0 created, 0 updated, 1 unchanged" in _export(capsys, "notes", str(vault))

    # A rekey on purpose: the old key stays valid everywhere.
    rekeyed = json.loads(run_cli(capsys, "rekey", key, "--json").out)
    assert (rekeyed["old"], rekeyed["new"]) == (key, "levine2015endtoend")
    shown = json.loads(run_cli(capsys, "show", "--json", key).out)
    assert shown["id"] == "1504.00702" and shown["old_citation_keys"] == [key]
    assert f"cite as: levine2015endtoend (also {key})" in run_cli(capsys, "show", key).out
    (vault / "reading.md").write_text(f"Next: [[{key}]]\n", encoding="utf-8")
    out = _export(capsys, "notes", str(vault))
    assert f"{key}.md -> levine2015endtoend.md" in out
    assert not note.exists()
    moved = (vault / "levine2015endtoend.md").read_text(encoding="utf-8")
    assert moved.endswith(MINE)
    assert (vault / "reading.md").read_text() == "Next: [[levine2015endtoend]]\n"

    _export(capsys, "bibtex", "--out", str(bib))
    entry, copy = bibtexparser.loads(bib.read_text(encoding="utf-8")).entries
    assert (entry["ID"], entry["ids"]) == ("levine2015endtoend", key)
    assert copy["ID"] == key and copy["title"] == entry["title"]  # for pandoc and BibTeX
    assert "Levine" in _pandoc(draft, bib)  # the old key alone
    both = tmp_path / "both.md"
    both.write_text(f"Old [@{key}] and new [@levine2015endtoend].\n", encoding="utf-8")
    assert "Levine" in _pandoc(both, bib)
    _export(capsys, "csl-json", "--out", str(csl))
    assert [i["id"] for i in json.loads(csl.read_text())] == ["levine2015endtoend", key]
    assert "Levine" in _pandoc(both, csl)
    review = tmp_path / "review"
    _export(capsys, "review", "--out", str(review))
    assert "Levine" in _pandoc(draft, review / "references.bib")

    taken = run_cli(capsys, "rekey", "levine2015endtoend", key)  # its own alias: a swap
    assert taken.code == 0, taken.err
    bad = run_cli(capsys, "rekey", "1504.00702", "not a key")
    assert bad.code == 2 and "not a usable citation key" in bad.err and "Traceback" not in bad.err
