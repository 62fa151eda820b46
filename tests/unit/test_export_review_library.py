"""The themes and the review draft of a realistic reading library.

The library (tests/reading_library.py) is real PDFs fetched from the fake
arXiv and what a learner writes in a week; it is built once per session and
these tests only read it. Skips cleanly without the shared data.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from paperlab.export import select_papers
from paperlab.export.review import write_review
from paperlab.export.themes import reading_themes
from paperlab.settings import load_settings
from paperlab.store import Store
from tests.reading_library import NOTES, UNREAD


@pytest.mark.slow
def test_themes_follow_the_reading_not_the_first_topic(reading_home):
    themes = reading_themes(reading_home)
    placed = [pid for t in themes for pid in t.paper_ids]
    # Every read or noted paper once; the papers never opened in none.
    assert sorted(placed) == sorted(NOTES)
    assert not set(UNREAD) & set(placed)
    by_paper = {pid: t for t in themes for pid in t.paper_ids}
    # PPO and curiosity share a theme (they are both policy-gradient RL), and SGDR
    # joins the learning-rate papers although its first topic is "calculus".
    assert by_paper["1707.06347"] is by_paper["1705.05363"]
    assert by_paper["1608.03983"] is by_paper["1803.09820"]
    assert by_paper["1608.03983"] is not by_paper["1707.06347"]
    names = [t.name for t in themes]
    assert len(set(names)) == len(names)
    assert "Calculus" not in names and "Statistics" not in names
    lr_theme = by_paper["1608.03983"].name.lower()
    assert "learning-rate" in lr_theme or "learning rate" in lr_theme, names
    assert "policy gradient" in by_paper["1707.06347"].name.lower(), names
    if os.environ.get("PAPERLAB_SHOW_THEMES"):
        print({t.name: t.paper_ids for t in themes})


def claim_sentences(markdown: str) -> list[str]:
    """The sentences of the draft's body that state something: prose and list items.

    Headings, the front matter, comments, block quotes (the quote line carries
    its citation; the user's comment under it is theirs), table rows, bold
    labels standing alone, italic placeholders and the reference list are not
    claims.
    """
    body = markdown.split("\n---\n", 1)[1]
    body = body.split("\n# References", 1)[0]
    out = []
    for block in re.split(r"\n\s*\n", body):
        block = block.strip()
        if not block or block.startswith(("#", "<!--", ">", "|", ": ")):
            continue
        for line in block.splitlines() if block.startswith("- ") else [block]:
            line = re.sub(r"^- ", "", " ".join(line.split()))
            line = re.sub(r"^\*\*[^*]+\*\*\s*", "", line)  # run-in label or log date
            if not line or re.fullmatch(r"\*[^*]+\*", line):
                continue
            out += [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z*])", line) if s.strip()]
    return out


def _draft(store: Store, out: Path, **kw: object) -> Path:
    write_review(store, load_settings(), select_papers(store), out, **kw)  # type: ignore[arg-type]
    return out


@pytest.mark.slow
def test_every_claim_is_cited_and_unread_papers_stay_in_the_appendix(reading_home, tmp_path):
    out = _draft(reading_home, tmp_path / "d", fmt="md", include_unread=True)
    text = (out / "review.md").read_text(encoding="utf-8")
    parts = re.findall(r"^# (.+)$", text, flags=re.M)
    assert parts == [
        "Research question and aims",
        "Related work",
        "What I tried",
        "Open questions",
        "Appendix: papers not yet noted",
        "References",
    ]
    assert not re.search(r"^###", text, flags=re.M)  # parts #, themes ##, nothing deeper
    related = text.split("\n# Related work\n")[1].split("\n# What I tried\n")[0]
    assert len(re.findall(r"^## ", related, flags=re.M)) >= 2
    claims = claim_sentences(text)
    assert len(claims) > 30
    # A question claims nothing (the research question links no paper).
    cites = re.compile(r"(?<![\\\w])@[A-Za-z]")  # [@key] or an in-text @key, never a\@b
    uncited = [c for c in claims if not cites.search(c) and not c.endswith("?")]
    assert not uncited, uncited
    body, appendix = text.split("\n# Appendix: papers not yet noted\n")
    for key in ("bengio2019consciousness", "goodfellow2013piecewise"):
        assert key not in body and f"[@{key}]" in appendix
    # The log's experiment and result are in "What I tried", with dates and papers.
    tried = body.split("\n# What I tried\n")[1].split("\n# ")[0]
    assert (
        "**Result, 2026-11-05.** SGDR run: return curve noisier after each restart, "
        "same final return [@loshchilov2017sgdr]." in tried
    )
    assert "@schulman2017proximal" in tried
    # SGDR is compared with the learning-rate papers, not filed under "Calculus".
    sections = re.findall(r"^## (.+)$", body, flags=re.M)
    assert "Calculus" not in sections and "Statistics" not in sections
    # The data column holds data, results stay results.
    assert "| CIFAR-10 and CIFAR-100 |" in text
    assert " CIFAR-10 and CIFAR-100 [@loshchilov2017sgdr]." in text


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, errors="replace", timeout=300, check=False
    )


@pytest.mark.slow
def test_markdown_renders_with_pandoc_citeproc_and_every_citation_resolves(reading_home, tmp_path):
    if shutil.which("pandoc") is None:
        pytest.skip("pandoc is not installed (CI installs it)")
    out = _draft(reading_home, tmp_path / "d", fmt="all", include_unread=True)
    for name in ("review.md", "review.tex", "review.docx", "review.odt", "references.bib"):
        assert (out / name).stat().st_size > 0, name
    run = _run(
        ["pandoc", "--citeproc", "--bibliography", "references.bib", "review.md", "-t", "plain"],
        out,
    )
    assert run.returncode == 0, run.stderr
    assert "WARNING" not in run.stderr.upper(), run.stderr  # unresolved citations warn
    rendered = run.stdout
    assert "[@" not in rendered and "@author2017" not in rendered
    # Same first author and year: citeproc tells them apart with a letter.
    assert re.search(r"Author and Author,? 2017a", rendered), rendered[:2000]
    assert re.search(r"Author and Author,? 2017b", rendered)
    assert "Schulman et al." in rendered
    # The Word file carries the same text with resolved citations.
    docx = _run(["pandoc", "review.docx", "-t", "plain"], out)
    assert docx.returncode == 0 and "Schulman et al." in docx.stdout and "[@" not in docx.stdout


@pytest.mark.slow
def test_latex_builds_with_latexmk_and_bibtex_without_undefined_citations(reading_home, tmp_path):
    if shutil.which("latexmk") is None or shutil.which("pdflatex") is None:
        pytest.skip("latexmk/pdflatex are not installed (CI installs them)")
    out = _draft(reading_home, tmp_path / "d", fmt="latex", include_unread=True)
    run = _run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "review.tex"], out)
    log = (out / "review.log").read_text(encoding="latin-1")
    assert run.returncode == 0, log[-3000:]
    assert not re.findall(r".*(?:undefined|multiply defined).*", log, flags=re.I)
    blg = (out / "review.blg").read_text(encoding="latin-1")
    assert "Warning--" not in blg and "error message" not in blg, blg
    import pymupdf

    with pymupdf.open(out / "review.pdf") as doc:
        text = " ".join(page.get_text() for page in doc)
    text = " ".join(text.split())
    assert "?" not in re.findall(r"\(\S*\)", text)  # no "(?)" for a missing citation
    assert "Author and Author, 2017a" in text or "Author and Author (2017a)" in text
    assert "2017b" in text
    for title in ("Research question and aims", "Related work", "What I tried", "Open questions"):
        assert title in text


@pytest.mark.slow
def test_dump_draft_for_inspection(reading_home, tmp_path):
    if not os.environ.get("PAPERLAB_DUMP_REVIEW"):
        pytest.skip("set PAPERLAB_DUMP_REVIEW=DIR to write a draft there")
    _draft(reading_home, Path(os.environ["PAPERLAB_DUMP_REVIEW"]), fmt="both", include_unread=True)
