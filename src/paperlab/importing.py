"""`paperlab add`: import local PDFs so a library can start offline.

The arXiv id is read from the PDF's side stamp or first-page text. A paper
with an id gets that id and has its metadata completed by the next online
`paperlab fetch`; one without gets a ``local:<sha256 prefix>`` id.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from paperlab.errors import ExtractionError, PaperlabError, UsageError
from paperlab.library import ensure_citation_key
from paperlab.settings import Settings
from paperlab.store import Store
from paperlab.store.models import Paper, PaperVersion, PipelineState, utcnow


@dataclass
class AddOutcome:
    path: str
    paper_id: str | None = None
    status: str = "failed"  # added, replaced, already-present, failed
    message: str | None = None
    warnings: list[str] = field(default_factory=list)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_atomically(source: Path, dest: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".partial-", suffix=".pdf", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add_pdf(store: Store, settings: Settings, path: Path) -> AddOutcome:
    """Import one PDF; its failure is reported, never raised."""
    from paperlab.extract import identify_pdf

    outcome = AddOutcome(str(path))
    if not path.is_file():
        outcome.message = "No such file."
        return outcome
    try:
        with open(path, "rb") as handle:
            if handle.read(5) != b"%PDF-":
                outcome.message = "Not a PDF file (it does not start with %PDF-)."
                return outcome
        identity = identify_pdf(path)
    except ExtractionError as exc:
        outcome.message = exc.message
        return outcome
    except OSError as exc:
        outcome.message = f"Cannot read the file ({exc.strerror})."
        return outcome

    sha = _sha256(path)
    arxiv_id = identity.arxiv_id
    paper_id = arxiv_id.base if arxiv_id else f"local:{sha[:12]}"
    version = arxiv_id.version if arxiv_id else None
    stem = arxiv_id.file_stem() if arxiv_id else f"local_{sha[:12]}"
    dest = settings.pdf_dir / f"{stem}.pdf"
    outcome.paper_id = paper_id

    with store.write() as session:
        existing = session.get(Paper, paper_id)
        if existing is not None and existing.pdf_sha256 == sha and existing.pdf_path:
            outcome.status = "already-present"
            return outcome
        if (
            existing is not None
            and existing.pdf_path
            and (existing.pdf_version or 0) > (version or 0)
        ):
            outcome.status = "already-present"
            outcome.message = f"the library already has a newer version (v{existing.pdf_version})"
            return outcome
    try:
        _copy_atomically(path, dest)
    except OSError as exc:
        raise UsageError(
            f"Cannot copy {path} into the library ({exc.strerror}).",
            hint="Check free disk space and permissions of PAPERLAB_HOME.",
        ) from None
    with store.write() as session:
        paper = session.get(Paper, paper_id)
        replaced = paper is not None and bool(paper.pdf_path)
        if paper is None:
            paper = Paper(id=paper_id, title=identity.title or path.stem)
        elif not paper.title:
            paper.title = identity.title or path.stem
        paper.version = paper.version or version
        paper.pdf_path = str(dest.relative_to(settings.home))
        paper.pdf_sha256 = sha
        paper.pdf_version = version
        paper.state = PipelineState.FETCHED.value
        paper.state_reason = None
        paper.updated_at = utcnow()
        if arxiv_id is None:
            # Nothing online can complete it; a local paper's metadata is what we have.
            paper.metadata_complete = True
            ensure_citation_key(session, paper)
        session.add(paper)
        if version and session.get(PaperVersion, (paper_id, version)) is None:
            session.add(
                PaperVersion(
                    paper_id=paper_id, version=version, pdf_sha256=sha, fetched_at=utcnow()
                )
            )
    outcome.status = "replaced" if replaced else "added"
    if arxiv_id is None:
        outcome.warnings.append("no arXiv id found in the PDF; imported as a local paper")
    return outcome


def add_pdfs(
    store: Store, settings: Settings, paths: list[Path], *, index: bool = True
) -> list[AddOutcome]:
    """Import PDFs, then extract and embed the new ones."""
    if not paths:
        raise UsageError("No PDF given.", hint="Usage: paperlab add PATH.pdf [PATH.pdf ...]")
    expanded: list[Path] = []
    for path in paths:
        if path.is_dir():
            expanded.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() == ".pdf"))
        else:
            expanded.append(path)
    outcomes = [add_pdf(store, settings, p) for p in expanded]
    if index:
        from paperlab.indexing import index_pending
        from paperlab.pipeline import embed_paper, extract_paper

        processed = False
        for outcome in outcomes:
            if outcome.status in ("added", "replaced") and outcome.paper_id:
                result = extract_paper(store, settings, outcome.paper_id)
                if not result.ok:
                    outcome.status = "failed"
                    outcome.message = result.reason
                    continue
                try:
                    embed_paper(store, settings, outcome.paper_id)
                    processed = True
                except PaperlabError as exc:
                    outcome.warnings.append(f"not indexed: {exc.message}")
        if processed:
            index_pending(store, settings)
    return outcomes
