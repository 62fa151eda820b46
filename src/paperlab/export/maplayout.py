"""Placing papers on a plane so that neighbours in meaning stay neighbours.

Candidate layouts of the paper vectors (unit rows, cosine geometry) and two
measures of how well a layout keeps each paper's nearest neighbours:

* ``knn_overlap``: the share of a paper's k nearest papers in embedding space
  that are also among its k nearest on the map (1 = every neighbour kept);
* ``trustworthiness`` (scikit-learn): penalises papers that look close on the
  map but are far apart in meaning (1 = none).

``auto_layout`` computes the cheap candidates and keeps the one with the best
overlap. On the measured libraries (``bench/map_bench.py``, docs/export.md)
t-SNE wins clearly over PCA; small libraries fall back to PCA, which t-SNE
cannot beat there.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

LAYOUTS = ("auto", "tsne", "pca", "spectral")
MIN_TSNE = 8  # below this t-SNE's perplexity leaves nothing to fit: PCA
NEIGHBOURS = 5


def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """Rows of ``vectors`` projected on their first two principal axes."""
    import numpy as np

    n = vectors.shape[0]
    out = np.zeros((n, 2), dtype=np.float64)
    if n < 2:
        return out
    centred = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:2]
    # Fix each axis's sign so the same library always draws the same way.
    for i in range(axes.shape[0]):
        j = int(np.argmax(np.abs(axes[i])))
        if axes[i, j] < 0:
            axes[i] = -axes[i]
    projected = centred @ axes.T
    out[:, : projected.shape[1]] = projected
    return out


def tsne_2d(vectors: np.ndarray) -> np.ndarray:
    """t-SNE on cosine distances, started from PCA and seeded: same library, same map."""
    import numpy as np
    from sklearn.manifold import TSNE

    n = vectors.shape[0]
    if n < MIN_TSNE:
        return pca_2d(vectors)
    perplexity = float(min(30.0, max(2.0, (n - 1) / 3)))
    model = TSNE(
        n_components=2,
        perplexity=perplexity,
        metric="cosine",
        init="pca",
        random_state=0,
        max_iter=1000,
    )
    return np.asarray(model.fit_transform(vectors.astype(np.float64)), dtype=np.float64)


def spectral_2d(vectors: np.ndarray) -> np.ndarray:
    """Laplacian eigenmaps over the k-nearest-neighbour graph (cheap, deterministic)."""
    import numpy as np
    from sklearn.manifold import SpectralEmbedding

    n = vectors.shape[0]
    if n < MIN_TSNE:
        return pca_2d(vectors)
    model = SpectralEmbedding(
        n_components=2,
        affinity="nearest_neighbors",
        n_neighbors=max(2, min(10, n // 4)),
        random_state=0,
    )
    with warnings.catch_warnings():
        # A library of separate fields has a disconnected neighbour graph: the
        # layout is still drawn, and the measures say how much it keeps.
        warnings.simplefilter("ignore", UserWarning)
        return np.asarray(model.fit_transform(vectors.astype(np.float64)), dtype=np.float64)


BUILDERS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tsne": tsne_2d,
    "pca": pca_2d,
    "spectral": spectral_2d,
}


def _neighbours(distances: np.ndarray, k: int) -> np.ndarray:
    import numpy as np

    d = distances.copy()
    np.fill_diagonal(d, np.inf)
    return np.argsort(d, axis=1, kind="stable")[:, :k]


def _cosine_distances(vectors: np.ndarray) -> np.ndarray:
    import numpy as np

    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms > 0, norms, 1.0)
    return np.clip(1.0 - unit @ unit.T, 0.0, 2.0)


def _euclidean(points: np.ndarray) -> np.ndarray:
    import numpy as np

    diff = points[:, None, :] - points[None, :, :]
    return np.sqrt((diff**2).sum(axis=2))


def knn_overlap(vectors: np.ndarray, layout: np.ndarray, k: int = NEIGHBOURS) -> float:
    """Mean share of each paper's k nearest (cosine) papers still among its k nearest on the map."""
    n = vectors.shape[0]
    k = min(k, n - 1)
    if k < 1:
        return 1.0
    high = _neighbours(_cosine_distances(vectors), k)
    low = _neighbours(_euclidean(layout), k)
    kept = sum(len(set(high[i]) & set(low[i])) for i in range(n))
    return kept / (n * k)


def trustworthiness(vectors: np.ndarray, layout: np.ndarray, k: int = NEIGHBOURS) -> float:
    """scikit-learn's trustworthiness with cosine distances in embedding space."""
    from sklearn.manifold import trustworthiness as sk_trust

    n = vectors.shape[0]
    k = min(k, (n - 1) // 2)
    if k < 1:
        return 1.0
    return float(sk_trust(vectors, layout, n_neighbors=k, metric="cosine"))


@dataclass(frozen=True)
class Layout:
    name: str
    coords: np.ndarray
    scores: Mapping[str, Mapping[str, float]]  # layout -> {"knn": .., "trust": ..}


def auto_layout(vectors: np.ndarray, name: str = "auto") -> Layout:
    """The layout ``name``; ``auto``: each candidate measured, the best kNN overlap kept."""
    if name not in LAYOUTS:
        raise ValueError(name)
    candidates = list(BUILDERS) if name == "auto" else [name]
    if vectors.shape[0] < MIN_TSNE:
        candidates = ["pca"]  # the others fall back to it anyway
    scores: dict[str, dict[str, float]] = {}
    coords: dict[str, np.ndarray] = {}
    for candidate in candidates:
        coords[candidate] = BUILDERS[candidate](vectors)
        scores[candidate] = {
            "knn": round(knn_overlap(vectors, coords[candidate]), 3),
            "trust": round(trustworthiness(vectors, coords[candidate]), 3),
        }
    # Ties go to the earlier candidate: t-SNE, then PCA.
    best = max(candidates, key=lambda c: (scores[c]["knn"], scores[c]["trust"]))
    return Layout(best, coords[best], scores)


__all__ = [
    "LAYOUTS",
    "Layout",
    "auto_layout",
    "knn_overlap",
    "pca_2d",
    "spectral_2d",
    "trustworthiness",
    "tsne_2d",
]
