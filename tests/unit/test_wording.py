"""Counts in words."""

from __future__ import annotations

import pytest

from paperlab.wording import counted


@pytest.mark.parametrize(
    ("n", "noun", "expected"),
    [
        (0, "paper", "0 papers"),
        (1, "paper", "1 paper"),
        (2, "paper", "2 papers"),
        (1, "entry", "1 entry"),
        (3, "entry", "3 entries"),
        (-1, "vector", "-1 vectors"),
    ],
)
def test_counted(n, noun, expected):
    assert counted(n, noun) == expected


def test_an_irregular_plural_can_be_given():
    assert counted(2, "datum", "data") == "2 data"
    assert counted(1, "datum", "data") == "1 datum"
