"""``paperlab export review`` through the command line."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from sqlmodel import select

from paperlab.cli import cli, main
from paperlab.store.models import Paper
from tests.unit.test_export_helpers import build_library


@pytest.fixture
def library(any_store):
    """The small fixture library, every paper complete (as after a fetch), on each store."""
    store = any_store
    build_library(store)
    with store.write() as s:
        for paper in s.exec(select(Paper)):
            paper.metadata_complete = True
            paper.pdf_path = f"pdfs/{paper.id}v1.pdf"
            s.add(paper)
    return store


def _review(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["export", "review", *args])
    return result.exit_code, result.stdout, result.stderr


def test_review_json_summary_and_themes_file(library, tmp_path):
    out = tmp_path / "draft"
    code, stdout, stderr = _review("--format", "both", "--out", str(out), "--json")
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert sorted(p.rsplit("/", 1)[-1] for p in summary["files"]) == [
        "references.bib",
        "review.md",
        "review.tex",
        "themes.toml",
    ]
    assert summary["papers"] == 3  # the noted ones; the rest have no notes
    assert "person2015playing" in summary["unread"] and not summary["unread_in_appendix"]
    assert summary["themes_file_written"] and summary["unknown_in_themes_file"] == []
    grouped = [key for theme in summary["theme_papers"] for key in theme["papers"]]
    noted = ["nunez2021braces", "person2017semisupervised", "vaswani2017attention"]
    assert sorted(grouped) == noted
    assert [t["theme"] for t in summary["theme_papers"]] == summary["themes"]
    again = json.loads(_review("--out", str(out), "--json")[1])
    assert not again["themes_file_written"] and again["themes"] == summary["themes"]
    code, stdout, stderr = _review("--out", str(out), "--include-unread")
    assert code == 0 and "3 without notes in the appendix" in stdout


def test_review_grouped_by_free_tags(library, tmp_path):
    for args in (["1706.03762", "transformers"], ["1609.02907", "transformers", "graphs"]):
        result = CliRunner().invoke(cli, ["tag", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    out = tmp_path / "draft"
    code, stdout, stderr = _review("--group-by", "tag", "--out", str(out), "--json")
    assert code == 0, stderr
    summary = json.loads(stdout)
    # Both noted papers share #transformers, so they form one theme (not #graphs).
    assert summary["themes"][0] == "#transformers"
    assert "#graphs" not in summary["themes"]
    text = (out / "review.md").read_text(encoding="utf-8")
    assert "## \\#transformers" in text


def _failing(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "review", *args])
    return int(exit_info.value.code or 0), capsys.readouterr().err


def test_a_broken_themes_file_is_exit_2_with_a_hint(library, tmp_path, capsys):
    out = tmp_path / "draft"
    out.mkdir()
    (out / "themes.toml").write_text('[[theme]]\nname = "x"\npapers = "one"\n', encoding="utf-8")
    code, stderr = _failing(capsys, "--out", str(out))
    assert code == 2 and "Traceback" not in stderr
    assert "the papers of theme 'x' must be a list of keys" in stderr and "Hint:" in stderr
    assert not (out / "review.md").exists()


def test_an_out_that_names_a_file_is_refused_before_any_work(library, tmp_path, capsys):
    """--out is the draft's folder: `--out review.md` would make a folder named review.md."""
    out = tmp_path / "review.md"
    code, stderr = _failing(capsys, "--out", str(out))
    assert code == 2 and "Traceback" not in stderr
    assert "review.md looks like a file name" in stderr and f"--out {tmp_path}" in stderr
    assert not out.exists()
    out.mkdir()  # a folder the user made with that name is theirs to use
    code, _, stderr = _review("--out", str(out))
    assert code == 0, stderr
    assert (out / "review.md").is_file()


def test_word_output_without_pandoc_is_refused_before_any_work(
    library, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    out = tmp_path / "draft"
    code, stderr = _failing(capsys, "--format", "docx", "--out", str(out))
    assert code == 2 and "--format docx needs pandoc" in stderr and "Hint:" in stderr
    assert not out.exists()


@pytest.mark.slow
def test_every_format_from_a_reading_library(reading_home, tmp_path):
    if shutil.which("pandoc") is None:
        pytest.skip("pandoc is not installed (CI installs it)")
    out = tmp_path / "draft"
    code, stdout, stderr = _review("--format", "all", "--include-unread", "--out", str(out))
    assert code == 0, stderr
    for name in ("review.md", "review.tex", "review.docx", "review.odt", "references.bib"):
        assert (out / name).stat().st_size > 0
    assert "7 noted papers in" in stdout and "2 without notes in the appendix" in stdout
    assert "themes.toml to rename or regroup" in stderr
