"""Sentence splitting and chunking on text built in the tests (no PDF needed)."""

from __future__ import annotations

import hashlib
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from paperlab.extract import PageText, Section, split_sentences
from paperlab.extract.chunking import MAX_WORDS, chunk_pages, content_hash, normalise


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def test_abbreviations_initials_and_numbers_do_not_end_sentences() -> None:
    text = (
        "Smith et al. (2020) report 3.14 points, e.g. on ImageNet. "
        "See Fig. 3 and Eq. (2) for details. J. R. R. Tolkien wrote it, i.e. Tolkien. "
        "Accuracy rose to 91.5% in Sec. 4! Does it hold? Yes."
    )
    assert sentences(text) == [
        "Smith et al. (2020) report 3.14 points, e.g. on ImageNet.",
        "See Fig. 3 and Eq. (2) for details.",
        "J. R. R. Tolkien wrote it, i.e. Tolkien.",
        "Accuracy rose to 91.5% in Sec. 4!",
        "Does it hold?",
        "Yes.",
    ]


def test_newline_is_a_boundary_and_spans_are_trimmed() -> None:
    text = "  Heading one\nA sentence here. Another one.  \n\nTail"
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == [
        "Heading one",
        "A sentence here.",
        "Another one.",
        "Tail",
    ]


def test_lowercase_after_period_is_not_a_boundary() -> None:
    assert sentences("We use approx. ten runs. then stop.") == [
        "We use approx. ten runs. then stop."
    ]


def _body(n: int, tag: str) -> str:
    return " ".join(
        f"Sentence {i} of {tag} says that the method works well in case {i}." for i in range(n)
    )


def _doc() -> tuple[list[PageText], list[Section], tuple[int, int]]:
    page1 = "1 Introduction\n" + _body(30, "intro")
    page2 = _body(25, "intro") + "\n2 Method\n" + _body(40, "method")
    refs = "References\n" + "\n".join(
        f"[{i}] A. Author. Title {i}. Venue, 2020." for i in range(40)
    )
    page3 = refs + "\nA Appendix\n" + _body(20, "appendix")
    pages = [PageText(1, page1), PageText(2, page2), PageText(3, page3)]
    sections = [
        Section("1 Introduction", 1, 1, 0),
        Section("2 Method", 1, 2, page2.index("2 Method")),
        Section("References", 1, 3, 0),
        Section("A Appendix", 1, 3, page3.index("A Appendix")),
    ]
    return pages, sections, (3, page3.index("A Appendix"))


def test_chunks_anchor_exactly_and_respect_references() -> None:
    pages, sections, ref_end = _doc()
    chunks = chunk_pages(pages, sections, (3, 0), ref_end)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        first = pages[chunk.page_start - 1].text
        assert chunk.text.startswith(first[chunk.char_start : chunk.char_start + 40])
        last = pages[chunk.page_end - 1].text[: chunk.char_end]
        assert chunk.text.endswith(last[-40:])
        assert chunk.content_hash == hashlib.sha256(normalise(chunk.text).encode()).hexdigest()
        assert len(chunk.text.split()) <= MAX_WORDS + 60
        if chunk.is_reference:
            assert chunk.section == "References"
            assert "says that" not in chunk.text
        else:
            assert "[3] A. Author" not in chunk.text
    refs = [c for c in chunks if c.is_reference]
    assert refs and refs[0].page_start == 3 and refs[0].char_start == 0
    appendix = [c for c in chunks if c.section == "A Appendix"]
    assert appendix and not any(c.is_reference for c in appendix)
    # The introduction runs over the page break into page 2.
    assert any(c.page_start == 1 and c.page_end == 2 for c in chunks)


def test_chunk_sizes_and_overlap() -> None:
    pages, sections, ref_end = _doc()
    chunks = [c for c in chunk_pages(pages, sections, (3, 0), ref_end) if not c.is_reference]
    sizes = [len(c.text.split()) for c in chunks]
    assert sum(150 <= s <= 300 for s in sizes) >= len(sizes) * 0.6
    same_section = [(a, b) for a, b in itertools.pairwise(chunks) if a.section == b.section]
    assert same_section
    for a, b in same_section:
        # The next chunk begins with the last sentence(s) of the previous one.
        assert b.text.split(".")[0] in a.text


def test_content_hash_ignores_whitespace_only() -> None:
    assert content_hash("a  b\nc") == content_hash("a b c")
    assert content_hash("a b c") != content_hash("a b d")


def test_no_sections_gives_none_and_empty_pages_are_fine() -> None:
    pages = [PageText(1, ""), PageText(2, _body(5, "x")), PageText(3, "")]
    chunks = chunk_pages(pages, [])
    assert len(chunks) == 1
    assert chunks[0].section is None and chunks[0].page_start == 2


def test_one_giant_sentence_is_cut() -> None:
    text = " ".join(f"word{i}" for i in range(1000))
    chunks = chunk_pages([PageText(1, text)], [])
    assert len(chunks) >= 4
    assert all(len(c.text.split()) <= MAX_WORDS for c in chunks)
    assert chunks[-1].text.endswith("word999")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from("abc Def. e.g. 3.1 ?!\n"), min_size=0, max_size=400),
        min_size=1,
        max_size=4,
    )
)
def test_offsets_round_trip_on_any_text(texts: list[str]) -> None:
    pages = [PageText(i + 1, t) for i, t in enumerate(texts)]
    chunks = chunk_pages(pages, [])
    words = sum(len(t.split()) for t in texts)
    if words:
        assert chunks
    for chunk in chunks:
        start = pages[chunk.page_start - 1].text
        head = start[chunk.char_start : chunk.char_start + min(20, len(chunk.text))]
        assert head and chunk.text.startswith(head)
        assert chunk.text.strip() and chunk.page_start <= chunk.page_end
    # Every word of the input is in some chunk.
    covered = {w for c in chunks for w in c.text.split()}
    assert all(w in covered for t in texts for w in t.split())
