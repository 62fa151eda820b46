"""The outline lists headings, not the labels of figures and diagrams.

A paper without a PDF outline gets its sections from the fonts; labels inside
a figure (tiny "Model", bold "4 S 1 S 1", large math like "at at+1") used to
become outline entries. Checked on a generated PDF and on the real paper where
it was seen (1705.05363, skipped without the shared data).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from paperlab.extract import extract_pdf
from paperlab.extract.sections import plausible_heading

LABELS = ["Model", "4 S 1 S 1", "at at+1", "st+1 st at"]
HEADINGS = ["1 Introduction", "2 Model", "2.1 Prediction error", "3 Experiments"]
BODY = (
    "We measure how far an agent explores when it is rewarded for its own curiosity and "
    "compare it with agents that are rewarded only by the environment in which they act. "
) * 3


def _figure_paper(path: Path) -> Path:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    y = 72.0

    def body() -> None:
        nonlocal y
        for line in textwrap.wrap(BODY, 95):
            page.insert_text((72, y), line, fontsize=10, fontname="tiro")
            y += 12.5
        y += 10

    page.insert_text((72, y), "Curious Agents", fontsize=18, fontname="tibo")
    y += 40
    for number, heading in enumerate(HEADINGS):
        page.insert_text((72, y), heading, fontsize=12, fontname="tibo")
        y += 18
        body()
        if number == 1:
            # A diagram: scattered labels, each a block of its own.
            page.insert_text((320, y), "Model", fontsize=5.8, fontname="tiro")
            page.insert_text((120, y + 30), "4 S 1 S 1", fontsize=5.3, fontname="tibo")
            page.insert_text((200, y + 60), "at at+1", fontsize=15.8, fontname="tiro")
            page.insert_text((380, y + 95), "st+1 st at", fontsize=15.8, fontname="tiro")
            y += 130
    doc.save(path)
    doc.close()
    return path


def test_figure_labels_are_not_headings(tmp_path: Path) -> None:
    extracted = extract_pdf(_figure_paper(tmp_path / "figure.pdf"))
    titles = [s.title for s in extracted.sections]
    for heading in HEADINGS:
        assert heading in titles
    for label in LABELS:
        assert label not in titles
        # The labels are still in the page text: only the outline leaves them out.
        assert label.split()[0] in extracted.pages[0].text


def test_the_real_paper_outline_has_no_junk(shared_data: Path) -> None:
    pdf = shared_data / "pdfs" / "arxiv" / "1705.05363v1.pdf"
    if not pdf.is_file():
        pytest.skip(f"{pdf} is not in the shared data")
    titles = [s.title for s in extract_pdf(pdf).sections]
    for junk in ("at at+1", "4 S 1 S 1", "st st+1", "st+1 st at", "Model"):
        assert junk not in titles
    for heading in (
        "1. Introduction",
        "2.1. Prediction error as curiosity reward",
        "4.3. Generalization to Novel Scenarios",
        "5. Related Work",
        "References",
    ):
        assert heading in titles


@pytest.mark.parametrize(
    ("title", "ok"),
    [
        ("1 Introduction", True),
        ("5 RL", True),
        ("A Proofs", True),
        ("Model", True),  # the text alone is fine; its font decides at extraction
        ("3.2 Attention", True),
        ("at at+1", False),
        ("4 S 1 S 1", False),
        ("st+1 st at", False),
        ("φ(st) φ(st+1)", False),
        ("12", False),
    ],
)
def test_plausible_heading_text(title: str, ok: bool) -> None:
    assert plausible_heading(title) is ok
