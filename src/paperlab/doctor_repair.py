"""``paperlab doctor --repair``: rebuild a library into a fresh file, then swap.

A garbled page in a derived table (pages, chunks, vectors, the FTS indexes)
makes every query that touches it fail, and no statement run *inside* the
damaged file can be trusted to fix it. So the repair never edits that file:

1. take the library for itself (``locking_mode=EXCLUSIVE``: if any other
   process has it open, stop before changing anything);
2. create a fresh file with the current schema beside it and copy into it,
   row by row, every table that is not derived (papers, versions, lists,
   topics, tags, notes, annotations, the log, reading sessions, and any table
   a later migration adds), plus the stored vectors when their table is
   intact (so nothing is embedded twice);
3. re-extract pages and chunks from the PDFs (annotations re-anchor by quote),
   embed what has no vector, rebuild the faiss file;
4. check the fresh file, keep the old one under ``backups/`` (a hard link
   of the same bytes), and move the fresh file into place with one
   ``os.replace``, so at every moment ``paperlab.db`` is one whole library.

A table of the user's own rows that cannot be read whole stops the repair
with nothing changed, unless ``salvage`` asks to keep what can be read.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from paperlab.doctor import DERIVED_TABLES, tables, used_hashes
from paperlab.errors import NotFoundError, StoreError
from paperlab.jobprogress import JobProgress, Silent
from paperlab.settings import Settings
from paperlab.store.backup import backup_dir, is_writable, list_backups, stamped_path

if TYPE_CHECKING:
    from paperlab.search.embedder import Embedder

_EXTRACTED_STATES = ("extracted", "indexed")
_LOCK_TIMEOUT = 3.0  # seconds to wait for another process to let go
_SKIP_LIMIT = 1 << 40  # rowid jumps past a damaged page stop here


@dataclass
class RepairReport:
    backup: str = ""  # where the file that was replaced is kept
    copied: dict[str, int] = field(default_factory=dict)  # table -> rows kept
    garbled_rows: dict[str, int] = field(default_factory=dict)  # rows with replaced characters
    unreadable: dict[str, str] = field(default_factory=dict)  # table -> rows lost, why
    not_copied: list[str] = field(default_factory=list)  # tables the current schema lacks
    vectors_reused: int = 0
    vectors_dropped: int = 0
    papers_extracted: int = 0
    papers_failed: dict[str, str] = field(default_factory=dict)
    texts_embedded: int = 0
    index_vectors: int = 0


class _Garble:
    """A text factory that keeps garbled text (invalid UTF-8) readable, and counts it."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.count += 1
            return raw.decode("utf-8", "replace")


def repair(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    salvage: bool = False,
    progress: JobProgress | None = None,
) -> RepairReport:
    """Rebuild the library of ``settings`` (see the module doc); returns what happened.

    ``progress`` hears each phase as a note and each re-extracted paper.
    """
    show = progress or Silent()
    db = settings.db_path
    if not db.is_file():
        raise NotFoundError(
            f"There is no library at {settings.home} to repair.",
            hint="Run `paperlab fetch` to start one.",
        )
    if not is_writable(db):
        raise StoreError(
            f"The library at {settings.home} is read-only, so it cannot be repaired in place.",
            hint="Copy the folder somewhere writable, set PAPERLAB_HOME to the copy, "
            "and run `paperlab doctor --repair` there.",
        )
    fresh = settings.home / ".paperlab.db.repair"
    _remove_db(fresh)
    report = RepairReport()
    old = _take(db)
    try:
        show.note("Copying papers, lists, notes, annotations and the log into a fresh file...")
        _new_schema(fresh)
        _copy_sources(db, old, fresh, report, salvage=salvage)
        if report.unreadable and not salvage:
            raise _unreadable_error(db, report)
        _rebuild_derived(settings, fresh, report, embedder, show)
        _check_fresh(fresh)
        show.note("Swapping the repaired library into place...")
        report.backup = str(_swap(old, db, fresh))
    except BaseException:
        _remove_db(fresh)
        raise
    finally:
        old.close()
    from paperlab.search.vectors import forget_cache

    forget_cache()
    return report


def _take(db: Path) -> sqlite3.Connection:
    """A connection holding ``db`` exclusively (no other reader or writer) until closed."""
    conn = sqlite3.connect(db, timeout=_LOCK_TIMEOUT, isolation_level=None)
    try:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("COMMIT")  # the lock stays: that is what EXCLUSIVE mode means
    except sqlite3.OperationalError as exc:
        conn.close()
        if "locked" in str(exc) or "busy" in str(exc):
            raise StoreError(
                "Another paperlab process has the library open, so it cannot be repaired now.",
                hint="Close the lab bench and let fetches finish, then run "
                "`paperlab doctor --repair` again.",
            ) from None
        raise _too_damaged(db, exc) from None
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise _too_damaged(db, exc) from None
    return conn


def _too_damaged(db: Path, exc: BaseException) -> StoreError:
    backups = list_backups(db)
    hint = (
        f"Restore the newest backup: cp {backups[-1]} {db}"
        if backups
        else "Move the file away to start a new library; no backup of it exists."
    )
    first = (str(exc).splitlines() or [type(exc).__name__])[0]
    return StoreError(f"The library file {db} is too damaged to repair ({first}).", hint=hint)


def _unreadable_error(db: Path, report: RepairReport) -> StoreError:
    names = ", ".join(sorted(report.unreadable))
    return StoreError(
        f"Some of your own rows ({names}) cannot be read from the damaged file, "
        "so nothing was changed.",
        hint=f"Restore a backup from {backup_dir(db)}, or run `paperlab doctor --repair "
        "--salvage` to keep every row that can still be read.",
    )


def _new_schema(fresh: Path) -> None:
    from paperlab.store import Store

    store = Store(fresh)
    store.close()


def _columns(conn: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [str(r[1]) for r in conn.execute(f'PRAGMA {schema}.table_info("{table}")')]


def _copy_sources(
    db: Path, old: sqlite3.Connection, fresh: Path, report: RepairReport, *, salvage: bool
) -> None:
    garble = _Garble()
    old.text_factory = garble
    try:
        plain, _ = tables(old)
    except (sqlite3.DatabaseError, MemoryError) as exc:
        raise _too_damaged(db, exc) from None
    old.execute("ATTACH DATABASE ? AS fresh", (str(fresh),))
    try:
        fresh_tables = {
            r[0] for r in old.execute("SELECT name FROM fresh.sqlite_master WHERE type = 'table'")
        }
        for table in plain:
            if table in DERIVED_TABLES:
                continue
            if table not in fresh_tables:
                report.not_copied.append(table)
                continue
            wanted = set(_columns(old, "fresh", table))
            cols = [c for c in _columns(old, "main", table) if c in wanted]
            before = garble.count
            copied, lost = _copy_table(old, table, cols, salvage=salvage)
            report.copied[table] = copied
            if garble.count > before:
                report.garbled_rows[table] = garble.count - before
            if lost:
                report.unreadable[table] = lost
        if "embedding" in plain and "embedding" in fresh_tables:
            report.vectors_reused = _copy_vectors(old)
        _carry_sequences(old)
    finally:
        if old.in_transaction:
            old.execute("ROLLBACK")
        old.execute("DETACH DATABASE fresh")


def _carry_sequences(old: sqlite3.Connection) -> None:
    """Keep AUTOINCREMENT counters, so ids deleted before the repair are never reused."""
    try:
        counters = old.execute("SELECT name, seq FROM main.sqlite_sequence").fetchall()
    except sqlite3.DatabaseError:
        return  # no AUTOINCREMENT table, or its page is garbled: the copies' maxima stand
    for name, seq in counters:
        old.execute(
            "UPDATE fresh.sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (seq, name)
        )
        old.execute(
            "INSERT INTO fresh.sqlite_sequence (name, seq) SELECT ?, ? "
            "WHERE NOT EXISTS (SELECT 1 FROM fresh.sqlite_sequence WHERE name = ?)",
            (name, seq, name),
        )


def _copy_table(
    old: sqlite3.Connection, table: str, cols: list[str], *, salvage: bool
) -> tuple[int, str]:
    """Copy ``cols`` of ``table`` into fresh; (rows copied, why some rows were lost)."""
    names = ", ".join(f'"{c}"' for c in cols)
    rows, lost = _read_rows(old, f'SELECT rowid, {names} FROM main."{table}"', salvage=salvage)
    old.execute("BEGIN IMMEDIATE")
    try:
        old.executemany(
            f'INSERT INTO fresh."{table}" ({names}) VALUES ({", ".join("?" for _ in cols)})',
            rows,
        )
        old.execute("COMMIT")
    finally:
        if old.in_transaction:
            old.execute("ROLLBACK")
    return len(rows), lost


def _read_rows(
    old: sqlite3.Connection, select: str, *, salvage: bool
) -> tuple[list[tuple[object, ...]], str]:
    """Every row ``select`` can read, in rowid order (rowid dropped), and why any were lost.

    A damaged page stops a scan part-way. With ``salvage``, the scan seeks
    past it (rowid > last + 1, 2, 4, ...) and goes on with the rows after.
    """
    rows: list[tuple[object, ...]] = []
    lost = ""
    last = -(1 << 62)
    step = 1
    while True:
        try:
            for row in old.execute(f"{select} WHERE rowid > ? ORDER BY rowid", (last,)):
                rows.append(tuple(row[1:]))
                last = int(row[0])
            return rows, lost
        except (sqlite3.DatabaseError, MemoryError) as exc:
            lost = (str(exc).splitlines() or ["a garbled row"])[0]
            if not salvage or step > _SKIP_LIMIT:
                return rows, lost
            last = max(last, 0) + step
            step *= 2


def _copy_vectors(old: sqlite3.Connection) -> int:
    """Copy stored vectors when their table reads back whole; else they are re-embedded."""
    try:
        check = [r[0] for r in old.execute('PRAGMA integrity_check("embedding")')]
        if check != ["ok"]:
            return 0
        old.execute("BEGIN IMMEDIATE")
        cursor = old.execute(
            "INSERT INTO fresh.embedding (content_hash, model, dim, vector) "
            "SELECT content_hash, model, dim, vector FROM main.embedding "
            "WHERE typeof(vector) = 'blob' AND length(vector) = dim * 4"
        )
        old.execute("COMMIT")
        return int(cursor.rowcount)
    except (sqlite3.DatabaseError, MemoryError):
        if old.in_transaction:
            old.execute("ROLLBACK")
        return 0


def _rebuild_derived(
    settings: Settings,
    fresh: Path,
    report: RepairReport,
    embedder: Embedder | None,
    show: JobProgress,
) -> None:
    from paperlab.indexing import index_pending
    from paperlab.pipeline import extract_papers
    from paperlab.search.vectors import forget_cache
    from paperlab.store import Store

    store = Store(fresh)
    try:
        with _raw(fresh) as conn:
            todo = [
                str(r[0])
                for r in conn.execute(
                    "SELECT id FROM paper WHERE pdf_path IS NOT NULL AND state IN (?, ?) "
                    "ORDER BY added_at",
                    _EXTRACTED_STATES,
                )
            ]
        show.note(f"Extracting pages and chunks again from {len(todo)} PDFs...")
        show.stage("extract", len(todo))
        for outcome in extract_papers(store, settings, todo):
            if outcome.ok:
                report.papers_extracted += 1
            else:
                report.papers_failed[outcome.paper_id] = outcome.reason or "extraction failed"
            show.advance("extract", outcome.paper_id, "ok" if outcome.ok else "failed")
        with _raw(fresh) as conn:
            used = used_hashes(conn)
            stored = [
                str(h) for (h,) in conn.execute("SELECT DISTINCT content_hash FROM embedding")
            ]
            unused = [h for h in stored if h not in used]
            for start in range(0, len(unused), 500):
                part = unused[start : start + 500]
                marks = ", ".join("?" for _ in part)
                conn.execute(f"DELETE FROM embedding WHERE content_hash IN ({marks})", part)
            conn.commit()
        report.vectors_dropped = len(unused)
        for path in settings.index_dir.glob("vectors-*"):
            path.unlink()
        forget_cache()
        show.note("Embedding what has no vector yet and rebuilding the vector index...")
        index = index_pending(store, settings, embedder=embedder)
        report.texts_embedded = index.total_embedded
        report.index_vectors = index.vectors_added
    finally:
        store.close()


@contextlib.contextmanager
def _raw(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path, timeout=30)
    try:
        yield conn
    finally:
        conn.close()


def _check_fresh(fresh: Path) -> None:
    with _raw(fresh) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        verdict = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    if verdict != ["ok"]:
        raise StoreError(
            "The rebuilt library failed its own integrity check; nothing was changed.",
            hint="Check the disk (free space, errors) and run `paperlab doctor --repair` again.",
        )
    wal = fresh.with_name(fresh.name + "-wal")
    if wal.exists() and wal.stat().st_size:
        raise StoreError("The rebuilt library was not written out completely; nothing was changed.")


def _swap(old: sqlite3.Connection, db: Path, fresh: Path) -> Path:
    """Keep the old file under backups/, then move the fresh one into place.

    Named "before-repair", not "damaged": a repair also rebuilds sound libraries.
    """
    # Fold the old WAL into the old file first: a -wal left beside the new
    # file would be replayed into it.
    old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    target = stamped_path(backup_dir(db), "-before-repair")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(db, target)
    except OSError:
        shutil.copy2(db, target)
    os.replace(fresh, db)
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            fresh.with_name(fresh.name + suffix).unlink()
    return target


def _remove_db(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()


__all__ = ["RepairReport", "repair"]
