"""Open a PDF in the system viewer, at a page where the viewer allows it.

Used by `paperlab open` and by the `x` key of the library and the reader.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paperlab.errors import NotFoundError, PaperlabError, UsageError

if TYPE_CHECKING:
    from paperlab.settings import Settings
    from paperlab.store import Store

# Viewers that accept a page on the command line, best first.
PAGE_VIEWERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("zathura", ("--page={page}", "{path}")),
    ("okular", ("-p", "{page}", "{path}")),
    ("evince", ("-i", "{page}", "{path}")),
    ("qpdfview", ("{path}#{page}",)),
    ("mupdf", ("{path}", "{page}")),
)


def viewer_command(path: Path, page: int) -> tuple[list[str], bool]:
    """The command to run and whether it opens at ``page``."""
    for name, args in PAGE_VIEWERS:
        exe = shutil.which(name)
        if exe:
            return [exe, *(a.format(page=page, path=path) for a in args)], True
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    exe = shutil.which(opener)
    if exe:
        return [exe, str(path)], False
    raise PaperlabError(
        "No PDF viewer was found on this system.",
        hint=f"Install one (zathura, evince, okular) or xdg-utils; the file is {path}",
    )


def pdf_file(path: str | None, data_dir: Path) -> Path | None:
    """The stored PDF path as a file: stored paths are relative to the library's
    data dir (so a library can move), never to where the app was started."""
    if not path:
        return None
    file = Path(path)
    return file if file.is_absolute() else data_dir / file


def open_pdf(path: str | None, page: int, data_dir: Path) -> str:
    """Start the viewer detached; return a line saying what happened."""
    file = pdf_file(path, data_dir)
    if file is None or not file.is_file():
        where = f" (looked for {file})" if file is not None else ""
        raise NotFoundError(
            f"This paper has no PDF on disk{where}.",
            hint="Fetch it again: paperlab fetch <id> (or add the PDF: paperlab add FILE)",
        )
    name, at_page = start_viewer(file, page)
    return _opened("", name, at_page, page)


def _opened(subject: str, viewer: str, at_page: bool, page: int) -> str:
    """ "Opened[ subject] in zathura at page 3.", or how to get there by hand."""
    if at_page:
        return f"Opened{subject} in {viewer} at page {page}."
    return f"Opened{subject} with {viewer} (it cannot be told a page: go to page {page})."


def start_viewer(file: Path, page: int) -> tuple[str, bool]:
    """Start the viewer on ``file``, detached from this process and its terminal.

    Returns the viewer's name and whether it was told the page.
    """
    command, at_page = viewer_command(file, page)
    subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return Path(command[0]).name, at_page


@dataclass(frozen=True)
class Opened:
    """What `paperlab open` did."""

    paper_id: str
    path: str
    page: int
    viewer: str
    at_page: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def sentence(self) -> str:
        return _opened(f" {self.paper_id}", self.viewer, self.at_page, self.page)


def open_paper(store: Store, settings: Settings, text: str, page: int | None = None) -> Opened:
    """Open a library paper's PDF at ``page``, or where the reader left it, or at page 1.

    The page is checked against the extracted pages before anything starts. On
    a lab library the PDF is first put on this machine (written out from the
    database or downloaded, verified by sha256), as the reader does.
    """
    from paperlab.lookup import resolve_paper_id
    from paperlab.pdfcache import local_pdf
    from paperlab.readingposition import load_position

    with store.connect() as conn:
        paper_id = resolve_paper_id(conn, text)
        pages = int(
            conn.execute("SELECT count(*) FROM page WHERE paper_id = :p", {"p": paper_id}).scalar()
            or 0
        )
    if page is None:
        position = load_position(store, paper_id)
        page = position.page if position is not None and position.page <= max(pages, 1) else 1
    elif page < 1 or (pages and page > pages):
        raise UsageError(
            f"{paper_id} has no page {page} (its pages are 1-{pages}).",
            hint=f"paperlab open {paper_id} --page N, with N from 1 to {pages}.",
        )
    file = local_pdf(store, settings, paper_id)
    viewer, at_page = start_viewer(file, page)
    return Opened(paper_id, str(file), page, viewer, at_page)


__all__ = ["Opened", "open_paper", "open_pdf", "pdf_file", "start_viewer", "viewer_command"]
