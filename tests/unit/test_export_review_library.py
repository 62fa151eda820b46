"""A realistic reading library for the review tests, and the themes found in it.

Real PDFs from the shared data are fetched from the fake arXiv (extracted and
embedded by the real pipeline and model); the test then writes what a
learner writes in a week: structured notes with a missing field here and
there, annotations on real sentences (anchored to their pages), free tags,
roadmap topics that say when a paper was read rather than what it is about,
and research-log entries of every kind. Two papers have the same first
author and year, which the bibliography must tell apart (2017a, 2017b).
Skips cleanly without the shared data.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paperlab.annotations import add_annotation
from paperlab.export import select_papers
from paperlab.export.review import write_review
from paperlab.export.themes import reading_themes
from paperlab.fetching import fetch
from paperlab.fetchtargets import resolve_targets
from paperlab.notes import save_note
from paperlab.researchlog import add_entry
from paperlab.settings import load_settings
from paperlab.store import Store, open_store
from paperlab.tagging import tag_paper
from tests.conftest import SHARED_DATA
from tests.fakearxiv import FakeArxiv, catalogue_from_shared

AUTHORS = {
    "1707.06347": ["John Schulman", "Filip Wolski", "Prafulla Dhariwal", "Alec Radford"],
    "1611.01578": ["Barret Zoph", "Quoc V. Le"],
    "1608.03983": ["Ilya Loshchilov", "Frank Hutter"],
    "1803.09820": ["Leslie N. Smith"],
    "1502.03167": ["Sergey Ioffe", "Christian Szegedy"],
    "1709.08568": ["Yoshua Bengio"],
    "1301.5088": ["Ian J. Goodfellow"],
    # 1705.05363 and 1706.05394 keep the catalogue's "A. Author, B. Author":
    # same first author, same year (2017), so their labels need a letter.
}
IDS = [*AUTHORS, "1705.05363", "1706.05394"]
UNREAD = ["1709.08568", "1301.5088"]  # fetched, never noted

NOTES: dict[str, dict[str, str]] = {
    "1707.06347": {
        "summary": "Policy gradient updates that are stable without a trust-region solver.",
        "method": "Clipped surrogate objective on the probability ratio; several epochs of "
        "minibatch updates per batch of rollouts, with a value-function baseline.",
        "results": "Beats A2C and TRPO on most MuJoCo continuous-control tasks and "
        "matches ACER on Atari with far simpler code.",
        "limitations": "The clip range is a sensitive hyper-parameter.",
        "questions": "- Does the clipped objective still help with small batches?",
        "body": "## Policy gradient with trust regions\n\nThe clip keeps the new policy "
        "close to the old one, like a trust region.",
    },
    "1705.05363": {
        "summary": "Exploration driven by curiosity when extrinsic rewards are sparse.",
        "method": "An intrinsic reward from the prediction error of a forward model in a "
        "learned feature space (inverse dynamics features), added to the policy gradient.",
        "results": "Agents explore VizDoom and Super Mario Bros levels with no extrinsic "
        "reward at all.",
        "questions": "- Is the intrinsic reward distracted by noisy observations?",
        "body": "## Exploration and intrinsic reward\n\nCuriosity as a policy gradient "
        "bonus; pairs with the clipped policy updates.",
    },
    "1611.01578": {
        "summary": "Searching network architectures with a reinforcement-learning controller.",
        "method": "A recurrent controller samples architectures and is trained with policy "
        "gradient on the validation accuracy of each child network.",
        "data": "",
        "results": "Architectures competitive with the best hand-designed ones on "
        "CIFAR-10 and Penn Treebank.",
        "limitations": "Thousands of GPU hours for one search.",
        "body": "## Policy gradient controllers\n\nThe reward is validation accuracy.",
    },
    "1608.03983": {
        "summary": "Learning-rate schedules with warm restarts for stochastic gradient descent.",
        "method": "Cosine annealing of the learning rate, restarted periodically with a "
        "growing period; trained on CIFAR-10 and CIFAR-100 with wide residual networks.",
        "results": "State-of-the-art error on CIFAR-10 and CIFAR-100 with fewer epochs.",
        "limitations": "The restart period is one more hyper-parameter.",
        "questions": "- Do warm restarts help policy-gradient training too?",
        "body": "## Learning-rate schedules\n\nCosine annealing with warm restarts.",
    },
    "1803.09820": {
        "summary": "A recipe for setting learning rate, batch size, momentum and weight decay.",
        "method": "Learning-rate range tests and the one-cycle learning-rate schedule, "
        "reading the validation loss early in training.",
        "results": "Super-convergence: the same accuracy in a fraction of the iterations.",
        "limitations": "Mostly image classification; few ablations beyond CIFAR.",
        "body": "## Learning-rate schedules\n\nOne-cycle schedule and the LR range test.",
    },
    "1502.03167": {
        "summary": "Normalising layer inputs per mini-batch to speed up training.",
        "method": "Batch normalization of each activation with mini-batch statistics and "
        "a learned scale and shift; evaluated on ImageNet classification.",
        "results": "Reaches the same accuracy with 14 times fewer training steps.",
        "limitations": "Depends on the batch size; unclear for recurrent networks.",
        "body": "## Learning-rate schedules\n\nAllows much higher learning rates.",
    },
    "1706.05394": {
        "summary": "How deep networks memorize noise versus learn patterns from real data.",
        "method": "Training on real and randomised labels and inputs, comparing "
        "loss-sensitivity and the effect of regularisers.",
        "results": "Networks learn simple patterns first; dropout slows memorization of noise.",
        "limitations": "Small networks and data sets only.",
        "questions": "- Does memorization explain the gains of warm restarts?",
    },
}
ANNOTATIONS = [
    ("1707.06347", "We propose a new family of policy gradient methods", "The core idea."),
    ("1608.03983", "warm restart", "Restart the schedule, keep the weights."),
    ("1502.03167", "internal covariate shift", ""),
    ("1705.05363", "curiosity", "Intrinsic reward, no extrinsic reward needed."),
]
TAGS = {"1707.06347": ["rl"], "1705.05363": ["rl"], "1608.03983": ["optimisation"]}
# Roadmap topics by week read, as a learner tags them: not what the paper is about.
TOPICS = {"1608.03983": ["calculus"], "1707.06347": ["deep-learning"], "1611.01578": ["statistics"]}
LOG = [
    ("question", "Which training tricks make policy-gradient agents learn reliably?", [], 1),
    ("idea", "Compare learning-rate schedules inside PPO training.", ["1707.06347"], 2),
    (
        "decision",
        "Use cosine annealing with warm restarts as the default schedule.",
        ["1608.03983"],
        3,
    ),
    (
        "experiment",
        "SGDR run: PPO on CartPole with warm restarts every 50 updates.",
        [
            "1608.03983",
            "1707.06347",
        ],
        4,
    ),
    (
        "result",
        "SGDR run: return curve noisier after each restart, same final return.",
        ["1608.03983"],
        5,
    ),
    ("question", "Would a one-cycle schedule avoid the noisy restarts?", ["1803.09820"], 6),
    ("todo", "Try the learning-rate range test before the next run.", ["1803.09820"], 7),
]


QUIET_ENV = {"PAPERLAB_ARXIV_DELAY": "0", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _catalogue(shared: Path) -> list:
    wanted = {p.id: p for p in catalogue_from_shared(shared) if p.id in IDS}
    out = []
    for pid in IDS:
        paper = wanted[pid]
        if pid in AUTHORS:
            paper = dataclasses.replace(paper, authors=AUTHORS[pid])
        out.append(paper)
    return out


def _quote_in(store: Store, paper_id: str, quote: str) -> bool:
    with store.connect() as conn:
        rows = conn.execute("SELECT text FROM page WHERE paper_id = :p", {"p": paper_id}).all()
    return any(quote.lower() in (r[0] or "").lower() for r in rows)


def fill_library(store: Store) -> None:
    """Notes, annotations, tags, topics and log entries on the fetched papers."""
    for pid, fields in NOTES.items():
        save_note(store, pid, {k: v for k, v in fields.items() if k != "data"})
    for pid, quote, comment in ANNOTATIONS:
        if _quote_in(store, pid, quote):
            add_annotation(store, pid, quote, comment=comment, occurrence=1)
    for pid, tags in TAGS.items():
        tag_paper(store, pid, tags)
    for pid, slugs in TOPICS.items():
        tag_paper(store, pid, slugs)
    for kind, text, papers, day in LOG:
        add_entry(store, text, kind=kind, papers=papers, when=datetime(2026, 11, day, tzinfo=UTC))


@pytest.fixture(scope="module")
def reading_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The library above, built once per test module in its own PAPERLAB_HOME."""
    if not (SHARED_DATA / "pdfs" / "arxiv" / "manifest.tsv").is_file():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    home = tmp_path_factory.mktemp("reading-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PAPERLAB_HOME", str(home))
        for name, value in QUIET_ENV.items():
            mp.setenv(name, value)
        server = FakeArxiv(_catalogue(SHARED_DATA)).start()
        try:
            mp.setenv("PAPERLAB_ARXIV_API_URL", server.api_url)
            settings = load_settings()
            store = open_store(settings)
            report = fetch(store, settings, resolve_targets(IDS))
            assert report.ok, [f.paper_id for f in report.failures]
        finally:
            server.stop()
        fill_library(store)
        yield store
        store.close()


@pytest.fixture
def reading_home(reading_library: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    """The reading library as the current PAPERLAB_HOME (for the CLI)."""
    monkeypatch.setenv("PAPERLAB_HOME", str(reading_library.path.parent))
    return reading_library


@pytest.mark.slow
def test_themes_follow_the_reading_not_the_first_topic(reading_library):
    themes = reading_themes(reading_library)
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
def test_every_claim_is_cited_and_unread_papers_stay_in_the_appendix(reading_library, tmp_path):
    out = _draft(reading_library, tmp_path / "d", fmt="md", include_unread=True)
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
def test_markdown_renders_with_pandoc_citeproc_and_every_citation_resolves(
    reading_library, tmp_path
):
    if shutil.which("pandoc") is None:
        pytest.skip("pandoc is not installed (CI installs it)")
    out = _draft(reading_library, tmp_path / "d", fmt="all", include_unread=True)
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
def test_latex_builds_with_latexmk_and_bibtex_without_undefined_citations(
    reading_library, tmp_path
):
    if shutil.which("latexmk") is None or shutil.which("pdflatex") is None:
        pytest.skip("latexmk/pdflatex are not installed (CI installs them)")
    out = _draft(reading_library, tmp_path / "d", fmt="latex", include_unread=True)
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
def test_dump_draft_for_inspection(reading_library, tmp_path):
    if not os.environ.get("PAPERLAB_DUMP_REVIEW"):
        pytest.skip("set PAPERLAB_DUMP_REVIEW=DIR to write a draft there")
    _draft(
        reading_library, Path(os.environ["PAPERLAB_DUMP_REVIEW"]), fmt="both", include_unread=True
    )
