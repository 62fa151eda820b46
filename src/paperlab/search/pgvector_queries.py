"""Dense queries on a lab server: the side table and HNSW index of ``vectors_pg``.

``nearest_passages`` finds the chunks nearest a query vector (walking the HNSW
index, or an exact scan within a topic's chunks); ``scores_for_hashes`` scores
a few known texts (notes) exactly. Both run on a read connection the search
already holds; setting up the table and index is ``vectors_pg``'s job.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from paperlab.search.vectors_pg import SIDE_TABLE

if TYPE_CHECKING:
    import numpy as np

# hnsw.ef_search: the candidate list HNSW keeps while searching: four times
# the rows asked for, at least 200 (pgvector's own default is 40). On 5,183
# SciFact abstracts embedded with all-MiniLM-L6-v2, recall@10 against exact
# search is 0.98 at 40 and 1.00 from 100 on; random vectors, HNSW's worst case
# (the lab bench), need more: 0.59 at 100, 0.80 at 200, 0.93 at 400. Beyond
# 100 the cost is a few milliseconds. pgvector's maximum is 1000.
EF_SEARCH_MIN = 200
EF_SEARCH_PER_ROW = 4
EF_SEARCH_MAX = 1000
# Rows one search may ask the index for while skipping vectors no chunk holds.
MAX_NEAREST = 20_000


def vector_literal(vector: np.ndarray) -> str:
    """pgvector's text form of a float32 vector; every value round-trips exactly."""
    import numpy as np

    values = np.asarray(vector, dtype=np.float32).reshape(-1).tolist()
    return "[" + ",".join(repr(v) for v in values) + "]"


def ef_search_for(rows: int) -> int:
    return max(EF_SEARCH_MIN, min(EF_SEARCH_MAX, EF_SEARCH_PER_ROW * rows))


def nearest_passages(
    conn: Any,
    model: str,
    dim: int,
    vector: np.ndarray,
    limit: int,
    allowed: Sequence[int] | None = None,
) -> list[tuple[int, float]]:
    """(chunk id, cosine) of the ``limit`` non-reference chunks nearest ``vector``.

    Without ``allowed`` it walks the HNSW index alone (a join in the same
    query lets the planner drive it from ``chunk`` instead: an exact scan of
    every vector, 11 ms instead of 0.8 at 5,000), then maps the hashes to
    chunks, asking for more rows while vectors no chunk holds (notes, text
    since re-extracted) leave fewer than ``limit``. With
    ``allowed`` (chunk ids: a topic) it is an exact scan of those chunks,
    as faiss filters, so a narrow topic still gets its best: the distance is
    then computed on the untyped column, an expression no index serves.
    """
    from psycopg import sql

    if limit <= 0 or (allowed is not None and not allowed):
        return []
    names = {
        "dim": sql.Literal(int(dim)),
        "table": sql.Identifier(SIDE_TABLE),
        "model": sql.Literal(model),
    }
    raw = conn.raw
    q = vector_literal(vector)
    if allowed is not None:
        exact = sql.SQL(
            "SELECT c.id, -(v.vec <#> %(q)s::vector) AS score FROM chunk c"
            " JOIN {table} v ON v.content_hash = c.content_hash"
            " AND v.model = {model} AND v.dim = {dim}"
            " WHERE c.id = ANY(%(ids)s) AND NOT c.is_reference"
            " ORDER BY score DESC, c.id LIMIT %(limit)s"
        ).format(**names)
        rows = raw.execute(exact, {"q": q, "ids": list(allowed), "limit": int(limit)})
        return [(int(row_id), float(score)) for row_id, score in rows.fetchall()]
    raw.execute("SET LOCAL hnsw.iterative_scan = strict_order")
    nearest = sql.SQL(
        "SELECT v.content_hash, (v.vec::vector({dim})) <#> %(q)s::vector({dim}) AS d"
        " FROM {table} v WHERE v.model = {model} AND v.dim = {dim}"
        " ORDER BY d LIMIT %(n)s"
    ).format(**names)
    rows = limit
    while True:
        raw.execute(sql.SQL("SET LOCAL hnsw.ef_search = {}").format(ef_search_for(rows)))
        near = {str(h): -float(d) for h, d in raw.execute(nearest, {"q": q, "n": rows})}
        hits = _chunks_holding(raw, near)
        # Vectors of notes, and of text no chunk holds any more, are in the
        # index too: ask for more until ``limit`` chunks, or the index is spent.
        if len(hits) >= limit or len(near) < rows or rows >= MAX_NEAREST:
            return hits[:limit]
        rows = min(MAX_NEAREST, rows * 4)


def _chunks_holding(raw: Any, near: dict[str, float]) -> list[tuple[int, float]]:
    """(chunk id, score) of the non-reference chunks holding the ``near`` hashes, best first.

    A text shared by several chunks (the same paragraph in two papers) is one
    vector and several hits, as in the faiss index.
    """
    if not near:
        return []
    rows = raw.execute(
        "SELECT id, content_hash FROM chunk WHERE content_hash = ANY(%(hs)s) AND NOT is_reference",
        {"hs": list(near)},
    )
    hits = [(int(row_id), near[str(h)]) for row_id, h in rows.fetchall()]
    hits.sort(key=lambda hit: (-hit[1], hit[0]))
    return hits


def scores_for_hashes(
    conn: Any, model: str, dim: int, vector: np.ndarray, hashes: Sequence[str]
) -> dict[str, float]:
    """Exact cosine of ``vector`` with each stored vector of ``hashes`` (notes and
    the like: few, so no index is needed)."""
    if not hashes:
        return {}
    from psycopg import sql

    query = sql.SQL(
        "SELECT content_hash, vec <#> %(q)s::vector FROM {table}"
        " WHERE model = {model} AND dim = {dim} AND content_hash = ANY(%(hs)s)"
    ).format(table=sql.Identifier(SIDE_TABLE), model=sql.Literal(model), dim=sql.Literal(dim))
    rows = conn.raw.execute(query, {"q": vector_literal(vector), "hs": list(hashes)}).fetchall()
    return {str(h): -float(d) for h, d in rows}


__all__ = [
    "EF_SEARCH_MAX",
    "EF_SEARCH_MIN",
    "MAX_NEAREST",
    "ef_search_for",
    "nearest_passages",
    "scores_for_hashes",
    "vector_literal",
]
