"""`paperlab add`: import local PDFs so a library can start offline.

The arXiv id is read from the PDF's side stamp or first-page text. A paper
with an id gets that id and has its metadata completed by the next online
`paperlab fetch`; one without gets a ``local:<sha256 prefix>`` id.

A stamp is only text, so a stamped PDF must not be able to displace the
paper it names: a stored PDF is never replaced by a different file for the
same version, a PDF whose title is not the paper's arXiv title is refused,
and a stamp claiming a version newer than arXiv lists is refused (the file
is then not imported at all; `paperlab fetch ID` gets arXiv's own PDF).
Offline, with no arXiv title to compare, the first PDF is taken and the next
`paperlab fetch` checks it (see ``fetching``).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from paperlab.errors import ExtractionError, PaperlabError, UsageError
from paperlab.ids import ArxivId
from paperlab.jobprogress import JobProgress, Silent
from paperlab.library import ensure_citation_key
from paperlab.pdfblobs import database_keeps_pdfs, keep_in_database, too_large
from paperlab.provenance import file_sha256, paper_lock, shown_title, title_matches
from paperlab.settings import Settings
from paperlab.store import Store
from paperlab.store.models import Paper, PaperVersion, PipelineState, utcnow

# Statuses that leave the paper in the library, with its text indexed or not.
STORED = ("added", "new-version")
# Statuses that make `paperlab add` exit 1.
PROBLEMS = ("failed", "refused", "not-indexed")


@dataclass
class AddOutcome:
    path: str
    paper_id: str | None = None
    # added, new-version, already-present, refused (not the paper its stamp names),
    # not-indexed (stored, but its text could not be extracted or embedded), failed
    status: str = "failed"
    message: str | None = None
    hint: str | None = None  # what to do about ``message``, when we know
    warnings: list[str] = field(default_factory=list)
    # keys of the reading-list entries not on arXiv this PDF was linked to
    linked: list[str] = field(default_factory=list)


def _kind(mode: int) -> str:
    kinds = {
        stat.S_ISFIFO: "a FIFO",
        stat.S_ISSOCK: "a socket",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISDIR: "a directory",
    }
    return next((name for test, name in kinds.items() if test(mode)), "not a plain file")


def _irregular(path: Path) -> str | None:
    """What ``path`` is when it exists but is not a regular file (``stat`` never blocks)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    return None if stat.S_ISREG(mode) else _kind(mode)


@dataclass(frozen=True)
class _Copy:
    tmp: Path
    sha256: str


def _copy_in(source: Path, pdf_dir: Path) -> _Copy:
    """Copy ``source`` into a temp file beside the library's PDFs, hashing it.

    What is checked afterwards (header, stamp, title) is then this very copy,
    not a file that could change under us. The source is opened without
    blocking and must be a regular file, so a FIFO is never read. The temp
    name carries our pid so a concurrent fetch's clean-up leaves it alone.
    Errors reading the source are OSError, errors writing the copy _CannotStore.
    """
    fd = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as src:
        mode = os.fstat(src.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise _NotRegular(_kind(mode))
        tmp = pdf_dir / f".partial-add-{os.getpid()}-{secrets.token_hex(4)}.pdf"
        digest = hashlib.sha256()
        try:
            pdf_dir.mkdir(parents=True, exist_ok=True)
            with open(tmp, "xb") as out:
                for block in _blocks(src):
                    digest.update(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
        except _ReadError as exc:
            tmp.unlink(missing_ok=True)
            raise exc.error from None
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise _CannotStore(exc) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return _Copy(tmp, digest.hexdigest())


class _ReadError(Exception):
    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _blocks(src: BinaryIO) -> Iterator[bytes]:
    """The source's bytes; a failed read is told apart from a failed write."""
    while True:
        try:
            block = src.read(1 << 20)
        except OSError as exc:
            raise _ReadError(exc) from None
        if not block:
            return
        yield block


class _NotRegular(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class _CannotStore(Exception):
    """Writing into the library failed (disk full, permissions), not reading the PDF."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.reason = error.strerror or str(error)


def _place(tmp: Path, dest: Path) -> bool:
    """Move ``tmp`` to ``dest`` unless ``dest`` exists; True when it was placed.

    A hard link fails when the name is taken, so two imports racing for one
    name cannot overwrite each other (``os.replace`` would).
    """
    try:
        os.link(tmp, dest)
    except FileExistsError:
        return False
    except OSError:  # no hard links here: check, then rename
        if dest.exists():
            return False
        os.replace(tmp, dest)
        return True
    tmp.unlink(missing_ok=True)
    return True


def _refusal(paper: Paper, arxiv_id: ArxivId, guess: str | None, tmp: Path) -> str | None:
    """Why this PDF cannot be the arXiv paper its stamp names; None when it may be."""
    if not paper.metadata_complete:
        return None  # offline: nothing to compare with yet
    if paper.title and not title_matches(paper.title, guess, tmp):
        return (
            f"its title {shown_title(guess)} does not match the arXiv title of "
            f"{paper.id}, {shown_title(paper.title)}; the library's paper is kept"
        )
    version = arxiv_id.version
    if version and paper.version and version > paper.version:
        return (
            f"it is stamped v{version} but arXiv lists v{paper.version} as the current "
            f"version of {paper.id}; `paperlab fetch {paper.id}` gets a newer one if there is"
        )
    return None


def add_pdf(store: Store, settings: Settings, path: Path) -> AddOutcome:
    """Import one PDF; its failure is reported, never raised."""
    outcome = AddOutcome(str(path))
    kind = _irregular(path)
    if kind is not None:
        outcome.message = f"Not a regular file: it is {kind}."
        return outcome
    try:
        copy = _copy_in(path, settings.pdf_dir)
    except _CannotStore as exc:
        raise UsageError(
            f"Cannot copy {path} into the library ({exc.reason}).",
            hint="Check free disk space and permissions of PAPERLAB_HOME.",
        ) from None
    except _NotRegular as exc:
        outcome.message = f"Not a regular file: it is {exc.kind}."
        return outcome
    except FileNotFoundError:
        outcome.message = "No such file."
        return outcome
    except OSError as exc:
        outcome.message = f"Cannot read the file ({exc.strerror or exc})."
        return outcome
    try:
        _add_copy(store, settings, copy, outcome)
    finally:
        copy.tmp.unlink(missing_ok=True)
    if outcome.paper_id and outcome.status in ("added", "new-version", "already-present"):
        from paperlab.externals import link_imported

        outcome.linked = link_imported(store, settings, outcome.paper_id)
    return outcome


def _add_copy(store: Store, settings: Settings, copy: _Copy, outcome: AddOutcome) -> None:
    from paperlab.extract import identify_pdf

    with open(copy.tmp, "rb") as handle:
        if handle.read(5) != b"%PDF-":
            outcome.message = "Not a PDF file (it does not start with %PDF-)."
            return
    if database_keeps_pdfs(store):
        # Colleagues get this PDF from the lab database, which takes what a download would.
        too_big = too_large(settings, copy.tmp.stat().st_size)
        if too_big:
            outcome.message = too_big
            return
    try:
        identity = identify_pdf(copy.tmp)
    except ExtractionError as exc:
        outcome.message, outcome.hint = exc.message, exc.hint
        return
    sha = copy.sha256
    arxiv_id = identity.arxiv_id
    paper_id = arxiv_id.base if arxiv_id else f"local:{sha[:12]}"
    version = arxiv_id.version if arxiv_id else None
    stem = arxiv_id.file_stem() if arxiv_id else f"local_{sha[:12]}"
    dest = settings.pdf_dir / f"{stem}.pdf"
    outcome.paper_id = paper_id

    # The same lock as fetch's: an import and a download of one paper take turns.
    with paper_lock(settings, paper_id):
        with store.read() as session:
            existing = session.get(Paper, paper_id)
        if existing is not None and arxiv_id is not None:
            reason = _refusal(existing, arxiv_id, identity.title, copy.tmp)
            if reason:
                outcome.status, outcome.message = "refused", reason[0].upper() + reason[1:] + "."
                return
        kept = _already_present(settings, existing, sha, version)
        if kept is not None:
            outcome.status, outcome.message = "already-present", kept or None
            return
        try:
            placed = _place(copy.tmp, dest)
        except OSError as exc:
            raise UsageError(
                f"Cannot copy {outcome.path} into the library ({exc.strerror}).",
                hint="Check free disk space and permissions of PAPERLAB_HOME.",
            ) from None
        if not placed and file_sha256(dest) != sha:
            # Never overwrite: the stored file may be the paper this one pretends to be.
            outcome.status = "already-present"
            outcome.message = f"a different file is already stored as {dest.name}; it is kept"
            return
        new_version = _record(store, settings, paper_id, identity.title, outcome.path, sha, dest,
                              version, local=arxiv_id is None)  # fmt: skip
    outcome.status = "new-version" if new_version else "added"
    if arxiv_id is None:
        outcome.warnings.append("no arXiv id found in the PDF; imported as a local paper")


def _already_present(
    settings: Settings, existing: Paper | None, sha: str, version: int | None
) -> str | None:
    """Why the library keeps what it has instead of this PDF ("" when it is the same file)."""
    if existing is None or not existing.pdf_path:
        return None
    if not (settings.home / existing.pdf_path).is_file():
        return None  # nothing stored to keep; fetch checks the new file against arXiv
    if existing.pdf_sha256 == sha:
        return ""
    have = existing.pdf_version or 0
    if have > (version or 0):
        return f"the library already has a newer version (v{existing.pdf_version})"
    if have == (version or 0):
        which = f"v{have} of this paper" if have else "this paper"
        return f"the library already has a different file for {which}; it is kept"
    return None


def _record(
    store: Store,
    settings: Settings,
    paper_id: str,
    title: str | None,
    path: str,
    sha: str,
    dest: Path,
    version: int | None,
    *,
    local: bool,
) -> bool:
    """Point the paper at its stored PDF; True when it replaced an older version."""
    with store.write() as session:
        paper = session.get(Paper, paper_id)
        new_version = paper is not None and bool(paper.pdf_path)
        if paper is None:
            paper = Paper(id=paper_id, title=title or Path(path).stem)
        elif not paper.title:
            paper.title = title or Path(path).stem
        paper.version = paper.version or version
        paper.pdf_path = str(dest.relative_to(settings.home))
        paper.pdf_sha256 = sha
        paper.pdf_version = version
        paper.state = PipelineState.FETCHED.value
        paper.state_reason = None
        paper.updated_at = utcnow()
        if local:
            # Nothing online can complete it; a local paper's metadata is what we have.
            paper.metadata_complete = True
            ensure_citation_key(session, paper)
        session.add(paper)
        if database_keeps_pdfs(store):
            # An imported file is not known to be arXiv's byte for byte: the lab keeps it.
            keep_in_database(session, dest, sha)
        if version:
            row = session.get(PaperVersion, (paper_id, version))
            if row is None:
                row = PaperVersion(paper_id=paper_id, version=version)
            if row.pdf_sha256 is None:
                row.pdf_sha256, row.fetched_at = sha, utcnow()
            session.add(row)
    return new_version


def expand_paths(paths: list[Path]) -> list[Path]:
    """The PDFs to import, in order; bad arguments are refused before any import.

    Folders are searched recursively for ``*.pdf``. A path that does not
    exist is left for ``add_pdf`` to report with the others.
    """
    if not paths:
        raise UsageError("No PDF given.", hint="Usage: paperlab add PATH.pdf [PATH.pdf ...]")
    expanded: list[Path] = []
    for path in paths:
        kind = _irregular(path)
        if kind == "a directory":
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() == ".pdf")
            if not found:
                raise UsageError(
                    f"No PDFs were found in {path}.",
                    hint="paperlab add imports *.pdf files from a folder and its subfolders.",
                )
            expanded.extend(found)
        elif kind is not None:
            raise UsageError(
                f"{path} is not a regular file (it is {kind}).",
                hint="Give PDF files or folders of PDFs.",
            )
        else:
            expanded.append(path)
    return expanded


def add_pdfs(
    store: Store,
    settings: Settings,
    paths: list[Path],
    *,
    index: bool = True,
    progress: JobProgress | None = None,
) -> list[AddOutcome]:
    """Import PDFs, then extract and embed the new ones, telling ``progress`` as it goes."""
    show = progress or Silent()
    files = expand_paths(paths)
    show.stage("import", len(files))
    outcomes: list[AddOutcome] = []
    for path in files:
        outcomes.append(add_pdf(store, settings, path))
        show.advance("import", path.name, outcomes[-1].status)
    if index:
        _index(store, settings, outcomes, show)
    return outcomes


def _index(store: Store, settings: Settings, outcomes: list[AddOutcome], show: JobProgress) -> None:
    from paperlab.indexing import index_pending
    from paperlab.pipeline import embed_paper, extract_papers

    processed = False
    # The PDF is in the library either way; say so once, with why it is not searchable.
    # One paper may have two outcomes (its v1 and v2 given together): extracted once.
    stored: dict[str, list[AddOutcome]] = {}
    for outcome in outcomes:
        if outcome.status in STORED and outcome.paper_id:
            stored.setdefault(outcome.paper_id, []).append(outcome)
    show.stage("index", len(stored))
    for result in extract_papers(store, settings, list(stored)):
        why_not = None if result.ok else result.reason or "The PDF could not be extracted."
        hint = result.hint
        if result.ok:
            try:
                embed_paper(store, settings, result.paper_id)
                processed = True
            except PaperlabError as exc:
                why_not, hint = exc.message, exc.hint
        if why_not is not None:
            for outcome in stored[result.paper_id]:
                outcome.status, outcome.message, outcome.hint = "not-indexed", why_not, hint
        show.advance("index", result.paper_id, "indexed" if why_not is None else "not indexed")
    if processed:
        index_pending(store, settings)
