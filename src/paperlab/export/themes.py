"""Group papers into themes: roadmap topic tags first, then embedding clusters.

A tagged paper goes under its first topic in roadmap order (earliest week).
Untagged papers are clustered by k-means on one vector per paper (the mean of
its chunk vectors, or its embedded title+abstract when it has none); each
cluster is named from its own papers' key terms (tf-idf over titles and
abstracts), so a theme title says what the papers share.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlmodel import col, select

from paperlab.settings import Settings
from paperlab.store import Store
from paperlab.store.models import Chunk, Embedding, Paper, Topic

if TYPE_CHECKING:
    import numpy as np

    from paperlab.search.embedder import Embedder

_STOP = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "here",
        "how",
        "however",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "more",
        "most",
        "much",
        "new",
        "no",
        "nor",
        "not",
        "novel",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "paper",
        "papers",
        "propose",
        "proposed",
        "proposes",
        "present",
        "presents",
        "same",
        "show",
        "shows",
        "shown",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "use",
        "used",
        "uses",
        "using",
        "very",
        "via",
        "was",
        "we",
        "well",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "yet",
        "approach",
        "approaches",
        "method",
        "methods",
        "result",
        "results",
        "work",
        "works",
        "based",
        "study",
        "studies",
        "task",
        "tasks",
        "problem",
        "problems",
        "article",
        "one",
        "two",
        "three",
        "first",
        "second",
        "existing",
        "able",
        "show",
        "demonstrate",
        "demonstrates",
        "provide",
        "provides",
    ]
)
_WORD = re.compile(r"[a-zA-Z][a-zA-Z\-]{2,}")


@dataclass(frozen=True)
class Theme:
    """One section of the review: a free tag, a roadmap topic or a named cluster."""

    title: str
    kind: str  # "tag" | "topic" | "cluster" | "other"
    paper_ids: list[str]
    slug: str | None = None
    terms: list[str] = field(default_factory=list)


def tokens(text: str) -> list[str]:
    """Lower-case content words of ``text`` (stop words and math dropped)."""
    text = re.sub(r"\$[^$]*\$", " ", text)
    words = [w.lower().strip("-") for w in _WORD.findall(text)]
    return [w for w in words if w not in _STOP and len(w) > 2]


def key_terms(
    docs: Sequence[str], groups: Sequence[Sequence[int]], top: int = 3
) -> list[list[str]]:
    """The ``top`` tf-idf terms of each group of documents (indexes into ``docs``)."""
    tokenised = [tokens(d) for d in docs]
    df: Counter[str] = Counter()
    for toks in tokenised:
        df.update(set(toks))
    n = max(len(docs), 1)
    out: list[list[str]] = []
    for group in groups:
        scores: dict[str, float] = {}
        for i in group:
            counts = Counter(tokenised[i])
            total = sum(counts.values()) or 1
            for term, c in counts.items():
                # Smoothed idf: a term every paper uses still counts a little,
                # so a one-cluster library gets a name too.
                weight = (c / total) * (math.log((1 + n) / (1 + df[term])) + 1)
                scores[term] = scores.get(term, 0.0) + weight
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        out.append([t for t, _ in ranked[:top]])
    return out


def choose_k(n: int) -> int:
    """Clusters for ``n`` papers: about sqrt(n/2) rounded up, between 1 and 8.

    Fewer than four papers make one theme: splitting three papers into
    named clusters tells the reader nothing.
    """
    if n < 4:
        return 1
    return max(1, min(8, math.ceil(math.sqrt(n / 2))))


def kmeans(vectors: np.ndarray, k: int, *, seed: int = 0, iterations: int = 50) -> list[int]:
    """Deterministic k-means (k-means++ seeding, cosine on unit vectors)."""
    import numpy as np

    n = vectors.shape[0]
    k = max(1, min(k, n))
    rng = np.random.default_rng(seed)
    centres = [vectors[int(rng.integers(n))]]
    for _ in range(1, k):
        dist = np.min([np.sum((vectors - c) ** 2, axis=1) for c in centres], axis=0)
        total = float(dist.sum())
        if total <= 0:
            break
        centres.append(vectors[int(rng.choice(n, p=dist / total))])
    c = np.array(centres)
    labels = np.zeros(n, dtype=int)
    for _ in range(iterations):
        d = ((vectors[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
        new = d.argmin(axis=1)
        if _ and np.array_equal(new, labels):
            break
        labels = new
        for j in range(len(c)):
            members = vectors[labels == j]
            if len(members):
                c[j] = members.mean(axis=0)
    # Number clusters by first appearance so output is stable across runs.
    order: dict[int, int] = {}
    for label in labels.tolist():
        order.setdefault(label, len(order))
    return [order[label] for label in labels.tolist()]


def paper_vectors(
    store: Store,
    settings: Settings,
    papers: Sequence[Paper],
    *,
    embedder: Embedder | None = None,
    allow_embed: bool = True,
) -> dict[str, np.ndarray]:
    """One unit vector per paper: mean of its stored chunk vectors, else its abstract.

    Uses the model that covers most of the papers in the Embedding table; a
    paper without vectors under it has its title and abstract embedded (the
    model loads only then, and only when ``allow_embed``).
    """
    import numpy as np

    ids = [p.id for p in papers]
    with store.read() as session:
        rows = session.exec(
            select(Chunk.paper_id, Embedding.model, Embedding.vector)
            .join(Embedding, col(Embedding.content_hash) == col(Chunk.content_hash))
            .where(col(Chunk.paper_id).in_(ids))
            .where(col(Chunk.is_reference).is_(False))
        ).all()
    by_model: dict[str, dict[str, list[bytes]]] = {}
    for paper_id, model_name, blob in rows:
        by_model.setdefault(model_name, {}).setdefault(paper_id, []).append(blob)
    out: dict[str, np.ndarray] = {}
    model: str | None = None
    if by_model:
        model = max(
            by_model,
            key=lambda m: (len(by_model[m]), m == settings.embed_model),
        )
        for paper_id, blobs in by_model[model].items():
            mats = [np.frombuffer(b, dtype=np.float32) for b in blobs]
            if len({m.shape for m in mats}) != 1:
                continue
            mean = np.mean(np.stack(mats), axis=0)
            norm = float(np.linalg.norm(mean))
            if norm > 0:
                out[paper_id] = (mean / norm).astype(np.float32)
    missing = [p for p in papers if p.id not in out and (p.title or p.abstract)]
    if missing and allow_embed:
        if embedder is None:
            from paperlab.search.embedder import load_embedder

            embedder = load_embedder(settings)
        if model is not None and embedder.model_name != model:
            # Vectors from two models are not comparable: embed everyone anew.
            out.clear()
            missing = [p for p in papers if p.title or p.abstract]
        texts = [f"{p.title}. {p.abstract}" for p in missing]
        vectors = embedder.embed(texts)
        for paper, vector in zip(missing, vectors, strict=True):
            out[paper.id] = np.asarray(vector, dtype=np.float32)
    return out


def themes_by_tag(
    papers: Sequence[Paper], paper_tags: Mapping[str, Sequence[str]]
) -> tuple[list[Theme], list[Paper]]:
    """One theme per free tag, and the papers that carry none.

    A paper with several tags joins the tag most shared among ``papers`` (then
    the alphabetically first), so themes gather papers rather than scatter
    them one per section.
    """
    counts: dict[str, int] = {}
    for paper in papers:
        for tag in set(paper_tags.get(paper.id, ())):
            counts[tag] = counts.get(tag, 0) + 1
    by_tag: dict[str, list[str]] = {}
    rest: list[Paper] = []
    for paper in papers:
        tags = sorted(set(paper_tags.get(paper.id, ())), key=lambda t: (-counts[t], t))
        if tags:
            by_tag.setdefault(tags[0], []).append(paper.id)
        else:
            rest.append(paper)
    themes = [
        Theme(title=f"#{tag}", kind="tag", paper_ids=by_tag[tag], slug=tag)
        for tag in sorted(by_tag, key=lambda t: (-len(by_tag[t]), t))
    ]
    return themes, rest


def group_papers(
    papers: Sequence[Paper],
    paper_topics: Mapping[str, Sequence[str]],
    topics: Mapping[str, Topic],
    vectors: Mapping[str, np.ndarray],
    *,
    k: int | None = None,
) -> list[Theme]:
    """Themes covering every paper exactly once: topics, clusters, then the rest."""
    import numpy as np

    def topic_order(slug: str) -> tuple[int, str]:
        topic = topics.get(slug)
        weeks = topic.week_list if topic else []
        return (min(weeks) if weeks else 99, slug)

    by_topic: dict[str, list[str]] = {}
    untagged: list[Paper] = []
    for paper in papers:
        slugs = sorted(paper_topics.get(paper.id, []), key=topic_order)
        if slugs:
            by_topic.setdefault(slugs[0], []).append(paper.id)
        else:
            untagged.append(paper)
    themes = [
        Theme(
            title=topics[slug].title if slug in topics else slug,
            kind="topic",
            paper_ids=by_topic[slug],
            slug=slug,
        )
        for slug in sorted(by_topic, key=topic_order)
    ]
    with_vec = [p for p in untagged if p.id in vectors]
    without = [p for p in untagged if p.id not in vectors]
    if with_vec:
        matrix = np.stack([vectors[p.id] for p in with_vec])
        labels = kmeans(matrix, k or choose_k(len(with_vec)))
        groups: list[list[int]] = [[] for _ in range(max(labels) + 1)]
        for i, label in enumerate(labels):
            groups[label].append(i)
        docs = [f"{p.title} {p.title} {p.abstract}" for p in with_vec]  # titles weigh double
        names = key_terms(docs, groups)
        for group, terms in zip(groups, names, strict=True):
            title = ", ".join(t.capitalize() if i == 0 else t for i, t in enumerate(terms))
            themes.append(
                Theme(
                    title=title or "Other papers",
                    kind="cluster",
                    paper_ids=[with_vec[i].id for i in group],
                    terms=terms,
                )
            )
    if without:
        themes.append(Theme(title="Other papers", kind="other", paper_ids=[p.id for p in without]))
    return themes


__all__ = ["Theme", "choose_k", "group_papers", "key_terms", "kmeans", "paper_vectors", "tokens"]
