"""The PDFs on this machine: a verified cache of the library's.

Machines sharing a lab library each keep their own ``PAPERLAB_HOME/pdfs``,
while the database records every paper's PDF by path, version and sha256.
Whenever paperlab needs a paper's PDF here (the reader's ``x``, ``export
pdf``, ``index``, ``paperlab sync``) and the file is missing or is not the
recorded one, it is put in place from one of two sources:

- the database's ``pdf_blob`` table, when it holds the recorded sha256: the
  PDFs imported with ``paperlab add`` on a lab library, or carried in by
  ``db copy`` from a SQLite library or by ``paperlab sync --upload``;
- arXiv, for an arXiv paper: the recorded version's PDF by id, through the
  guarded, paced and capped download ``paperlab fetch`` uses.

Either way the bytes must hash to the recorded sha256 before they take the
file's name; otherwise they are removed and the paper fails with one
sentence. A different PDF is never kept silently.

A SQLite library's files under ``pdfs/`` are its only copy of its PDFs, so it
stores no blobs (``database_keeps_pdfs``) and the cache is a repair there: a
lost arXiv PDF comes back from arXiv, byte for byte.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from paperlab.errors import (
    DownloadError,
    NotFoundError,
    PaperlabError,
    StoreError,
    UsageError,
    shown,
)
from paperlab.ids import ArxivId, try_parse_arxiv_id
from paperlab.pdfblobs import (
    database_keeps_pdfs,
    holds_recorded,
    keep_in_database,
    read_blob,
    too_large,
)
from paperlab.provenance import paper_lock
from paperlab.settings import Settings
from paperlab.store import Store

PRESENT = "present"  # the recorded file is here
FETCHED = "fetched"  # downloaded from arXiv and verified
FROM_DATABASE = "from-database"  # written out from pdf_blob and verified
FAILED = "failed"
STATUSES = (PRESENT, FETCHED, FROM_DATABASE, FAILED)

UPLOADED = "uploaded"
ALREADY_THERE = "already-there"
UPLOAD_STATUSES = (UPLOADED, ALREADY_THERE, FAILED)

# Staging names start like a download's, so `paperlab fetch` clears what a killed one leaves.
_STAGING = ".partial-cache-"


@dataclass
class PdfOutcome:
    """What became of one paper's PDF on this machine."""

    paper_id: str
    status: str = FAILED
    path: str | None = None
    message: str | None = None
    hint: str | None = None


@dataclass
class SyncReport:
    papers: list[PdfOutcome] = field(default_factory=list)

    def counts(self, statuses: Iterable[str] = STATUSES) -> dict[str, int]:
        return {s: sum(1 for p in self.papers if p.status == s) for s in statuses}

    @property
    def ok(self) -> bool:
        return all(p.status != FAILED for p in self.papers)


@dataclass(frozen=True)
class _Recorded:
    paper_id: str
    pdf_path: str | None
    sha256: str | None
    version: int | None


def _local_path(settings: Settings, pdf_path: str) -> Path:
    path = Path(pdf_path)
    return path if path.is_absolute() else settings.home / path


def _recorded(store: Store, paper_id: str) -> _Recorded | None:
    with store.connect() as conn:
        row = conn.execute(
            "SELECT id, pdf_path, pdf_sha256, pdf_version FROM paper WHERE id = :p",
            {"p": paper_id},
        ).first()
    return _Recorded(*row) if row else None


def _in_pdf_dir(path: Path, settings: Settings) -> bool:
    try:
        return path.parent.resolve() == settings.pdf_dir.resolve() and path.name not in ("", "..")
    except OSError:
        return False


def _is_arxiv(paper_id: str) -> bool:
    return not paper_id.startswith("local:") and try_parse_arxiv_id(paper_id) is not None


# --------------------------------------------------------------------------- the cache


def ensure_pdf(
    store: Store, settings: Settings, paper_id: str, *, lock_held: bool = False
) -> PdfOutcome:
    """Make the paper's recorded PDF present on this machine; failures are reported.

    ``lock_held``: the caller holds the paper's lock (``provenance.paper_lock``),
    as fetch does; a second flock on it from this process would wait forever.
    """
    outcome = PdfOutcome(paper_id)
    rec = _recorded(store, paper_id)
    if rec is None or not rec.pdf_path:
        outcome.message = f"{paper_id} has no PDF in the library yet."
        outcome.hint = f"paperlab fetch {paper_id} downloads it (paperlab add FILE imports one)."
        return outcome
    path = _local_path(settings, rec.pdf_path)
    outcome.path = str(path)
    if holds_recorded(path, rec.sha256):
        outcome.status = PRESENT
        return outcome
    if not _in_pdf_dir(path, settings):
        # A lab's rows come from other machines: a stored path is data, never a
        # licence to write anywhere on this one.
        outcome.message = (
            f"The recorded path of {paper_id}'s PDF, {shown(rec.pdf_path)}, is outside this"
            " machine's pdfs/ folder; nothing was written."
        )
        outcome.hint = f"paperlab fetch {paper_id} stores arXiv's PDF under pdfs/."
        return outcome
    try:
        with contextlib.nullcontext() if lock_held else paper_lock(settings, paper_id):
            if holds_recorded(path, rec.sha256):  # another process put it in place meanwhile
                outcome.status = PRESENT
            else:
                outcome.status = _restore(store, settings, rec, path)
    except PaperlabError as exc:
        outcome.status, outcome.message, outcome.hint = FAILED, exc.message, exc.hint
    except OSError as exc:
        outcome.status = FAILED
        outcome.message = f"Cannot write the PDF of {paper_id} ({exc.strerror or exc})."
        outcome.hint = "Check free disk space and permissions of PAPERLAB_HOME."
    return outcome


def local_pdf(store: Store, settings: Settings, paper_id: str) -> Path:
    """The paper's PDF on this machine, fetched and verified first when needed."""
    outcome = ensure_pdf(store, settings, paper_id)
    if outcome.status == FAILED or outcome.path is None:
        raise PaperlabError(outcome.message or f"No PDF for {paper_id}.", hint=outcome.hint)
    return Path(outcome.path)


def _restore(store: Store, settings: Settings, rec: _Recorded, path: Path) -> str:
    """Put the recorded PDF at ``path``; the status, or a PaperlabError saying why not."""
    if not rec.sha256:
        raise StoreError(
            f"The PDF of {rec.paper_id} is not on this machine (looked for {path}), and the"
            " library recorded no sha256 to check a copy against.",
            hint=f"paperlab fetch {rec.paper_id} downloads arXiv's current PDF."
            if _is_arxiv(rec.paper_id)
            else "Import the file again: paperlab add FILE.pdf",
        )
    data = read_blob(store, settings, rec.sha256)
    if data is not None:
        if hashlib.sha256(data).hexdigest() != rec.sha256:
            raise StoreError(
                f"The copy of {rec.paper_id}'s PDF in the library database does not match"
                " its recorded sha256; it was not kept.",
                hint="Store the right file again: paperlab sync --upload on a machine that has it.",
            )
        _write_file(path, data)
        return FROM_DATABASE
    if not _is_arxiv(rec.paper_id):
        raise NotFoundError(
            _no_copy(store, rec.paper_id, path), hint=_no_copy_hint(store, rec.paper_id)
        )
    _download_verified(store, settings, rec, path)
    return FETCHED


def _no_copy(store: Store, paper_id: str, path: Path) -> str:
    if path.exists():
        here = f"The file at {path} is not the PDF the library recorded for {paper_id}"
    elif database_keeps_pdfs(store):
        here = f"The PDF of {paper_id} is not on this machine (looked for {path})"
    else:
        here = f"The PDF of {paper_id} is missing (looked for {path})"
    if database_keeps_pdfs(store):
        return f"{here}, and the lab database has no copy of it."
    return f"{here}, and only this library had it."


def _no_copy_hint(store: Store, paper_id: str) -> str:
    if database_keeps_pdfs(store):
        return (
            f"On the machine that imported it, `paperlab sync --upload {paper_id}` stores it"
            " in the lab database."
        )
    return "Import the file again: paperlab add FILE.pdf"


def _staging(path: Path) -> Path:
    return path.parent / f"{_STAGING}{path.stem}-{os.getpid()}-{secrets.token_hex(4)}.pdf"


def _write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a complete, fsynced file or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _staging(path)
    try:
        with open(tmp, "xb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _download_verified(store: Store, settings: Settings, rec: _Recorded, path: Path) -> None:
    """arXiv's file for the recorded version, kept only when it is the recorded file."""
    from paperlab.sources.download import arxiv_pdf_url, download_pdf

    arxiv_id = ArxivId(rec.paper_id, rec.version)
    staging = _staging(path)
    try:
        result = download_pdf(
            arxiv_pdf_url(settings, str(arxiv_id)),
            staging,
            settings=settings,
            max_retries=settings.http_retries,
            backoff_base=settings.http_backoff,
        )
        if result.sha256 != rec.sha256:
            raise DownloadError(
                f"arXiv's {arxiv_id} is not the PDF the library recorded for {rec.paper_id}"
                f" (sha256 {result.sha256[:12]}… instead of {str(rec.sha256)[:12]}…);"
                " it was not kept.",
                _mismatch_hint(store, rec.paper_id),
            )
        os.replace(staging, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            staging.unlink()


def _mismatch_hint(store: Store, paper_id: str) -> str:
    if database_keeps_pdfs(store):
        return (
            "The recorded PDF did not come from arXiv: on the machine that has it,"
            f" `paperlab sync --upload {paper_id}` stores it in the lab database."
        )
    return f"`paperlab fetch {paper_id}` replaces it with arXiv's current PDF."


def sync_pdfs(
    store: Store,
    settings: Settings,
    paper_ids: list[str] | None = None,
    advance: Callable[[PdfOutcome], None] | None = None,
) -> SyncReport:
    """Make every paper's PDF (or those of ``paper_ids``) present on this machine."""
    from paperlab.sources.download import clean_partials

    clean_partials(settings.pdf_dir)
    ids = paper_ids if paper_ids is not None else papers_with_pdfs(store)
    return _each(ids, lambda paper_id: ensure_pdf(store, settings, paper_id), advance)


def _each(
    ids: list[str],
    one: Callable[[str], PdfOutcome],
    advance: Callable[[PdfOutcome], None] | None,
) -> SyncReport:
    """Run ``one`` on each paper in turn, reporting each outcome as it comes."""
    report = SyncReport()
    for paper_id in ids:
        outcome = one(paper_id)
        report.papers.append(outcome)
        if advance is not None:
            advance(outcome)
    return report


def papers_with_pdfs(store: Store) -> list[str]:
    with store.connect() as conn:
        rows = conn.execute("SELECT id FROM paper WHERE pdf_path IS NOT NULL ORDER BY id").all()
    return [row[0] for row in rows]


def upload_pdfs(
    store: Store,
    settings: Settings,
    paper_ids: list[str] | None = None,
    advance: Callable[[PdfOutcome], None] | None = None,
) -> SyncReport:
    """Store in the lab database the PDFs colleagues cannot get from arXiv.

    With no ids: every local paper's PDF (those have no arXiv id); named
    papers of any kind otherwise (an arXiv paper whose recorded file is not
    arXiv's, such as one imported with `paperlab add`). Only a file that is
    the recorded one is stored.
    """
    if not database_keeps_pdfs(store):
        raise UsageError(
            "A SQLite library's PDFs are its files under pdfs/; --upload stores PDFs in a"
            " lab database.",
            hint="Set PAPERLAB_DATABASE_URL to the lab library, or copy this one there:"
            " paperlab db copy --to URL",
        )
    ids = paper_ids if paper_ids is not None else local_papers(store)
    return _each(ids, lambda paper_id: _upload_one(store, settings, paper_id), advance)


def local_papers(store: Store) -> list[str]:
    with store.connect() as conn:
        rows = conn.execute(
            "SELECT id FROM paper WHERE pdf_path IS NOT NULL AND id LIKE 'local:%' ORDER BY id"
        ).all()
    return [row[0] for row in rows]


def _upload_one(store: Store, settings: Settings, paper_id: str) -> PdfOutcome:
    outcome = PdfOutcome(paper_id)
    rec = _recorded(store, paper_id)
    if rec is None or not rec.pdf_path or not rec.sha256:
        outcome.message = f"{paper_id} has no recorded PDF to store."
        return outcome
    path = _local_path(settings, rec.pdf_path)
    outcome.path = str(path)
    if not holds_recorded(path, rec.sha256):
        outcome.message = f"This machine does not have the recorded PDF of {paper_id}."
        outcome.hint = "Run it on the machine that imported the PDF."
        return outcome
    reason = too_large(settings, path.stat().st_size)
    if reason:
        outcome.message = reason
        return outcome
    try:
        with store.write() as session:
            stored = keep_in_database(session, path, rec.sha256)
    except PaperlabError as exc:
        outcome.message, outcome.hint = exc.message, exc.hint
        return outcome
    outcome.status = UPLOADED if stored else ALREADY_THERE
    return outcome


__all__ = [
    "ALREADY_THERE",
    "FAILED",
    "FETCHED",
    "FROM_DATABASE",
    "PRESENT",
    "STATUSES",
    "UPLOADED",
    "UPLOAD_STATUSES",
    "PdfOutcome",
    "SyncReport",
    "ensure_pdf",
    "local_papers",
    "local_pdf",
    "papers_with_pdfs",
    "sync_pdfs",
    "upload_pdfs",
]
