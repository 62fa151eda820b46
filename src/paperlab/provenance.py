"""Is a PDF the paper it claims to be, and is a stored PDF still the file we recorded?

A side stamp is just text: any PDF can carry ``arXiv:1004.4240v1``. So a
stamped PDF is believed only as far as it can be checked: its title against
the paper's arXiv title, its version against the versions arXiv lists. A
stored PDF is checked against what was recorded when it was stored: its
sha256, that of its version in ``paper_version`` (set from arXiv's own file
when fetch downloaded it) and its version against arXiv's current one.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from paperlab.errors import ExtractionError
from paperlab.settings import Settings
from paperlab.store import Store

# Rendered titles differ from arXiv's in case, punctuation and line breaks,
# rarely in words; a different paper's title almost never comes this close.
TITLE_RATIO = 0.85
# A title guess cut short (a title in rows of two sizes) still names the paper
# when it is a run of the title's own words covering most of it.
TITLE_PART = 0.6
# The title starts near the top of page 1, after at most a venue or report
# line (17 words at most in the shared arXiv PDFs); further down, page 1 may
# cite another paper by its title.
TITLE_START_WORDS = 20


@contextlib.contextmanager
def paper_lock(settings: Settings, paper_id: str) -> Iterator[None]:
    """One process at a time stores a given paper's PDF (fetch and add alike)."""
    lock_dir = settings.pdf_dir / ".locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_dir / (paper_id.replace("/", "_").replace(":", "_") + ".lock")
    with open(path, "a+b") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: in-process only
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _words(text: str) -> list[str]:
    from paperlab.extract.cleanup import squash_words

    return squash_words(text)


def first_page_words(path: Path) -> list[str]:
    """The cleaned words of page 1 (stamp, running header and page number removed)."""
    from paperlab.extract.cleanup import clean_pages
    from paperlab.extract.pdf import open_document, read_page

    doc = open_document(path)
    try:
        first = read_page(doc, 0)
    except Exception as exc:  # PyMuPDF raises several unrelated types
        raise ExtractionError("The first page of the PDF cannot be read.") from exc
    finally:
        doc.close()
    layouts, _ = clean_pages([first])
    return _words(layouts[0].text)


def _is_run_of(part: list[str], whole: list[str]) -> bool:
    return f" {' '.join(part)} " in f" {' '.join(whole)} "


def title_matches(expected: str, guess: str | None, path: Path | None = None) -> bool:
    """Whether a PDF whose title looks like ``guess`` is the paper titled ``expected``.

    The guess may be wrong (a title set at body size) or cut short, so when
    it is not close, page 1 is read: the expected title must start there
    near the top.
    """
    want = _words(expected)
    if not want:
        return True  # nothing to check against
    got = _words(guess or "")
    if got:
        if difflib.SequenceMatcher(None, " ".join(want), " ".join(got)).ratio() >= TITLE_RATIO:
            return True
        if _is_run_of(got, want) and len(got) >= TITLE_PART * len(want):
            return True
    if path is None:
        return False
    try:
        top = first_page_words(path)[: TITLE_START_WORDS + len(want)]
    except ExtractionError:
        return False
    return any(top[i : i + len(want)] == want for i in range(TITLE_START_WORDS + 1))


@dataclass(frozen=True)
class StoredCheck:
    """What is wrong with a stored PDF, if anything (``problem`` is a clause)."""

    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def check_stored_pdf(
    path: Path | None,
    recorded_sha: str | None,
    version_sha: str | None,
    *,
    stored_version: int | None = None,
    current_version: int | None = None,
) -> StoredCheck:
    """Check a stored PDF against its records and arXiv's current version.

    ``recorded_sha`` is the paper's, ``version_sha`` that of its version's
    row (arXiv's own file when fetch downloaded it). Sizes are not recorded:
    the sha256 covers them.
    """
    if path is None:
        return StoredCheck()
    if not path.is_file():
        return StoredCheck("the stored PDF is missing")
    if current_version and stored_version and stored_version > current_version:
        return StoredCheck(
            f"the stored PDF claims v{stored_version} but arXiv lists v{current_version}"
            " as the current version"
        )
    expected = {sha for sha in (recorded_sha, version_sha) if sha}
    if expected:
        try:
            actual = file_sha256(path)
        except OSError as exc:
            return StoredCheck(f"the stored PDF cannot be read ({exc.strerror or exc})")
        if expected != {actual}:
            return StoredCheck("the stored PDF no longer matches its recorded sha256")
    return StoredCheck()


def shown_title(text: str | None) -> str:
    if not text:
        return "(none found)"
    text = " ".join(text.split())
    return repr(text if len(text) <= 80 else text[:79] + "…")


def unverified_imports(
    store: Store, settings: Settings, listed: dict[str, tuple[int | None, str]]
) -> dict[str, str]:
    """PDFs imported offline whose title turns out not to be arXiv's; id -> why.

    ``listed`` maps paper ids to the (version, title) arXiv lists. Only papers
    whose metadata was never completed are checked: their PDF came from
    `paperlab add` with nothing to compare it with. Reads PDFs with PyMuPDF,
    so call it before any other thread extracts.
    """
    from sqlmodel import col, select

    from paperlab.extract import identify_pdf
    from paperlab.store.models import Paper

    if not listed:
        return {}
    with store.read() as session:
        papers = session.exec(
            select(Paper).where(
                col(Paper.id).in_(list(listed)),
                col(Paper.metadata_complete).is_(False),
                col(Paper.pdf_path).is_not(None),
            )
        ).all()
    found: dict[str, str] = {}
    for paper in papers:
        version, title = listed[paper.id]
        path = settings.home / str(paper.pdf_path)
        if (version and paper.pdf_version != version) or not path.is_file():
            continue  # a download is due anyway
        try:
            guess = identify_pdf(path).title
        except ExtractionError:
            guess = None
        if not title_matches(title, guess, path):
            shown, wanted = shown_title(guess), shown_title(title)
            found[paper.id] = f"the stored PDF's title {shown} is not arXiv's title {wanted}"
    return found


def record_arxiv_pdf(
    store: Store, settings: Settings, paper_id: str, version: int | None, dest: Path, sha: str
) -> None:
    """Point the paper at a PDF just downloaded from arXiv: its sha256 is now the record."""
    from sqlmodel import col, delete

    from paperlab.store.models import Paper, PaperVersion, PipelineState, utcnow

    with store.write() as session:
        paper = session.get(Paper, paper_id)
        assert paper is not None
        paper.pdf_path = str(dest.relative_to(settings.home))
        paper.pdf_sha256 = sha
        paper.pdf_version = version
        paper.state = PipelineState.FETCHED.value
        paper.state_reason = None
        paper.updated_at = utcnow()
        session.add(paper)
        if not version:
            return
        row = session.get(PaperVersion, (paper_id, version))
        if row is not None:
            row.pdf_sha256 = sha
            row.fetched_at = utcnow()
            session.add(row)
        # Versions beyond arXiv's current one were only ever claimed by a side stamp.
        session.exec(
            delete(PaperVersion).where(
                col(PaperVersion.paper_id) == paper_id, col(PaperVersion.version) > version
            )
        )


def mark_unverified(store: Store, paper_id: str) -> None:
    """Keep an offline import that failed its check on the list for the next fetch."""
    from paperlab.store.models import Paper

    with store.write() as session:
        paper = session.get(Paper, paper_id)
        if paper is not None:
            paper.metadata_complete = False
            session.add(paper)


__all__ = [
    "StoredCheck",
    "check_stored_pdf",
    "file_sha256",
    "first_page_words",
    "mark_unverified",
    "paper_lock",
    "record_arxiv_pdf",
    "shown_title",
    "title_matches",
    "unverified_imports",
]
