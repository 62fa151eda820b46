"""Character cleanup, line joining and heading rules on hand-made inputs."""

from __future__ import annotations

import pytest

from paperlab.extract.cleanup import Row, Vocabulary, fix_text, join_lines
from paperlab.extract.sections import heading_of, is_references_title


def test_ligatures_soft_hyphens_and_control_characters() -> None:
    assert fix_text("e\ufb03cient \ufb01rst \ufb02ow o\ufb00 ba\ufb04e \ufb05 \ufb06") == (
        "efficient first flow off baffle st st"
    )
    assert fix_text("soft\u00adhyphen\x00 and\ttab  spaces") == "softhyphen and tab spaces"


VOCAB = Vocabulary(hyphenated={"gradient-based"}, words={"gradient", "based"})


@pytest.mark.parametrize(
    ("previous", "following", "expected"),
    [
        ("a good repre-", "sentation of", "a good representation of"),
        ("new state-of-the-", "art results", "new state-of-the-art results"),
        ("the gradient-", "based method", "the gradient-based method"),
        ("on CIFAR-", "10 data", "on CIFAR-10 data"),
        ("plain end", "next line", "plain end next line"),
        ("a dash --", "next", "a dash -- next"),
        ("see Smith-", "Jones", "see Smith-Jones"),
    ],
)
def test_join_lines(previous: str, following: str, expected: str) -> None:
    joined, separator = join_lines(previous, following, VOCAB)
    assert joined + separator + following == expected


def _row(text: str, size: float = 10.0, bold: bool = False, rows: int = 1) -> Row:
    return Row(text, 0, size, bold, 100.0, True, rows)


@pytest.mark.parametrize(
    ("text", "size", "bold", "expected"),
    [
        ("1 Introduction", 10.0, True, ("1 Introduction", 1)),
        ("2.1 Method details", 12.0, False, ("2.1 Method details", 2)),
        ("A Proofs of the theorems", 10.0, True, ("A Proofs of the theorems", 1)),
        ("I. OVERVIEW OF VARIATIONAL RG", 9.0, False, ("I. OVERVIEW OF VARIATIONAL RG", 1)),
        ("References", 10.0, False, ("References", 1)),
        ("1 We propose a method", 10.0, False, None),  # numbered but body style
        ("Figure 3: Results", 10.0, True, None),
        ("3 1.5 2.7", 10.0, True, None),
        ("A Very Large Display Line", 16.0, False, ("A Very Large Display Line", 1)),
    ],
)
def test_heading_rules(
    text: str, size: float, bold: bool, expected: tuple[str, int] | None
) -> None:
    assert heading_of(text, _row(text, size, bold), 10.0) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("References", True),
        ("REFERENCES", True),
        ("7 References", True),
        ("Bibliography", True),
        ("References and Notes", True),
        ("Referenced work is good", False),
        ("A References", False),
    ],
)
def test_references_titles(title: str, expected: bool) -> None:
    assert is_references_title(title) is expected
