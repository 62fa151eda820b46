"""The library's citation graph as a file other tools read: GraphML or JSON.

Nodes are the library's papers (with title, year, reading state) and the
arXiv papers they cite that the library lacks (``in_library`` false, with
the ``paperlab fetch`` command that gets one); edges go from the citing
paper to the cited one and say how the entry was resolved.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from paperlab.export import atomic_write_text, checked_target
from paperlab.references import citation_edges
from paperlab.store import Store
from paperlab.store.values import reading_states

FORMATS = ("graphml", "json")


def graph_data(store: Store) -> dict[str, Any]:
    """Nodes and edges of the citation graph, as plain data."""
    index, edges, outside = citation_edges(store)
    with store.connect() as conn:
        states = reading_states(conn)
    nodes: list[dict[str, Any]] = [
        {
            "id": paper.id,
            "title": paper.title,
            "year": paper.year,
            "citation_key": paper.citation_key,
            "reading_state": states.get(paper.id),
            "in_library": True,
        }
        for paper in sorted(index.papers.values(), key=lambda p: p.id)
    ]
    nodes += [
        {
            "id": arxiv_id,
            "title": title,
            "year": None,
            "citation_key": None,
            "reading_state": None,
            "in_library": False,
            "next_step": f"paperlab fetch {arxiv_id}",
        }
        for arxiv_id, title in sorted(outside.items())
    ]
    return {
        "nodes": nodes,
        "edges": [
            {"source": e.source, "target": e.target, "resolved_by": e.resolved_by}
            for e in sorted(edges, key=lambda e: (e.source, e.target))
        ],
    }


_KEYS = (
    ("title", "node", "string"),
    ("year", "node", "int"),
    ("citation_key", "node", "string"),
    ("reading_state", "node", "string"),
    ("in_library", "node", "boolean"),
    ("resolved_by", "edge", "string"),
)


def to_graphml(data: dict[str, Any]) -> str:
    """GraphML 1.0 (what Gephi, Cytoscape, yEd and networkx read)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
    ]
    lines += [
        f'  <key id="{name}" for="{kind}" attr.name="{name}" attr.type="{kind_type}"/>'
        for name, kind, kind_type in _KEYS
    ]
    lines.append('  <graph id="citations" edgedefault="directed">')
    for node in data["nodes"]:
        lines.append(f"    <node id={quoteattr(node['id'])}>")
        for name, kind, _ in _KEYS:
            value = node.get(name)
            if kind != "node" or value is None:
                continue
            text = str(value).lower() if isinstance(value, bool) else str(value)
            lines.append(f'      <data key="{name}">{escape(text)}</data>')
        lines.append("    </node>")
    for number, edge in enumerate(data["edges"]):
        lines.append(
            f'    <edge id="e{number}" source={quoteattr(edge["source"])} '
            f"target={quoteattr(edge['target'])}>"
            f'<data key="resolved_by">{escape(edge["resolved_by"])}</data></edge>'
        )
    lines += ["  </graph>", "</graphml>", ""]
    return "\n".join(lines)


def write_graph(store: Store, out: Path, fmt: str) -> dict[str, int]:
    """Write the graph to ``out``; returns the node and edge counts."""
    target = checked_target(out)
    data = graph_data(store)
    text = to_graphml(data) if fmt == "graphml" else json.dumps(data, ensure_ascii=False, indent=2)
    atomic_write_text(target, text)
    return {"nodes": len(data["nodes"]), "edges": len(data["edges"])}


__all__ = ["FORMATS", "graph_data", "to_graphml", "write_graph"]
