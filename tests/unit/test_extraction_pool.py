"""ExtractionPool: PDFs extracted in spawned worker processes, as in-process.

Real PyMuPDF in real child processes. A worker crash is made with a task
that calls ``os._exit`` for one marked file (MuPDF crashing on a hostile PDF
cannot be provoked on demand); every other path runs the real extraction.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from paperlab.extract.workers import (
    Extraction,
    ExtractionPool,
    extract_with_references,
)
from paperlab.pdferrors import CRASHED
from tests.fakearxiv import make_pdf
from tests.refpdfs import paper_with_references

CRASH_MARK = "crash-the-reader"


def crash_on_mark(path: Path, with_references: bool) -> Extraction:
    """The real extraction, except that a file named for the mark kills its worker."""
    if CRASH_MARK in path.name:
        os._exit(70)
    return extract_with_references(path, with_references)


def _papers(folder: Path, count: int) -> list[Path]:
    paths = []
    for n in range(count):
        path = folder / f"paper-{n}.pdf"
        references = [
            f"[{i}] A. Author{i}. Paper number {i}. In Proc. NeurIPS, 2019." for i in (1, 2)
        ]
        body = f"Paper {n} studies learning rates. " * 40
        path.write_bytes(paper_with_references(f"Generated paper {n}", body, references))
        paths.append(path)
    return paths


def _encrypted(path: Path) -> Path:
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Secret text.")
    aes = pymupdf.PDF_ENCRYPT_AES_256  # type: ignore[attr-defined]
    doc.save(path, encryption=aes, user_pw="u", owner_pw="o")
    return path


def test_workers_give_what_the_process_itself_gives(tmp_path: Path) -> None:
    paths = _papers(tmp_path, 4)
    with ExtractionPool(2) as pool:
        pending = [pool.submit(p) for p in paths]
        assert multiprocessing.active_children(), "the pool started no process"
        results = [p.result() for p in pending]
    for path, result in zip(paths, results, strict=True):
        inline = extract_with_references(path)
        assert result.error is None
        assert result.document == inline.document
        assert result.references == inline.references
        assert result.references, "the generated reference list was not parsed"


def test_a_failure_crosses_the_process_boundary_as_its_sentence(tmp_path: Path) -> None:
    locked = _encrypted(tmp_path / "locked.pdf")
    with ExtractionPool(2) as pool:
        result = pool.submit(locked).result()
    assert result.document is None
    assert result.error == extract_with_references(locked).error == "The PDF is encrypted."
    assert result.hint and "password" in result.hint


def test_without_references_none_are_parsed(tmp_path: Path) -> None:
    (path,) = _papers(tmp_path, 1)
    with ExtractionPool(1) as pool:
        result = pool.submit(path, with_references=False).result()
    assert result.document is not None and result.references is None


def test_zero_workers_extract_in_this_process(tmp_path: Path) -> None:
    (path,) = _papers(tmp_path, 1)
    before = set(multiprocessing.active_children())
    with ExtractionPool(0) as pool:
        result = pool.submit(path).result()
        assert set(multiprocessing.active_children()) == before
    assert result.document == extract_with_references(path).document


def test_a_crashing_pdf_is_named_and_the_others_are_extracted(tmp_path: Path) -> None:
    paths = _papers(tmp_path, 4)
    crasher = tmp_path / f"{CRASH_MARK}.pdf"
    crasher.write_bytes(make_pdf("Crash", ["Text."]))
    order = [paths[0], crasher, paths[1], paths[2]]
    with ExtractionPool(2, task=crash_on_mark) as pool:
        # All in hand at once: the crash breaks the pool under the others too.
        pending = [pool.submit(p) for p in order]
        results = [p.result() for p in pending]
        # What comes after the crash goes to a fresh pool.
        results.append(pool.submit(paths[3]).result())
    crashed = results.pop(1)
    assert crashed.document is None and crashed.error == CRASHED and crashed.hint
    for path, result in zip(paths, results, strict=True):
        assert result.error is None, path.name
        assert result.document == extract_with_references(path).document, path.name


def test_real_papers_come_back_whole(shared_data: Path) -> None:
    paths = sorted((shared_data / "pdfs" / "arxiv").glob("*.pdf"))[:3]
    with ExtractionPool(2) as pool:
        results = [r.result() for r in [pool.submit(p) for p in paths]]
    for path, result in zip(paths, results, strict=True):
        inline = extract_with_references(path)
        assert result.document == inline.document, path.name
        assert result.references == inline.references, path.name
