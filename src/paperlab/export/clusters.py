"""Deterministic k-means on unit vectors, with k chosen by silhouette.

Themes of a reading group a few dozen papers at most, so everything here is
plain numpy: exact pairwise distances cost nothing at that size.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# Below this mean silhouette the best split is no better than noise: one theme.
MIN_SILHOUETTE = 0.05
MAX_THEMES = 8
# A split must beat noise of the same shape by this factor to count as themes.
NULL_MARGIN = 1.5


def choose_k(n: int) -> int:
    """Clusters for ``n`` papers: about sqrt(n/2) rounded up, between 1 and 8.

    Fewer than four papers make one theme: splitting three papers into
    named clusters tells the reader nothing.
    """
    if n < 4:
        return 1
    return max(1, min(MAX_THEMES, math.ceil(math.sqrt(n / 2))))


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


def _inertia(vectors: np.ndarray, labels: list[int]) -> float:
    import numpy as np

    lab = np.asarray(labels)
    return float(
        sum(((vectors[lab == j] - vectors[lab == j].mean(axis=0)) ** 2).sum() for j in set(labels))
    )


def steady_kmeans(vectors: np.ndarray, k: int, restarts: int = 8) -> list[int]:
    """The k-means labels of least inertia over ``restarts`` fixed seeds (deterministic)."""
    runs = [kmeans(vectors, k, seed=seed) for seed in range(restarts)]
    return min(runs, key=lambda labels: (_inertia(vectors, labels), labels))


def silhouette(vectors: np.ndarray, labels: list[int]) -> float:
    """Mean silhouette under cosine distance (0 for a single cluster)."""
    import numpy as np

    lab = np.asarray(labels)
    if len(set(labels)) < 2:
        return 0.0
    dist = 1.0 - vectors @ vectors.T
    scores = []
    for i in range(len(labels)):
        own = lab == lab[i]
        if own.sum() <= 1:
            scores.append(0.0)  # a singleton's silhouette is 0 by convention
            continue
        a = dist[i, own].sum() / (own.sum() - 1)
        b = min(dist[i, lab == j].mean() for j in set(labels) if j != lab[i])
        scores.append((b - a) / max(a, b) if max(a, b) > 0 else 0.0)
    return float(np.mean(scores))


def _best_split(vectors: np.ndarray) -> tuple[float, list[int]]:
    """The best silhouette over k = 2..min(8, n/2), splits without a lone paper first."""
    n = vectors.shape[0]
    scored: list[tuple[bool, float, int, list[int]]] = []
    for candidate in range(2, min(MAX_THEMES, n // 2) + 1):
        labels = steady_kmeans(vectors, candidate)
        sizes = [labels.count(j) for j in set(labels)]
        scored.append((min(sizes) > 1, silhouette(vectors, labels), -candidate, labels))
    if not scored:
        return 0.0, [0] * n
    _whole, score, _k, labels = max(scored, key=lambda s: (s[0], s[1], s[2]))
    return score, labels


def null_silhouette(vectors: np.ndarray, copies: int = 4) -> float:
    """The best silhouette that structureless data of the same shape reaches.

    Each copy permutes every coordinate across the papers independently, which
    keeps each coordinate's spread and destroys any grouping; the silhouette
    that k-means finds there is what noise alone achieves (it is large in few
    dimensions and small in many, so no fixed threshold would do).
    """
    import numpy as np

    rng = np.random.default_rng(0)
    scores = []
    for _ in range(copies):
        shuffled = np.stack([rng.permutation(column) for column in vectors.T], axis=1)
        norms = np.linalg.norm(shuffled, axis=1, keepdims=True)
        shuffled = shuffled / np.where(norms > 0, norms, 1.0)
        scores.append(_best_split(shuffled.astype(np.float32))[0])
    return float(np.mean(scores))


def best_clustering(vectors: np.ndarray, k: int | None = None) -> list[int]:
    """Labels for ``vectors``: ``k`` clusters when given, else the k with the best silhouette.

    Candidates run from 2 to min(8, n/2); splits that leave a paper alone in
    a cluster lose to those that do not, since a one-paper section of a
    related-work chapter compares nothing. The best split is kept only when
    its silhouette clearly beats what structureless data of the same shape
    reaches (``NULL_MARGIN`` times :func:`null_silhouette`, and at least
    ``MIN_SILHOUETTE``); otherwise the reading has no real groups: one theme.
    """
    n = vectors.shape[0]
    if k is not None:
        return steady_kmeans(vectors, k)
    if n < 4:
        return [0] * n
    score, labels = _best_split(vectors)
    if score < MIN_SILHOUETTE or score < NULL_MARGIN * null_silhouette(vectors):
        return [0] * n
    return labels


__all__ = [
    "MIN_SILHOUETTE",
    "best_clustering",
    "choose_k",
    "kmeans",
    "null_silhouette",
    "silhouette",
    "steady_kmeans",
]
