"""Extraction throughput: every PDF in a folder through extract_pdf.

    python bench/extract_bench.py [FOLDER]    (default: ../shared/data/pdfs/arxiv)

Prints per-file figures, then pages/s and chunks/s overall, and the raw
PyMuPDF ``get_text()`` rate on the same files for comparison.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

DEFAULT = Path("/work/shared/data/pdfs/arxiv")


def raw_rate(files: list[Path]) -> float:
    """Pages per second of bare ``page.get_text()``, the floor we compare against."""
    import pymupdf

    pages = 0
    start = time.perf_counter()
    for path in files:
        with pymupdf.open(path) as doc:
            for page in doc:
                page.get_text()
                pages += 1
    return pages / max(time.perf_counter() - start, 1e-9)


def main(argv: list[str]) -> int:
    from paperlab.errors import ExtractionError
    from paperlab.extract import extract_pdf

    folder = Path(argv[0]) if argv else DEFAULT
    files = sorted(folder.glob("*.pdf"))
    if not files:
        print(f"no PDFs in {folder}", file=sys.stderr)
        return 1
    import pymupdf  # noqa: F401  (import cost kept out of the timing)

    pages = chunks = sections = failed = 0
    start = time.perf_counter()
    for path in files:
        t0 = time.perf_counter()
        try:
            doc = extract_pdf(path)
        except ExtractionError as exc:
            failed += 1
            print(f"{path.name:28} FAILED {exc.message}")
            continue
        pages += doc.page_count
        chunks += len(doc.chunks)
        sections += len(doc.sections)
        dt = time.perf_counter() - t0
        print(
            f"{path.name:28} {doc.page_count:4d} pages {len(doc.chunks):4d} chunks "
            f"{len(doc.sections):3d} sections {doc.page_count / dt:7.1f} pages/s"
        )
    elapsed = time.perf_counter() - start
    raw = raw_rate(files)
    rate = pages / elapsed
    print(f"\nfiles: {len(files)} ({failed} failed)  pages: {pages}  chunks: {chunks}")
    print(f"sections: {sections}")
    print(f"time: {elapsed:.2f} s  pages/s: {rate:.1f}  chunks/s: {chunks / elapsed:.1f}")
    print(f"raw get_text pages/s: {raw:.1f}  (extract_pdf is {raw / rate:.2f}x slower)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
