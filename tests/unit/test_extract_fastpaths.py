"""The quick paths in extraction give the answers of the plain code they replace."""

from __future__ import annotations

import gc
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperlab.errors import ExtractionError
from paperlab.extract import extract_pdf
from paperlab.extract.chunking import SPLIT_UNIT_WORDS, _cut_long
from paperlab.extract.cleanup import (
    _CHAR_MAP,
    _HYPHENATED,
    _SPACES,
    PageLayout,
    Row,
    _vocabulary,
    fix_text,
    join_lines,
)
from paperlab.extract.pdf import _line_from_dict
from paperlab.extract.sections import SquashedText, _loose_pattern, body_font_size, squash

# Letters that fold oddly under IGNORECASE or lower(), digits that are not
# decimal, separators that are and are not word characters.
TRICKY = "aAbiIsSkKz019\u0130\u0131\u017f\u212a\u00e9\u00df\u03a3\u03c3\u03c2\u00b2_-. \n\t"


DISGUISES = {"i": "I\u0130\u0131", "s": "S\u017f", "k": "K\u212a", "\u00df": "\u1e9e"}


@settings(max_examples=400, deadline=None)
@given(title=st.text(TRICKY, min_size=2, max_size=8), data=st.data())
def test_squashed_text_matches_like_the_loose_regex(title: str, data: Any) -> None:
    needle = squash(title)
    if len(needle) < 2:
        return
    # Text that holds the needle in disguise (other cases, folds, separators
    # between letters) amid random characters, so that matches are common.
    disguised = "".join(
        data.draw(st.sampled_from([ch, ch.upper(), *DISGUISES.get(ch, "")]))
        + data.draw(st.text(" -_.\n\u2003", max_size=2))
        for ch in needle
    )
    text = (
        data.draw(st.text(TRICKY, max_size=12)) + disguised + data.draw(st.text(TRICKY, max_size=6))
    )
    pattern = _loose_pattern(needle)
    squashed = SquashedText(text)
    for offset in range(len(text) + 1):
        assert squashed.match(needle, offset) == bool(pattern.match(text, offset)), offset
        found = pattern.search(text, offset)
        assert squashed.search(needle, offset) == (found.start() if found else None), offset


def test_squashed_text_on_headings() -> None:
    text = "Abstract\n1 I NTRODUCTION\nWe study the \u212aelvin scale. 2.1 Re-sults"
    squashed = SquashedText(text)
    assert squashed.match("1introduction", text.index("1 I"))
    assert not squashed.match("1introduction", text.index("I NTRO"))
    assert squashed.search("introduction", 0) == text.index("I NTRO")
    assert squashed.search("kelvin", 0) == text.index("\u212a")
    assert squashed.search("results", 0) == text.index("Re-sults")
    assert squashed.search("abstract", 1) is None


@settings(max_examples=300, deadline=None)
@given(st.text("ab Z1.\t\x00\x7f\u00ad\u00a0\u200b\ufb01\ufb03\u2003\n", max_size=30))
def test_fix_text_equals_the_full_translation(text: str) -> None:
    assert fix_text(text) == _SPACES.sub(" ", text.translate(_CHAR_MAP))


@settings(max_examples=300, deadline=None)
@given(st.text("abZ-- 1\n\u00e9", max_size=30))
def test_hyphenated_compounds_as_without_the_lookbehind(text: str) -> None:
    assert _HYPHENATED.findall(text) == re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)+", text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text("ab1.", min_size=1, max_size=3), max_size=450), st.data())
def test_cut_long_counts_words_as_the_regex_does(words: list[str], data: Any) -> None:
    gaps = data.draw(st.lists(st.sampled_from([" ", "  ", "\n", "\u2003", "\x1c", "\xa0"])))
    text = "".join(w + (gaps[i] if i < len(gaps) else " ") for i, w in enumerate(words))
    pieces = _cut_long(1, text, 0, len(text))
    total = len(re.findall(r"\S+", text))
    assert sum(words for _, _, words in pieces) == total
    if total <= SPLIT_UNIT_WORDS:
        assert pieces == [(0, len(text), total)]
    else:
        assert all(re.fullmatch(r"\S(?:.*\S)?", text[a:b], re.S) for a, b, _ in pieces)


def _span(text: str, size: float = 10.0, font: str = "Times-Roman", flags: int = 4) -> Any:
    return {"text": text, "size": size, "font": font, "flags": flags}


def _line(*spans: Any, direction: tuple[float, float] = (1.0, 0.0)) -> Any:
    return {"spans": list(spans), "dir": direction, "bbox": (1.0, 2.0, 3.0, 4.0)}


def test_line_size_and_weight_come_from_the_spans_with_letters() -> None:
    line = _line(
        _span("Intro", 12.0, "ABCDEF+NimbusRomNo9L-Medi"),
        _span(" "),
        _span("\u2211", 20.0),  # a big operator says nothing about the heading's size
        _span(" duction", 11.0, flags=4 | 16),
    )
    raw = _line_from_dict(line, 3)
    assert raw is not None
    assert (raw.text, raw.block, raw.size, raw.bold, raw.horizontal) == (
        "Intro \u2211 duction",
        3,
        12.0,
        True,  # "Medi" by name plus the bold flag: 13 of 13 letters
        True,
    )
    plain = _line_from_dict(_line(_span("a", 9.0, "X-Bold"), _span(" long body", 9.0)), 0)
    assert plain is not None and not plain.bold and plain.size == 9.0


def test_lines_without_letters_whitespace_or_direction() -> None:
    assert _line_from_dict(_line(_span("  "), _span("\t")), 0) is None
    assert _line_from_dict(_line(_span("")), 0) is None
    digits = _line_from_dict(_line(_span("12", 8.0), _span(" ", 9.0)), 0)
    assert digits is not None and (digits.size, digits.bold) == (9.0, False)
    single = _line_from_dict(_line(_span("42", 7.5)), 0)
    assert single is not None and single.size == 7.5
    rotated = _line_from_dict(_line(_span("arXiv"), direction=(0.0, -1.0)), 0)
    assert rotated is not None and not rotated.horizontal
    cache: dict[str, bool] = {}
    _line_from_dict(_line(_span("Text", font="F-Black")), 0, cache)
    assert cache == {"F-Black": True}


def test_body_size_ties_go_to_the_size_seen_first() -> None:
    layout = PageLayout(1, 800.0)
    layout.rows = [
        Row("x" * 10, 0, 9.1, False, 0.0, True, 1),
        Row("y" * 10, 0, 11.0, False, 0.0, True, 1),
        Row("z" * 10, 0, 8.9, False, 0.0, True, 1),
        Row("w" * 20, 0, 10.9, False, 0.0, True, 1),
    ]
    # Half points: 9.0 (9.1, 8.9) carries 20 characters, 11.0 (11.0, 10.9) 30.
    assert body_font_size([layout]) == 11.0
    layout.rows = layout.rows[:3]
    layout.rows.append(Row("v" * 10, 0, 11.2, False, 0.0, True, 1))
    assert body_font_size([layout]) == 9.0  # 20 each: the size met first wins


def test_vocabulary_builds_its_word_list_only_when_asked() -> None:
    vocab = _vocabulary(["the gradient-based method\nis gradient-", "free"])
    assert vocab.hyphenated == {"gradient-based"}
    assert vocab.words == set() and vocab.pending
    assert join_lines("the gradient-", "based", vocab) == ("the gradient-", "")
    assert "free" in vocab.words and not vocab.pending
    assert join_lines("repre-", "sentation", vocab) == ("repre", "")


@pytest.mark.parametrize("enabled", [True, False])
def test_cycle_collector_state_is_restored(tmp_path: Path, enabled: bool) -> None:
    import pymupdf

    good = tmp_path / "good.pdf"
    with pymupdf.open() as doc:
        doc.new_page().insert_text((72, 72), "Some text on a page.")
        doc.save(good)
    was = gc.isenabled()
    try:
        if not enabled:
            gc.disable()
        assert extract_pdf(good).chunks
        assert gc.isenabled() is enabled
        with pytest.raises(ExtractionError):
            extract_pdf(tmp_path / "missing.pdf")
        assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()
