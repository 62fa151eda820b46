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


def open_pdf(path: str | None, page: int) -> str:
    """Start the viewer detached; return a line saying what happened."""
    if not path or not Path(path).is_file():
        raise NotFoundError(
            "This paper has no PDF on disk.", hint="Fetch it first: paperlab fetch <id>"
        )
    command, at_page = viewer_command(Path(path), page)
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


__all__ = ["open_pdf", "viewer_command"]
