"""Time to one paper's vectors in a fresh process, per bulk embedding path.

Indexing one paper (``paperlab add``, a small ``fetch``) embeds ~40 chunks,
which takes a fraction of a second on any bulk path, so what the user waits
for is the path's start: imports, loading the weights, any one-time export.
Each round spawns a fresh Python per path (``PAPERLAB_EMBED_BACKEND``, and
``--against SRC`` for another source tree's default path), in turns so noise
hits all alike, and times: start -> bulk path ready -> 40 chunks embedded.

Two figures per path: the first run in a new library (one-time work such as
the ONNX export included) and the median of later runs in that library.

    python bench/embed_start_bench.py [--rounds 5] [--paths auto onnx-int8 torch]
                                      [--against SRC]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = """
import json, time
started = time.perf_counter()
from paperlab.search.embedder import load_embedder
from paperlab.settings import load_settings
embedder = load_embedder(load_settings())  # reads PAPERLAB_EMBED_BACKEND
bulk = embedder.bulk_backend() if hasattr(embedder, "bulk_backend") else embedder
ready = time.perf_counter()
text = "We fine-tune a transformer encoder and report accuracy on three benchmarks. " * 16
vectors = embedder.embed([f"{i} {text}" for i in range(40)])
done = time.perf_counter()
print(json.dumps({"path": type(bulk).__name__, "ready": ready - started,
                  "total": done - started, "rows": len(vectors)}))
"""


def run(path: str, home: Path, src: Path | None) -> dict[str, float | str]:
    env = {**os.environ, "PAPERLAB_HOME": str(home), "PAPERLAB_EMBED_BACKEND": path}
    if src is not None:
        env["PYTHONPATH"] = str(src)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        check=True,
    )
    result: dict[str, float | str] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--paths", nargs="+", default=["auto", "onnx-int8", "torch"])
    parser.add_argument("--against", type=Path, help="another tree's src/, default path")
    opts = parser.parse_args(argv)

    from paperlab.search.cpu import cpu_class

    runs: list[tuple[str, str, Path | None]] = [(p, p, None) for p in opts.paths]
    if opts.against:
        runs.append((f"auto@{opts.against}", "auto", opts.against))
    print(f"# cpu class {cpu_class()}; {opts.rounds} rounds; 40 chunks of ~190 words")
    with tempfile.TemporaryDirectory(prefix="embed-start-") as tmp:
        homes = {label: Path(tmp) / str(i) for i, (label, _, _) in enumerate(runs)}
        times: dict[str, list[dict[str, float | str]]] = {label: [] for label, _, _ in runs}
        for round_no in range(opts.rounds + 1):  # round 0 is each library's first run
            order = runs[round_no % len(runs) :] + runs[: round_no % len(runs)]
            for label, path, src in order:
                times[label].append(run(path, homes[label], src))
    for label, results in times.items():
        first, later = results[0], results[1:]
        ready = statistics.median(float(r["ready"]) for r in later)
        total = statistics.median(float(r["total"]) for r in later)
        print(
            f"{label:>24} ({first['path']}): first run {float(first['total']):.2f} s; "
            f"later runs: ready {ready:.2f} s, 40 chunks {total:.2f} s (median)"
        )


if __name__ == "__main__":
    main()
