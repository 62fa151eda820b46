"""The reader's plain parts: paragraph spans, find results, the browser's filter,
highlight kinds, cross-paper annotations and the remembered reading position."""

from __future__ import annotations

import pytest

from paperlab.annotation_views import browse_annotations, validate_highlight_kind
from paperlab.annotations import add_annotation
from paperlab.errors import UsageError
from paperlab.readingposition import ReadingPosition, load_position, save_position
from paperlab.store import Store
from paperlab.store.models import Page, Paper
from paperlab.tui.screens.annotations_browser import matches, parse_filter
from paperlab.tui.screens.reader_find import FindResults
from paperlab.tui.widgets.page_view import paragraph_span

PAGE = (
    "1 Introduction\nFirst block, one paragraph. Two sentences.\nSecond block here.\n\nAfter a gap."
)


def span_text(at: int) -> str:
    start, end = paragraph_span(PAGE, at)
    return PAGE[start:end]


def test_paragraph_span_is_the_line_around_the_cursor() -> None:
    assert span_text(PAGE.index("one paragraph")) == "First block, one paragraph. Two sentences."
    assert span_text(PAGE.index("First")) == "First block, one paragraph. Two sentences."
    # At the line's end (on its line break) it is still that line.
    assert span_text(PAGE.index("\nSecond")) == "First block, one paragraph. Two sentences."
    assert span_text(0) == "1 Introduction"
    assert span_text(len(PAGE)) == "After a gap."
    blank = PAGE.index("\n\n") + 1
    assert paragraph_span(PAGE, blank) == (blank, blank)


def test_find_counts_and_wraps_both_ways() -> None:
    pages = {1: "Attention here. attention\nthere.", 2: "No match.", 3: "ATTENTION at last"}
    find = FindResults()
    assert find.search(pages, "attention", from_page=2)
    assert find.current == (3, 0, 9) and find.label() == "“attention”: match 3 of 3"
    assert find.step(1) == (1, 0, 9)
    assert find.step(-1) == (3, 0, 9)
    assert find.step(-1) == (1, 16, 25)
    assert not find.search(pages, "transformer", from_page=1)
    assert find.label() == "" and find.current is None
    # Words match across line breaks and runs of spaces.
    assert find.search(pages, "attention   there", from_page=1)
    assert find.current == (1, 16, 31)


def test_highlight_kinds_are_validated_with_a_guess() -> None:
    assert validate_highlight_kind("Key claim") == "key-claim"
    assert validate_highlight_kind("to") == "to-cite"
    with pytest.raises(UsageError) as error:
        validate_highlight_kind("qustion")
    assert "Did you mean question?" in (error.value.hint or "")


@pytest.fixture
def two_papers(store: Store) -> Store:
    with store.write() as s:
        for pid, title, text in [
            ("2001.00001", "Beta paper", "Alpha claims here. A question there."),
            ("2001.00002", "Alpha paper", "Something to cite. Nothing else."),
        ]:
            s.add(Paper(id=pid, version=1, title=title, authors="[]", state="indexed"))
            s.flush()
            s.add(Page(paper_id=pid, number=1, text=text))
    add_annotation(store, "2001.00001", "Alpha claims", kind="key-claim", tags=["Core"])
    add_annotation(store, "2001.00001", "A question", kind="question", comment="why?")
    add_annotation(store, "2001.00002", "Something to cite", kind="to-cite", tags=["core"])
    return store


def test_browse_annotations_by_kind_and_tag(two_papers: Store) -> None:
    every = browse_annotations(two_papers)
    # By paper title, then page order.
    assert [(p.title, p.annotation.kind) for p in every] == [
        ("Alpha paper", "to-cite"),
        ("Beta paper", "key-claim"),
        ("Beta paper", "question"),
    ]
    assert [p.annotation.quote for p in browse_annotations(two_papers, kind="question")] == [
        "A question"
    ]
    core = browse_annotations(two_papers, tag="CORE")
    assert [p.annotation.paper_id for p in core] == ["2001.00002", "2001.00001"]
    assert browse_annotations(two_papers, kind="to-cite", tag="nothing") == []
    tags, words = parse_filter("#core why tag:Core")
    assert tags == ["core", "core"] and words == ["why"]
    assert [p.annotation.quote for p in every if matches(p, None, [], ["why"])] == ["A question"]
    assert [p.title for p in every if matches(p, None, ["core"], ["alpha"])] == [
        "Alpha paper",
        "Beta paper",
    ]
    assert [p.title for p in every if matches(p, "key-claim", ["core"], [])] == ["Beta paper"]


def test_reading_position_round_trip_one_row_per_paper(two_papers: Store) -> None:
    assert load_position(two_papers, "2001.00001") is None
    save_position(two_papers, ReadingPosition("2001.00001", page=3, scroll_y=12, cursor=40))
    save_position(two_papers, ReadingPosition("2001.00001", page=4, scroll_y=0, cursor=7))
    found = load_position(two_papers, "2001.00001")
    assert found is not None and (found.page, found.scroll_y, found.cursor) == (4, 0, 7)
    assert found.updated_at is not None and found.updated_at.tzinfo is not None
    save_position(two_papers, ReadingPosition("2001.00002", page=0, scroll_y=-3, cursor=-1))
    clamped = load_position(two_papers, "2001.00002")
    assert clamped is not None and (clamped.page, clamped.scroll_y, clamped.cursor) == (1, 0, 0)
    with two_papers.connect() as conn:
        count = conn.execute("SELECT COUNT(*) FROM reading_position").first()
    assert count == (2,)


def test_removing_a_paper_forgets_where_it_was_read(two_papers: Store) -> None:
    from paperlab.removing import plan_removal, remove_papers
    from paperlab.settings import load_settings

    save_position(two_papers, ReadingPosition("2001.00002", page=2))
    save_position(two_papers, ReadingPosition("2001.00001", page=5))
    remove_papers(two_papers, load_settings(), plan_removal(two_papers, ["2001.00002"]))
    assert load_position(two_papers, "2001.00002") is None
    kept = load_position(two_papers, "2001.00001")
    assert kept is not None and kept.page == 5
