"""The fast --json writer writes exactly what json.dumps(indent=2) writes."""

from __future__ import annotations

import enum
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from paperlab.jsontext import dumps


def reference(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


class Colour(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),  # any code point: quotes, backslashes, controls, astral
    st.sampled_from([Colour.RED, Level.HIGH, datetime(2024, 1, 2, 3, 4, 5), Path("a/b")]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=8), children, max_size=5),
        # keys json converts (numbers, booleans, None) or that are str subclasses
        st.dictionaries(st.one_of(st.integers(), st.booleans(), st.none()), children, max_size=3),
    ),
    max_leaves=40,
)


@settings(max_examples=500, deadline=None)
@given(values)
def test_same_text_as_json_dumps(value: Any) -> None:
    assert dumps(value) == reference(value)


def test_a_listing_record() -> None:
    record = {
        "id": "1706.03762",
        "version": 7,
        "title": 'Attention "Is" All You Need\n\u2028',
        "authors": ["Ashish Vaswani", "Noam Shazeer"],
        "year": 2017,
        "score": 0.5,
        "state_reason": None,
        "topics": [],
        "flags": {},
        "nested": {"a": [[], [1, [2, {}]]]},
        "read": True,
    }
    assert dumps([record, record]) == reference([record, record])
    assert dumps([]) == "[]" and dumps({}) == "{}"


def test_circular_values_fail_as_json_does() -> None:
    loop: list[Any] = []
    loop.append(loop)
    try:
        reference(loop)
    except ValueError as expected:
        want = str(expected)
    try:
        dumps(loop)
    except ValueError as got:
        assert str(got) == want
    else:
        raise AssertionError("a circular value was written")
