"""Exports: BibTeX, CSL-JSON, a literature-review draft, an Obsidian vault,
annotated PDFs and a 2-D map of the library.

This module holds what every export shares: choosing the papers (ids, a
reading list or a topic), giving each a citation key, and writing files
atomically so an interrupted export never leaves half a file behind.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

from sqlmodel import col, select

from paperlab.errors import StoreError, UsageError, clip_path
from paperlab.settings import new_file_mode
from paperlab.store import Store
from paperlab.store.models import CitationAlias, Paper

EMPTY_HINT = "Name papers by id, or choose a non-empty --list or --topic (see `paperlab list`)."


def select_papers(
    store: Store,
    *,
    ids: Sequence[str] = (),
    list_name: str | None = None,
    topic: str | None = None,
) -> list[Paper]:
    """The papers an export covers, each with a citation key.

    ``ids`` (any spelling ``resolve_paper`` accepts) keep their order; a list
    keeps its reading order; a topic, or nothing (the whole library), the
    order papers were added. A list and a topic together mean both.
    """
    from paperlab.library import list_papers, resolve_paper

    if ids and (list_name or topic):
        raise UsageError(
            "Give paper ids, or --list/--topic, not both.",
            hint="Drop the ids to export a list or topic, or drop --list/--topic.",
        )
    if ids:
        with store.read() as session:
            chosen = [resolve_paper(session, text).id for text in ids]
    else:
        chosen = [row.id for row in list_papers(store, list_name=list_name, topic=topic)]
    chosen = list(dict.fromkeys(chosen))
    if not chosen:
        what = (
            f"reading list {list_name!r}"
            if list_name
            else f"topic {topic!r}"
            if topic
            else "the library"
        )
        raise UsageError(f"Nothing to export: {what} has no papers.", hint=EMPTY_HINT)
    return ensure_keys(store, chosen)


def ensure_keys(store: Store, paper_ids: Sequence[str]) -> list[Paper]:
    """Load ``paper_ids`` with a citation key each, stored so it never changes by itself.

    A key is pinned the first time a paper is exported (or gets arXiv's
    metadata), from the best metadata known then: once a draft or a vault
    note uses it, new metadata must not break ``[@key]`` or rename the note.
    ``paperlab rekey`` changes it on purpose and keeps the old key as an alias.
    """
    from paperlab.library import ensure_citation_key, show_my_reading_states

    out: list[Paper] = []
    with store.write() as session:
        for paper_id in paper_ids:
            paper = session.get(Paper, paper_id)
            if paper is None:
                continue
            ensure_citation_key(session, paper)
            session.add(paper)
            session.flush()
            out.append(paper)
        for paper in out:
            session.expunge(paper)
        show_my_reading_states(session, out)
    return out


def missing_parts(paper: Paper) -> str | None:
    """What a paper lacks for a bibliography or a review ("metadata", "a PDF"), or None.

    A paper added offline carries a title read off its PDF and nothing else;
    exported as is it would cite as "Anon., n.d.", so exports leave such
    papers out unless asked (``--include-incomplete``).
    """
    lacking = []
    if not paper.metadata_complete:
        lacking.append("metadata")
    if not paper.pdf_path:
        lacking.append("a PDF")
    return " and ".join(lacking) or None


def split_incomplete(papers: Sequence[Paper]) -> tuple[list[Paper], list[Paper]]:
    """``papers`` as (complete, incomplete), each in the given order."""
    complete = [p for p in papers if missing_parts(p) is None]
    return complete, [p for p in papers if missing_parts(p) is not None]


def some_ids(papers: Sequence[Paper], shown: int = 5) -> str:
    """The first few ids and how many more: a bounded name for many papers."""
    ids = ", ".join(p.id for p in papers[:shown])
    return ids + (f" and {len(papers) - shown} more" if len(papers) > shown else "")


def left_out_message(papers: Sequence[Paper]) -> str:
    """One bounded line naming the papers an export left out."""
    noun = "paper" if len(papers) == 1 else "papers"
    return (
        f"left out {len(papers)} {noun} without metadata or a PDF: {some_ids(papers)} "
        "(`paperlab fetch` completes them; --include-incomplete keeps them)."
    )


def key_aliases(store: Store, paper_ids: Sequence[str]) -> dict[str, list[str]]:
    """Old citation keys (kept after a rekey) by paper id, oldest first."""
    with store.read() as session:
        rows = session.exec(
            select(CitationAlias)
            .where(col(CitationAlias.paper_id).in_(list(paper_ids)))
            .order_by(col(CitationAlias.created_at), col(CitationAlias.key))
        ).all()
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row.paper_id, []).append(row.key)
    return out


_NOT_A_FILE = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
TARGET_HINT = "Give a new file name, or an existing regular file (or a symlink to one) to replace."


def checked_target(path: Path) -> Path:
    """The regular file that writing ``path`` replaces: a symlink's target, never the link.

    Exports replace files by renaming a temporary file over them. Renamed over
    a symlink that would swap the link for a file; over a device (/dev/full),
    a FIFO or a directory it would replace something that is no export at all.
    So a symlink is followed, and anything but a regular file (or nothing yet)
    is refused with a UsageError before anything is written.
    """
    path = Path(path)
    target = Path(os.path.realpath(path))
    for place, what in ((target.parent, "folder"), (target, "file")):
        try:
            mode = os.stat(place).st_mode
        except FileNotFoundError:
            continue  # made when written
        except OSError as exc:
            raise StoreError(
                f"Cannot write {clip_path(path)} ({exc.strerror or exc}).",
                hint="Check the path and its permissions.",
            ) from None
        if what == "folder" and not stat.S_ISDIR(mode):
            raise UsageError(
                f"{clip_path(place)} is not a folder, so {path.name!r} cannot be written in it.",
                hint="Give a folder, or a path where one can be made.",
            )
        if what == "file" and not stat.S_ISREG(mode):
            kind = next((name for test, name in _NOT_A_FILE if test(mode)), "not a file")
            if os.path.islink(path):
                kind = f"a symlink to {kind} ({clip_path(target)})"
            raise UsageError(
                f"{clip_path(path)} is {kind}, not a regular file: exports only write "
                "regular files.",
                hint=TARGET_HINT,
            )
    return target


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file and a rename.

    Through a symlink the target file is replaced and the link kept; an
    existing file keeps its permissions; a device, FIFO or directory is
    refused (``checked_target``).
    """
    path = Path(path)
    target = checked_target(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            mode = new_file_mode()
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fchmod(fh.fileno(), mode)
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StoreError(
            f"Cannot write {clip_path(path)} ({exc.strerror or exc}).",
            hint="Check the folder exists, is writable and the disk has space.",
        ) from None
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


__all__ = [
    "EMPTY_HINT",
    "atomic_write_bytes",
    "atomic_write_text",
    "checked_target",
    "ensure_keys",
    "key_aliases",
    "left_out_message",
    "missing_parts",
    "select_papers",
    "some_ids",
    "split_incomplete",
]
