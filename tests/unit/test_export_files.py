"""Obsidian vault, annotated PDF and theme grouping (the library map: test_libmap.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlmodel import select

from paperlab.errors import NotFoundError
from paperlab.export import select_papers
from paperlab.export.annotated_pdf import annotate_pdf
from paperlab.export.maplayout import pca_2d
from paperlab.export.themes import choose_k, key_terms, kmeans
from paperlab.export.vault import MARKER, export_vault
from paperlab.rekeying import rekey
from paperlab.settings import load_settings
from paperlab.store.models import Note, Paper
from tests.unit.test_export_helpers import PAGE_TEXT, build_library, make_pdf


def test_vault_front_matter_links_and_kept_user_text(store, tmp_path):
    build_library(store)
    vault = tmp_path / "vault"
    result = export_vault(store, select_papers(store), vault)
    assert "vaswani2017attention.md" in result.created
    assert "topics/nlp.md" in result.created
    text = (vault / "vaswani2017attention.md").read_text(encoding="utf-8")
    assert text.startswith('---\nid: "1706.03762"\ntitle: "Attention Is All You Need"\n')
    assert 'authors: ["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"]' in text
    assert 'tags: ["nlp"]\ncitekey: "vaswani2017attention"\nstate: "read"' in text
    assert "[[nlp|Natural language processing]]" in text
    assert "## Key contributions\n\n- The Transformer architecture" in text
    assert "> based solely on attention mechanisms\n> — p. 2" in text
    assert "[[vaswani2017attention|Attention Is All You Need]]" in (
        vault / "topics" / "nlp.md"
    ).read_text(encoding="utf-8")
    hostile = (vault / "nunez2021braces.md").read_text(encoding="utf-8")
    assert 'title: "Braces {x} & 100% of $\\\\Lambda_{\\\\alpha}$' in hostile  # YAML-quoted

    # The user writes below the marker; the note changes; export again.
    path = vault / "vaswani2017attention.md"
    path.write_text(path.read_text() + "My own thoughts: try it on graphs.\n", encoding="utf-8")
    with store.write() as s:
        note = s.get(Note, 1)
        note.summary = "A new summary."
        s.add(note)
    again = export_vault(store, select_papers(store), vault)
    assert "vaswani2017attention.md" in again.updated
    text = path.read_text(encoding="utf-8")
    assert "A new summary." in text and "Replaces recurrence" not in text
    assert text.count(MARKER) == 1
    assert text.endswith("My own thoughts: try it on graphs.\n")

    # A file whose marker the user deleted is never overwritten.
    topic = vault / "topics" / "nlp.md"
    topic.write_text("hand-written topic page\n", encoding="utf-8")
    third = export_vault(store, select_papers(store), vault)
    assert "topics/nlp.md" in third.kept_whole
    assert topic.read_text(encoding="utf-8").endswith("hand-written topic page\n")


def _paper_with_pdf(store, tmp_path: Path) -> Path:
    build_library(store)
    settings = load_settings()
    settings.pdf_dir.mkdir(parents=True, exist_ok=True)
    pdf = make_pdf(settings.pdf_dir / "1706.03762v5.pdf", PAGE_TEXT["1706.03762"])
    with store.write() as s:
        paper = s.get(Paper, "1706.03762")
        paper.pdf_path = str(pdf.relative_to(settings.home))  # as fetching stores it
        s.add(paper)
    return pdf


def test_annotated_pdf_has_a_highlight_over_each_quote(store, tmp_path):
    import pymupdf

    _paper_with_pdf(store, tmp_path)
    out = tmp_path / "out" / "annotated.pdf"
    result = annotate_pdf(store, load_settings(), "vaswani2017attention", out)
    assert result.placed == 2
    assert [m.quote for m in result.missing] == ["text that is nowhere in the PDF"]
    with pymupdf.open(out) as doc:
        found = {}
        for page in doc:
            for annot in page.annots():
                assert annot.type[1] == "Highlight"
                covered = page.get_textbox(annot.rect)
                found[page.number + 1] = (" ".join(covered.split()), annot.info["content"])
    assert "based solely on attention mechanisms" in found[2][0]
    assert found[2][1] == "The core claim & 100%"
    assert "complex recurrent networks" in found[1][0]


def test_annotated_pdf_names_whose_highlight_it_is(store, tmp_path, monkeypatch):
    """PDF viewers show a highlight's title as its author: the owner, also for a
    colleague's shared highlight in a lab."""
    import pymupdf

    from paperlab.annotations import add_annotation

    _paper_with_pdf(store, tmp_path)
    me = os.environ["PAPERLAB_USER"]
    monkeypatch.setenv("PAPERLAB_USER", "bob")
    add_annotation(store, "1706.03762", "sequence transduction", page=1, shared=True)
    monkeypatch.setenv("PAPERLAB_USER", me)
    out = tmp_path / "annotated.pdf"
    assert annotate_pdf(store, load_settings(), "vaswani2017attention", out).placed == 3
    with pymupdf.open(out) as doc:
        authors = sorted(a.info["title"] for page in doc for a in page.annots())
    assert authors == sorted([me, me, "bob"])


def test_annotated_pdf_quote_across_a_line_break(store, tmp_path):
    import pymupdf

    build_library(store)
    words = [
        "alpha",
        "beta",
        "gamma",
        "delta",
        "epsilon",
        "zeta",
        "eta",
        "theta",
        "iota",
        "kappa",
        "lambda",
        "mu",
    ]
    pdf = tmp_path / "wrapped.pdf"
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((50, 100), " ".join(words[:6]) + " hyphen-")
    page.insert_text((50, 115), "ated " + " ".join(words[6:]))
    doc.save(pdf)
    doc.close()
    from paperlab.store.models import Annotation

    quote = " ".join(words[:6]) + " hyphenated " + " ".join(words[6:])
    with store.write() as s:
        paper = s.get(Paper, "1312.5602")
        paper.pdf_path = str(pdf)
        s.add(paper)
        s.add(Annotation(paper_id="1312.5602", quote=quote, page=1))
    result = annotate_pdf(store, load_settings(), "1312.5602", tmp_path / "o.pdf")
    assert result.placed == 1 and not result.missing
    with pymupdf.open(tmp_path / "o.pdf") as out:
        first = out[0]  # keep the page alive while its annotations are read
        heights = [annot.rect.height for annot in first.annots()]
    assert len(heights) == 1
    assert heights[0] > 20  # spans both lines


def test_annotated_pdf_without_a_pdf_is_a_clear_error(store, tmp_path):
    build_library(store)
    with pytest.raises(NotFoundError, match="has no PDF"):
        annotate_pdf(store, load_settings(), "1706.03762", tmp_path / "x.pdf")


def test_theme_helpers():
    import numpy as np

    assert [choose_k(n) for n in (1, 3, 4, 8, 9, 18, 500)] == [1, 1, 2, 2, 3, 3, 8]
    vectors = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], dtype=np.float32)
    labels = kmeans(vectors, 2)
    assert labels[0] == labels[1] != labels[2] == labels[3]
    assert labels == kmeans(vectors, 2)  # deterministic
    docs = ["graph nodes edges", "graph nodes message", "policy reward agent", "policy agent"]
    assert key_terms(docs, [[0, 1], [2, 3]], top=2) == [["graph", "nodes"], ["agent", "policy"]]
    flat = pca_2d(np.ones((3, 4), dtype=np.float32))
    assert flat.shape == (3, 2) and not flat.any()


def test_vault_leaves_unchanged_notes_alone_and_follows_a_rekey(store, tmp_path):
    build_library(store)
    vault = tmp_path / "vault"
    first = export_vault(store, select_papers(store), vault)
    path = vault / "vaswani2017attention.md"
    path.write_text(path.read_text() + "Mine: compare with [[vaswani2017attention]].\n")
    before = path.stat().st_mtime_ns
    again = export_vault(store, select_papers(store), vault)
    assert again.updated == [] and again.created == []  # nothing changed, nothing counted
    assert sorted(again.unchanged) == sorted(first.created)
    assert path.stat().st_mtime_ns == before  # and nothing rewritten

    (vault / "journal.md").write_text("See [[vaswani2017attention|the paper]] and [[other]].\n")
    rekey(store, "1706.03762", "transformer2017")
    third = export_vault(store, select_papers(store), vault)
    assert third.renamed == [("vaswani2017attention.md", "transformer2017.md")]
    assert not path.exists()
    moved = (vault / "transformer2017.md").read_text(encoding="utf-8")
    assert moved.count(MARKER) == 1 and 'citekey: "transformer2017"' in moved
    assert moved.endswith("Mine: compare with [[transformer2017]].\n")
    journal = (vault / "journal.md").read_text(encoding="utf-8")
    assert journal == "See [[transformer2017|the paper]] and [[other]].\n"
    assert "journal.md" in third.updated and "topics/nlp.md" in third.updated
    assert "[[transformer2017|" in (vault / "topics" / "nlp.md").read_text(encoding="utf-8")


def test_highlight_kinds_show_in_the_vault_and_the_annotated_pdf(store, tmp_path):
    import pymupdf

    from paperlab.store.models import Annotation

    _paper_with_pdf(store, tmp_path)
    with store.write() as s:
        for ann in s.exec(select(Annotation)).all():
            if ann.quote == "based solely on attention mechanisms":
                ann.kind = "key-claim"
            elif ann.quote == "complex recurrent networks":
                ann.kind = "question"
            s.add(ann)
    vault = tmp_path / "vault"
    export_vault(store, select_papers(store), vault)
    text = (vault / "vaswani2017attention.md").read_text(encoding="utf-8")
    assert "> based solely on attention mechanisms\n> — p. 2 · Key claim" in text
    assert "> complex recurrent networks\n> — p. 1 · Question" in text
    assert "> text that is nowhere in the PDF\n> — p. 1\n" in text  # a plain highlight: as before

    out = tmp_path / "out" / "annotated.pdf"
    annotate_pdf(store, load_settings(), "vaswani2017attention", out)
    with pymupdf.open(out) as doc:
        popups = sorted(a.info["content"] for page in doc for a in page.annots())
    assert popups == ["Key claim: The core claim & 100%", "Question: complex recurrent networks"]
