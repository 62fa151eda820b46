"""`paperlab fetch`: reading lists and ids -> metadata -> PDFs -> text -> vectors.

The stages form a small pipeline: the calling thread asks arXiv for metadata
(a whole list in one batched request) and downloads PDFs at arXiv's pace,
while one worker thread extracts and embeds each PDF as soon as it lands, so
a list's wall time approaches the slower of the two instead of their sum.

Every paper succeeds or fails on its own; the report says which and why.
What to fetch arrives already resolved and validated (``fetchtargets``).
"""

from __future__ import annotations

import difflib
import queue
import threading
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlmodel import col, select

from paperlab.errors import NetworkError, PaperlabError
from paperlab.fetchreport import (
    DOWNLOAD,
    EXTRACT,
    INDEX,
    METADATA,
    NEW_PDF,
    NOT_FOUND,
    FetchReport,
    PaperOutcome,
)
from paperlab.ids import ArxivId, parse_arxiv_id
from paperlab.jobprogress import JobProgress, Silent
from paperlab.library import ensure_citation_key
from paperlab.provenance import (
    check_stored_pdf,
    mark_unverified,
    paper_lock,
    record_arxiv_pdf,
    unverified_imports,
)
from paperlab.settings import Settings
from paperlab.store import Store
from paperlab.store.models import Paper, PaperVersion, PipelineState, dumps, utcnow

if TYPE_CHECKING:
    from paperlab.fetchtargets import Targets

# --------------------------------------------------------------------------- the job


def fetch(
    store: Store,
    settings: Settings,
    targets: Targets,
    *,
    progress: JobProgress | None = None,
    index: bool = True,
) -> FetchReport:
    """Fetch everything ``targets`` names; one paper's failure never stops the others."""
    from paperlab.sources.arxiv import ApiUnreachable, ArxivClient
    from paperlab.sources.download import clean_partials

    show = progress or Silent()
    report = FetchReport(indexed=index)
    clean_partials(settings.pdf_dir)

    ids = _load_targets(store, targets)
    if targets.include_incomplete:
        ids += [i for i in _incomplete_ids(store) if i not in ids]
    if targets.bare and not targets.retry_failed:
        given_up = _failed_ids(store, ids)
        report.skipped_failed = [i for i in ids if i in given_up]
        ids = [i for i in ids if i not in given_up]
    for paper_id in ids:
        report.outcomes[paper_id] = PaperOutcome(paper_id)
    if not ids:
        _fetch_external(store, settings, report, show, targets, index=index)
        return report

    arxiv_ids = [parse_arxiv_id(i) for i in ids]
    processor = _Processor(store, settings, report, show, len(ids)) if index else None
    with ArxivClient(settings) as client:
        show.stage("metadata", len(arxiv_ids))
        batch = client.fetch_metadata(arxiv_ids)
        report.api_requests = client.requests_sent
    offline = [e for e in batch.failed.values() if isinstance(e, ApiUnreachable)]
    report.unreachable = offline[0].message if offline else None
    for paper_id, error in batch.failed.items():
        # arXiv did not answer: nothing is known about the paper, so its state
        # stays and the next bare fetch asks again (a malformed entry is a failure).
        unanswered = isinstance(error, NetworkError)
        _fail(
            store,
            report,
            paper_id,
            METADATA,
            error.message,
            keep_state=True,
            transient=unanswered,
        )
        if report.unreachable is None:  # offline is one cause, said once by the front end
            show.advance("metadata", paper_id, "failed")
    for paper_id, reason in batch.missing.items():
        # Marked failed with a "not-found:" reason: a bare fetch does not ask again.
        _fail(store, report, paper_id, NOT_FOUND, reason)
        show.advance("metadata", paper_id, "failed")

    to_download = [paper_id for paper_id in ids if paper_id in batch.found]
    for paper_id in to_download:
        show.advance("metadata", paper_id, "ok")
    # Before the worker starts: this reads PDFs, and PyMuPDF is not thread-safe.
    distrusted = unverified_imports(
        store, settings, {i: (batch.found[i].version, batch.found[i].title) for i in to_download}
    )
    show.stage("download", len(to_download))
    if processor is not None:
        processor.start()
    try:
        for paper_id in to_download:
            meta = batch.found[paper_id]
            status = _fetch_one(
                store, settings, report, paper_id, meta, distrust=distrusted.get(paper_id)
            )
            show.advance("download", paper_id, status)
            if processor is not None and status in NEW_PDF:
                processor.submit(paper_id)
        if processor is not None:
            for paper_id in _unprocessed(store, ids):
                processor.submit(paper_id)
    finally:
        if processor is not None:
            processor.finish()
    _fetch_external(store, settings, report, show, targets, index=index)
    return report


def _fetch_external(
    store: Store,
    settings: Settings,
    report: FetchReport,
    show: JobProgress,
    targets: Targets,
    *,
    index: bool,
) -> None:
    from paperlab.externalfetch import fetch_external

    fetch_external(
        store,
        settings,
        report,
        show,
        [spec.name for spec in targets.lists],
        processor=(lambda n: _Processor(store, settings, report, show, n)) if index else None,
    )


def _load_targets(store: Store, targets: Targets) -> list[str]:
    """Record the lists and ids; a bare fetch leaves out the papers the user removed."""
    from paperlab.loading import load_lists_into
    from paperlab.removing import forget_removed, removed_ids, without_removed

    specs = targets.lists
    if targets.bare:
        specs = without_removed(specs, removed_ids(store))
    ids = load_lists_into(store, targets.roadmap, specs)
    ids += [i.base for i in targets.ids if i.base not in ids]
    if not targets.bare:
        forget_removed(store, ids)  # named on the command line: wanted again
    _ensure_rows(store, targets.ids)
    return ids


def _failed_ids(store: Store, ids: list[str]) -> set[str]:
    with store.read() as session:
        rows = session.exec(
            select(Paper.id).where(
                col(Paper.id).in_(ids), Paper.state == PipelineState.FAILED.value
            )
        ).all()
    return set(rows)


def _ensure_rows(store: Store, ids: Sequence[ArxivId]) -> None:
    if not ids:
        return
    with store.write() as session:
        for arxiv_id in ids:
            if session.get(Paper, arxiv_id.base) is None:
                session.add(Paper(id=arxiv_id.base))


def _incomplete_ids(store: Store) -> list[str]:
    with store.read() as session:
        rows = session.exec(
            select(Paper.id).where(
                col(Paper.metadata_complete).is_(False), col(Paper.id).not_like("local:%")
            )
        ).all()
    return list(rows)


def _unprocessed(store: Store, ids: list[str]) -> list[str]:
    """Papers with a PDF whose text or vectors are not done (e.g. after a crash)."""
    with store.read() as session:
        rows = session.exec(
            select(Paper.id).where(
                col(Paper.id).in_(ids),
                col(Paper.pdf_path).is_not(None),
                col(Paper.state).in_([PipelineState.FETCHED.value, PipelineState.EXTRACTED.value]),
            )
        ).all()
    return list(rows)


def _fail(
    store: Store,
    report: FetchReport,
    paper_id: str,
    stage: str,
    message: str,
    *,
    keep_state: bool = False,
    transient: bool = False,
    hint: str | None = None,
) -> None:
    outcome = report.outcomes.setdefault(paper_id, PaperOutcome(paper_id))
    outcome.status, outcome.stage, outcome.message = "failed", stage, message
    outcome.hint = hint
    with store.write() as session:
        paper = session.get(Paper, paper_id)
        if paper is None:
            return
        # A paper that already has its text keeps it; only say why this run failed.
        kept = transient or (keep_state and paper.pdf_path)
        if not kept and paper.state != PipelineState.INDEXED.value:
            paper.state = PipelineState.FAILED.value
        paper.state_reason = f"{stage}: {message}"
        paper.updated_at = utcnow()
        session.add(paper)


def _title_warning(expected: str, actual: str) -> str | None:
    def norm(text: str) -> str:
        return " ".join(text.lower().replace("-", " ").split())

    if not expected or not actual:
        return None
    ratio = difflib.SequenceMatcher(None, norm(expected), norm(actual)).ratio()
    if ratio >= 0.85:
        return None
    return f"the list says {expected!r} but arXiv says {actual!r}"


def _apply_metadata(paper: Paper, meta: object) -> None:
    from paperlab.sources.arxiv import PaperMetadata

    assert isinstance(meta, PaperMetadata)
    paper.version = meta.version
    paper.title = meta.title
    paper.authors = dumps(meta.authors)
    paper.abstract = meta.abstract
    paper.categories = dumps(meta.categories)
    paper.primary_category = meta.primary_category
    paper.published = meta.published
    paper.updated = meta.updated
    paper.doi = meta.doi
    paper.journal_ref = meta.journal_ref
    paper.comment = meta.comment
    paper.metadata_complete = True
    paper.updated_at = utcnow()


def _fetch_one(
    store: Store,
    settings: Settings,
    report: FetchReport,
    paper_id: str,
    meta: object,
    *,
    distrust: str | None = None,
) -> str:
    """Record metadata, check the stored PDF, download arXiv's if needed. Returns the status.

    The stored PDF must be arXiv's current version and still the file that
    was recorded (``provenance.check_stored_pdf``); ``distrust`` says why an
    offline import is not the paper. Anything off is repaired by downloading
    arXiv's own file.
    """
    from paperlab.sources.arxiv import PaperMetadata
    from paperlab.sources.download import download_pdf

    assert isinstance(meta, PaperMetadata)
    outcome = report.outcomes[paper_id]
    outcome.version = meta.version
    with paper_lock(settings, paper_id):
        with store.write() as session:
            paper = session.get(Paper, paper_id) or Paper(id=paper_id)
            expected = _expected_title(session, paper_id)
            _apply_metadata(paper, meta)
            ensure_citation_key(session, paper)
            session.add(paper)
            if meta.version and session.get(PaperVersion, (paper_id, meta.version)) is None:
                session.add(
                    PaperVersion(paper_id=paper_id, version=meta.version, updated=meta.updated)
                )
            have_version, recorded = paper.pdf_version, paper.pdf_sha256
            have_path = settings.home / paper.pdf_path if paper.pdf_path else None
            row = session.get(PaperVersion, (paper_id, have_version)) if have_version else None
            version_sha = row.pdf_sha256 if row else None
        warning = _title_warning(expected, meta.title)
        if warning:
            outcome.warnings.append(warning)
        if have_path is not None and have_version == meta.version:
            _from_the_lab(store, settings, paper_id)
        check = check_stored_pdf(
            have_path,
            recorded,
            version_sha,
            stored_version=have_version,
            current_version=meta.version,
        )
        problem = check.problem or (distrust if have_path else None)
        current = meta.version is None or have_version == meta.version
        if have_path is not None and problem is None and current:
            outcome.status = "up-to-date"
            return outcome.status
        stem = meta.arxiv_id.file_stem() if meta.version else ArxivId(paper_id).file_stem()
        dest = settings.pdf_dir / f"{stem}.pdf"
        try:
            result = download_pdf(
                meta.pdf_url or meta.arxiv_id.pdf_url,
                dest,
                settings=settings,
                max_retries=settings.http_retries,
                backoff_base=settings.http_backoff,
            )
        except PaperlabError as exc:
            _fail(store, report, paper_id, DOWNLOAD, exc.message, keep_state=True)
            if distrust and problem == distrust:
                mark_unverified(store, paper_id)
            return "failed"
        record_arxiv_pdf(store, settings, paper_id, meta.version, dest, result.sha256)
    if problem is not None:
        shown = f"v{meta.version}" if meta.version else "PDF"
        outcome.warnings.append(f"{problem}; downloaded arXiv's {shown} in its place")
        outcome.status = "repaired"
    elif have_path is not None and have_version is not None:
        outcome.status = "new-version"
    else:
        outcome.status = "downloaded"
    return outcome.status


def _from_the_lab(store: Store, settings: Settings, paper_id: str) -> None:
    """On a lab library, a current PDF missing or different on this machine is not damage.

    The record is shared and this machine's file only a cache of it: the
    cache puts the recorded file here (from the database, or arXiv's recorded
    version, verified by sha256), so the paper is up to date instead of
    "repaired" with a file that could differ from the one the lab recorded.
    A failure leaves things as they were, and the check that follows repairs
    from arXiv as ever. (On SQLite the file is the library's own copy: a
    missing or changed one stays a repair.)
    """
    from paperlab.pdfblobs import database_keeps_pdfs
    from paperlab.pdfcache import ensure_pdf

    if database_keeps_pdfs(store):
        ensure_pdf(store, settings, paper_id, lock_held=True)


def _expected_title(session: object, paper_id: str) -> str:
    from sqlmodel import Session

    from paperlab.store.models import ReadingListEntry

    assert isinstance(session, Session)
    entry = session.exec(
        select(ReadingListEntry).where(ReadingListEntry.paper_id == paper_id)
    ).first()
    return entry.expected_title if entry else ""


# --------------------------------------------------------------------------- processing


class _Processor:
    """Extracts and embeds papers on a worker thread while downloads continue.

    The thread keeps the next few landed PDFs extracting in worker processes
    (``settings.extract_workers``) while it stores and embeds the one before.
    """

    _DONE = "\x00done"

    def __init__(
        self,
        store: Store,
        settings: Settings,
        report: FetchReport,
        show: JobProgress,
        expected: int,
    ) -> None:
        self.store, self.settings, self.report, self.show = store, settings, report, show
        # One paper gains nothing from a worker process, and would wait for one to start.
        self.workers = settings.extract_workers if expected > 1 else 0
        self.queue: queue.Queue[str] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="paperlab-process", daemon=True)
        self.submitted: set[str] = set()
        self.error: BaseException | None = None

    def start(self) -> None:
        self.thread.start()

    def submit(self, paper_id: str) -> None:
        if paper_id not in self.submitted:
            self.submitted.add(paper_id)
            self.queue.put(paper_id)

    def finish(self) -> None:
        self.show.stage("index", len(self.submitted))
        self.queue.put(self._DONE)
        self.thread.join()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        from paperlab.extract.workers import ExtractionPool
        from paperlab.pipeline import Started, finish_extraction, start_extraction

        ahead = max(1, 2 * self.workers)
        window: deque[tuple[str, Started]] = deque()
        done = False
        try:
            with ExtractionPool(self.workers) as pool:
                while True:
                    # Take every PDF that has landed, up to `ahead`; wait only with none in hand.
                    while not done and len(window) < ahead:
                        try:
                            paper_id = self.queue.get(block=not window)
                        except queue.Empty:
                            break
                        if paper_id == self._DONE:
                            done = True
                        else:
                            started = start_extraction(self.store, self.settings, pool, paper_id)
                            window.append((paper_id, started))
                    if not window:
                        break
                    paper_id, started = window.popleft()
                    outcome = finish_extraction(self.store, paper_id, started)
                    if not outcome.ok:
                        reason, hint = outcome.reason or "", outcome.hint
                        _fail(self.store, self.report, paper_id, EXTRACT, reason, hint=hint)
                        self.show.advance("index", paper_id, "failed")
                        continue
                    self.report.outcomes[paper_id].warnings.extend(outcome.warnings)
                    self._embed(paper_id)
            self._finish_index()
        except BaseException as exc:  # surfaced on the calling thread by finish()
            self.error = exc

    def _embed(self, paper_id: str) -> None:
        from paperlab.pipeline import embed_paper

        try:
            embed_paper(self.store, self.settings, paper_id)
        except PaperlabError as exc:
            _fail(self.store, self.report, paper_id, INDEX, exc.message, keep_state=True)
            self.show.advance("index", paper_id, "failed")
            return
        self.show.advance("index", paper_id, "indexed")

    def _finish_index(self) -> None:
        from paperlab.indexing import index_pending

        if self.submitted:
            index_pending(self.store, self.settings)


__all__ = [
    "NEW_PDF",
    "NOT_FOUND",
    "FetchReport",
    "JobProgress",
    "PaperOutcome",
    "fetch",
]
