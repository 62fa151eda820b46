"""Extraction on the shared real arXiv PDFs and the odd/corrupt PDF collection."""

from __future__ import annotations

import csv
import difflib
import re
from pathlib import Path

import pytest

from paperlab.errors import ExtractionError
from paperlab.extract import ExtractedDocument, extract_pdf, identify_pdf

LIGATURES = "\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06"
ODD_FILES = [
    "pdfjs/PDFBOX-3148-2-fuzzed.pdf", "pdfjs/PDFBOX-4352-0.pdf", "pdfjs/REDHAT-1531897-0.pdf",
    "pdfjs/TrueType_without_cmap.pdf", "pdfjs/bad-PageLabels.pdf", "pdfjs/bug1020226.pdf",
    "pdfjs/empty.pdf", "pdfjs/empty_protected.pdf", "pdfjs/helloworld-bad.pdf",
    "pdfjs/issue3371.pdf", "pdfjs/multiple-filters-length-zero.pdf", "pdfjs/pdfjsbad1586.pdf",
    "pdfjs/poppler-90-0-fuzzed.pdf", "pdfjs/xref_command_missing.pdf",
    "pymupdf/circular-toc.pdf", "pymupdf/has-bad-fonts.pdf", "pymupdf/test2238.pdf",
    "pymupdf/test_2548.pdf", "pymupdf/test_2710.pdf",
]  # fmt: skip
# What PROVENANCE.md says PyMuPDF makes of them.
ODD_ERRORS = {
    "REDHAT-1531897-0.pdf": "The PDF has no pages.",
    "bug1020226.pdf": "The PDF has no pages.",
    "issue3371.pdf": "The PDF is encrypted.",
    "empty.pdf": "The PDF has no text layer (scanned?).",
    "empty_protected.pdf": "The PDF has no text layer (scanned?).",
    "PDFBOX-3148-2-fuzzed.pdf": "The PDF has no text layer (scanned?).",
    "PDFBOX-4352-0.pdf": "The PDF has no text layer (scanned?).",
}


@pytest.fixture(scope="module")
def manifest(shared_data: Path) -> dict[str, dict[str, str]]:
    with (shared_data / "pdfs" / "arxiv" / "manifest.tsv").open(encoding="utf-8") as fh:
        return {row["file"]: row for row in csv.DictReader(fh, delimiter="\t")}


@pytest.fixture(scope="module")
def extracted(
    shared_data: Path, manifest: dict[str, dict[str, str]]
) -> dict[str, ExtractedDocument]:
    folder = shared_data / "pdfs" / "arxiv"
    return {name: extract_pdf(folder / name) for name in manifest}


def test_stamp_and_page_count_match_manifest(
    extracted: dict[str, ExtractedDocument], manifest: dict[str, dict[str, str]]
) -> None:
    assert len(extracted) == 36
    for name, doc in extracted.items():
        assert doc.page_count == int(manifest[name]["pages"]) == len(doc.pages), name
        assert str(doc.arxiv_id) == manifest[name]["arxiv_id"], name
        assert "arXiv:" + manifest[name]["arxiv_id"] not in doc.pages[0].text, name
        assert doc.warnings == [], name


def _similar(a: str, b: str) -> float:
    norm = lambda s: " ".join(re.findall(r"\w+", s.lower()))  # noqa: E731
    return difflib.SequenceMatcher(None, norm(a), norm(b)).ratio()


def test_title_guesses(
    extracted: dict[str, ExtractedDocument], manifest: dict[str, dict[str, str]]
) -> None:
    good = [
        n for n, d in extracted.items() if _similar(d.title_guess or "", manifest[n]["title"]) > 0.8
    ]
    assert len(good) >= 30, sorted(set(extracted) - set(good))


def test_chunk_offsets_round_trip_everywhere(extracted: dict[str, ExtractedDocument]) -> None:
    for name, doc in extracted.items():
        assert doc.chunks, name
        for c in doc.chunks:
            head = doc.pages[c.page_start - 1].text[c.char_start : c.char_start + 40]
            assert head and c.text.startswith(head), (name, c.ordinal)
            tail = doc.pages[c.page_end - 1].text[: c.char_end][-40:]
            assert tail and c.text.endswith(tail), (name, c.ordinal)


def test_text_is_clean(extracted: dict[str, ExtractedDocument]) -> None:
    for name, doc in extracted.items():
        text = doc.text
        assert not any(ch in text for ch in LIGATURES), name
        assert not re.search(r"[a-z]-\n[a-z]", text), name
        for s in doc.sections:
            assert 0 <= s.char_offset <= len(doc.pages[s.page - 1].text), name
    sgdr = extracted["1608.03983v5.pdf"].text
    assert "multimodal functions" in sgdr and "state-of-the-art results" in sgdr
    assert "Published as a conference paper at ICLR 2017" not in sgdr


def test_chunk_sizes(extracted: dict[str, ExtractedDocument]) -> None:
    sizes = [len(c.text.split()) for d in extracted.values() for c in d.chunks]
    assert max(sizes) <= 400
    assert sum(150 <= s <= 300 for s in sizes) >= 0.75 * len(sizes)


def test_sections_from_outline(extracted: dict[str, ExtractedDocument]) -> None:
    doc = extracted["1608.03983v5.pdf"]
    titles = [s.title for s in doc.sections]
    assert titles[:3] == [
        "1 Introduction",
        "2 Related Work",
        "2.1 Restarts in gradient-free optimization",
    ]
    assert {s.level for s in doc.sections} == {1, 2}
    intro = doc.sections[0]
    assert doc.pages[intro.page - 1].text[intro.char_offset :].upper().startswith("1 INTRODUCTION")
    # The appendix after the references is body text again.
    appendix = [c for c in doc.chunks if c.section == "8 Supplementary Material"]
    assert appendix and not any(c.is_reference for c in appendix)


def test_sections_from_fonts(extracted: dict[str, ExtractedDocument]) -> None:
    doc = extracted["1706.05394v2.pdf"]  # no outline
    titles = [s.title.lower() for s in doc.sections]
    assert "1. introduction" in titles and "references" in titles
    for s in doc.sections:
        heading = doc.pages[s.page - 1].text[s.char_offset :]
        assert heading.startswith(s.title), s


def test_references_flagged(extracted: dict[str, ExtractedDocument]) -> None:
    flagged = [
        n for n, d in extracted.items() if d.references_at and any(c.is_reference for c in d.chunks)
    ]
    assert len(flagged) >= 32
    for name in flagged:
        doc = extracted[name]
        assert doc.references_at is not None
        page, offset = doc.references_at
        assert re.match(
            r"(?i)\W*(\d+\.?\s*)?(references|bibliography)", doc.pages[page - 1].text[offset:]
        ), name
        refs = [c for c in doc.chunks if c.is_reference]
        assert (refs[0].page_start, refs[0].char_start) == (page, offset), name


def test_identify_real(shared_data: Path, manifest: dict[str, dict[str, str]]) -> None:
    folder = shared_data / "pdfs" / "arxiv"
    for name in ["1608.03983v5.pdf", "math_9404236v1.pdf", "1706.05394v2.pdf"]:
        ident = identify_pdf(folder / name)
        assert str(ident.arxiv_id) == manifest[name]["arxiv_id"]
        assert ident.page_count == int(manifest[name]["pages"])
        assert _similar(ident.title or "", manifest[name]["title"]) > 0.8


@pytest.mark.parametrize("relative", ODD_FILES)
def test_odd_pdfs_give_text_or_a_clear_error(
    shared_data: Path, relative: str, capfd: pytest.CaptureFixture[str]
) -> None:
    path = shared_data / "pdfs" / "odd" / relative
    expected = ODD_ERRORS.get(path.name)
    if expected:
        with pytest.raises(ExtractionError) as info:
            extract_pdf(path)
        assert info.value.message == expected and info.value.hint
    else:
        doc = extract_pdf(path)
        assert doc.page_count >= 1 and any(p.text.strip() for p in doc.pages)
        for c in doc.chunks:
            assert c.text.startswith(
                doc.pages[c.page_start - 1].text[c.char_start : c.char_start + 20]
            )
    try:
        identify_pdf(path)
    except ExtractionError as exc:
        assert exc.message == expected
    assert "MuPDF" not in capfd.readouterr().err
