"""Full-text search on a lab library on PostgreSQL: tsquery text, SQL and BM25-like ranking.

The tables are the tsvector side tables of migration 2 (``migrations_pg``).
PostgreSQL's own rankings (``ts_rank``, ``ts_rank_cd``) know nothing of how
rare a word is, and on SciFact they ranked far below FTS5's bm25 (nDCG@10
0.39 against 0.69). So the ranking query weighs each query term by its
BM25 inverse document frequency, counted in the same table at query time in
one pass over the matching rows (GIN index), and sums the per-term
``ts_rank`` (which saturates with term frequency and is divided by
1 + log(document length), as bm25 damps long documents).
"""

from __future__ import annotations

import math
from typing import Any

from paperlab.search.lexical import (
    ELLIPSIS,
    MARK_CLOSE,
    MARK_OPEN,
    SNIPPET_TOKENS,
    KindTable,
    fts_query,
)
from paperlab.store.migration_fulltext import FTS_TABLES
from paperlab.store.values import visible


def pg_tsquery(query: str) -> str | None:
    """The PostgreSQL ``to_tsquery`` text for what :func:`fts_query` builds for FTS5.

    The same pieces (phrases and words, stopwords dropped), as ``<->``
    phrases OR-ed with ``|``. Pieces are plain alphanumeric tokens, so nothing
    the user typed is tsquery syntax.
    """
    match = fts_query(query)
    if match is None:
        return None
    pieces = [piece.strip('"').split() for piece in match.split(" OR ")]
    return " | ".join(" <-> ".join(tokens) for tokens in pieces if tokens)


# ts_rank_cd's weights for labels D, C, B, A (see migrations_pg: A = 1.0, B = 0.5),
# as FTS5's bm25 column weights; normalisation 1 divides by 1 + log(length), as bm25
# damps long documents.
_WEIGHTS = "{0.1, 0.2, 0.5, 1.0}"
_PG_RANK = f"ts_rank_cd('{_WEIGHTS}', f.document, tsq, 1)"
_PG_HEADLINE_OPTIONS = (
    f"StartSel={MARK_OPEN}, StopSel={MARK_CLOSE}, MaxWords={SNIPPET_TOKENS}, MinWords=8, "
    f'MaxFragments=1, FragmentDelimiter="{ELLIPSIS}"'
)


def pg_kind_sql(
    table: KindTable,
    *,
    topic: bool,
    papers: bool = False,
    include_references: bool,
    by_rowid: bool,
    rowids: bool = False,
    snippets: bool = True,
) -> str:
    """:func:`_kind_sql` for the tsvector side tables of a lab library on PostgreSQL.

    The score is the negated rank, so that, as with bm25, lower is better.
    """
    columns = next(cols for fts, _, cols in FTS_TABLES if fts == table.fts)
    where = ["f.document @@ tsq"]
    if table.owned:
        where.append(visible(table.alias))
    if table.kind == "passage" and not include_references:
        where.append("NOT c.is_reference")
    if topic:
        where.append(table.topic_clause)
    if papers:
        where.append(table.papers_clause)
    if by_rowid:
        where.append(f"{table.alias}.id = :rowid")
    if rowids:
        where.append(f"{table.alias}.id IN :rowids")
    shown = (
        f"{table.alias}.{columns[table.snippet_column]}"
        if table.snippet_column >= 0
        else "concat_ws(' ', " + ", ".join(f"{table.alias}.{c}" for c in columns) + ")"
    )
    snippet = (
        f"ts_headline('english', {shown}, tsq, '{_PG_HEADLINE_OPTIONS}')" if snippets else "NULL"
    )
    return (
        f"SELECT {table.alias}.id, -{_PG_RANK} AS score, {snippet} "
        f"FROM {table.fts} f JOIN {table.table} {table.alias} ON {table.alias}.id = f.id "
        "CROSS JOIN to_tsquery('english', :q) tsq "
        f"WHERE {' AND '.join(where)} ORDER BY score LIMIT :n"
    )


def terms_of(match: str) -> list[str]:
    """The OR-ed pieces of a :func:`pg_tsquery` text."""
    return [piece for piece in match.split(" | ") if piece]


def idf_ranked(
    conn: Any, table: KindTable, statement: str, params: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """``statement`` with its rank replaced by a sum of per-term ranks weighted by IDF."""
    terms = terms_of(str(params["q"]))
    counts_sql = ", ".join(
        f"COUNT(*) FILTER (WHERE document @@ to_tsquery('english', :t{i}))"
        for i in range(len(terms))
    )
    values: dict[str, Any] = {f"t{i}": term for i, term in enumerate(terms)}
    total = int(conn.execute(f"SELECT COUNT(*) FROM {table.fts}").scalar() or 0)
    found = conn.execute(
        f"SELECT {counts_sql} FROM {table.fts} WHERE document @@ to_tsquery('english', :q)",
        {**values, "q": params["q"]},
    ).first()
    frequencies = [int(n) for n in (found or [0] * len(terms))]
    weighted = " + ".join(
        f":w{i} * ts_rank('{_WEIGHTS}', f.document, to_tsquery('english', :t{i}), 1)"
        for i in range(len(terms))
    )
    for i, df in enumerate(frequencies):
        values[f"w{i}"] = math.log(1 + (total - df + 0.5) / (df + 0.5))
    return statement.replace(f"-{_PG_RANK}", f"-({weighted})"), {**params, **values}


__all__ = ["idf_ranked", "pg_kind_sql", "pg_tsquery", "terms_of"]
