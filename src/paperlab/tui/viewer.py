"""Open a PDF in the system viewer, at a page where the viewer allows it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from paperlab.errors import NotFoundError, PaperlabError

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
    command, at_page = viewer_command(file, page)
    subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    name = Path(command[0]).name
    return (
        f"Opened in {name} at page {page}."
        if at_page
        else (f"Opened with {name} (it cannot be told a page: go to page {page}).")
    )


__all__ = ["open_pdf", "pdf_file", "viewer_command"]
