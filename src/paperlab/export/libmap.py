"""A 2-D map of the library: papers placed by their embeddings, coloured by topic.

Projection is PCA (numpy SVD of the centred paper vectors): deterministic,
fast and dependency-free. The map is written as SVG by hand; PNG is the same
SVG rasterised by PyMuPDF, so no plotting library is needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from paperlab.errors import UsageError
from paperlab.export import atomic_write_bytes, atomic_write_text
from paperlab.export.latex import normalise_space
from paperlab.export.themes import paper_vectors
from paperlab.settings import Settings
from paperlab.store import Store
from paperlab.store.models import Paper, PaperTopic, Topic

if TYPE_CHECKING:
    import numpy as np

    from paperlab.search.embedder import Embedder

PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#393b79",
]
UNTAGGED_COLOR = "#9e9e9e"
WIDTH, HEIGHT, MARGIN, LEGEND = 960, 720, 60, 220


@dataclass(frozen=True)
class MapPoint:
    paper_id: str
    label: str
    topic: str | None
    x: float
    y: float


@dataclass(frozen=True)
class MapResult:
    path: Path
    points: list[MapPoint]
    skipped: list[str]  # papers with no vector and nothing to embed

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "points": [p.__dict__ for p in self.points],
            "skipped": self.skipped,
        }


def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """Rows of ``vectors`` projected on their first two principal axes."""
    import numpy as np

    n = vectors.shape[0]
    out = np.zeros((n, 2), dtype=np.float64)
    if n < 2:
        return out
    centred = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:2]
    # Fix each axis's sign so the same library always draws the same way.
    for i in range(axes.shape[0]):
        j = int(np.argmax(np.abs(axes[i])))
        if axes[i, j] < 0:
            axes[i] = -axes[i]
    projected = centred @ axes.T
    out[:, : projected.shape[1]] = projected
    return out


def render_svg(points: Sequence[MapPoint], topic_titles: Mapping[str, str], title: str) -> str:
    """The map as a standalone SVG document."""
    xs = [p.x for p in points] or [0.0]
    ys = [p.y for p in points] or [0.0]
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0
    plot_w = WIDTH - LEGEND - 2 * MARGIN
    plot_h = HEIGHT - 2 * MARGIN
    slugs = sorted({p.topic for p in points if p.topic})
    colors = {slug: PALETTE[i % len(PALETTE)] for i, slug in enumerate(slugs)}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="Helvetica, Arial, sans-serif">',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{MARGIN}" y="{MARGIN / 2 + 6:.0f}" font-size="18" fill="#222">'
        f"{escape(title)}</text>",
        f'<rect x="{MARGIN}" y="{MARGIN}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#dddddd"/>',
    ]
    for p in points:
        cx = MARGIN + 20 + (p.x - min(xs)) / span_x * (plot_w - 170)  # room for labels
        cy = MARGIN + 20 + (max(ys) - p.y) / span_y * (plot_h - 40)
        color = colors.get(p.topic or "", UNTAGGED_COLOR)
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="{color}" stroke="#333" '
            f'stroke-width="0.5"><title>{escape(p.paper_id)}</title></circle>'
        )
        parts.append(
            f'<text x="{cx + 9:.1f}" y="{cy + 4:.1f}" font-size="11" fill="#333">'
            f"{escape(p.label)}</text>"
        )
    lx = WIDTH - LEGEND + 10
    legend = [(colors[s], topic_titles.get(s, s)) for s in slugs]
    if any(p.topic is None for p in points):
        legend.append((UNTAGGED_COLOR, "untagged"))
    for i, (color, name) in enumerate(legend):
        y = MARGIN + 10 + i * 20
        parts.append(f'<circle cx="{lx}" cy="{y}" r="6" fill="{color}"/>')
        parts.append(
            f'<text x="{lx + 12}" y="{y + 4}" font-size="12" fill="#222">{escape(name[:28])}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def svg_to_png(svg: str, *, zoom: float = 2.0) -> bytes:
    """Rasterise an SVG with PyMuPDF."""
    import pymupdf

    doc = pymupdf.open(stream=svg.encode("utf-8"), filetype="svg")
    try:
        pixmap = doc[0].get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False)
        return bytes(pixmap.tobytes("png"))
    finally:
        doc.close()


def export_map(
    store: Store,
    settings: Settings,
    papers: Sequence[Paper],
    out: Path,
    *,
    embedder: Embedder | None = None,
    title: str = "paperlab: library map",
) -> MapResult:
    """Write the map of ``papers`` to ``out`` (``.svg`` or ``.png``)."""
    import numpy as np

    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise UsageError(f"Cannot write a map as {out.name!r}.", hint="Name the file .png or .svg.")
    vectors = paper_vectors(store, settings, papers, embedder=embedder)
    placed = [p for p in papers if p.id in vectors]
    if not placed:
        raise UsageError(
            "None of the selected papers has a vector or text to place on a map.",
            hint="Index them first: paperlab index",
        )
    with store.read() as session:
        links = session.exec(
            select(PaperTopic.paper_id, PaperTopic.topic_slug).where(
                col(PaperTopic.paper_id).in_([p.id for p in placed])
            )
        ).all()
        topics = {t.slug: t for t in session.exec(select(Topic))}

    def week(slug: str) -> tuple[int, str]:
        weeks = topics[slug].week_list if slug in topics else []
        return (min(weeks) if weeks else 99, slug)

    first_topic: dict[str, str] = {}
    for paper_id, slug in sorted(links, key=lambda link: week(link[1])):
        first_topic.setdefault(paper_id, slug)
    coords = pca_2d(np.stack([vectors[p.id] for p in placed]))
    points = [
        MapPoint(
            paper_id=p.id,
            label=p.citation_key or normalise_space(p.title)[:30] or p.id,
            topic=first_topic.get(p.id),
            x=float(coords[i, 0]),
            y=float(coords[i, 1]),
        )
        for i, p in enumerate(placed)
    ]
    svg = render_svg(points, {s: t.title for s, t in topics.items()}, title)
    if suffix == ".svg":
        atomic_write_text(out, svg)
    else:
        atomic_write_bytes(out, svg_to_png(svg))
    return MapResult(path=out, points=points, skipped=[p.id for p in papers if p.id not in vectors])


__all__ = ["MapPoint", "MapResult", "export_map", "pca_2d", "render_svg", "svg_to_png"]
