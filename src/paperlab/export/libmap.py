"""A map of the library: papers placed by meaning, coloured by the themes of the user's reading.

Placement is the layout that best keeps each paper's nearest neighbours
(``maplayout``: t-SNE, PCA or spectral, measured per map); colours are the
themes of ``export.themes.reading_themes`` named in full in the legend;
labels are short (first author, year, a few title words) and never overlap
(``maplabels``). Three outputs from one drawing: ``.svg``, ``.png`` (the
SVG rendered by PyMuPDF, no plotting library) and ``.html`` (``maphtml``:
one self-contained page with pan, zoom, hover and click-through).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlmodel import col, select

from paperlab.errors import UsageError
from paperlab.export import atomic_write_bytes, atomic_write_text
from paperlab.export.latex import normalise_space
from paperlab.export.maplabels import (
    FONT_SIZE,
    leader_needed,
    place_labels,
    plain_title,
    short_labels,
    wrap,
)
from paperlab.export.maplayout import LAYOUTS, auto_layout, pca_2d
from paperlab.settings import Settings
from paperlab.store import Store
from paperlab.store.models import Note, Paper, mine

if TYPE_CHECKING:
    from paperlab.search.embedder import Embedder

# Tableau 10 and two more: distinct on screen and in print.
PALETTE = [
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#2f4b7c",
    "#a05195",
    "#17becf",
]
UNREAD_COLOR = "#c4c4c4"
UNREAD_NAME = "Not yet read"
FORMATS = (".svg", ".png", ".html")
MARGIN, TOP, LEGEND_WIDTH, LEGEND_TEXT = 24, 64, 300, 250
DOT = 5.0
# Helvetica and its metric twins first: labels are measured with Helvetica's widths.
FONTS = "Helvetica, Arial, 'Liberation Sans', 'Nimbus Sans', sans-serif"


class ThemeLike(Protocol):
    """What the map needs of a theme: ``export.themes.Theme`` fits."""

    @property
    def name(self) -> str: ...

    @property
    def paper_ids(self) -> list[str]: ...


@dataclass(frozen=True)
class MapPoint:
    paper_id: str
    label: str
    theme: str | None  # None: not read or noted yet
    x: float  # layout coordinates
    y: float
    title: str = ""
    authors: tuple[str, ...] = ()
    year: int | None = None
    summary: str = ""
    url: str = ""
    short: str = ""  # the label's shorter form ("Vaswani 2017") for tight spots

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["authors"] = list(self.authors)
        return data


@dataclass
class MapResult:
    path: Path  # the first file written
    points: list[MapPoint]
    skipped: list[str]  # papers with no vector and nothing to embed
    layout: str = "pca"
    scores: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    themes: list[str] = field(default_factory=list)
    labelled: int = 0
    paths: list[Path] = field(default_factory=list)  # every file written

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "paths": [str(p) for p in self.paths],
            "layout": self.layout,
            "neighbourhood": self.scores,
            "themes": self.themes,
            "labelled": self.labelled,
            "points": [p.to_json() for p in self.points],
            "skipped": self.skipped,
        }


@dataclass
class Drawing:
    """The map in screen coordinates, shared by the SVG and the HTML page."""

    width: float
    height: float
    plot: tuple[float, float, float, float]
    screen: list[tuple[float, float]]
    colors: list[str]
    legend: list[tuple[str, str, int]]  # (colour, full name, papers)
    labels: dict[int, Any]  # index -> maplabels.Placed
    title: str
    subtitle: str


def theme_colors(themes: Sequence[str]) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(themes)}


def draw(points: Sequence[MapPoint], themes: Sequence[str], title: str, subtitle: str) -> Drawing:
    """Scale the layout to a plot sized for the number of papers; place the labels."""
    n = max(1, len(points))
    side = min(1500.0, max(620.0, 78.0 * math.sqrt(n)))
    plot_w, plot_h = side * 1.3, side
    plot = (MARGIN, TOP, MARGIN + plot_w, TOP + plot_h)
    xs = [p.x for p in points] or [0.0]
    ys = [p.y for p in points] or [0.0]
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0
    pad = 40.0  # keeps dots off the frame, with room for a label beside them
    screen = [
        (
            plot[0] + pad + (p.x - min(xs)) / span_x * (plot_w - 2 * pad),
            plot[1] + pad + (max(ys) - p.y) / span_y * (plot_h - 2 * pad),
        )
        for p in points
    ]
    colors_by = theme_colors(themes)
    colors = [colors_by.get(p.theme or "", UNREAD_COLOR) for p in points]
    counts = {name: sum(1 for p in points if p.theme == name) for name in themes}
    legend = [(colors_by[name], name, counts[name]) for name in themes if counts[name]]
    unread = sum(1 for p in points if p.theme is None)
    if unread:
        legend.append((UNREAD_COLOR, UNREAD_NAME, unread))
    # The user's read papers are labelled first; the rest where room is left.
    order = sorted(range(len(points)), key=lambda i: (points[i].theme is None, i))
    texts = [[p.label, p.short] if p.short else [p.label] for p in points]
    labels = place_labels(screen, texts, plot, order=order, radius=DOT)
    legend_h = _legend_height(legend)
    height = max(plot[3] + MARGIN, TOP + legend_h + MARGIN)
    return Drawing(
        width=plot[2] + MARGIN + LEGEND_WIDTH,
        height=height,
        plot=plot,
        screen=screen,
        colors=colors,
        legend=legend,
        labels=labels,
        title=title,
        subtitle=subtitle,
    )


def _legend_lines(name: str, count: int) -> list[str]:
    return wrap(f"{name} ({count})", LEGEND_TEXT, 12.0)


def _legend_height(legend: Sequence[tuple[str, str, int]]) -> float:
    return 24 + sum(16 * len(_legend_lines(name, count)) + 8 for _c, name, count in legend)


def svg_body(drawing: Drawing, points: Sequence[MapPoint]) -> list[str]:
    """The drawing's elements: frame, leader lines, dots, labels and legend."""
    x0, y0, x1, y1 = drawing.plot
    parts = [
        # On a group, not the root: PyMuPDF (the PNG) does not inherit it from <svg>.
        f'<g font-family="{FONTS}">',
        f'<rect x="0" y="0" width="{drawing.width:.0f}" height="{drawing.height:.0f}" '
        'fill="#ffffff"/>',
        f'<text class="heading" x="{MARGIN}" y="30" font-size="18" fill="#222">'
        f"{escape(drawing.title)}</text>",
        f'<text class="subtitle" x="{MARGIN}" y="50" font-size="11" fill="#666">'
        f"{escape(drawing.subtitle)}</text>",
        f'<rect class="frame" x="{x0}" y="{y0}" width="{x1 - x0:.0f}" height="{y1 - y0:.0f}" '
        'fill="none" stroke="#dddddd"/>',
        '<g id="leaders">',
    ]
    for i, placed in sorted(drawing.labels.items()):
        if leader_needed(placed, DOT):
            bx = min(max(placed.anchor[0], placed.box[0]), placed.box[2])
            by = min(max(placed.anchor[1], placed.box[1]), placed.box[3])
            parts.append(
                f'<line class="leader" data-i="{i}" x1="{placed.anchor[0]:.1f}" '
                f'y1="{placed.anchor[1]:.1f}" x2="{bx:.1f}" y2="{by:.1f}" stroke="#999" '
                'stroke-width="0.6"/>'
            )
    parts.append('</g>\n<g id="dots">')
    # Unread papers first, so the user's themes are drawn on top.
    for i in sorted(range(len(points)), key=lambda i: points[i].theme is not None):
        p = points[i]
        cx, cy = drawing.screen[i]
        hover = f"{p.title} ({p.year})" if p.year else p.title
        parts.append(
            f'<circle class="paper" data-i="{i}" cx="{cx:.1f}" cy="{cy:.1f}" r="{DOT}" '
            f'fill="{drawing.colors[i]}" stroke="#333" stroke-width="0.5">'
            f"<title>{escape(hover)}</title></circle>"
        )
    parts.append('</g>\n<g id="labels">')
    for i, placed in sorted(drawing.labels.items()):
        parts.append(
            f'<text class="label" data-i="{i}" x="{placed.x:.1f}" y="{placed.y:.1f}" '
            f'text-anchor="{placed.align}" '
            f'font-size="{FONT_SIZE:g}" fill="#222">{escape(placed.text)}</text>'
        )
    parts.append('</g>\n<g id="legend">')
    lx, ly = x1 + MARGIN, y0 + 4
    parts.append(
        f'<text class="legend-heading" x="{lx}" y="{ly + 8}" font-size="13" '
        'font-weight="bold" fill="#222">Themes of my reading</text>'
    )
    ly += 28
    for index, (color, name, count) in enumerate(drawing.legend):
        lines = _legend_lines(name, count)
        parts.append(f'<circle cx="{lx + 6}" cy="{ly - 4}" r="6" fill="{color}"/>')
        for j, line in enumerate(lines):
            parts.append(
                f'<text class="legend-name" data-theme="{index}" x="{lx + 18}" '
                f'y="{ly + 16 * j:.0f}" font-size="12" fill="#222">{escape(line)}</text>'
            )
        ly += 16 * len(lines) + 8
    parts.append("</g>\n</g>")
    return parts


def render_svg(drawing: Drawing, points: Sequence[MapPoint]) -> str:
    """The map as a standalone SVG document."""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{drawing.width:.0f}" '
        f'height="{drawing.height:.0f}" viewBox="0 0 {drawing.width:.0f} {drawing.height:.0f}">'
    )
    return "\n".join([head, *svg_body(drawing, points), "</svg>"]) + "\n"


def svg_to_png(svg: str, *, zoom: float = 2.0) -> bytes:
    """Rasterise an SVG with PyMuPDF."""
    from paperlab.extract.mupdf import load_pymupdf

    pymupdf = load_pymupdf()

    doc = pymupdf.open(stream=svg.encode("utf-8"), filetype="svg")
    try:
        pixmap = doc[0].get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False)
        return bytes(pixmap.tobytes("png"))
    finally:
        doc.close()


def _summaries(store: Store, ids: Sequence[str]) -> dict[str, str]:
    with store.read() as session:
        rows = session.exec(
            select(Note.paper_id, Note.summary).where(col(Note.paper_id).in_(list(ids)), mine(Note))
        ).all()
    return {pid: " ".join(summary.split()) for pid, summary in rows if summary.strip()}


def map_points(
    papers: Sequence[Paper],
    coords: Any,
    theme_of: Mapping[str, str],
    summaries: Mapping[str, str],
) -> list[MapPoint]:
    titles = [plain_title(normalise_space(p.title)) or p.id for p in papers]
    labels = short_labels([(t, p.author_list, p.year) for t, p in zip(titles, papers, strict=True)])
    points = []
    for i, p in enumerate(papers):
        title = titles[i]
        summary = summaries.get(p.id, "")
        points.append(
            MapPoint(
                paper_id=p.id,
                label=labels[i][0],
                short=labels[i][1] if len(labels[i]) > 1 else "",
                theme=theme_of.get(p.id),
                x=float(coords[i, 0]),
                y=float(coords[i, 1]),
                title=title,
                authors=tuple(p.author_list),
                year=p.year,
                summary=summary if len(summary) <= 400 else summary[:399] + "…",
                url="" if p.id.startswith("local:") else f"https://arxiv.org/abs/{p.id}",
            )
        )
    return points


def export_map(
    store: Store,
    settings: Settings,
    papers: Sequence[Paper],
    out: Path | Sequence[Path],
    *,
    embedder: Embedder | None = None,
    title: str = "paperlab: library map",
    themes: Sequence[ThemeLike] | None = None,
    theme_file: Path | None = None,
    layout: str = "auto",
) -> MapResult:
    """Write the map of ``papers`` to ``out`` (``.svg``, ``.png`` or ``.html``; or several
    such files, drawn once).

    ``themes`` colours the papers (each theme's name goes in the legend);
    None asks ``reading_themes`` for the themes of the user's reading, with
    ``theme_file`` (a themes.toml) as its overrides.
    """
    import numpy as np

    from paperlab.export.paper_vectors import paper_vectors

    outs = [Path(out)] if isinstance(out, str | Path) else [Path(o) for o in out]
    for target in outs:
        if target.suffix.lower() not in FORMATS:
            raise UsageError(
                f"Cannot write a map as {target.name!r}.",
                hint="Name the file .html, .svg or .png.",
            )
    if layout not in LAYOUTS:
        raise UsageError(f"Unknown layout {layout!r}.", hint=f"Use one of: {', '.join(LAYOUTS)}.")
    vectors = paper_vectors(store, settings, papers, embedder=embedder)
    placed = [p for p in papers if p.id in vectors]
    if not placed:
        raise UsageError(
            "None of the selected papers has a vector or text to place on a map.",
            hint="Index them first: paperlab index",
        )
    if themes is None:
        from paperlab.export.themes import reading_themes

        themes = reading_themes(store, settings, placed, overrides=theme_file, embedder=embedder)
    theme_of: dict[str, str] = {}
    for theme in themes:
        for pid in theme.paper_ids:
            theme_of.setdefault(pid, theme.name)
    chosen = auto_layout(np.stack([vectors[p.id] for p in placed]), layout)
    points = map_points(placed, chosen.coords, theme_of, _summaries(store, [p.id for p in placed]))
    names = [t.name for t in themes if any(p.theme == t.name for p in points)]
    score = chosen.scores.get(chosen.name, {})
    subtitle = (
        f"{len(points)} papers, {_LAYOUT_NAMES[chosen.name]} layout"
        + (f" (keeps {score['knn']:.0%} of each paper's 5 nearest neighbours)" if score else "")
        + "; labels: first author, year, title"
    )
    drawing = draw(points, names, title, subtitle)
    svg = render_svg(drawing, points)
    for target in outs:
        suffix = target.suffix.lower()
        if suffix == ".html":
            from paperlab.export.maphtml import render_html

            atomic_write_text(target, render_html(drawing, points))
        elif suffix == ".svg":
            atomic_write_text(target, svg)
        else:
            atomic_write_bytes(target, svg_to_png(svg))
    return MapResult(
        path=outs[0],
        paths=outs,
        points=points,
        skipped=[p.id for p in papers if p.id not in vectors],
        layout=chosen.name,
        scores=chosen.scores,
        themes=names,
        labelled=len(drawing.labels),
    )


_LAYOUT_NAMES = {"tsne": "t-SNE", "pca": "PCA", "spectral": "spectral"}

__all__ = [
    "Drawing",
    "MapPoint",
    "MapResult",
    "draw",
    "export_map",
    "pca_2d",
    "render_svg",
    "svg_to_png",
]
