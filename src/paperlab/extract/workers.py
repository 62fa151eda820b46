"""Extract PDFs in worker processes, ahead of the caller.

``extract_pdf`` is single-threaded CPU work (MuPDF, then Python), and a
library's PDFs are independent, so a pool of processes extracts the next
PDFs while the caller stores and embeds the one before: on two cores
1.3x-1.6x the PDFs per second of one process (docs/performance.md).

Processes, not threads: PyMuPDF holds the GIL. Spawned, not forked: the
caller may already run ONNX Runtime's thread pool, and a child forked from a
process with threads can deadlock on a lock one of them held.

A worker that dies (MuPDF crashing on a hostile PDF) breaks the whole pool.
Each PDF the broken pool had in hand is then extracted again in a process of
its own, so the one that crashes is named as failed, the others are
extracted, and the caller's process never goes down with the reader.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from paperlab.errors import ExtractionError
from paperlab.extract import ExtractedDocument, extract_pdf
from paperlab.extract.references import ParsedReference, extract_references
from paperlab.pdferrors import CRASHED, CRASHED_HINT


@dataclass
class Extraction:
    """One PDF's extraction, or why there is none (plain strings: they cross processes)."""

    document: ExtractedDocument | None
    references: list[ParsedReference] | None = None
    error: str | None = None
    hint: str | None = None


def extract_with_references(path: Path, with_references: bool = True) -> Extraction:
    """Extract one PDF and parse its reference list: the work one worker does per PDF."""
    try:
        document = extract_pdf(path)
    except ExtractionError as exc:
        return Extraction(None, error=exc.message, hint=exc.hint)
    references = (
        extract_references(document.pages, document.references_at, document.references_end)
        if with_references
        else None
    )
    return Extraction(document, references)


Task = Callable[[Path, bool], Extraction]


class PendingExtraction:
    """A PDF handed to an ``ExtractionPool``; ``result()`` waits for its extraction."""

    def __init__(
        self,
        pool: ExtractionPool,
        path: Path,
        with_references: bool,
        submitted: tuple[ProcessPoolExecutor, Future[Extraction]] | None,
    ) -> None:
        self._pool, self.path, self._with_references = pool, path, with_references
        self._submitted = submitted

    def result(self) -> Extraction:
        if self._submitted is None:  # the pool extracts in the caller's process
            return self._pool.task(self.path, self._with_references)
        executor, future = self._submitted
        try:
            return future.result()
        except BrokenProcessPool:
            self._pool.forget(executor)
            return self._pool.run_alone(self.path, self._with_references)


class ExtractionPool:
    """Worker processes extracting PDFs; ``workers=0`` extracts in the caller's process.

    The processes start on the first ``submit``, so a run that extracts
    nothing starts none. ``submit`` and ``result`` may be called from
    different threads (fetch downloads on one and stores on another).
    """

    def __init__(self, workers: int, task: Task = extract_with_references) -> None:
        self.workers = max(0, workers)
        self.task = task
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def submit(self, path: Path, with_references: bool = True) -> PendingExtraction:
        if self.workers == 0:
            return PendingExtraction(self, path, with_references, None)
        executor = self._current()
        try:
            future = executor.submit(self.task, path, with_references)
        except BrokenProcessPool:  # a worker died since the last result: start afresh
            self.forget(executor)
            executor = self._current()
            future = executor.submit(self.task, path, with_references)
        return PendingExtraction(self, path, with_references, (executor, future))

    def run_alone(self, path: Path, with_references: bool) -> Extraction:
        """Extract one PDF in a fresh process of its own (after its pool broke)."""
        with _spawn_pool(1) as solo:
            try:
                return solo.submit(self.task, path, with_references).result()
            except BrokenProcessPool:
                return Extraction(None, error=CRASHED, hint=CRASHED_HINT)

    def forget(self, executor: ProcessPoolExecutor) -> None:
        """Drop a broken pool: the next ``submit`` starts a fresh one."""
        with self._lock:
            if self._executor is executor:
                self._executor = None
        executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = _spawn_pool(self.workers)
            return self._executor


def _spawn_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_ctrl_c
    )


def _ignore_ctrl_c() -> None:
    """Ctrl-C reaches every process of the terminal's foreground job. The command
    stops the pool and says it was interrupted; a worker would print a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


__all__ = [
    "CRASHED",
    "CRASHED_HINT",
    "Extraction",
    "ExtractionPool",
    "PendingExtraction",
    "extract_with_references",
]
