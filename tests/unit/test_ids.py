"""arXiv identifiers: every accepted spelling, every rejection, property tests."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperlab.errors import InvalidIdError
from paperlab.ids import OLD_ARCHIVES, ArxivId, find_id_in_text, parse_arxiv_id

ACCEPTED = {
    "1706.03762": ("1706.03762", None),
    "1706.03762v5": ("1706.03762", 5),
    "0704.0001": ("0704.0001", None),
    "1412.6980v9": ("1412.6980", 9),
    "2104.12255v1": ("2104.12255", 1),
    "hep-th/9901001": ("hep-th/9901001", None),
    "hep-th/9901001v2": ("hep-th/9901001", 2),
    "math.GT/0309136v2": ("math/0309136", 2),
    "math/9404236": ("math/9404236", None),
    "arXiv:1706.03762": ("1706.03762", None),
    "arxiv:1706.03762v2": ("1706.03762", 2),
    "ARXIV: hep-th/9901001": ("hep-th/9901001", None),
    "  1706.03762  ": ("1706.03762", None),
    "https://arxiv.org/abs/1706.03762v5": ("1706.03762", 5),
    "http://arxiv.org/abs/hep-th/9901001": ("hep-th/9901001", None),
    "https://arxiv.org/pdf/1706.03762": ("1706.03762", None),
    "https://arxiv.org/pdf/1706.03762v1.pdf": ("1706.03762", 1),
    "https://export.arxiv.org/abs/math.GT/0309136": ("math/0309136", None),
    "arxiv.org/abs/1608.03983": ("1608.03983", None),
    "https://www.arxiv.org/abs/1608.03983v3/": ("1608.03983", 3),
}

REJECTED = [
    "",
    "abc",
    "1706.0376",  # too short
    "1706.037622",  # too long
    "1501.1234",  # four digits after 2014
    "1412.12345",  # five digits before 2015
    "0703.0001",  # new style began in April 2007
    "1713.00001",  # month 13
    "1706.03762v0",
    "1706.03762v",
    "hep-th/990100",
    "hep-th/9913001",  # month 13
    "nonsense/9901001",
    "hep-th/0801001",  # old style ended in March 2007
    "https://example.com/abs/1706.03762",
    "https://arxiv.org/list/cs.LG/recent",
    "1706.03762; rm -rf /",
    "../../etc/passwd",
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED.items())
def test_accepted_spellings(text: str, expected: tuple[str, int | None]) -> None:
    parsed = parse_arxiv_id(text)
    assert (parsed.base, parsed.version) == expected


@pytest.mark.parametrize("text", REJECTED)
def test_rejections_name_the_input(text: str) -> None:
    with pytest.raises(InvalidIdError) as info:
        parse_arxiv_id(text)
    assert repr(text)[:40].strip("'") in info.value.message
    assert info.value.hint and "1706.03762" in info.value.hint


def test_file_stems_are_safe_for_old_style_ids() -> None:
    assert parse_arxiv_id("hep-th/9901001v2").file_stem() == "hep-th_9901001v2"
    assert parse_arxiv_id("1706.03762").file_stem() == "1706.03762"


def test_find_id_in_stamp_text() -> None:
    stamp = "arXiv:1608.03983v5  [cs.LG]  3 May 2017"
    assert find_id_in_text(stamp) == ArxivId("1608.03983", 5)
    assert find_id_in_text("see arXiv:math.GT/0309136 for details") == ArxivId("math/0309136")
    assert find_id_in_text("no identifier here") is None


new_style = st.builds(
    lambda year, month, number, version: (
        f"{year:02d}{month:02d}.{number:0{4 if year < 15 else 5}d}",
        version,
    ),
    st.integers(8, 30),
    st.integers(1, 12),
    st.integers(1, 9999),
    st.one_of(st.none(), st.integers(1, 30)),
)
old_style = st.builds(
    lambda archive, year, month, number, version: (
        f"{archive}/{year % 100:02d}{month:02d}{number:03d}",
        version,
    ),
    st.sampled_from(sorted(OLD_ARCHIVES)),
    st.integers(1992, 2006),
    st.integers(1, 12),
    st.integers(1, 999),
    st.one_of(st.none(), st.integers(1, 30)),
)


@given(
    st.one_of(new_style, old_style),
    st.sampled_from(
        ["{}", "arXiv:{}", "https://arxiv.org/abs/{}", "https://arxiv.org/pdf/{}.pdf", " {} "]
    ),
)
def test_round_trip_through_every_spelling(ident: tuple[str, int | None], form: str) -> None:
    base, version = ident
    text = base + (f"v{version}" if version else "")
    parsed = parse_arxiv_id(form.format(text))
    assert parsed.base == base and parsed.version == version
    assert str(parsed) == text
    assert parse_arxiv_id(str(parsed)) == parsed
    stem = parsed.file_stem()
    assert "/" not in stem and "\\" not in stem and not stem.startswith(".")


@given(st.text(max_size=40))
def test_arbitrary_text_parses_or_raises_invalid_id(text: str) -> None:
    try:
        parsed = parse_arxiv_id(text)
    except InvalidIdError as exc:
        assert exc.message.endswith("is not an arXiv identifier.")
    else:
        assert parse_arxiv_id(str(parsed)) == parsed
