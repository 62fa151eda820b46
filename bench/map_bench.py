"""Which map layout keeps neighbours: PCA, t-SNE and spectral embedding side by side.

Real abstracts (the arXiv metadata sample and SciFact from the shared data)
are embedded with paperlab's default model; each layout is scored by kNN
overlap (share of a paper's 5 nearest papers in embedding space that stay
among its 5 nearest on the map) and scikit-learn's trustworthiness (k=5),
for libraries of several sizes. ``auto`` is what ``paperlab export map``
picks by the same measures.

    python bench/map_bench.py [--data DIR] [--sizes 30,100,300]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def abstracts(data: Path, count: int) -> list[str]:
    """Alternate arXiv and SciFact abstracts: a library spanning fields."""
    arxiv = []
    for line in (data / "arxiv_metadata/kaggle_snapshot_samples").glob("*.jsonl"):
        for row in line.read_text(encoding="utf-8").splitlines():
            record = json.loads(row)
            arxiv.append(" ".join(f"{record['title']}. {record['abstract']}".split()))
    scifact = []
    with (data / "scifact/corpus.jsonl").open(encoding="utf-8") as handle:
        for row in handle:
            record = json.loads(row)
            scifact.append(f"{record['title']}. {record['text']}")
            if len(scifact) >= count:
                break
    mixed = [t for pair in zip(arxiv, scifact, strict=False) for t in pair]
    return mixed[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sizes", default="30,100,300")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    import numpy as np

    from paperlab.export.maplayout import BUILDERS, auto_layout, knn_overlap, trustworthiness
    from paperlab.search.embedder import load_embedder
    from paperlab.settings import load_settings

    texts = abstracts(args.data, max(sizes))
    started = time.perf_counter()
    vectors = np.asarray(load_embedder(load_settings()).embed(texts), dtype=np.float32)
    print(f"embedded {len(texts)} abstracts in {time.perf_counter() - started:.1f}s")
    print(f"{'papers':>6} {'layout':>9} {'kNN@5':>7} {'trust@5':>8} {'seconds':>8}")
    for n in sizes:
        subset = vectors[:n]
        for name, build in BUILDERS.items():
            started = time.perf_counter()
            coords = build(subset)
            spent = time.perf_counter() - started
            print(
                f"{n:>6} {name:>9} {knn_overlap(subset, coords):>7.3f} "
                f"{trustworthiness(subset, coords):>8.3f} {spent:>8.2f}"
            )
        chosen = auto_layout(subset)
        print(f"{n:>6} {'auto':>9} -> {chosen.name}")


if __name__ == "__main__":
    main()
