"""Annotations: anchoring quotes in page text, and keeping them across re-extraction."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, delete

from paperlab.annotations import (
    CONTEXT_CHARS,
    Anchor,
    add_annotation,
    annotation_tags,
    annotation_to_json,
    color_rgb,
    delete_annotation,
    list_annotations,
    locate,
    reanchor_annotations,
    update_annotation,
)
from paperlab.errors import NotFoundError, UsageError
from paperlab.store import Store
from paperlab.store.models import Annotation, Page, Paper

PAPER = "1608.03983"

PAGE1 = (
    "Abstract\nRestart techniques are common in gradient-free optimization to deal with\n"
    "multimodal functions. Partial warm restarts are also gaining popularity in gradient-\n"
    "based optimization to improve the rate of convergence in accelerated gradient schemes."
)
PAGE2 = (
    "We propose a simple warm restart technique for stochastic gradient descent to im-\n"
    "prove its anytime performance when training deep neural networks. The learning\n"
    "rate is reset. In this paper, the learning rate is reset to its initial value."
)
PAGE3 = "Figure 1: the learning   rate is reset every T_i epochs. Fine-tuning uses ﬁxed rates."


def seed(store: Store, pages: list[str], paper_id: str = PAPER) -> None:
    with store.write() as session:
        session.add(Paper(id=paper_id, title="SGDR", state="extracted"))
        session.flush()
        for number, text in enumerate(pages, start=1):
            session.add(Page(paper_id=paper_id, number=number, text=text))


def replace_pages(store: Store, pages: list[str], paper_id: str = PAPER) -> None:
    with store.write() as session:
        session.exec(delete(Page).where(col(Page.paper_id) == paper_id))
        for number, text in enumerate(pages, start=1):
            session.add(Page(paper_id=paper_id, number=number, text=text))


PAGES = [(1, PAGE1), (2, PAGE2), (3, PAGE3)]


def found_text(anchor: Anchor | None, pages: list[tuple[int, str]] = PAGES) -> str:
    assert anchor is not None
    return dict(pages)[anchor.page][anchor.start : anchor.end]


# --------------------------------------------------------------------------- locate


def test_locate_collapses_whitespace_and_line_breaks() -> None:
    anchor = locate(PAGES, "deal with multimodal   functions")
    assert anchor is not None and anchor.page == 1
    assert found_text(anchor) == "deal with\nmultimodal functions"


def test_locate_joins_words_hyphenated_at_a_line_break() -> None:
    anchor = locate(PAGES, "descent to improve its anytime performance")
    assert found_text(anchor) == "descent to im-\nprove its anytime performance"


def test_locate_keeps_real_hyphens_broken_at_a_line() -> None:
    # "gradient-\nbased" is the word "gradient-based" broken at its own hyphen.
    anchor = locate(PAGES, "popularity in gradient-based optimization")
    assert found_text(anchor) == "popularity in gradient-\nbased optimization"


def test_locate_accepts_the_pdf_viewers_copy_with_its_hyphen() -> None:
    anchor = locate(PAGES, "to im- prove its")
    assert found_text(anchor) == "to im-\nprove its"


def test_locate_falls_back_to_case_insensitive() -> None:
    anchor = locate(PAGES, "WE PROPOSE a simple")
    assert found_text(anchor) == "We propose a simple"


def test_locate_prefers_a_case_exact_occurrence() -> None:
    pages = [(1, "Warm restarts here."), (2, "and warm restarts there.")]
    assert locate(pages, "warm restarts") == Anchor(2, 4, 17)
    assert locate(pages, "Warm restarts") == Anchor(1, 0, 13)


def test_locate_matches_ligatures_and_typographic_quotes() -> None:
    assert found_text(locate(PAGES, "uses fixed rates")) == "uses ﬁxed rates"
    pages = [(1, "the so-called \u201cwarm restart\u201d trick")]
    anchor = locate(pages, 'so-called "warm restart"')
    assert found_text(anchor, pages) == "so-called \u201cwarm restart\u201d"


def test_locate_returns_none_when_absent() -> None:
    assert locate(PAGES, "batch normalization") is None
    assert locate(PAGES, "   ") is None
    assert locate([], "anything") is None


def test_repeated_quote_uses_the_page_hint_first() -> None:
    default = locate(PAGES, "the learning rate is reset")
    hinted = locate(PAGES, "the learning rate is reset", page_hint=3)
    assert default is not None and default.page == 2
    assert hinted is not None and hinted.page == 3


def test_repeated_quote_uses_context_to_choose() -> None:
    first = locate(PAGES, "learning rate is reset")
    second = locate(PAGES, "learning rate is reset", prefix="In this paper, the ")
    assert first is not None and second is not None
    assert (first.page, second.page) == (2, 2)
    assert second.start > first.start
    assert PAGE2[second.start - len("In this paper, the ") : second.start] == "In this paper, the "
    by_suffix = locate(PAGES, "learning rate is reset", suffix=" every T_i epochs")
    assert by_suffix is not None and by_suffix.page == 3


def test_clearly_better_context_beats_the_page_hint() -> None:
    pages = [(1, "x " + PAGE2), (2, PAGE3)]
    anchor = locate(
        pages, "learning rate is reset", prefix="Figure 1: the ", suffix=" every", page_hint=1
    )
    assert anchor is not None and anchor.page == 2
    same = [(1, "the learning rate is reset."), (2, "the learning rate is reset.")]
    assert locate(same, "learning rate is reset", prefix="the ", page_hint=2) == Anchor(2, 4, 26)


def test_page_hint_beats_a_stricter_match_elsewhere() -> None:
    pages = [(1, "Warm restarts."), (2, "warm restarts.")]
    assert locate(pages, "Warm restarts", page_hint=2) == Anchor(2, 0, 13)


def test_locate_on_text_extracted_by_pymupdf(tmp_path: Path) -> None:
    import pymupdf

    sentence = (
        "Stochastic gradient descent with warm restarts improves the anytime performance "
        "of deep neural networks, and snapshot ensembles come almost for free."
    )
    doc = pymupdf.open()
    for _ in range(2):
        page = doc.new_page(width=300, height=400)
        page.insert_textbox(pymupdf.Rect(20, 20, 280, 380), "Preamble text. " + sentence)
    path = tmp_path / "made.pdf"
    doc.save(path)
    doc.close()
    with pymupdf.open(path) as reopened:
        pages = [(i + 1, p.get_text()) for i, p in enumerate(reopened)]
    assert "\n" in pages[0][1].strip()  # the box wrapped the sentence over lines
    anchor = locate(pages, sentence, page_hint=2)
    assert anchor is not None and anchor.page == 2
    assert " ".join(found_text(anchor, pages).split()) == sentence


def test_locate_on_a_real_arxiv_pdf(shared_data: Path) -> None:
    import pymupdf

    pdf = shared_data / "pdfs" / "arxiv" / "1502.03167v2.pdf"
    with pymupdf.open(pdf) as doc:
        pages = [(i + 1, p.get_text()) for i, p in enumerate(doc)]
    source = pages[1][1]
    raw = source[200:420]
    # What a user pastes: one line, the viewer's hyphenation joined up.
    quote = " ".join(raw.replace("-\n", "").split())
    anchor = locate(pages, quote)
    assert anchor is not None and anchor.page == 2
    assert " ".join(source[anchor.start : anchor.end].replace("-\n", "").split()) == quote


# --------------------------------------------------------------------------- service


def test_add_annotation_stores_quote_context_and_offsets(store: Store) -> None:
    seed(store, [PAGE1, PAGE2, PAGE3])
    annotation = add_annotation(
        store,
        "arXiv:1608.03983v5",
        "warm restart technique for stochastic gradient descent",
        comment="The core idea.",
        color="Green",
        tags=["key", "key", " method "],
    )
    assert annotation.id is not None
    assert annotation.paper_id == PAPER
    assert annotation.page == 2
    assert annotation.char_start is not None and annotation.char_end is not None
    assert PAGE2[annotation.char_start : annotation.char_end] == annotation.quote
    assert annotation.quote == "warm restart technique for stochastic gradient descent"
    assert annotation.prefix == PAGE2[: annotation.char_start][-CONTEXT_CHARS:]
    assert annotation.suffix == PAGE2[annotation.char_end :][:CONTEXT_CHARS]
    assert annotation.color == "green"
    assert annotation_tags(annotation) == ["key", "method"]
    data = annotation_to_json(annotation)
    assert data["anchored"] is True and data["comment"] == "The core idea."


def test_add_annotation_stores_the_quote_as_found(store: Store) -> None:
    seed(store, [PAGE1, PAGE2])
    annotation = add_annotation(store, PAPER, "to improve its anytime")
    assert annotation.quote == "to im-\nprove its anytime"


def test_add_annotation_prefers_the_given_page(store: Store) -> None:
    seed(store, [PAGE1, PAGE2, PAGE3])
    # On pages 2 and 3: a new annotation is never anchored by guesswork.
    with pytest.raises(UsageError) as ambiguous:
        add_annotation(store, PAPER, "the learning rate is reset")
    assert "occurs twice" in ambiguous.value.message and "p. 3" in ambiguous.value.message
    assert add_annotation(store, PAPER, "the learning rate is reset", page=2).page == 2
    assert add_annotation(store, PAPER, "the learning rate is reset", page=3).page == 3
    assert add_annotation(store, PAPER, "the learning rate is reset", occurrence=2).page == 3
    # A wrong page hint (viewer labels differ from page numbers) still anchors.
    assert add_annotation(store, PAPER, "multimodal functions", page=3).page == 1


def test_quote_not_found_is_a_clear_error_with_a_hint(store: Store) -> None:
    seed(store, [PAGE1, PAGE2])
    with pytest.raises(NotFoundError) as info:
        add_annotation(store, PAPER, "We propose a simple cold restart technique", page=2)
    assert info.value.message == (f"The quote was not found in {PAPER} (page 2 or any other page).")
    assert info.value.hint is not None
    assert '"We propose a simple"' in info.value.hint and "page 2" in info.value.hint
    with pytest.raises(NotFoundError) as plain:
        add_annotation(store, PAPER, "batch normalization")
    assert plain.value.message == f"The quote was not found in {PAPER}."
    assert list_annotations(store, PAPER) == []


def test_paper_without_text_asks_to_index_it(store: Store) -> None:
    seed(store, [])
    with pytest.raises(UsageError) as info:
        add_annotation(store, PAPER, "anything")
    assert "no extracted text" in info.value.message
    assert info.value.hint == f"Extract it first: paperlab index {PAPER}"


def test_bad_inputs_are_usage_errors(store: Store) -> None:
    seed(store, [PAGE1])
    with pytest.raises(UsageError):
        add_annotation(store, PAPER, "  ")
    with pytest.raises(UsageError) as page:
        add_annotation(store, PAPER, "multimodal", page=7)
    assert "no page 7" in page.value.message
    with pytest.raises(UsageError) as colour:
        add_annotation(store, PAPER, "multimodal", color="yelow")
    assert colour.value.hint is not None and "yellow" in colour.value.hint
    with pytest.raises(NotFoundError):
        add_annotation(store, "1706.03762", "multimodal")


def test_colours_by_name_and_hex() -> None:
    assert color_rgb("#ff0000") == (1.0, 0.0, 0.0)
    assert color_rgb("yellow") != color_rgb("green")


def test_list_orders_by_page_then_offset(store: Store) -> None:
    seed(store, [PAGE1, PAGE2])
    late = add_annotation(store, PAPER, "anytime performance")
    early = add_annotation(store, PAPER, "We propose")
    first = add_annotation(store, PAPER, "Restart techniques")
    assert [a.id for a in list_annotations(store, PAPER)] == [first.id, early.id, late.id]


def test_update_and_delete(store: Store) -> None:
    seed(store, [PAGE1])
    annotation = add_annotation(store, PAPER, "multimodal functions", comment="old")
    assert annotation.id is not None
    updated = update_annotation(store, annotation.id, comment="new", tags=["a"])
    assert (updated.comment, updated.color, annotation_tags(updated)) == ("new", "yellow", ["a"])
    assert update_annotation(store, annotation.id, color="#00FF00").color == "#00ff00"
    delete_annotation(store, annotation.id)
    assert list_annotations(store, PAPER) == []
    with pytest.raises(NotFoundError):
        delete_annotation(store, annotation.id)
    with pytest.raises(NotFoundError):
        update_annotation(store, annotation.id, comment="x")


def test_reanchor_follows_moved_text_and_keeps_lost_annotations(store: Store) -> None:
    seed(store, [PAGE1, PAGE2, PAGE3])
    moved = add_annotation(store, PAPER, "warm restart technique", comment="keep me")
    second = add_annotation(store, PAPER, "learning rate is reset", page=3)
    doomed = add_annotation(store, PAPER, "multimodal functions", comment="precious")
    # A new version: a page inserted in front, page 1's sentence gone; the
    # quote of `second` now also occurs twice on its old page number.
    replace_pages(store, ["Title page", "Front matter", PAGE2.replace("\n", " "), PAGE3])
    report = reanchor_annotations(store, PAPER)
    assert (report.total, report.moved, report.lost) == (3, 2, (doomed.id,))
    rows = {a.id: a for a in list_annotations(store, PAPER)}
    assert rows[moved.id].page == 3 and rows[moved.id].comment == "keep me"
    assert rows[second.id].page == 4
    kept = rows[doomed.id]
    assert (kept.page, kept.char_start, kept.quote, kept.comment) == (
        None,
        None,
        "multimodal functions",
        "precious",
    )
    # Listing puts the unanchored one last.
    assert [a.id for a in list_annotations(store, PAPER)][-1] == doomed.id
    # Running it again changes nothing.
    again = reanchor_annotations(store, PAPER)
    assert (again.moved, again.unchanged, again.lost) == (0, 2, (doomed.id,))
    # The text comes back: the annotation is anchored again.
    replace_pages(store, [PAGE1, PAGE2, PAGE3])
    restored = reanchor_annotations(store, PAPER)
    assert restored.lost == ()
    with store.read() as session:
        row = session.get(Annotation, doomed.id)
        assert row is not None and row.page == 1


def test_reanchor_without_pages_touches_nothing(store: Store) -> None:
    seed(store, [PAGE1])
    annotation = add_annotation(store, PAPER, "multimodal functions")
    replace_pages(store, [])
    report = reanchor_annotations(store, PAPER)
    assert (report.total, report.pages, report.lost) == (1, 0, ())
    assert list_annotations(store, PAPER)[0].page == annotation.page
