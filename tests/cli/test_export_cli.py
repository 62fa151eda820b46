"""``paperlab export ...`` end to end through the command line."""

from __future__ import annotations

import json

import bibtexparser
import pytest
from click.testing import CliRunner
from sqlmodel import select

from paperlab.cli import cli, main
from paperlab.store.models import Paper
from tests.unit.test_export_helpers import PAGE_TEXT, build_library, make_pdf

# Each test runs on SQLite and on a lab database on PostgreSQL.
pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
def library(store):
    """The fixture library, every paper with its metadata and a PDF (as after a fetch)."""
    build_library(store)
    with store.write() as s:
        for paper in s.exec(select(Paper)):
            paper.metadata_complete = True
            paper.pdf_path = f"pdfs/{paper.id}v1.pdf"
            s.add(paper)
    return store


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["export", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_bibtex_to_stdout_and_file(library, tmp_path):
    text = _run("bibtex", "--topic", "nlp")
    keys = {e["ID"] for e in bibtexparser.loads(text).entries}
    assert keys == {"vaswani2017attention", "nunez2021braces"}
    out = tmp_path / "refs.bib"
    _run("bibtex", "1706.03762", "--out", str(out))
    assert "@misc{vaswani2017attention," in out.read_text(encoding="utf-8")


def test_csl_json(library):
    items = json.loads(_run("csl-json", "--list", "week-19"))
    assert [i["id"] for i in items] == ["vaswani2017attention", "person2017semisupervised"]
    assert items[1]["title"].startswith("Semi-Supervised Classification")


def test_notes_pdf_and_map(library, tmp_path):
    vault = tmp_path / "vault"
    assert "8 created" in _run("notes", "--format", "obsidian", str(vault))
    assert (vault / "topics" / "deep-learning.md").exists()
    pdf = make_pdf(tmp_path / "a.pdf", PAGE_TEXT["1706.03762"])
    with library.write() as s:
        paper = s.get(Paper, "1706.03762")
        paper.pdf_path = str(pdf)
        s.add(paper)
    report = json.loads(
        _run("pdf", "vaswani2017attention", "--out", str(tmp_path / "h.pdf"), "--json")
    )
    assert report["placed"] == 2 and len(report["missing"]) == 1
    output = _run(
        "map", "--out", str(tmp_path / "map.svg"), "1312.5602", "1707.06347", "1609.02907"
    )
    assert "3 papers" in output


def test_errors_are_one_sentence_and_a_hint(store, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "bibtex"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: Nothing to export: the library has no papers.\nHint: ")
    build_library(store)
    with pytest.raises(SystemExit):
        main(["export", "review", "--topic", "statistics", "--out", str(tmp_path / "d")])
    assert "topic 'statistics' has no papers" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", "pdf", "1706.03762"])
    err = capsys.readouterr().err
    assert "has no PDF" in err and "Traceback" not in err


def test_incomplete_papers_are_left_out_with_one_warning_line(library, tmp_path, capsys):
    with library.write() as s:
        for n in range(7):  # added offline: a title off the PDF, nothing else
            s.add(Paper(id=f"1504.0070{n}", title=f"Offline paper {n}", pdf_path=f"p{n}.pdf"))
        s.add(Paper(id="2001.00001", title="Listed", metadata_complete=True))  # no PDF yet
    result = CliRunner().invoke(cli, ["export", "bibtex", "--topic", "nlp"])
    assert result.exit_code == 0 and "Warning" not in result.stderr  # nothing incomplete there
    result = CliRunner().invoke(cli, ["export", "bibtex"])
    assert result.exit_code == 0, result.output
    warning = result.stderr.strip()
    assert len(warning.splitlines()) == 1  # bounded: five ids and a count
    assert warning.startswith("Warning: left out 8 papers without metadata or a PDF: 1504.00700,")
    assert "1504.00704 and 3 more" in warning and "--include-incomplete" in warning
    keys = {e["ID"] for e in bibtexparser.loads(result.stdout).entries}
    assert len(keys) == 6 and "anonoffline" not in keys

    kept = CliRunner().invoke(cli, ["export", "bibtex", "--include-incomplete", "1504.00700"])
    assert kept.exit_code == 0 and kept.stderr == ""
    (entry,) = bibtexparser.loads(kept.stdout).entries
    assert "author" not in entry and "year" not in entry  # left out, not invented
    items = json.loads(_run("csl-json", "--include-incomplete", "1504.00700"))
    assert "author" not in items[0] and "issued" not in items[0]

    with pytest.raises(SystemExit) as refused:
        main(["export", "csl-json", "2001.00001"])
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert "every chosen paper lacks metadata or a PDF (2001.00001)" in err and "Hint:" in err
    review = CliRunner().invoke(cli, ["export", "review", "--out", str(tmp_path / "r")])
    assert review.exit_code == 0 and "left out 8 papers" in review.stderr
    assert "Offline paper" not in (tmp_path / "r" / "review.md").read_text(encoding="utf-8")


def test_review_summary_counts_in_words_for_one_paper(library, tmp_path):
    result = CliRunner().invoke(cli, ["export", "review", "1706.03762", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "1 noted paper in 1 theme; 0 without notes left out" in result.stdout


def test_counts_of_one_read_in_the_singular(library, tmp_path):
    out = str(tmp_path / "a.bib")
    bib = CliRunner().invoke(cli, ["export", "bibtex", "1706.03762", "--out", out])
    assert bib.exit_code == 0 and "Wrote 1 entry to" in bib.stderr, bib.output
    drawn = _run("map", "--out", str(tmp_path / "map.svg"), "1706.03762")
    assert "1 paper, 1 theme," in drawn, drawn
