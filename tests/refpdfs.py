"""Generated PDFs with a known reference list, written with PyMuPDF."""

from __future__ import annotations

from collections.abc import Sequence


def paper_with_references(
    title: str,
    body: str,
    references: Sequence[str],
    stamp: str | None = None,
    *,
    heading: str = "References",
) -> bytes:
    """A two-page paper: title and body on page 1, the reference list on page 2.

    Each entry is its own text block with a hanging indent, as LaTeX sets them.
    """
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_textbox(pymupdf.Rect(72, 60, 540, 130), title, fontsize=16, align=1)
    if stamp:
        page.insert_text((30, 600), stamp, fontsize=14, rotate=90, color=(0.5, 0.5, 0.5))
    page.insert_textbox(pymupdf.Rect(72, 140, 540, 300), "1 Introduction", fontsize=12)
    page.insert_textbox(pymupdf.Rect(72, 160, 540, 740), body, fontsize=10)
    page = doc.new_page(width=612, height=792)
    page.insert_text((72, 80), heading, fontsize=13, fontname="hebo")
    top = 100.0
    for entry in references:
        rect = pymupdf.Rect(72, top, 540, top + 60)
        spare = page.insert_textbox(rect, entry, fontsize=9)
        used = 60 - spare if spare >= 0 else 60
        top += used + 8
    doc.set_metadata({"title": title})
    data: bytes = doc.tobytes(garbage=3, deflate=True)
    doc.close()
    return data
