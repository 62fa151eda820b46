"""What to read next: library papers and cited arXiv papers, ranked, with reasons.

Each signal adds to a paper's score and, when it counts, a reason in words:

- the plan: core papers of the current week (and of the chosen track) come
  before optional ones (``paperlab.planning``, when present);
- citations from what the learner engaged with: a paper cited by a read
  paper counts, by one with a note more, by one with annotations more still;
- prerequisites: the papers its reading-list entry names as prerequisites
  and the library papers it cites; when all are read it counts for it,
  otherwise the unread ones are named to read first;
- similarity to the learner's notes, annotations and log (questions, ideas,
  aims), from the stored embeddings: the closest one is named;
- only papers not read yet are ranked; arXiv papers outside the library that
  the library cites are included, marked, with ``paperlab fetch ID`` as the
  step to take; a library paper whose fetch failed keeps its place and says
  what failed, with the step that clears it.

The weights are small integers on purpose: a reason a learner can check
("core this week" beats "cited twice") matters more than a fine ranking.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from paperlab.references import citation_edges
from paperlab.settings import Settings, load_settings
from paperlab.store import Store
from paperlab.store.values import me, reading_states
from paperlab.wording import counted

# The plan comes first, core before optional: a core paper (12) outranks any
# optional one (6 + at most 3 from citations, 2.1 from similarity, 0.5 from
# prerequisites), and an optional one anything outside the plan (at most 5.6).
W_CORE = 12.0
W_OPTIONAL = 6.0
CITATION_CAP = 3.0
W_READ_CITER = 1.0
W_NOTED_CITER = 1.5
W_ANNOTATED_CITER = 2.0
W_PREREQ_MET = 0.5
W_SIMILAR = 3.0  # times the cosine above SIMILAR_FLOOR
SIMILAR_FLOOR = 0.3
READ = "read"


@dataclass
class NextPaper:
    """One suggestion: a library paper, or an arXiv paper to fetch first."""

    paper_id: str
    title: str | None
    in_library: bool
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    citation_key: str | None = None
    reading_state: str | None = None
    next_step: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Engagement:
    read: bool
    noted: bool
    annotations: int

    @property
    def counts(self) -> bool:
        return self.read or self.noted or self.annotations > 0

    @property
    def weight(self) -> float:
        if self.annotations:
            return W_ANNOTATED_CITER
        return W_NOTED_CITER if self.noted else W_READ_CITER

    def describe(self) -> str:
        parts = ["read" if self.read else ""]
        if self.noted:
            parts.append("noted")
        if self.annotations:
            parts.append(counted(self.annotations, "annotation"))
        return ", ".join(p for p in parts if p)


def _engagement(conn: Any) -> dict[str, _Engagement]:
    states = reading_states(conn)
    noted = {
        r[0]
        for r in conn.execute(
            "SELECT paper_id FROM note WHERE TRIM(summary || contributions || method || results"
            " || limitations || questions || relevance || body) != '' AND owner = :me",
            me(),
        ).all()
    }
    # What the current user engaged with: their state, their notes, their highlights.
    annotated = dict(
        conn.execute(
            "SELECT paper_id, COUNT(*) FROM annotation WHERE owner = :me GROUP BY 1", me()
        ).all()
    )
    return {
        str(pid): _Engagement(state == READ, pid in noted, int(annotated.get(pid, 0)))
        for pid, state in states.items()
    }


@dataclass(frozen=True)
class _PlanHit:
    weight: float
    reason: str
    builds_on: tuple[str, ...]
    title: str
    url: str | None


def _plan_signal(store: Store, today: date | None = None) -> dict[str, _PlanHit]:
    """Paper id (or entry key, for papers not in the library) -> this week's plan place."""
    from paperlab.planning import FIRST_TRACK_WEEK, week_plan

    plan = week_plan(store, today=today)
    # The track names weeks 21-24 only; weeks 19-20 lists belong to every track.
    in_track = plan.track is not None and plan.week >= FIRST_TRACK_WEEK
    where = f"week {plan.week}" + (f", track {plan.track}" if in_track else "")
    found: dict[str, _PlanHit] = {}
    for weight, kind, papers in (
        (W_CORE, "core", plan.core),
        (W_OPTIONAL, "optional", plan.optional),
    ):
        for item in papers:
            ident = item.paper_id or item.key
            if ident in found or item.state == "read":
                continue
            reason = f"{kind} paper of {where} in this week's plan ({item.list_name})"
            if item.focus:
                reason += f"; focus: {item.focus}"
            found[ident] = _PlanHit(weight, reason, item.builds_on, item.title, item.url)
    return found


def _prerequisites(conn: Any, ids: list[str]) -> dict[str, list[str]]:
    """Paper id -> the arXiv ids its reading-list entries name as prerequisites."""
    from paperlab.ids import try_parse_arxiv_id

    needs: dict[str, list[str]] = defaultdict(list)
    for paper_id, raw in conn.execute(
        "SELECT paper_id, prerequisites FROM reading_list_entry WHERE paper_id IN :ids",
        {"ids": ids or ["-"]},
    ):
        try:
            names = json.loads(raw or "[]")
        except ValueError:
            continue
        for name in names:
            parsed = try_parse_arxiv_id(str(name))
            if parsed is not None and parsed.base not in needs[str(paper_id)]:
                needs[str(paper_id)].append(parsed.base)
    return needs


def _similarity(store: Store, settings: Settings, ids: list[str]) -> dict[str, tuple[float, str]]:
    """paper id -> (best cosine, what of the learner's it is close to), from stored vectors."""
    import numpy as np

    from paperlab.embedding import small_items

    model = settings.embed_model
    _embed_new_notes(store, settings)
    with store.connect() as conn:
        items = small_items(conn, own=True)  # the learner's own writing
        if not items:
            return {}
        learner: list[tuple[str, bytes]] = []
        for item in items:
            row = conn.execute(
                "SELECT vector FROM embedding WHERE content_hash = :h AND model = :m",
                {"h": item.hash, "m": model},
            ).first()
            if row is not None:
                learner.append((_describe(item.kind, item.text), row[0]))
        if not learner:
            return {}
        rows = conn.execute(
            "SELECT c.paper_id, e.vector FROM chunk c JOIN embedding e ON "
            "e.content_hash = c.content_hash AND e.model = :m "
            "WHERE NOT c.is_reference AND c.paper_id IN :ids",
            {"m": model, "ids": ids},
        ).all()
    by_paper: dict[str, list[Any]] = defaultdict(list)
    for pid, blob in rows:
        by_paper[str(pid)].append(np.frombuffer(blob, dtype="<f4"))
    if not by_paper:
        return {}
    mine = np.stack([np.frombuffer(blob, dtype="<f4") for _, blob in learner])
    mine = mine / np.maximum(np.linalg.norm(mine, axis=1, keepdims=True), 1e-9)
    out: dict[str, tuple[float, str]] = {}
    for pid, vectors in by_paper.items():
        centre = np.mean(np.stack(vectors), axis=0)
        centre = centre / max(float(np.linalg.norm(centre)), 1e-9)
        scores = mine @ centre
        best = int(np.argmax(scores))
        out[pid] = (float(scores[best]), learner[best][0])
    return out


def _embed_new_notes(store: Store, settings: Settings) -> None:
    """Embed notes, annotations and log entries written since the last search or index.

    Only when the library has passages embedded with the model (nothing to
    compare them with otherwise), and only when some lack a vector: the
    model loads just then, as it does for a search.
    """
    from paperlab.embedding import embed_pending_small, existing_hashes, small_items
    from paperlab.search.embedder import load_embedder

    if store.readonly:
        return
    with store.connect() as conn:
        has_passages = conn.execute(
            "SELECT 1 FROM embedding WHERE model = :m LIMIT 1", {"m": settings.embed_model}
        ).first()
        items = small_items(conn)
        have = existing_hashes(conn, settings.embed_model, [i.hash for i in items])
    if has_passages and any(i.hash not in have for i in items):
        embed_pending_small(store, load_embedder(settings))


def _describe(kind: str, text: str) -> str:
    words = " ".join(text.split())
    short = words if len(words) <= 60 else words[:59] + "…"
    name = {"note": "your note", "annotation": "your annotation", "log": "your log entry"}
    return f"{name.get(kind, kind)} “{short}”"


def _failed(conn: Any) -> dict[str, tuple[str | None, bool]]:
    """Papers whose fetch or extraction failed: their stored reason, and whether a PDF is kept."""
    rows = conn.execute("SELECT id, state_reason, pdf_path FROM paper WHERE state = 'failed'")
    return {str(pid): (reason, bool(pdf)) for pid, reason, pdf in rows}


def _say_what_failed(item: NextPaper, reason: str | None, has_pdf: bool) -> None:
    """A failed paper stays in the ranking (the plan may need it), saying what stands in
    the way and the step that clears it."""
    from paperlab.fetchreport import DOWNLOAD, INDEX, METADATA, NOT_FOUND
    from paperlab.paperpage import failure_advice

    # First: it stands in the way of reading, and short listings show the first reasons.
    item.reasons.insert(0, failure_advice(item.paper_id, reason))
    stage = (reason or "").partition(": ")[0]
    if stage == NOT_FOUND:
        item.next_step = "with a PDF of it: paperlab add FILE.pdf"
    elif stage in (METADATA, DOWNLOAD) or not has_pdf:
        item.next_step = f"paperlab fetch {item.paper_id}"
    elif stage == INDEX:
        item.next_step = f"paperlab index {item.paper_id}"


def rank_next(
    store: Store, k: int = 10, settings: Settings | None = None, today: date | None = None
) -> list[NextPaper]:
    """The ``k`` papers most worth reading next, best first, each with its reasons.

    ``today`` picks the plan week (default: the real date); the TUI passes its own
    clock so the ranking agrees with the week it shows."""
    settings = settings or load_settings()
    index, edges, outside = citation_edges(store)
    with store.connect() as conn:
        engaged = _engagement(conn)
        states = reading_states(conn)
        failed = _failed(conn)
    titles = {pid: p.title for pid, p in index.papers.items()}
    suggestions: dict[str, NextPaper] = {}
    for pid, paper in index.papers.items():
        if states.get(pid) == READ:
            continue
        suggestions[pid] = NextPaper(
            pid,
            paper.title,
            True,
            citation_key=paper.citation_key,
            reading_state=str(states.get(pid)),
        )
    for arxiv_id, title in outside.items():
        suggestions[arxiv_id] = NextPaper(
            arxiv_id, title, False, next_step=f"paperlab fetch {arxiv_id}"
        )

    for pid, hit in _plan_signal(store, today).items():
        item = suggestions.get(pid)
        if item is None:  # in the plan, not in the library: an entry to get by hand
            item = suggestions[pid] = NextPaper(
                pid,
                hit.title,
                False,
                next_step=f"get it from {hit.url}, then paperlab add FILE"
                if hit.url
                else f"paperlab fetch {pid}",
            )
        item.score += hit.weight
        item.reasons.append(hit.reason)
        if hit.builds_on:
            item.reasons.append("builds on: " + "; ".join(hit.builds_on[:3]))

    citers: dict[str, list[str]] = defaultdict(list)
    cites: dict[str, list[str]] = defaultdict(list)
    for edge in edges:
        citers[edge.target].append(edge.source)
        if edge.in_library:
            cites[edge.source].append(edge.target)
    for target, sources in citers.items():
        item = suggestions.get(target)
        if item is None:
            continue
        counted = [s for s in sources if engaged.get(s) and engaged[s].counts]
        if counted:
            item.score += min(CITATION_CAP, sum(engaged[s].weight for s in counted))
            named = "; ".join(f"{titles[s]} ({engaged[s].describe()})" for s in counted[:3])
            more = f" and {len(counted) - 3} more" if len(counted) > 3 else ""
            item.reasons.append(f"cited by papers you read or noted: {named}{more}")
        elif len(sources) > 1:
            item.score += min(CITATION_CAP, 0.25 * len(sources))
            item.reasons.append(f"cited by {len(sources)} papers in your library")

    with store.connect() as conn:
        listed = _prerequisites(conn, list(suggestions))
    for pid in set(cites) | set(listed):
        item = suggestions.get(pid)
        if item is None:
            continue
        cited = list(dict.fromkeys([*listed.get(pid, []), *cites.get(pid, [])]))
        cited = [c for c in cited if c in titles]
        read = [c for c in cited if states.get(c) == READ]
        unread = [c for c in cited if states.get(c) != READ]
        if read and not unread:
            item.score += W_PREREQ_MET
            item.reasons.append(
                "prerequisites met: you have read "
                + "; ".join(titles[c] for c in read[:3])
                + (f" and {len(read) - 3} more" if len(read) > 3 else "")
            )
        elif unread:
            item.reasons.append("read first: " + "; ".join(titles[c] for c in unread[:2]))

    in_library = [pid for pid, s in suggestions.items() if s.in_library]
    for pid, (cosine, what) in _similarity(store, settings, in_library).items():
        if cosine > SIMILAR_FLOOR and pid in suggestions:
            suggestions[pid].score += W_SIMILAR * (cosine - SIMILAR_FLOOR)
            suggestions[pid].reasons.append(f"close to {what} (similarity {cosine:.2f})")

    for item in suggestions.values():
        if item.in_library:
            state = item.reading_state or "unread"
            item.reasons.append("not yet read" if state == "unread" else f"not finished ({state})")
            if item.paper_id in failed:
                _say_what_failed(item, *failed[item.paper_id])
        else:
            item.reasons.append("not in your library yet")
    ranked = sorted(
        (s for s in suggestions.values() if s.score > 0 or s.in_library),
        key=lambda s: (-s.score, not s.in_library, s.paper_id),
    )
    return ranked[: max(0, k)]


__all__ = ["NextPaper", "rank_next"]
