"""BM25 queries on the FTS5 tables (see migration 2), safe for any user text.

User text never reaches FTS5 as syntax: it is cut into plain alphanumeric
tokens (what the unicode61 tokenizer would keep anyway), each token or
hyphen-joined group is double-quoted, and the pieces are OR-ed so BM25 ranks
documents by how many and how rare the matched terms are. "C++", stray
quotes, AND/OR/NEAR, colons and hyphens are all just words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from paperlab.store.values import me, visible

if TYPE_CHECKING:
    from paperlab.store.reader import ReadConnection

MARK_OPEN = "«"
MARK_CLOSE = "»"
ELLIPSIS = "…"
SNIPPET_TOKENS = 24
MAX_TERMS = 32

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_PHRASE = re.compile(r'"([^"]*)"')
# Very common English words: OR-ing them in would make every row a match and
# slow BM25 down for no ranking gain. Dropped only when other terms remain.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "so",
        "than",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    ]
)


@dataclass(frozen=True)
class KindTable:
    """How one kind of searchable row maps onto its FTS5 table."""

    kind: str
    fts: str
    table: str
    alias: str
    weights: tuple[float, ...]
    snippet_column: int  # -1: the best-matching column
    topic_clause: str  # SQL over ``alias`` with a :topic parameter
    papers_clause: str  # SQL over ``alias``: rows of the papers in the :papers list
    # Rows with an owner: only the current user's (``:me``) and shared ones match.
    owned: bool = True


_TOPIC_PAPERS = "(SELECT paper_id FROM paper_topic WHERE topic_slug = :topic)"
KINDS: dict[str, KindTable] = {
    "passage": KindTable(
        "passage",
        "chunk_fts",
        "chunk",
        "c",
        (1.0, 0.5),
        0,
        f"c.paper_id IN {_TOPIC_PAPERS}",
        "c.paper_id IN :papers",
        owned=False,
    ),
    "note": KindTable(
        "note",
        "note_fts",
        "note",
        "n",
        (1.0,) * 8,
        -1,
        f"(n.paper_id IN {_TOPIC_PAPERS} OR n.id IN "
        "(SELECT note_id FROM note_topic WHERE topic_slug = :topic))",
        "n.paper_id IN :papers",
    ),
    "annotation": KindTable(
        "annotation",
        "annotation_fts",
        "annotation",
        "a",
        (1.0, 1.0),
        -1,
        f"a.paper_id IN {_TOPIC_PAPERS}",
        "a.paper_id IN :papers",
    ),
    "log": KindTable(
        "log",
        "log_fts",
        "log_entry",
        "l",
        (1.0,),
        0,
        "(l.id IN (SELECT log_id FROM log_topic WHERE topic_slug = :topic) OR l.id IN "
        f"(SELECT log_id FROM log_paper WHERE paper_id IN {_TOPIC_PAPERS}))",
        # A log entry belongs to the papers it is linked to.
        "l.id IN (SELECT log_id FROM log_paper WHERE paper_id IN :papers)",
    ),
}


@dataclass(frozen=True)
class LexicalHit:
    kind: str
    row_id: int
    score: float  # -bm25: higher is better
    snippet: str


def query_terms(query: str) -> list[str]:
    """The plain words of ``query`` (lower-cased, stopwords dropped if others remain)."""
    words = [t.lower() for t in _TOKEN.findall(query)]
    content = [w for w in words if w not in STOPWORDS]
    return content or words


def fts_query(query: str) -> str | None:
    """An FTS5 MATCH expression for arbitrary user text, or None if it has no words.

    Quoted phrases stay phrases; a hyphenated or dotted word ("self-attention",
    "e.g.") becomes a phrase of its parts, which is how the tokenizer indexed it.
    """
    pieces: list[str] = []
    seen: set[str] = set()

    def add(tokens: Sequence[str]) -> None:
        tokens = [t.lower() for t in tokens]
        if not tokens or (len(tokens) == 1 and tokens[0] in STOPWORDS):
            return
        piece = '"' + " ".join(tokens) + '"'
        if piece not in seen:
            seen.add(piece)
            pieces.append(piece)

    rest = query
    for phrase in _PHRASE.findall(query):
        add(_TOKEN.findall(phrase))
    rest = _PHRASE.sub(" ", query)
    for word in rest.split():
        add(_TOKEN.findall(word))
    if not pieces:
        # Only stopwords: search for them rather than for nothing.
        for token in _TOKEN.findall(query):
            piece = f'"{token.lower()}"'
            if piece not in seen:
                seen.add(piece)
                pieces.append(piece)
    if not pieces:
        return None
    return " OR ".join(pieces[:MAX_TERMS])


def _dialect(conn: Any) -> str:
    return str(getattr(conn, "dialect", "sqlite"))


def _match(conn: Any, query: str) -> str | None:
    """The query in the store's full-text syntax (FTS5 MATCH or tsquery)."""
    if _dialect(conn) == "postgresql":
        from paperlab.search.lexical_pg import pg_tsquery

        return pg_tsquery(query)
    return fts_query(query)


def _sql_for(conn: Any) -> Any:
    if _dialect(conn) == "postgresql":
        from paperlab.search.lexical_pg import pg_kind_sql

        return pg_kind_sql
    return _kind_sql


def _kind_sql(
    table: KindTable,
    *,
    topic: bool,
    papers: bool = False,
    include_references: bool,
    by_rowid: bool,
    rowids: bool = False,
    snippets: bool = True,
) -> str:
    weights = ", ".join(f"{w:g}" for w in table.weights)
    where = [f"{table.fts} MATCH :q"]
    if table.owned:
        where.append(visible(table.alias))
    if table.kind == "passage" and not include_references:
        where.append("NOT c.is_reference")
    if topic:
        where.append(table.topic_clause)
    if papers:
        where.append(table.papers_clause)
    if by_rowid:
        where.append(f"{table.fts}.rowid = :rowid")
    if rowids:
        where.append(f"{table.fts}.rowid IN :rowids")
    # The sorter keeps every result column of every match, so a snippet in the
    # ranking query would be built for thousands of rows to keep a hundred.
    snippet = (
        f"snippet({table.fts}, {table.snippet_column}, '{MARK_OPEN}', '{MARK_CLOSE}', "
        f"'{ELLIPSIS}', {SNIPPET_TOKENS})"
        if snippets
        else "NULL"
    )
    return (
        f"SELECT {table.alias}.id, bm25({table.fts}, {weights}) AS score, {snippet} "
        f"FROM {table.fts} JOIN {table.table} {table.alias} "
        f"ON {table.alias}.id = {table.fts}.rowid "
        f"WHERE {' AND '.join(where)} ORDER BY score LIMIT :n"
    )


def _owner(table: KindTable) -> dict[str, str]:
    """The ``:me`` parameter where ``table``'s rows have owners (none for passages)."""
    return me() if table.owned else {}


def search_lexical(
    conn: ReadConnection,
    query: str,
    kinds: Iterable[str],
    limit: int = 100,
    *,
    topic: str | None = None,
    papers: Sequence[str] | None = None,
    include_references: bool = False,
    snippets: bool = True,
) -> list[LexicalHit]:
    """The ``limit`` best BM25 matches across ``kinds``, best first.

    ``topic`` keeps what belongs to a topic, ``papers`` what belongs to those
    papers (their passages, notes, annotations and linked log entries); an
    empty ``papers`` keeps nothing.

    BM25 scores of different tables are not strictly comparable (each has its
    own document statistics), but they are on the same scale, which is good
    enough to interleave a handful of notes with thousands of passages.
    """
    match = _match(conn, query)
    if match is None or limit <= 0 or (papers is not None and not papers):
        return []
    ranked: list[tuple[str, int, float]] = []
    kind_sql = _sql_for(conn)
    for kind in kinds:
        table = KINDS[kind]
        statement = kind_sql(
            table,
            topic=topic is not None,
            papers=papers is not None,
            include_references=include_references,
            by_rowid=False,
            snippets=False,
        )
        params: dict[str, Any] = {"q": match, "n": limit, **_owner(table)}
        if topic is not None:
            params["topic"] = topic
        if papers is not None:
            params["papers"] = list(papers)
        if _dialect(conn) == "postgresql":
            from paperlab.search.lexical_pg import idf_ranked

            statement, params = idf_ranked(conn, table, statement, params)
        for row_id, score, _ in conn.execute(statement, params):
            ranked.append((kind, int(row_id), -float(score)))
    ranked.sort(key=lambda h: h[2], reverse=True)
    ranked = ranked[:limit]
    marked = _snippets(conn, match, [(k, r) for k, r, _ in ranked]) if snippets else {}
    return [
        LexicalHit(kind, row_id, score, marked.get((kind, row_id), ""))
        for kind, row_id, score in ranked
    ]


def snippets_for(
    conn: ReadConnection, query: str, keys: Sequence[tuple[str, int]]
) -> dict[tuple[str, int], str]:
    """Highlighted snippets of the rows ``keys`` (kind, id) that match ``query`` at all."""
    match = _match(conn, query)
    return _snippets(conn, match, keys) if match and keys else {}


def _snippets(
    conn: ReadConnection, match: str, keys: Sequence[tuple[str, int]]
) -> dict[tuple[str, int], str]:
    """Highlighted snippets of just the kept hits, one query per kind."""
    by_kind: dict[str, list[int]] = {}
    for kind, row_id in keys:
        by_kind.setdefault(kind, []).append(row_id)
    out: dict[tuple[str, int], str] = {}
    for kind, ids in by_kind.items():
        statement = _sql_for(conn)(
            KINDS[kind], topic=False, include_references=True, by_rowid=False, rowids=True
        )
        params = {"q": match, "n": len(ids), "rowids": ids, **_owner(KINDS[kind])}
        for row_id, _, snippet in conn.execute(statement, params):
            out[(kind, int(row_id))] = str(snippet or "")
    return out


def snippet_for(conn: ReadConnection, kind: str, row_id: int, query: str) -> str | None:
    """FTS5's highlighted snippet of one row for ``query``, or None if no term matches."""
    match = _match(conn, query)
    if match is None:
        return None
    table = KINDS[kind]
    statement = _sql_for(conn)(table, topic=False, include_references=True, by_rowid=True)
    params = {"q": match, "n": 1, "rowid": row_id, **_owner(table)}
    row = conn.execute(statement, params).first()
    return str(row[2]) if row and row[2] else None


def excerpt(text: str, words: int = 40) -> str:
    """The start of ``text`` as a snippet when no query term appears in it."""
    parts = text.split()
    head = " ".join(parts[:words])
    return head + (f" {ELLIPSIS}" if len(parts) > words else "")


def split_marked(snippet: str) -> tuple[str, list[tuple[int, int]]]:
    """Strip «» marks: the plain text and the (start, end) spans they enclosed.

    Front ends render the spans however they like (rich styles, TUI markup).
    """
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    start: int | None = None
    for ch in snippet:
        if ch == MARK_OPEN and start is None:
            start = pos
        elif ch == MARK_CLOSE and start is not None:
            spans.append((start, pos))
            start = None
        else:
            plain.append(ch)
            pos += 1
    return "".join(plain), spans


def rebuild_fts(conn: Any) -> None:
    """Re-derive every FTS5 table from its content table (repairs any drift).

    ``conn`` is a SQLAlchemy connection inside a write transaction. On
    PostgreSQL the tsvector side tables are emptied and refilled by touching
    every row, which fires the sync trigger of migration 2.
    """
    if conn.dialect.name == "postgresql":
        from paperlab.store.migration_fulltext import FTS_TABLES

        for fts, table_name, columns in FTS_TABLES:
            conn.exec_driver_sql(f"DELETE FROM {fts}")
            conn.exec_driver_sql(f"UPDATE {table_name} SET {columns[0]} = {columns[0]}")
        return
    for table in KINDS.values():
        conn.exec_driver_sql(f"INSERT INTO {table.fts}({table.fts}) VALUES ('rebuild')")


__all__ = [
    "ELLIPSIS",
    "KINDS",
    "MARK_CLOSE",
    "MARK_OPEN",
    "LexicalHit",
    "excerpt",
    "fts_query",
    "query_terms",
    "rebuild_fts",
    "search_lexical",
    "snippet_for",
    "split_marked",
]
