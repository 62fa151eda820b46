"""The review draft on the small fixture library: structure, fields, log, themes.toml.

Uses only stored vectors (``allow_embed=False``): the model never loads here.
The realistic library, the renderers and the builds are in
test_export_review_library.py and test_export_review_build.py.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from paperlab.errors import UsageError
from paperlab.export import select_papers
from paperlab.export.review import write_review
from paperlab.export.review_fields import data_phrase, note_fields
from paperlab.export.review_text import field_sentences
from paperlab.notes import save_note
from paperlab.settings import load_settings
from paperlab.store.models import Note, Paper, dumps
from tests.unit.test_export_helpers import build_library

UNREAD_TITLES = [
    "Playing Atari with Deep Reinforcement Learning",
    "Proximal Policy Optimization Algorithms",
    "Graph Attention Networks",
]


def _write(store, out: Path, fmt: str = "md", *, build: bool = True, **kw) -> str:
    if build:
        build_library(store, with_log=kw.pop("with_log", True))
    write_review(
        store, load_settings(), select_papers(store), out, fmt=fmt, allow_embed=False, **kw
    )
    return (out / ("review.md" if fmt != "latex" else "review.tex")).read_text(encoding="utf-8")


def headings(text: str) -> list[tuple[int, str]]:
    return [(len(m.group(1)), m.group(2)) for m in re.finditer(r"^(#+) (.+)$", text, flags=re.M)]


def part(text: str, title: str) -> str:
    """The text of the top-level section ``# title``."""
    start = text.index(f"\n# {title}\n")
    end = text.find("\n# ", start + 1)
    return text[start : end if end != -1 else None]


def test_parts_in_order_with_consistent_heading_levels(store, tmp_path):
    text = _write(store, tmp_path / "d")
    found = headings(text)
    top = [t for level, t in found if level == 1]
    assert top == [
        "Research question and aims",
        "Related work",
        "What I tried",
        "Open questions",
        "References",
    ]
    levels = [level for level, _ in found]
    assert max(levels) == 2
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1  # never # then ###
    # Every ## is a theme inside Related work.
    related = part(text, "Related work")
    assert all(f"## {t}" in related for level, t in found if level == 2)


def test_the_log_is_the_spine(store, tmp_path):
    text = _write(store, tmp_path / "d")
    aims = part(text, "Research question and aims")
    assert (
        "**Research question, 2024-05-04.** Can attention replace message passing on graphs "
        "[@vaswani2017attention]?" in aims
    )
    assert "**Aim, 2024-05-02.** Try $k$-hop attention." in aims
    tried = part(text, "What I tried")
    # Decisions and experiments, oldest first, with their dates.
    assert tried.index("**Experiment, 2024-05-01.** Ran baseline.") < tried.index(
        "**Decision, 2024-05-03.** Focus on small graphs \\& 50% sampling."
    )


def test_only_noted_papers_in_the_body_and_unread_ones_in_an_optional_appendix(store, tmp_path):
    text = _write(store, tmp_path / "d")
    for title in UNREAD_TITLES:
        assert title not in text
    assert "person2015playing" not in text and "Appendix" not in text
    with_appendix = _write(store, tmp_path / "e", build=False, include_unread=True)
    appendix = part(with_appendix, "Appendix: papers not yet noted")
    body = with_appendix[: with_appendix.index("\n# Appendix")]
    for title in UNREAD_TITLES:
        assert title in appendix and title not in body
    assert "[@person2015playing]" in appendix and "(no abstract)" not in with_appendix


def test_fields_compared_and_missing_ones_said_to_be_missing(store, tmp_path):
    text = _write(store, tmp_path / "d")
    related = part(text, "Related work")
    assert (
        "Replaces recurrence with self-attention for sequence transduction [@vaswani2017attention]."
        in related
    )
    assert "**Data.** WMT 2014 English-German data [@vaswani2017attention]." in related
    # Results are never taken for data: "Beats label propagation on Cora" is a result.
    data_lines = [ln for ln in related.splitlines() if ln.startswith("**Data.**")]
    assert data_lines and not any("Cora" in ln for ln in data_lines)
    # A paper whose note lacks a field is named under it; a theme none of whose
    # notes has it names the field once.
    assert any("Missing from my notes for @nunez2021braces." in ln for ln in data_lines)
    assert "**Missing from my notes.** Method and data for @person2017semisupervised." in related
    # Quotes with their pages.
    assert "“based solely on attention mechanisms” [@vaswani2017attention, p. 2]" in related
    assert "> *My note:* The core claim \\& 100%" in related
    assert "“complex recurrent networks” [@vaswani2017attention, p. 1]" in related
    assert "- Does attention scale to long documents? [@vaswani2017attention]" in related
    # Hostile note text cannot become a citation or markup.
    assert "\\[\\@notakey\\]" in related and "a\\@b.org" in related


def test_fields_no_note_of_a_theme_fills_are_named_once(store, tmp_path):
    """A field every note of a theme leaves empty is one line for the theme, not a
    paragraph of its own saying the same for each field."""
    build_library(store)
    with store.write() as s:
        for note in s.exec(select(Note)).all():
            note.method = note.limitations = ""
            s.add(note)
    text = _write(store, tmp_path / "md", build=False)
    related = part(text, "Related work")
    assert "**Method.**" not in related and "**Limitations.**" not in related
    lines = [ln for ln in related.splitlines() if ln.startswith("**Missing from my notes.**")]
    themes = related.count("\n## ")
    assert len(lines) == themes >= 1
    said = [ln.split("** ", 1)[1] for ln in lines]
    # Data is read from the method field ("trained on ..."), so it goes with it.
    assert "Method, data and limitations for @vaswani2017attention and @nunez2021braces." in said
    assert all(x.startswith("Method, data and limitations for @") for x in said)
    tex = _write(store, tmp_path / "tex", "latex", build=False)
    assert "\\paragraph{Method.}" not in tex
    assert (
        tex.count("\\paragraph{Missing from my notes.} Method, data and limitations for \\citet{")
        == themes
    )


def test_themes_file_written_once_then_obeyed(store, tmp_path):
    out = tmp_path / "d"
    _write(store, out)
    themes_file = out / "themes.toml"
    written = themes_file.read_text(encoding="utf-8")
    assert "[[theme]]" in written and '"vaswani2017attention",' in written
    # The user renames, regroups and names a paper that is not there.
    themes_file.write_text(
        "[[theme]]\n"
        'name = "Attention beyond sequences"\n'
        'papers = ["vaswani2017attention", "1609.02907", "gone2020paper"]\n',
        encoding="utf-8",
    )
    result = write_review(store, load_settings(), select_papers(store), out, allow_embed=False)
    text = (out / "review.md").read_text(encoding="utf-8")
    related = part(text, "Related work")
    theme = related[related.index("## Attention beyond sequences") :]
    theme = theme[: theme.find("\n## ") if "\n## " in theme[3:] else None]
    assert "@vaswani2017attention" in theme and "@person2017semisupervised" in theme
    assert result.themes[0] == "Attention beyond sequences"
    # The comparison table holds each field in its own column.
    row = next(ln for ln in theme.splitlines() if ln.startswith("| [@person2017semisupervised]"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "Graph convolutions for node labels."  # problem
    assert cells[2] == cells[3] == "*missing*"  # method, data
    assert cells[4] == "Beats label propagation on Cora."  # results, never under data
    assert cells[5] == "Transductive only."
    assert "| Paper | Problem | Method | Data | Results | Limitations |" in theme
    assert result.unknown == ["gone2020paper"] and not result.themes_file_written
    assert themes_file.read_text(encoding="utf-8").startswith("[[theme]]")  # never overwritten


def test_a_broken_themes_file_is_one_clear_error(store, tmp_path):
    out = tmp_path / "d"
    out.mkdir()
    (out / "themes.toml").write_text("[[theme]]\nname = \n", encoding="utf-8")
    build_library(store)
    with pytest.raises(UsageError) as error:
        write_review(store, load_settings(), select_papers(store), out, allow_embed=False)
    assert "themes.toml: not valid TOML" in error.value.message and "line 2" in error.value.message
    assert error.value.hint and "delete it" in error.value.hint
    assert not (out / "review.md").exists()


def test_no_log_gives_placeholders(store, tmp_path):
    md = _write(store, tmp_path / "d", fmt="both", with_log=False)
    tex = (tmp_path / "d" / "review.tex").read_text(encoding="utf-8")
    for text in (md, tex):
        assert "state the research question and aims here" in text
        assert "no decisions, experiments or results yet" in text


def test_latex_structure_mirrors_markdown(store, tmp_path):
    tex = _write(store, tmp_path / "d", fmt="latex")
    sections = re.findall(r"^\\section\{(.+?)\}", tex, flags=re.M)
    assert sections == [
        "Research question and aims",
        "Related work",
        "What I tried",
        "Open questions",
    ]
    assert "\\subsubsection" not in tex and "\\subsection*" not in tex
    assert "\\paragraph{Data.} WMT 2014 English-German data \\citep{vaswani2017attention}." in tex
    assert "``based solely on attention mechanisms'' \\citep[p.~2]{vaswani2017attention}" in tex


def test_field_helpers():
    assert data_phrase(
        Note(paper_id="x", method="A CNN, trained on ImageNet images; fine-tuned.")
    ) == ("ImageNet images")
    sgdr = "Cosine annealing; trained on CIFAR-10 and CIFAR-100 with wide residual networks."
    assert data_phrase(Note(paper_id="x", method=sgdr)) == "CIFAR-10 and CIFAR-100"
    nas = "A controller samples architectures, trained with policy gradient on the accuracy."
    assert data_phrase(Note(paper_id="x", method=nas)) == ""
    labelled = Note(
        paper_id="x",
        summary="S.",
        body="## Problem\n\nCredit assignment.\n\nData: Atari 2600 games",
    )
    fields = note_fields(labelled)
    assert fields.problem == "Credit assignment." and fields.data == "Atari 2600 games"
    assert field_sentences("- First point\n- e.g. this stays. Next one") == [
        "First point.",
        "e.g. this stays.",
        "Next one.",
    ]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, errors="replace", timeout=300, check=False
    )


@pytest.mark.slow
def test_hostile_text_renders_with_pandoc_citeproc(store, tmp_path):
    """Runs without the shared data: hostile titles and notes still render, all cited."""
    if shutil.which("pandoc") is None:
        pytest.skip("pandoc is not installed (CI installs it)")
    out = tmp_path / "d"
    _write(store, out, fmt="md", include_unread=True)
    run = _run(
        ["pandoc", "--citeproc", "--bibliography", "references.bib", "review.md", "-t", "plain"],
        out,
    )
    assert run.returncode == 0, run.stderr
    assert "WARNING" not in run.stderr.upper(), run.stderr
    rendered = run.stdout
    assert "@" not in rendered.replace("a@b.org", "").replace("[@notakey]", "")
    assert "Vaswani" in rendered and "Núñez" in rendered  # citations resolved to names


@pytest.mark.slow
def test_hostile_text_compiles_with_latexmk(store, tmp_path):
    if shutil.which("latexmk") is None or shutil.which("pdflatex") is None:
        pytest.skip("latexmk/pdflatex are not installed (CI installs them)")
    out = tmp_path / "d"
    _write(store, out, fmt="latex", include_unread=True)
    run = _run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "review.tex"], out)
    log = (out / "review.log").read_text(encoding="latin-1")
    assert run.returncode == 0, log[-3000:]
    assert "undefined" not in log.lower(), re.findall(r".*undefined.*", log, flags=re.I)
    blg = (out / "review.blg").read_text(encoding="latin-1")
    assert "I didn't find a database entry" not in blg and "error message" not in blg
    import pymupdf

    with pymupdf.open(out / "review.pdf") as doc:
        text = "".join(page.get_text() for page in doc)
    assert "Braces {x} & 100% of" in text and "Łódź" in text  # its title, in the references
    assert "[U+674E]" in text  # CJK author: placeholder under pdflatex, never a failure


@pytest.mark.slow
def test_many_papers_by_one_first_author_in_one_year_get_letters(store, tmp_path):
    """Five 2020 papers by Lee and Chen, three titles starting with the same word."""
    titles = [
        "Learning to rank",
        "Learning to search",
        "Learning to learn",
        "Graph pooling",
        "Graph matching",
    ]
    with store.write() as s:
        for i, title in enumerate(titles):
            s.add(
                Paper(
                    id=f"2001.0000{i}",
                    title=title,
                    authors=dumps(["Ann Lee", "Bo Chen"]),
                    published=datetime(2020, 1, 2 + i, tzinfo=UTC),
                    metadata_complete=True,
                    pdf_path=f"p{i}.pdf",
                )
            )
    for i in range(len(titles)):
        save_note(store, f"2001.0000{i}", {"summary": f"Claim number {i}.", "method": "A method."})
    papers = select_papers(store)
    keys = [p.citation_key for p in papers]
    assert len(set(keys)) == 5
    out = tmp_path / "d"
    write_review(store, load_settings(), papers, out, fmt="both", allow_embed=False)
    labels = {f"2020{c}" for c in "abcde"}
    if shutil.which("pandoc"):
        run = _run(["pandoc", "--citeproc", "review.md", "-t", "plain"], out)
        assert run.returncode == 0 and "WARNING" not in run.stderr.upper(), run.stderr
        assert labels <= set(re.findall(r"2020[a-z]", run.stdout)), run.stdout[:1500]
    if shutil.which("latexmk") and shutil.which("pdflatex"):
        run = _run(["latexmk", "-pdf", "-interaction=nonstopmode", "review.tex"], out)
        assert run.returncode == 0, run.stdout[-2000:]
        bbl = (out / "review.bbl").read_text(encoding="utf-8")
        found = {"2020" + c for c in re.findall(r"2020\{\\natexlab\{([a-z])\}\}", bbl)}
        assert labels <= found, bbl[:1500]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["docx", "odt"])
def test_word_and_odt_drafts_build_with_every_citation_resolved(store, tmp_path, fmt):
    """Runs without the shared data, so CI builds the Word and ODT drafts too."""
    if shutil.which("pandoc") is None:
        pytest.skip("pandoc is not installed (CI installs it)")
    out = tmp_path / "d"
    _write(store, out, fmt=fmt, include_unread=True)
    document = out / f"review.{fmt}"
    assert document.stat().st_size > 0
    back = _run(["pandoc", document.name, "-t", "plain"], out)  # read the built file back
    assert back.returncode == 0, back.stderr
    assert "Vaswani" in back.stdout and "Núñez" in back.stdout  # citations became names
    # the fixture's own note holds a literal "[@notakey]"; nothing else is left unresolved
    assert "[@" not in back.stdout.replace("[@notakey]", "") and "???" not in back.stdout


def test_a_colleagues_shared_quotes_and_log_entries_are_theirs_in_the_draft(
    any_store, tmp_path, monkeypatch
):
    """In a lab, a colleague's shared annotation and log entry reach my draft under
    their name: never as "My note" or as something I tried (SQLite and PostgreSQL)."""
    store = any_store
    from paperlab.annotations import add_annotation
    from paperlab.researchlog import add_entry

    build_library(store)
    me = os.environ["PAPERLAB_USER"]
    monkeypatch.setenv("PAPERLAB_USER", "bob")
    add_annotation(
        store, "1706.03762", "complex recurrent", page=1, comment="Bob disagrees", shared=True
    )
    add_entry(
        store,
        "Bob ran the big model.",
        kind="experiment",
        shared=True,
        when=datetime(2024, 5, 2, tzinfo=UTC),
    )
    add_entry(
        store, "Bob's private musing.", kind="experiment", when=datetime(2024, 5, 2, tzinfo=UTC)
    )
    monkeypatch.setenv("PAPERLAB_USER", me)

    text = _write(store, tmp_path / "d", build=False)
    assert "*My note:* The core claim" in text  # mine stays mine
    assert "*bob's note:* Bob disagrees" in text and "*My note:* Bob disagrees" not in text
    assert "\u201d [@vaswani2017attention, p. 1] (bob)" in text
    tried = part(text, "What I tried")
    assert "**Experiment, 2024-05-02 (bob).** Bob ran the big model." in tried
    assert "**Experiment, 2024-05-01.** Ran baseline." in tried  # no name on my own
    assert "private musing" not in text

    tex = _write(store, tmp_path / "t", fmt="latex", build=False)
    assert "\\emph{bob's note:} Bob disagrees" in tex
    assert "(2024-05-02, bob)" in tex or "2024-05-02 (bob)" in tex
