"""The library map: layout by measured neighbourhood, labels that never overlap, themes
named in full, a self-contained HTML page, SVG and PNG."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paperlab.errors import UsageError
from paperlab.export import select_papers
from paperlab.export.libmap import UNREAD_NAME, export_map
from paperlab.export.maplabels import overlaps, short_label, short_labels
from paperlab.export.maplayout import auto_layout, knn_overlap, pca_2d, trustworthiness
from paperlab.settings import load_settings
from paperlab.store.models import Note, Paper, PaperReadingState, dumps
from tests.unit.test_export_helpers import build_library

UNTAGGED = ["1312.5602", "1707.06347", "1609.02907", "1710.10903"]


@dataclass
class GivenTheme:
    name: str
    paper_ids: list[str]


# The fields whose papers the test's reader has read: two clearly apart, so the
# themes found do not hang on a silhouette at the threshold. (Every third paper
# of the sample spans eight fields: its best split scored 0.053 against the
# 0.05 needed with fp32 vectors and 0.047 with 8-bit ones, one theme.)
READ_FIELDS = ("math", "hep-ph", "hep-th", "gr-qc")


def is_read(row: dict) -> bool:
    return row["categories"].split()[0].split(".")[0] in READ_FIELDS


def real_library(store, shared_data: Path, count: int = 80) -> tuple[list[str], set[str]]:
    """Real arXiv records (titles, authors, abstracts); those of READ_FIELDS read, with a note.

    Returns every id, in order, and the read ones.
    """
    source = shared_data / "arxiv_metadata/kaggle_snapshot_samples/Sharath-1736_first200.jsonl"
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()][:count]
    ids = []
    with store.write() as s:
        for row in rows:
            authors = [" ".join(filter(None, [a[1], a[0]])) for a in row["authors_parsed"]]
            abstract = " ".join(row["abstract"].split())
            s.add(
                Paper(
                    id=row["id"],
                    version=1,
                    title=" ".join(row["title"].split()),
                    authors=dumps(authors),
                    abstract=abstract,
                    categories=dumps(row["categories"].split()),
                    primary_category=row["categories"].split()[0],
                    published=datetime(2007, 4, 1, tzinfo=UTC),
                    metadata_complete=True,
                )
            )
            if is_read(row):  # read by the current user
                s.add(PaperReadingState(paper_id=row["id"], state="read"))
            ids.append(row["id"])
        s.flush()
        for row in rows:
            if is_read(row):
                sentences = " ".join(row["abstract"].split()).split(". ")
                s.add(
                    Note(
                        paper_id=row["id"],
                        summary=sentences[0].rstrip(".") + ".",
                        method=". ".join(sentences[1:3]),
                    )
                )
    return ids, {row["id"] for row in rows if is_read(row)}


def _svg_parts(svg: str) -> tuple[list[tuple[float, float]], tuple[float, ...], dict[str, str]]:
    dots = [
        (float(x), float(y))
        for x, y in re.findall(
            r'<circle class="paper" data-i="\d+" cx="([\d.]+)" cy="([\d.]+)"', svg
        )
    ]
    frame = tuple(
        float(v)
        for v in re.search(
            r'class="frame" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"', svg
        ).groups()
    )
    legend: dict[str, str] = {}
    for index, text in re.findall(r'class="legend-name" data-theme="(\d+)"[^>]*>([^<]*)<', svg):
        legend[index] = f"{legend[index]} {text}" if index in legend else text
    return dots, frame, legend


def _rendered_labels(svg: str) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Each label's text and its box as PyMuPDF renders it: real glyph metrics."""
    import html

    import pymupdf

    wanted = [html.unescape(t) for t in re.findall(r'<text class="label"[^>]*>([^<]*)<', svg)]
    with pymupdf.open(stream=svg.encode("utf-8"), filetype="svg") as doc:
        found = [
            span
            for block in doc[0].get_text("dict")["blocks"]
            for line in block.get("lines", [])
            for span in line["spans"]
            if abs(span["size"] - 10) < 0.01
        ]
    assert {span["font"] for span in found} == {"Helvetica"}  # the font labels are measured in
    spans = [(span["text"], tuple(span["bbox"])) for span in found]
    assert sorted(t for t, _ in spans) == sorted(wanted)
    return spans


def test_short_labels():
    assert short_label("Attention Is All You Need", ["Ashish Vaswani"], 2017) == (
        "Vaswani 2017 · Attention Is All…"
    )
    assert short_label(
        "BERT: Pre-training of Deep Bidirectional Transformers", ["J. Devlin"], 2018
    ) == ("Devlin 2018 · BERT")
    assert short_label("Playing Atari with Deep Reinforcement Learning", ["V. Mnih"], 2013) == (
        "Mnih 2013 · Playing Atari…"
    )
    assert short_label("Graph Attention Networks", [], None) == "Graph Attention Networks"
    assert short_label("$p$-adic Limit of \\emph{Weakly} Modular Forms", ["D. Choi"], 2007) == (
        "Choi 2007 · p-adic Limit…"
    )
    # Same first author and year: a, b as in author-year citations; short forms differ too.
    same = [
        ("Convergence of the discrete dipole approximation. II", ["M. A. Yurkin"], 2007),
        ("Convergence of the discrete dipole approximation. I", ["M. A. Yurkin"], 2007),
        ("Attention Is All You Need", ["Ashish Vaswani"], 2017),
    ]
    assert short_labels(same) == [
        ["Yurkin 2007b · Convergence…", "Yurkin 2007b"],
        ["Yurkin 2007a · Convergence…", "Yurkin 2007a"],
        ["Vaswani 2017 · Attention Is All…", "Vaswani 2017"],
    ]


def test_layout_measures():
    import numpy as np

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 32))
    vectors = np.concatenate([c + 0.05 * rng.normal(size=(10, 32)) for c in centres])
    chosen = auto_layout(vectors)
    assert set(chosen.scores) == {"tsne", "pca", "spectral"}
    best = max(s["knn"] for s in chosen.scores.values())
    assert chosen.scores[chosen.name]["knn"] == best
    assert knn_overlap(vectors, vectors[:, :2] * 0) < 0.5  # a collapsed map keeps little
    assert trustworthiness(vectors, chosen.coords) > 0.9
    assert auto_layout(vectors[:5]).name == "pca"  # too few papers for t-SNE
    flat = pca_2d(np.ones((3, 4), dtype=np.float32))
    assert flat.shape == (3, 2) and not flat.any()


@pytest.mark.parametrize("suffix", [".svg", ".png", ".html"])
def test_map_of_the_fixture_library(store, tmp_path, suffix):
    build_library(store)
    papers = select_papers(store, ids=UNTAGGED)
    themes = [GivenTheme("Graph neural networks for semi-supervised node labels", UNTAGGED[2:])]
    out = tmp_path / f"map{suffix}"
    result = export_map(store, load_settings(), papers, out, themes=themes)
    assert result.layout == "pca"  # four papers: t-SNE has nothing to fit
    assert {p.paper_id: p.theme for p in result.points}["1609.02907"] == themes[0].name
    data = out.read_bytes()
    if suffix == ".png":
        import pymupdf

        assert data[:8] == b"\x89PNG\r\n\x1a\n" and pymupdf.Pixmap(data).width > 1000
        return
    text = data.decode("utf-8")
    assert "Person 2015 · Playing Atari…" in text
    if suffix == ".svg":
        _dots, _frame, legend = _svg_parts(text)
        assert sorted(legend.values()) == [
            "Graph neural networks for semi-supervised node labels (2)",
            f"{UNREAD_NAME} (2)",
        ]


def test_map_rejects_other_formats_and_layouts(store, tmp_path):
    build_library(store)
    papers = select_papers(store, ids=UNTAGGED)
    with pytest.raises(UsageError, match=r"map\.jpg") as info:
        export_map(store, load_settings(), papers, tmp_path / "map.jpg", themes=[])
    assert info.value.hint == "Name the file .html, .svg or .png."
    with pytest.raises(UsageError, match="Unknown layout"):
        export_map(store, load_settings(), papers, tmp_path / "m.svg", themes=[], layout="umap")


@pytest.mark.slow
def test_map_of_a_real_library(store, tmp_path, shared_data):
    ids, read = real_library(store, shared_data)
    papers = select_papers(store)
    svg_path, html_path, png_path = (tmp_path / f"map.{x}" for x in ("svg", "html", "png"))
    result = export_map(store, load_settings(), papers, [svg_path, html_path, png_path])
    assert result.paths == [svg_path, html_path, png_path]
    assert len(result.points) == len(ids)
    # The layout was chosen by measurement, and keeps neighbours better than PCA.
    assert result.layout == max(result.scores, key=lambda n: result.scores[n]["knn"])
    assert result.scores[result.layout]["knn"] > result.scores["pca"]["knn"]
    # Themes: the read papers only, named in full in the legend.
    themed = {p.paper_id for p in result.points if p.theme}
    assert themed and themed <= read
    assert len(result.themes) >= 2
    svg = svg_path.read_text(encoding="utf-8")
    dots, frame, legend = _svg_parts(svg)
    counts = {name: sum(p.theme == name for p in result.points) for name in result.themes}
    expected = [f"{name} ({counts[name]})" for name in result.themes]
    expected.append(f"{UNREAD_NAME} ({len(ids) - len(themed)})")
    assert [legend[str(i)] for i in range(len(expected))] == expected
    # Labels: many, inside the plot, over no other label and no dot, as rendered.
    spans = _rendered_labels(svg)
    assert len(spans) == result.labelled >= len(ids) // 2
    plot = (frame[0], frame[1], frame[0] + frame[2], frame[1] + frame[3])
    for i, (text, box) in enumerate(spans):
        assert plot[0] <= box[0] and box[2] <= plot[2] and plot[1] <= box[1] and box[3] <= plot[3]
        for other_text, other in spans[i + 1 :]:
            assert not overlaps(box, other), (text, other_text)
        for x, y in dots:
            assert not overlaps(box, (x - 5, y - 5, x + 5, y + 5)), (text, x, y)

    page = html_path.read_text(encoding="utf-8")
    # Self-contained: nothing is loaded from anywhere; the only links are abstract pages.
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page, re.I)
    assert not re.search(r"\bsrc\s*=", page, re.I)
    assert not re.search(r"@import|url\(", page, re.I)
    addresses = set(re.findall(r"https?://[^\s\"'<>]+", page))
    assert addresses - {f"https://arxiv.org/abs/{pid}" for pid in ids} == {
        "http://www.w3.org/2000/svg"  # the SVG namespace, a name, never fetched
    }
    data = json.loads(
        re.search(r'id="map-data" type="application/json">(.*?)</script>', page).group(1)
    )
    first = next(p for p in data["points"] if p["id"] == ids[0])
    assert first["summary"] and first["authors"] and first["year"] == 2007
    assert first["url"] == f"https://arxiv.org/abs/{ids[0]}"

    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_map_command(store, tmp_path, capsys):
    from tests.helpers import run_cli

    build_library(store)
    bad = run_cli(capsys, "export", "map", *UNTAGGED, "--out", str(tmp_path / "map.jpg"))
    assert bad.code == 2 and "map.jpg" in bad.err and "Hint: Name the file .html" in bad.err
    out = tmp_path / "map.html"
    done = run_cli(
        capsys, "export", "map", *UNTAGGED, "--include-incomplete", "--out", str(out), "--json"
    )
    assert done.code == 0, done.err
    data = json.loads(done.out)
    assert data["layout"] == "pca" and data["labelled"] == 4 and out.is_file()
    svg, png = str(tmp_path / "m.svg"), str(tmp_path / "m.png")
    text = run_cli(
        capsys, "export", "map", *UNTAGGED, "--include-incomplete", "--out", svg, "--out", png
    )
    assert text.code == 0 and f"Wrote {svg}, {png}: 4 papers" in text.out
    assert "layout pca" in text.out


def test_html_keeps_hostile_text_as_text():
    from paperlab.export.libmap import MapPoint, draw
    from paperlab.export.maphtml import render_html

    evil = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"
    points = [
        MapPoint(
            f"2101.0000{i}",
            f"Evil 2021{c} · {evil}",
            "T & <b>",
            i,
            i % 2,
            evil,
            (evil,),
            2021,
            evil,
        )
        for i, c in enumerate("ab")
    ]
    page = render_html(draw(points, ["T & <b>"], evil, evil), points)
    assert page.count("<script") == 2 and page.count("</script>") == 2  # the data and the code
    assert "<img" not in page and "<b>" not in page
    assert "\\u003c/script\\u003e" in page  # inside the JSON, as an escape
