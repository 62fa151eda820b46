"""extract_pdf / identify_pdf on PDFs generated here with PyMuPDF, friendly and hostile."""

from __future__ import annotations

import random
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from paperlab.errors import ExtractionError
from paperlab.extract import ExtractedDocument, extract_pdf, identify_pdf
from paperlab.extract.pdf import read_pages
from paperlab.ids import ArxivId

TITLE = "Chunking Papers With Anchors"
HEADER = "Preprint. Under review."
STAMP = "arXiv:2101.00001v2  [cs.LG]  5 Jan 2021"
LIGATURES = "\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06"
HYPHEN_LINES = [
    "We study how a good repre-",
    "sentation of documents helps retrieval and how state-of-the-",
    "art systems split text into chunks with the gradient-",
    "based method of Smith et al. (2020), e.g. in Fig. 3 and Eq. (2).",
]


def _filler(tag: str, n: int) -> str:
    rng = random.Random(tag)
    verbs = ["improves", "changes", "explains", "measures", "limits", "extends"]
    nouns = ["the encoder", "our model", "the index", "each chunk", "the baseline", "recall"]
    out = []
    for i in range(n):
        out.append(
            f"In {tag} case {i}, {rng.choice(nouns)} {rng.choice(verbs)} "
            f"{rng.choice(nouns)} by {rng.randint(1, 99)}.{rng.randint(0, 9)} points."
        )
    return " ".join(out)


class _Writer:
    """Lays out lines top to bottom, adding running headers and page numbers."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc
        self.page: Any = None
        self.y = 0.0
        self.toc: list[list[Any]] = []
        self.new_page()

    def new_page(self) -> None:
        self.page = self.doc.new_page(width=612, height=792)
        number = self.doc.page_count
        self.page.insert_text((72, 40), HEADER, fontsize=8, fontname="tiro")
        self.page.insert_text((300, 760), str(number), fontsize=9, fontname="tiro")
        self.y = 80.0

    def line(self, text: str, size: float = 10.0, font: str = "tiro") -> None:
        if self.y > 715:
            self.new_page()
        self.page.insert_text((72, self.y), text, fontsize=size, fontname=font)
        self.y += size * 1.25

    def paragraph(self, text: str) -> None:
        for line in textwrap.wrap(text, 95):
            self.line(line)
        self.y += 10

    def heading(self, text: str, level: int) -> None:
        self.y += 6
        if self.y > 690:
            self.new_page()
        self.toc.append([level, text, self.doc.page_count])
        self.line(text, 12.0, "tibo")
        self.y += 4


def make_paper(path: Path, *, outline: bool = False, stamp: bool = True) -> Path:
    """A multi-page paper with everything extraction has to handle."""
    import pymupdf

    doc = pymupdf.open()
    w = _Writer(doc)
    w.line(TITLE, 20.0, "tibo")
    w.y += 10
    w.line("Ada Lovelace and Alan Turing", 11.0)
    w.y += 10
    if stamp:
        w.page.insert_text((30, 600), STAMP, fontsize=10, fontname="tiro", rotate=90)
    w.heading("Abstract", 1)
    w.paragraph("We present a tidy method. " + _filler("abstract", 4))
    w.heading("1 Introduction", 1)
    for line in HYPHEN_LINES:
        w.line(line)
    # Ligature glyphs need a font that has them; the built-in CJK fallback does.
    writer = pymupdf.TextWriter(w.page.rect)
    writer.append(
        (72, w.y),
        "An e\ufb03cient \ufb01nal \ufb02ow stays readable.",
        font=pymupdf.Font("cjk"),
        fontsize=10,
    )
    writer.write_text(w.page)
    w.y += 22
    w.paragraph(
        "The gradient-based approach is common. J. R. R. Tolkien agreed. " + _filler("intro", 30)
    )
    w.heading("2 Method", 1)
    w.paragraph(_filler("method", 25))
    w.heading("2.1 Details", 2)
    w.paragraph(_filler("details", 45))
    w.heading("3 Results", 1)
    w.paragraph(_filler("results", 35))
    w.heading("References", 1)
    for i in range(1, 13):
        w.paragraph(f"[{i}] A. Author and B. Writer. A study of thing {i}. In Proc. Conf., 2020.")
    w.heading("A Appendix Proofs", 1)
    w.paragraph(_filler("appendix", 20))
    if outline:
        doc.set_toc(w.toc)
    doc.subset_fonts()
    doc.save(path)
    doc.close()
    return path


@pytest.fixture(scope="module")
def paper_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("papers")
    make_paper(d / "fonts.pdf")
    make_paper(d / "outline.pdf", outline=True)
    make_paper(d / "nostamp.pdf", stamp=False)
    return d


@pytest.fixture(scope="module", params=["fonts.pdf", "outline.pdf"])
def paper(request: pytest.FixtureRequest, paper_dir: Path) -> ExtractedDocument:
    return extract_pdf(paper_dir / request.param)


def test_pages_stamp_title(paper: ExtractedDocument) -> None:
    assert paper.page_count == len(paper.pages) >= 3
    assert [p.number for p in paper.pages] == list(range(1, paper.page_count + 1))
    assert paper.arxiv_id == ArxivId("2101.00001", 2)
    assert paper.title_guess == TITLE
    assert "arXiv:2101" not in paper.text
    assert paper.warnings == []


def test_headers_footers_and_page_numbers_removed(paper: ExtractedDocument) -> None:
    assert HEADER not in paper.text
    for page in paper.pages:
        assert str(page.number) not in page.text.splitlines()


def test_ligatures_and_hyphenation(paper: ExtractedDocument) -> None:
    text = paper.text
    assert not any(ch in text for ch in LIGATURES)
    assert "efficient final flow" in text
    assert "a good representation of documents" in text
    assert "state-of-the-art systems" in text
    assert "the gradient-based method" in text
    assert not re.search(r"[a-z]-\n[a-z]", text)


def test_sections(paper: ExtractedDocument) -> None:
    found = {(s.title, s.level) for s in paper.sections}
    for expected in [("1 Introduction", 1), ("2 Method", 1), ("2.1 Details", 2),
                     ("3 Results", 1), ("References", 1), ("A Appendix Proofs", 1)]:  # fmt: skip
        assert expected in found
    for s in paper.sections:
        assert paper.pages[s.page - 1].text[s.char_offset :].startswith(s.title)
    assert paper.sections == sorted(paper.sections, key=lambda s: (s.page, s.char_offset))


def test_references_flagged_and_never_mixed(paper: ExtractedDocument) -> None:
    assert paper.references_at is not None
    page, offset = paper.references_at
    assert paper.pages[page - 1].text[offset:].startswith("References")
    refs = [c for c in paper.chunks if c.is_reference]
    assert refs and all("[" in c.text and "case" not in c.text for c in refs)
    body = [c for c in paper.chunks if not c.is_reference]
    assert all("A study of thing" not in c.text for c in body)
    appendix = [c for c in paper.chunks if c.section == "A Appendix Proofs"]
    assert appendix and not any(c.is_reference for c in appendix)


def test_chunks_round_trip_and_sizes(paper: ExtractedDocument) -> None:
    assert [c.ordinal for c in paper.chunks] == list(range(len(paper.chunks)))
    for c in paper.chunks:
        head = paper.pages[c.page_start - 1].text[c.char_start : c.char_start + 40]
        assert head and c.text.startswith(head)
        tail = paper.pages[c.page_end - 1].text[: c.char_end][-40:]
        assert tail and c.text.endswith(tail)
    sizes = [len(c.text.split()) for c in paper.chunks if not c.is_reference]
    assert max(sizes) <= 360
    assert sum(150 <= s <= 300 for s in sizes) >= 0.6 * len(sizes)
    assert any(c.page_end > c.page_start for c in paper.chunks)
    # The abbreviations did not split the sentence across chunks.
    sentence = "based method of Smith et al. (2020), e.g. in Fig. 3 and Eq. (2)."
    assert any(sentence in c.text for c in paper.chunks)


def test_identify(paper_dir: Path) -> None:
    ident = identify_pdf(paper_dir / "fonts.pdf")
    assert ident.arxiv_id == ArxivId("2101.00001", 2)
    assert ident.title == TITLE
    assert ident.page_count == extract_pdf(paper_dir / "fonts.pdf").page_count
    plain = identify_pdf(paper_dir / "nostamp.pdf")
    assert plain.arxiv_id is None and plain.title == TITLE


# --- hostile inputs -------------------------------------------------------------


def _expect(path: Path, message: str) -> ExtractionError:
    with pytest.raises(ExtractionError) as info:
        extract_pdf(path)
    assert info.value.message.startswith(message)
    assert info.value.hint
    return info.value


def test_encrypted(tmp_path: Path) -> None:
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Secret text.")
    path = tmp_path / "locked.pdf"
    aes = pymupdf.PDF_ENCRYPT_AES_256  # type: ignore[attr-defined]
    doc.save(path, encryption=aes, user_pw="u", owner_pw="o")
    error = _expect(path, "The PDF is encrypted.")
    assert "password" in (error.hint or "")
    with pytest.raises(ExtractionError, match="encrypted"):
        identify_pdf(path)


def test_owner_password_only_still_reads(tmp_path: Path) -> None:
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Readable but print-locked text.")
    path = tmp_path / "owner.pdf"
    aes = pymupdf.PDF_ENCRYPT_AES_256  # type: ignore[attr-defined]
    doc.save(path, encryption=aes, owner_pw="o", permissions=0)
    assert "print-locked" in extract_pdf(path).text


def test_image_only(tmp_path: Path) -> None:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 40, 40), False)
    pix.set_rect(pix.irect, (200, 10, 10))
    page.insert_image(pymupdf.Rect(72, 72, 300, 300), pixmap=pix)
    path = tmp_path / "scan.pdf"
    doc.save(path)
    error = _expect(path, "The PDF has no text layer (scanned?).")
    assert "ocr" in (error.hint or "").lower()


def test_zero_byte_random_and_missing(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    _expect(empty, "The PDF is damaged and cannot be read (empty file).")
    noise = tmp_path / "noise.pdf"
    noise.write_bytes(random.Random(1).randbytes(5000))
    _expect(noise, "The PDF is damaged and cannot be read (not a PDF file).")
    html = tmp_path / "page.pdf"
    html.write_text("<html><body>Not found</body></html>")
    _expect(html, "The PDF is damaged")
    _expect(tmp_path / "missing.pdf", f"The PDF file {tmp_path / 'missing.pdf'} is missing.")


def test_pdf_header_then_garbage(tmp_path: Path) -> None:
    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"%PDF-1.7\n" + random.Random(2).randbytes(5000))
    with pytest.raises(ExtractionError) as info:
        extract_pdf(path)
    assert info.value.message.startswith(("The PDF is damaged", "The PDF has no pages."))


def test_no_pages(tmp_path: Path) -> None:
    path = tmp_path / "nopages.pdf"
    path.write_bytes(
        b"%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type/Pages/Kids[]/Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
    )
    _expect(path, "The PDF has no pages.")


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.9])
def test_truncated(tmp_path: Path, paper_dir: Path, fraction: float) -> None:
    data = (paper_dir / "fonts.pdf").read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: int(len(data) * fraction)])
    try:
        doc = extract_pdf(path)
    except ExtractionError as exc:
        assert exc.message.startswith(("The PDF is damaged", "The PDF has no"))
    else:
        assert doc.page_count >= 1


def test_failing_page_is_skipped_with_a_warning(paper_dir: Path) -> None:
    import pymupdf

    class FlakyDocument(pymupdf.Document):
        """A real document whose second page raises, as a damaged page does."""

        def load_page(self, page_id: Any = 0) -> Any:
            if page_id == 1:
                raise RuntimeError("code=2: invalid page object")
            return super().load_page(page_id)

    doc = FlakyDocument(str(paper_dir / "fonts.pdf"))
    warnings: list[str] = []
    pages = read_pages(doc, warnings)
    assert len(pages) == doc.page_count
    assert pages[1].failed and not pages[1].lines
    assert pages[0].lines and pages[2].lines
    assert warnings == ["Page 2 could not be read (invalid page object); skipped."]


def test_mupdf_stays_quiet(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj <</Type/Catalog/Pages 9 0 R>>\n" + b"x" * 300)
    with pytest.raises(ExtractionError):
        extract_pdf(path)
    assert "MuPDF" not in capfd.readouterr().err
