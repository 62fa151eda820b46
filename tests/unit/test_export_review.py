"""The review draft: structure, and that pandoc and LaTeX render it cleanly."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from paperlab.export import select_papers
from paperlab.export.review import data_phrase, first_sentence, gather_review, write_review
from paperlab.settings import load_settings
from paperlab.store.models import Note, Paper, dumps
from tests.unit.test_export_helpers import build_library


def _write(store, tmp_path: Path, fmt: str = "both", **kw) -> Path:
    build_library(store, **kw)
    out = tmp_path / "draft"
    write_review(store, load_settings(), select_papers(store), out, fmt=fmt)
    return out


def test_markdown_structure(store, tmp_path):
    out = _write(store, tmp_path, fmt="md")
    text = (out / "review.md").read_text(encoding="utf-8")
    headings = re.findall(r"^# (.+)$", text, flags=re.M)
    # Aims first; topics in roadmap-week order (12 before 14); then clusters.
    assert headings[0] == "Research question and aims"
    assert headings[1:3] == ["Deep learning \\& CNNs", "Natural language processing"]
    cluster_titles = headings[3:5]
    assert any("graph" in t.lower() for t in cluster_titles)
    assert any("policy" in t.lower() or "reinforcement" in t.lower() for t in cluster_titles)
    assert headings[5:] == ["Comparison", "Open questions", "References"]
    # Log: questions, decisions, ideas (not experiments), with linked citations.
    aims = text.split("# Deep learning")[0]
    assert "Can attention replace message passing on graphs? [@vaswani2017attention]" in aims
    assert aims.index("## Research questions") < aims.index("## Decisions") < aims.index("## Ideas")
    assert "Ran baseline" not in text
    # A paragraph per noted paper, quotes with pages, unanchored quote last.
    assert (
        "Replaces recurrence with self-attention for sequence transduction "
        "[@vaswani2017attention]." in text
    )
    assert "“based solely on attention mechanisms” [@vaswani2017attention, p. 2]" in text
    assert "*The core claim \\& 100%*" in text
    # Hostile note text cannot become a citation or markup.
    assert "\\[\\@notakey\\]" in text and "a\\@b.org" in text
    # Papers without a (non-empty) note are still to read, with their first sentence.
    assert (
        "**Playing Atari with Deep Reinforcement Learning** [@person2015playing]: We present "
        "the first deep learning model to learn control policies from raw pixels using "
        "reinforcement learning." in text
    )
    assert "# Comparison" in text and "| WMT 2014 English-German data |" in text
    assert "- Does attention scale to long documents? [@vaswani2017attention]" in text


def test_markdown_renders_with_pandoc_citeproc_without_unresolved_citations(store, tmp_path):
    if shutil.which("pandoc") is None:
        pytest.skip("pandoc is not installed (CI installs it)")
    out = _write(store, tmp_path, fmt="md")
    run = subprocess.run(
        [
            "pandoc",
            "--citeproc",
            "--bibliography",
            "references.bib",
            "review.md",
            "-t",
            "plain",
            "-o",
            "review.txt",
        ],
        cwd=out,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "not found" not in run.stderr and "WARNING" not in run.stderr.upper(), run.stderr
    rendered = (out / "review.txt").read_text(encoding="utf-8")
    assert "@" not in rendered.replace("a@b.org", "").replace("[@notakey]", "")
    assert "Vaswani" in rendered and "Núñez" in rendered  # citations resolved to names


def test_latex_compiles_with_latexmk_without_undefined_references(store, tmp_path):
    if shutil.which("latexmk") is None or shutil.which("pdflatex") is None:
        pytest.skip("latexmk/pdflatex are not installed (CI installs them)")
    out = _write(store, tmp_path, fmt="latex")
    run = subprocess.run(
        ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "review.tex"],
        cwd=out,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=240,
    )
    log = (out / "review.log").read_text(encoding="latin-1")
    assert run.returncode == 0, log[-3000:]
    assert "undefined" not in log.lower(), re.findall(r".*undefined.*", log, flags=re.I)
    assert "There were undefined references" not in log
    blg = (out / "review.blg").read_text(encoding="latin-1")
    assert "I didn't find a database entry" not in blg
    assert "error message" not in blg
    import pymupdf

    with pymupdf.open(out / "review.pdf") as doc:
        text = "".join(page.get_text() for page in doc)
    assert "Braces {x} & 100% of" in text and "Łódź" in text
    assert "[U+674E]" in text  # CJK author: placeholder under pdflatex, never a failure


def test_no_log_gives_a_placeholder_aim(store, tmp_path):
    out = _write(store, tmp_path, fmt="both", with_log=False)
    assert "state the research question and aims here" in (out / "review.md").read_text()
    assert "state the research question and aims here" in (out / "review.tex").read_text()


def test_helpers():
    assert first_sentence("First one. Second one.") == "First one."
    assert first_sentence("e.g. this stays. Next") == "e.g. this stays."
    note = Note(paper_id="x", method="A CNN, trained on ImageNet images; fine-tuned.")
    assert data_phrase(note) == "ImageNet images"


@pytest.mark.slow
def test_abstract_fallback_with_the_real_embedder(store, tmp_path, embedder):
    """Papers without chunk vectors are clustered by their embedded abstracts."""
    topics = {
        "bandit": "multi-armed bandit regret exploration arms reward",
        "graph": "graph neural network nodes edges message passing",
    }
    with store.write() as s:
        for i in range(4):
            for name, words in topics.items():
                s.add(
                    Paper(
                        id=f"{name}-{i}",
                        title=f"{words.split()[0].title()} study {i}",
                        abstract=f"We study {words} in setting {i}.",
                        authors=dumps([f"Ann Lee{i}"]),
                    )
                )
    papers = select_papers(store)
    data = gather_review(store, load_settings(), papers, embedder=embedder, k=2)
    groups = [sorted(t.paper_ids) for t in data.themes]
    assert sorted(groups) == [[f"bandit-{i}" for i in range(4)], [f"graph-{i}" for i in range(4)]]
    names = " ".join(t.title.lower() for t in data.themes)
    assert "bandit" in names or "regret" in names
    assert "graph" in names or "nodes" in names


@pytest.fixture(scope="session")
def embedder():
    from paperlab.search.embedder import load_embedder

    return load_embedder(load_settings())
