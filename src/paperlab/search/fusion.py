"""Fusing ranked lists: weighted reciprocal rank fusion.

RRF (Cormack et al., 2009) needs no score calibration between BM25 and
cosine similarity, which matters here because BM25 scores from different FTS
tables and queries live on unrelated scales. ``RRF_K`` and the weights were
chosen on the SciFact *train* qrels with ``bench/retrieval.py --tune``
(809 queries, 100-deep lists): nDCG@10 was 0.720 at the customary k=60,
0.730 at k=10 and 0.733 at k=5; lexical weights 0.75-1.5 moved it by under
0.005. k=10 with equal weights keeps most of the gain without letting the
top one or two ranks of a single retriever dominate.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

RRF_K = 10.0
LEXICAL_WEIGHT = 1.0
DENSE_WEIGHT = 1.0


@dataclass(frozen=True)
class FusionParams:
    k: float = RRF_K
    lexical_weight: float = LEXICAL_WEIGHT
    dense_weight: float = DENSE_WEIGHT


def rrf(
    rankings: Sequence[Sequence[K]], weights: Sequence[float] | None = None, k: float = RRF_K
) -> list[tuple[K, float]]:
    """Weighted reciprocal rank fusion of best-first lists of keys.

    score(d) = sum_i w_i / (k + rank_i(d)), rank starting at 1; a key missing
    from a list contributes nothing for it. Ties keep first-seen order.
    """
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[K, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        seen: set[K] = set()
        for rank, key in enumerate(ranking, start=1):
            if key in seen:
                continue
            seen.add(key)
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: item[1], reverse=True)


def fuse_hybrid(
    lexical: Sequence[K], dense: Sequence[K], params: FusionParams | None = None
) -> list[tuple[K, float]]:
    """RRF of a lexical and a dense ranking with the tuned parameters."""
    params = params or FusionParams()
    return rrf([lexical, dense], [params.lexical_weight, params.dense_weight], k=params.k)


def group_by(
    ranked: Sequence[tuple[K, float]], group_of: dict[K, Hashable], groups: int, per_group: int
) -> list[tuple[K, float]]:
    """Keep the best ``per_group`` items of the best ``groups`` groups.

    Groups are ordered by their best item; items stay best-first inside a
    group and a group's items come out together.
    """
    order: list[Hashable] = []
    members: dict[Hashable, list[tuple[K, float]]] = {}
    for key, score in ranked:
        group = group_of.get(key, key)
        if group not in members:
            if len(order) >= groups:
                continue
            order.append(group)
            members[group] = []
        if len(members[group]) < per_group:
            members[group].append((key, score))
    return [item for group in order for item in members[group]]


__all__ = [
    "DENSE_WEIGHT",
    "LEXICAL_WEIGHT",
    "RRF_K",
    "FusionParams",
    "fuse_hybrid",
    "group_by",
    "rrf",
]
