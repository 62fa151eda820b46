"""Search service: hybrid (BM25 + dense) search over passages, notes, annotations, log.

Both retrievers return a ranked candidate list; reciprocal rank fusion merges
them. Notes, annotations and log entries saved since the last query are
embedded before it runs (they are few), so a note is found by meaning the
moment it is saved; it is found by its words even sooner, through the FTS5
triggers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from paperlab.background import Background
from paperlab.embedding import (
    annotation_text,
    embed_pending_small,
    model_dim,
    note_text,
    small_items,
)
from paperlab.errors import NotFoundError, UsageError
from paperlab.search.embedder import Embedder, load_embedder
from paperlab.search.fusion import FusionParams, fuse_hybrid, group_by
from paperlab.search.lexical import KINDS, LexicalHit, excerpt, search_lexical, snippets_for
from paperlab.search.pgvector_queries import nearest_passages, scores_for_hashes
from paperlab.search.vectors import (
    ID_SHIFT,
    KIND_CODES,
    VectorPaths,
    faiss_id,
    faiss_ids,
    preload_index,
    split_id,
)
from paperlab.search.vectors_pg import DensePath, choose_dense_path, ensure_hnsw
from paperlab.settings import Settings
from paperlab.store import Store
from paperlab.store.reader import ReadConnection
from paperlab.store.values import NOTE_TEXT_COLUMNS, me, visible
from paperlab.vectorsync import sync_vectors

Scope = Literal["all", "papers", "notes", "log"]
Mode = Literal["hybrid", "lexical", "dense"]
SCOPES: dict[str, tuple[str, ...]] = {
    "all": ("passage", "note", "annotation", "log"),
    "papers": ("passage",),
    "notes": ("note", "annotation"),
    "log": ("log",),
}
MIN_CANDIDATES = 50
PER_PAPER = 3
# Below this cosine the bundled model's nearest text is not about the query: a
# hybrid search with no word matched then finds nothing rather than the least far
# texts. Off-topic queries on a library of ML papers peak at 0.13-0.20; each of
# SciFact's 809 training queries matches words, and its nearest text scores at
# least 0.29 (docs/performance.md, "Queries that find nothing").
UNRELATED_BELOW = 0.25


@dataclass
class SearchHit:
    """One result. ``snippet`` marks query terms as «term» (see lexical.split_marked)."""

    kind: str  # "passage" | "note" | "annotation" | "log"
    row_id: int  # chunk / note / annotation / log_entry id
    paper_id: str | None
    title: str
    page: int | None
    section: str | None
    text: str
    snippet: str
    score: float
    lexical_rank: int | None = None
    dense_rank: int | None = None
    dense_score: float | None = None
    owner: str | None = None  # who wrote a note, annotation or log entry (None: a passage)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _validate(store: Store, query: str, k: int, scope: str, topic: str | None) -> None:
    if not query or not query.strip():
        raise UsageError("The search query is empty.", hint='Try e.g. paperlab search "attention"')
    if k < 1:
        raise UsageError(f"-k must be at least 1 (got {k}).")
    if scope not in SCOPES:
        raise UsageError(
            f"Unknown search scope {scope!r}.", hint=f"Use one of: {', '.join(SCOPES)}."
        )
    if topic is not None:
        with store.connect() as conn:
            found = conn.execute("SELECT 1 FROM topic WHERE slug = :t", {"t": topic}).first()
        if not found:
            raise NotFoundError(
                f"There is no topic {topic!r}.", hint="Run `paperlab topics` to list topics."
            )


def library_is_empty(store: Store) -> bool:
    """True when there is nothing at all to search (no chunks, notes, annotations, log)."""
    with store.connect() as conn:
        for table in ("chunk", "note", "annotation", "log_entry"):
            if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").first():
                return False
    return True


def paper_count(store: Store) -> int:
    """How many papers the library holds, with searchable text or not."""
    with store.connect() as conn:
        row = conn.execute("SELECT COUNT(*) FROM paper").first()
    return int(row[0]) if row else 0


def _has_vectors_or_items(conn: ReadConnection, model: str) -> bool:
    for statement in (
        "SELECT 1 FROM embedding WHERE model = :m LIMIT 1",
        "SELECT 1 FROM note LIMIT 1",
        "SELECT 1 FROM annotation LIMIT 1",
        "SELECT 1 FROM log_entry LIMIT 1",
    ):
        if conn.execute(statement, {"m": model}).first():
            return True
    return False


@dataclass(frozen=True)
class Within:
    """What a search is limited to: a topic, some papers, both, or (all None) everything."""

    topic: str | None = None
    papers: Sequence[str] | None = None  # paper ids; empty: nothing

    @property
    def limited(self) -> bool:
        return self.topic is not None or self.papers is not None


def _allowed_ids(conn: ReadConnection, kinds: Sequence[str], within: Within) -> np.ndarray:
    """The faiss ids of the rows of ``kinds`` that ``within`` keeps (int64).

    A choice of many papers keeps hundreds of thousands of passages: their ids
    are made in numpy, not one Python call each.
    """
    parts = [np.empty(0, dtype=np.int64)]
    if within.papers is not None and not within.papers:
        return parts[0]
    for kind in kinds:
        table = KINDS[kind]
        where: list[str] = []
        params: dict[str, Any] = {}
        if within.topic is not None:
            where.append(table.topic_clause)
            params["topic"] = within.topic
        if within.papers is not None:
            where.append(table.papers_clause)
            params["papers"] = list(within.papers)
        rows = conn.execute(
            f"SELECT {table.alias}.id FROM {table.table} {table.alias} WHERE {' AND '.join(where)}",
            params,
        ).all()
        row_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        parts.append(faiss_ids(kind, row_ids))
    return np.concatenate(parts)


def _kind_range(kinds: Sequence[str]) -> tuple[int, int] | None:
    codes = sorted(KIND_CODES[k] for k in kinds)
    if codes == list(range(len(KIND_CODES))):
        return None
    # Scopes are runs of consecutive kind codes, so one id range selects them.
    return codes[0] << ID_SHIFT, (codes[-1] + 1) << ID_SHIFT


def _dense(
    store: Store,
    settings: Settings,
    query: str,
    kinds: Sequence[str],
    within: Within,
    limit: int,
    embedder: Embedder | None,
    path: DensePath,
) -> list[tuple[str, int, float]]:
    """Top ``limit`` (kind, row id, cosine), from the faiss cache or the lab server."""
    with store.connect() as conn:
        if not _has_vectors_or_items(conn, settings.embed_model):
            return []
    embedder = embedder or load_embedder(settings)
    embed_pending_small(store, embedder)
    if path.name == "pgvector":
        return _dense_pgvector(store, settings, embedder.embed_query(query), kinds, within, limit)
    # The query first: it runs while a preload still checks the faiss file.
    vector = embedder.embed_query(query)
    index = sync_vectors(store, settings).index
    if index is None or index.ntotal == 0:
        return []
    allowed = None
    if within.limited:
        with store.connect() as conn:
            allowed = _allowed_ids(conn, kinds, within)
    return index.search(vector, limit, allowed=allowed, id_range=_kind_range(kinds))


def _dense_pgvector(
    store: Store,
    settings: Settings,
    vector: Any,
    kinds: Sequence[str],
    within: Within,
    limit: int,
) -> list[tuple[str, int, float]]:
    """The faiss path's hits, asked of the server: the same kinds, limits and count.

    Passages through the HNSW index (an exact scan within a topic, as faiss
    filters); notes, annotations and log entries exactly, by their content
    hashes (they are few and have no hash column to join on).
    """
    model = settings.embed_model
    with store.connect() as conn:
        dim = model_dim(conn, model)
    if dim is None:
        return []
    ensure_hnsw(store, model, dim)
    hits: list[tuple[str, int, float]] = []
    with store.connect() as conn:
        allowed = set(_allowed_ids(conn, kinds, within).tolist()) if within.limited else None
        if "passage" in kinds:
            chunk_ids = None
            if allowed is not None:
                chunk_ids = [row for kind, row in map(split_id, allowed) if kind == "passage"]
            found = nearest_passages(conn, model, dim, vector, limit, chunk_ids)
            hits.extend(("passage", row, score) for row, score in found)
        items = [
            item
            for item in small_items(conn)
            if item.kind in kinds
            and (allowed is None or faiss_id(item.kind, item.row_id) in allowed)
        ]
        scores = scores_for_hashes(conn, model, dim, vector, [item.hash for item in items])
    hits.extend((i.kind, i.row_id, scores[i.hash]) for i in items if i.hash in scores)
    hits.sort(key=lambda hit: -hit[2])
    return hits[:limit]


def _hydrate(
    conn: ReadConnection, keys: Sequence[tuple[str, int]]
) -> dict[tuple[str, int], SearchHit]:
    by_kind: dict[str, list[int]] = {}
    for kind, row_id in keys:
        by_kind.setdefault(kind, []).append(row_id)
    out: dict[tuple[str, int], SearchHit] = {}
    queries = {
        "passage": "SELECT c.id, c.paper_id, p.title, c.page_start, c.section, NULL, c.text "
        "FROM chunk c JOIN paper p ON p.id = c.paper_id WHERE c.id IN :ids",
        "note": "SELECT n.id, n.paper_id, p.title, NULL, 'Note', n.owner, "
        + ", ".join(f"n.{f}" for f in NOTE_COLUMNS)
        + " FROM note n JOIN paper p ON p.id = n.paper_id WHERE n.id IN :ids AND "
        + visible("n"),
        "annotation": "SELECT a.id, a.paper_id, p.title, a.page, 'Annotation', a.owner, "
        "a.quote, a.comment "
        "FROM annotation a JOIN paper p ON p.id = a.paper_id WHERE a.id IN :ids AND "
        + visible("a"),
        "log": "SELECT l.id, lp.paper_id, "
        "'Log ' || l.kind || ' ' || substr(CAST(l.created_at AS VARCHAR), 1, 10), NULL, l.kind, "
        "l.owner, l.text "
        "FROM log_entry l LEFT JOIN (SELECT log_id, MIN(paper_id) AS paper_id FROM log_paper "
        "GROUP BY log_id) lp ON lp.log_id = l.id WHERE l.id IN :ids AND " + visible("l"),
    }
    for kind, ids in by_kind.items():
        # Another user's private note is never a hit, whatever an index still holds.
        params = {"ids": ids, **(me() if kind != "passage" else {})}
        for row in conn.execute(queries[kind], params):
            if kind == "note":
                body = note_text(row[6:])
            elif kind == "annotation":
                body = annotation_text(row[6], row[7])
            else:
                body = str(row[6])
            out[(kind, int(row[0]))] = SearchHit(
                kind=kind,
                row_id=int(row[0]),
                paper_id=row[1],
                title=str(row[2] or ""),
                page=int(row[3]) if row[3] is not None else None,
                section=row[4],
                text=body,
                snippet="",
                score=0.0,
                owner=row[5],
            )
    return out


NOTE_COLUMNS = NOTE_TEXT_COLUMNS


def _unrelated(settings: Settings, dense: Sequence[tuple[str, int, float]]) -> bool:
    """Whether the nearest texts are too far to be about the query (bundled model only:
    another model's cosines have another scale)."""
    from paperlab.settings import DEFAULT_EMBED_MODEL

    return (
        bool(dense)
        and settings.embed_model == DEFAULT_EMBED_MODEL
        and max(score for _, _, score in dense) < UNRELATED_BELOW
    )


def search(
    store: Store,
    settings: Settings,
    query: str,
    k: int = 10,
    scope: str = "all",
    topic: str | None = None,
    by_paper: bool = False,
    embedder: Embedder | None = None,
    *,
    papers: Sequence[str] | None = None,
    include_references: bool = False,
    mode: str = "hybrid",
    fusion: FusionParams | None = None,
    candidates: int | None = None,
    info: dict[str, Any] | None = None,
) -> list[SearchHit]:
    """Hybrid search. Returns at most ``k`` hits (``by_paper``: ``k`` papers,
    each with its best few hits, consecutive), best first.

    ``scope``: all | papers (passages) | notes (notes and annotations) | log.
    ``topic`` keeps papers tagged with it, their notes and annotations, and log
    entries linked to the topic or to those papers; ``papers`` (ids) keeps those
    papers' passages, notes and annotations and the log entries linked to them
    (an empty list: nothing is searched). Reference-section chunks
    are left out unless ``include_references``. ``mode`` lexical/dense runs a
    single retriever (benchmarks). ``info``, when given, is filled with which
    dense path ran (``dense``: pgvector | faiss | None) and why (``dense_reason``),
    and ``unrelated``: the best similarity when no word matched and no text came
    close enough (``UNRELATED_BELOW``), so nothing was found; else None.
    """
    _validate(store, query, k, scope, topic)
    if mode not in ("hybrid", "lexical", "dense"):
        raise UsageError(f"Unknown search mode {mode!r}.")
    kinds = SCOPES[scope]
    within = Within(topic, None if papers is None else list(dict.fromkeys(papers)))
    if within.papers:
        with store.connect() as conn:
            every = conn.execute("SELECT count(*) FROM paper").scalar()
        if len(within.papers) >= int(every or 0):
            within = Within(topic, None)  # every paper is chosen: nothing to filter
    if within.papers == []:
        if info is not None:
            info.update(dense=None, dense_reason="no paper chosen", unrelated=None)
        return []
    want = k * PER_PAPER if by_paper else k
    limit = candidates or max(MIN_CANDIDATES, want * 5)
    path = choose_dense_path(store) if mode != "lexical" else None
    if path is not None and path.name == "faiss":
        # Verify the faiss file on a thread while BM25 runs and the query is embedded.
        preload_index(
            VectorPaths.for_model(settings.index_dir, settings.embed_model), settings.embed_model
        )

    def run_lexical() -> list[LexicalHit]:
        with store.connect() as conn:
            return search_lexical(
                conn,
                query,
                kinds,
                limit,
                topic=topic,
                papers=within.papers,
                include_references=include_references,
                snippets=False,  # made below for the hits that are kept
            )

    # BM25 runs in the database with the GIL released, so it goes beside the
    # dense half (embedding the query, loading the index) when both run.
    lexical_job = Background(run_lexical) if mode != "dense" and path is not None else None
    lexical = run_lexical() if mode != "dense" and lexical_job is None else []
    dense = []
    if info is not None:
        info.update(dense=None, dense_reason=f"{mode} search", unrelated=None)
    try:
        if path is not None:
            if info is not None:
                info.update(dense=path.name, dense_reason=path.reason)
            dense = _dense(store, settings, query, kinds, within, limit, embedder, path)
    except BaseException:
        if lexical_job is not None:
            lexical_job.wait()  # not left running on a connection being closed
        raise
    if lexical_job is not None:
        lexical = lexical_job.result()  # re-raises what BM25 raised
    if mode == "hybrid" and not lexical and _unrelated(settings, dense):
        if info is not None:
            info["unrelated"] = max(score for _, _, score in dense)
        dense = []
    lex_keys = [(h.kind, h.row_id) for h in lexical]
    dense_keys = [(kind, row) for kind, row, _ in dense]
    fused = fuse_hybrid(lex_keys, dense_keys, fusion)
    with store.connect() as conn:
        hits = _hydrate(conn, [key for key, _ in fused])
        fused = [(key, score) for key, score in fused if key in hits]
        if by_paper:
            group_of: dict[Any, Any] = {key: hit.paper_id or key for key, hit in hits.items()}
            fused = group_by(fused, group_of, groups=k, per_group=PER_PAPER)
        else:
            fused = fused[:k]
        lex_rank = {key: i for i, key in enumerate(lex_keys, start=1)}
        marked = snippets_for(conn, query, [key for key, _ in fused])
        dense_rank = {(kind, row): i for i, (kind, row, _) in enumerate(dense, start=1)}
        dense_score = {(kind, row): score for kind, row, score in dense}
        results: list[SearchHit] = []
        for key, score in fused:
            hit = hits[key]
            hit.score = score
            hit.lexical_rank = lex_rank.get(key)
            hit.dense_rank = dense_rank.get(key)
            hit.dense_score = dense_score.get(key)
            hit.snippet = marked.get(key) or excerpt(hit.text)
            results.append(hit)
    return results


def papers_of(store: Store, hits: Sequence[SearchHit]) -> list[dict[str, Any]]:
    """``by_paper`` hits as one record per paper, its hits inside, best paper first.

    ``search(by_paper=True)`` returns each paper's hits consecutively; a hit
    with no paper (a log entry linked to none) is a record of its own. The
    record's score is its best hit's.
    """
    ids = sorted({hit.paper_id for hit in hits if hit.paper_id})
    known: dict[str, tuple[str, str | None]] = {}
    if ids:
        with store.connect() as conn:
            rows = conn.execute(
                "SELECT id, title, citation_key FROM paper WHERE id IN :ids", {"ids": ids}
            )
            known = {str(r[0]): (str(r[1] or ""), r[2]) for r in rows}
    records: list[dict[str, Any]] = []
    for hit in hits:
        last = records[-1] if records else None
        if last is not None and hit.paper_id and last["paper_id"] == hit.paper_id:
            last["passages"].append(hit.to_dict())
            last["score"] = max(last["score"], hit.score)
            continue
        title, citekey = known.get(hit.paper_id or "", (hit.title, None))
        records.append(
            {
                "paper_id": hit.paper_id,
                "title": title,
                "citekey": citekey,
                "score": hit.score,
                "passages": [hit.to_dict()],
            }
        )
    return records


__all__ = ["SCOPES", "SearchHit", "library_is_empty", "papers_of", "search"]
