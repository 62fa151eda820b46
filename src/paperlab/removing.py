"""`paperlab remove`: take papers out of the library, and keep them out.

A removed paper loses its row and everything hanging off it: PDFs (every
version), pages, chunks (their full-text rows and change counters follow by
trigger, so the faiss file is brought up to date on the next search), the
vectors no other text uses, list and topic links. Notes, annotations and log
links are the user's own work, so the front end asks before removing a paper
that has any (or needs ``--force``); log entries themselves stay, only their
link to the paper goes. In a library several people share, other members'
work on the paper is counted apart: it goes only when the remover says so
(``--others``), since its owners were never asked.

The id is remembered in ``removed_paper`` so that a bare ``paperlab fetch``
does not bring a bundled list's paper straight back; naming the paper
(``paperlab fetch ID``) or its list (a path or a list name) does, and clears
the mark.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, delete, func, select

from paperlab.ids import try_parse_arxiv_id
from paperlab.library import resolve_paper
from paperlab.pdfblobs import drop_unused_blob
from paperlab.readinglists import ReadingListSpec
from paperlab.settings import Settings, current_user
from paperlab.store import Store
from paperlab.store.models import (
    Annotation,
    Chunk,
    LogEntry,
    LogPaper,
    Note,
    Paper,
    PaperVersion,
    ReadingList,
    ReadingListEntry,
    RemovedPaper,
)
from paperlab.wording import counted


@dataclass
class Removal:
    """One paper to remove and what of the user's own work goes with it."""

    paper_id: str
    title: str
    notes: int = 0
    annotations: int = 0
    log_links: int = 0
    lists: list[str] = field(default_factory=list)
    # Of the counts above, what belongs to other members, and who they are.
    others_notes: int = 0
    others_annotations: int = 0
    others_log_links: int = 0
    other_members: list[str] = field(default_factory=list)
    pdfs_removed: int = 0
    chunks_removed: int = 0
    vectors_removed: int = 0

    @property
    def has_own_work(self) -> bool:
        """Whether the remover has notes, annotations or log links on the paper."""
        others = self.others_notes + self.others_annotations + self.others_log_links
        return self.notes + self.annotations + self.log_links > others

    @property
    def has_others_work(self) -> bool:
        return bool(self.other_members)

    def user_work(self) -> str:
        """The remover's own work on the paper, e.g. ``1 note, 2 log links``."""
        return _work(
            self.notes - self.others_notes,
            self.annotations - self.others_annotations,
            self.log_links - self.others_log_links,
        )

    def others_work(self) -> str:
        """Other members' work on the paper and whose it is."""
        work = _work(self.others_notes, self.others_annotations, self.others_log_links)
        return f"{work} by {', '.join(self.other_members)}"


def _work(notes: int, annotations: int, log_links: int) -> str:
    parts = [_count(notes, "note"), _count(annotations, "annotation")]
    parts.append(_count(log_links, "log link"))
    return ", ".join(p for p in parts if p)


def _count(n: int, noun: str) -> str:
    return counted(n, noun) if n else ""


def plan_removal(store: Store, names: Sequence[str]) -> list[Removal]:
    """Resolve every name (id, URL, citation key) first; one unknown name stops it all."""
    plans: dict[str, Removal] = {}
    with store.read() as session:
        for name in names:
            paper = resolve_paper(session, name)
            if paper.id in plans:
                continue
            notes, annotations, log_links = _owners_of_work(session, paper.id)
            me = current_user()
            plans[paper.id] = Removal(
                paper_id=paper.id,
                title=paper.title or "",
                notes=len(notes),
                annotations=len(annotations),
                log_links=len(log_links),
                lists=list(
                    session.exec(
                        select(ReadingList.name)
                        .join(ReadingListEntry, col(ReadingListEntry.list_id) == ReadingList.id)
                        .where(ReadingListEntry.paper_id == paper.id)
                    ).all()
                ),
                others_notes=sum(owner != me for owner in notes),
                others_annotations=sum(owner != me for owner in annotations),
                others_log_links=sum(owner != me for owner in log_links),
                other_members=sorted({o for o in (*notes, *annotations, *log_links) if o != me}),
            )
    return list(plans.values())


def _owners_of_work(session: Session, paper_id: str) -> tuple[list[str], list[str], list[str]]:
    """Who owns each of the paper's notes, annotations and log links (one name per item)."""
    notes = select(Note.owner).where(Note.paper_id == paper_id)
    annotations = select(Annotation.owner).where(Annotation.paper_id == paper_id)
    log_links = (
        select(LogEntry.owner)
        .join(LogPaper, col(LogPaper.log_id) == LogEntry.id)
        .where(LogPaper.paper_id == paper_id)
    )
    return (
        list(session.exec(notes).all()),
        list(session.exec(annotations).all()),
        list(session.exec(log_links).all()),
    )


def _rows(session: Session, model: Any, column: Any, paper_id: str) -> int:
    return int(
        session.exec(select(func.count()).select_from(model).where(column == paper_id)).one()
    )


def remove_papers(store: Store, settings: Settings, plans: Sequence[Removal]) -> None:
    """Remove each planned paper in its own transaction, then its PDF files.

    The row goes first: a kill before the files are unlinked leaves files
    `paperlab doctor` lists as leftovers, never a paper whose PDF is gone.
    """
    from paperlab.provenance import paper_lock

    for plan in plans:
        with paper_lock(settings, plan.paper_id):
            files = _remove_rows(store, settings, plan)
            for path in files:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    plan.pdfs_removed += 1


def _remove_rows(store: Store, settings: Settings, plan: Removal) -> list[Path]:
    pid = plan.paper_id
    with store.write() as session:
        paper = session.get(Paper, pid)
        if paper is None:  # removed meanwhile by another process
            return []
        files = _pdf_files(session, settings, paper)
        hashes = set(session.exec(select(Chunk.content_hash).where(Chunk.paper_id == pid)).all())
        plan.chunks_removed = _rows(session, Chunk, Chunk.paper_id, pid)
        # Notes and annotations have no cascade on purpose (deleting a paper
        # that has them must fail); here the user asked for it.
        session.exec(delete(Annotation).where(col(Annotation.paper_id) == pid))
        session.exec(delete(Note).where(col(Note.paper_id) == pid))
        sha = paper.pdf_sha256
        session.delete(paper)  # pages, chunks, versions, list and log links cascade
        session.flush()
        plan.vectors_removed = _drop_unused_vectors(session, hashes)
        drop_unused_blob(session, sha)
        if session.get(RemovedPaper, pid) is None:
            session.add(RemovedPaper(paper_id=pid))
    return files


def _pdf_files(session: Session, settings: Settings, paper: Paper) -> list[Path]:
    """Every stored PDF of the paper: the current file and older versions beside it."""
    files: list[Path] = []
    if paper.pdf_path:
        files.append(settings.home / paper.pdf_path)
    parsed = try_parse_arxiv_id(paper.id)
    if parsed is not None:
        versions = session.exec(
            select(PaperVersion.version).where(PaperVersion.paper_id == paper.id)
        ).all()
        for version in versions:
            stem = parsed.__class__(parsed.base, version).file_stem()
            files.append(settings.pdf_dir / f"{stem}.pdf")
    pdf_dir = settings.pdf_dir.resolve()
    # Only files inside pdfs/: a stored path is data, not a licence to unlink anywhere.
    return [p for p in dict.fromkeys(files) if p.resolve().parent == pdf_dir]


def _drop_unused_vectors(session: Session, hashes: Iterable[str]) -> int:
    """Delete the vectors of the removed text that no remaining text shares."""
    from paperlab.embedding import small_items
    from paperlab.store.models import Embedding

    candidates = set(hashes)
    if not candidates:
        return 0
    from sqlalchemy import bindparam
    from sqlalchemy import text as sql

    conn = session.connection()
    ordered = sorted(candidates)
    still: set[str] = set()
    query = sql("SELECT DISTINCT content_hash FROM chunk WHERE content_hash IN :hs").bindparams(
        bindparam("hs", expanding=True)
    )
    for start in range(0, len(ordered), 500):
        part = ordered[start : start + 500]
        still.update(str(h) for (h,) in conn.execute(query, {"hs": part}))
    # sqlite3's and psycopg's connections both run a parameterless statement.
    still.update(
        item.hash for item in small_items(conn.connection.driver_connection, everyone=True)
    )
    gone = sorted(candidates - still)
    dropped = 0
    for start in range(0, len(gone), 500):
        part = gone[start : start + 500]
        result = session.exec(delete(Embedding).where(col(Embedding.content_hash).in_(part)))
        dropped += int(result.rowcount or 0)
    return dropped


# --------------------------------------------------------------------------- fetch's side


def removed_ids(store: Store) -> set[str]:
    with store.read() as session:
        return set(session.exec(select(RemovedPaper.paper_id)).all())


def without_removed(specs: Sequence[ReadingListSpec], removed: set[str]) -> list[ReadingListSpec]:
    """The lists minus the papers the user removed (for a bare fetch)."""
    from dataclasses import replace

    if not removed:
        return list(specs)
    return [
        replace(
            spec,
            entries=tuple(
                e for e in spec.entries if e.arxiv_id is None or e.arxiv_id.base not in removed
            ),
        )
        for spec in specs
    ]


def forget_removed(store: Store, ids: Iterable[str]) -> None:
    """The user asked for these papers by name: they are wanted again."""
    wanted = list(ids)
    if not wanted:
        return
    with store.write() as session:
        session.exec(delete(RemovedPaper).where(col(RemovedPaper.paper_id).in_(wanted)))
