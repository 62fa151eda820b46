"""Short labels for the map and a place for each where it overlaps nothing.

A label is the first author's surname, the year and a few title words
("Vaswani 2017 · Attention Is All"). Labels are measured with Helvetica's
real metrics (PyMuPDF's built-in font, the one the PNG is rendered with;
Arial and Liberation Sans share them) and placed greedily: each paper tries
eight spots around its dot, then eight farther out with a leader line; a
spot that would cover another label or dot, or leave the plot, is refused.
A paper with no free spot keeps its dot and its hover text, and no label:
a dense map stays readable instead of becoming a smudge.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

_LEADING = {"a", "an", "the", "on", "towards", "toward"}
_TRAILING = {
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "is", "of", "on",
    "or", "the", "to", "via", "with", "without", "are", "using",
}  # fmt: skip
FONT_SIZE = 10.0
DOT_RADIUS = 5.0
GAP = 3.0  # between a dot and its label
# Room reserved beyond Helvetica's width: where neither Helvetica, Arial nor a
# metric twin (Liberation Sans, Nimbus Sans) is installed, SVG viewers fall back
# to DejaVu Sans, measured 12-13% wider on labels like these.
WIDER = 1.14


_TEX_COMMAND = re.compile(r"\\[a-zA-Z]+\*?")


def plain_title(title: str) -> str:
    """A title without TeX markup: ``$p$-adic`` reads p-adic, ``\\emph{x}`` reads x."""
    text = _TEX_COMMAND.sub("", title)
    return " ".join(text.replace("$", "").replace("{", "").replace("}", "").split())


def _title_words(title: str, words: int) -> str:
    head = plain_title(title)
    before, colon, _ = head.partition(":")
    if colon and 1 <= len(before.split()) <= 3:
        return before.strip()  # "BERT: Pre-training of ..." -> BERT
    tokens = head.split()
    while tokens and tokens[0].lower() in _LEADING:
        tokens = tokens[1:]
    chosen = tokens[:words]
    while len(chosen) > 1 and chosen[-1].lower().strip(",.;") in _TRAILING:
        chosen = chosen[:-1]
    if chosen and len(tokens) > len(chosen):
        chosen[-1] = chosen[-1].rstrip(",.;:") + "…"
    return " ".join(chosen)


def _who(authors: Sequence[str], year: int | None) -> str:
    surname = ""
    if authors:
        parts = authors[0].replace(",", " ").split()
        surname = parts[-1] if parts else ""
    return " ".join(part for part in (surname, str(year) if year else "") if part)


def short_label(title: str, authors: Sequence[str], year: int | None) -> str:
    """``Surname Year · First title words``: short, and still tells papers apart."""
    who, what = _who(authors, year), _title_words(title, 3)
    return f"{who} · {what}" if who and what else who or what


def short_labels(papers: Sequence[tuple[str, Sequence[str], int | None]]) -> list[list[str]]:
    """For each (title, authors, year): the label, then its short form for tight spots.

    Papers sharing a first author and year get ``a``, ``b``, ... after the
    year (in title order), as author-year citations do, so no two labels and
    no two short forms read the same.
    """
    whos = [_who(authors, year) for _title, authors, year in papers]
    groups: dict[str, list[int]] = {}
    for i, who in enumerate(whos):
        if who:
            groups.setdefault(who, []).append(i)
    for who, members in groups.items():
        if len(members) > 1:
            members.sort(key=lambda i: (plain_title(papers[i][0]).lower(), i))
            for n, i in enumerate(members):
                whos[i] = f"{who}{chr(ord('a') + n) if n < 26 else n + 1}"
    out = []
    for (title, _authors, _year), who in zip(papers, whos, strict=True):
        what = _title_words(title, 3)
        label = f"{who} · {what}" if who and what else who or what
        out.append([label, who] if who and who != label else [label])
    return out


@cache
def _font() -> Any:
    from paperlab.extract.mupdf import load_pymupdf

    pymupdf = load_pymupdf()

    return pymupdf.Font("helv")


def text_box(text: str, size: float = FONT_SIZE) -> tuple[float, float, float]:
    """(width, ascent, descent) of ``text`` in Helvetica at ``size``."""
    font = _font()
    return font.text_length(text, fontsize=size), font.ascender * size, -font.descender * size


Box = tuple[float, float, float, float]  # x0, y0, x1, y1


def overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@dataclass(frozen=True)
class Placed:
    index: int  # into the points given
    text: str  # the label, or its shorter form where the label did not fit
    x: float  # the text's anchor point on its baseline (SVG text-anchor ``align``)
    y: float
    box: Box  # the room reserved for it, wide enough for a wider fallback font
    anchor: tuple[float, float]  # where a leader line starts (the dot), when far
    align: str = "start"  # "start": grows right, "end": grows left, "middle": both ways


def place_labels(
    points: Sequence[tuple[float, float]],
    labels: Sequence[Sequence[str]],
    bounds: Box,
    *,
    order: Sequence[int] | None = None,
    size: float = FONT_SIZE,
    radius: float = DOT_RADIUS,
) -> dict[int, Placed]:
    """A non-overlapping spot for as many labels as fit, in ``order`` of priority.

    ``labels`` holds each point's texts, best first: a shorter one is tried
    where the first fits nowhere.
    """
    dots = [(x - radius - 1, y - radius - 1, x + radius + 1, y + radius + 1) for x, y in points]
    out: dict[int, Placed] = {}
    cell = 64.0
    grid: dict[tuple[int, int], list[Box]] = {}

    def cells(box: Box) -> list[tuple[int, int]]:
        return [
            (i, j)
            for i in range(int(box[0] // cell), int(box[2] // cell) + 1)
            for j in range(int(box[1] // cell), int(box[3] // cell) + 1)
        ]

    for box in dots:
        for key in cells(box):
            grid.setdefault(key, []).append(box)

    def free(box: Box) -> bool:
        if box[0] < bounds[0] or box[1] < bounds[1] or box[2] > bounds[2] or box[3] > bounds[3]:
            return False
        return not any(overlaps(box, other) for key in cells(box) for other in grid.get(key, ()))

    for i in order if order is not None else range(len(points)):
        placed = _first_free(i, points[i], labels[i], size, radius, free)
        if placed is not None:
            out[i] = placed
            for key in cells(placed.box):
                grid.setdefault(key, []).append(placed.box)
    return out


def _first_free(
    i: int,
    point: tuple[float, float],
    texts: Sequence[str],
    size: float,
    radius: float,
    free: Callable[[Box], bool],
) -> Placed | None:
    """The first spot, nearest first and the full label before the short, that is free.

    Each label is anchored on the side facing its dot (``text-anchor``), so a
    renderer with a wider font makes it longer away from the dot, into the
    room reserved for it (``WIDER``), never over the dot.
    """
    x, y = point
    for text in texts:
        if not text:
            continue
        width, ascent, descent = text_box(text, size)
        room = width * WIDER
        half = (ascent - descent) / 2  # baseline offset that centres the text on y
        for reach in (radius + GAP, radius + GAP + 14.0):
            d = reach * 0.7
            spots = [
                (x + reach, y + half, "start"),  # right
                (x - reach, y + half, "end"),  # left
                (x, y - reach - descent, "middle"),  # above
                (x, y + reach + ascent, "middle"),  # below
                (x + d, y - d - descent, "start"),  # upper right
                (x - d, y - d - descent, "end"),  # upper left
                (x + d, y + d + ascent, "start"),  # lower right
                (x - d, y + d + ascent, "end"),  # lower left
            ]
            for tx, ty, align in spots:
                left = tx if align == "start" else tx - room if align == "end" else tx - room / 2
                box = (left - 1, ty - ascent - 1, left + room + 1, ty + descent + 1)
                if free(box):
                    return Placed(i, text, tx, ty, box, (x, y), align)
    return None


def leader_needed(p: Placed, radius: float = DOT_RADIUS) -> bool:
    """True when a label sits far enough from its dot to need a line to it."""
    x, y = p.anchor
    nearest_x = min(max(x, p.box[0]), p.box[2])
    nearest_y = min(max(y, p.box[1]), p.box[3])
    return ((nearest_x - x) ** 2 + (nearest_y - y) ** 2) ** 0.5 > radius + GAP + 6


_SPACES = re.compile(r"\s+")


def wrap(text: str, width: float, size: float) -> list[str]:
    """``text`` broken at spaces into lines at most ``width`` wide (a long word stays whole)."""
    lines: list[str] = []
    line = ""
    for word in _SPACES.split(text.strip()):
        trial = f"{line} {word}" if line else word
        if line and text_box(trial, size)[0] > width:
            lines.append(line)
            line = word
        else:
            line = trial
    if line:
        lines.append(line)
    return lines


__all__ = [
    "FONT_SIZE",
    "Placed",
    "leader_needed",
    "overlaps",
    "place_labels",
    "plain_title",
    "short_label",
    "short_labels",
    "text_box",
    "wrap",
]
