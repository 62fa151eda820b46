"""Copies of ``paperlab.db`` made with SQLite's online backup API.

The backup API copies the database page by page through SQLite itself, so a
copy taken while another process writes is still a consistent database (a
plain file copy of a WAL database can miss committed pages or catch half a
checkpoint). Copies are written to a temporary name beside the target and
renamed into place: a failed backup never leaves a partial file that looks
complete.

Backups live in ``<home>/backups/``:

- ``paperlab-<time>.db``: made by ``paperlab backup`` (never pruned);
- ``paperlab-<time>-before-v<N>.db``: made before migrating to schema N
  (the newest :data:`KEEP_AUTOMATIC` are kept);
- ``paperlab-<time>-before-repair.db``: the file a repair replaced (damaged or not).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

BACKUP_DIR = "backups"
KEEP_AUTOMATIC = 5
_AUTOMATIC_GLOB = "paperlab-*-before-v*.db"


def backup_dir(db_path: Path) -> Path:
    return db_path.parent / BACKUP_DIR


def stamped_path(folder: Path, suffix: str = "") -> Path:
    """``folder/paperlab-<local time><suffix>.db``, made unique with a counter."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = folder / f"paperlab-{stamp}{suffix}.db"
    counter = 2
    while candidate.exists():
        candidate = folder / f"paperlab-{stamp}{suffix}-{counter}.db"
        counter += 1
    return candidate


def readonly_uri(path: Path) -> str:
    """A URI opening ``path`` read-only (``immutable`` when it has no WAL to read).

    ``mode=ro`` alone still needs the ``-shm`` file beside a WAL database,
    which a read-only directory cannot get; ``immutable=1`` needs none, and is
    safe when there is no ``-wal`` file whose commits it would skip.
    """
    wal = path.with_name(path.name + "-wal")
    has_wal = wal.exists() and wal.stat().st_size > 0
    return f"file:{quote(str(path.resolve()))}?mode=ro" + ("" if has_wal else "&immutable=1")


def is_writable(db_path: Path) -> bool:
    """Can this process change the library file and create its journals beside it?

    ``os.access`` asks the kernel, so it also answers for root on a read-only
    mount (where file modes would say yes).
    """
    folder = db_path.parent
    if db_path.exists():
        return os.access(db_path, os.W_OK) and os.access(folder, os.W_OK)
    return not folder.exists() or os.access(folder, os.W_OK)


def connect_source(db_path: Path, *, timeout: float = 30.0) -> sqlite3.Connection:
    """A connection to read ``db_path`` (read-only when it cannot be written)."""
    if is_writable(db_path):
        return sqlite3.connect(db_path, timeout=timeout)
    return sqlite3.connect(readonly_uri(db_path), uri=True, timeout=timeout)


def copy_database(source: sqlite3.Connection, target: Path) -> Path:
    """Copy the database open on ``source`` to ``target`` (atomic; parent created).

    ``source`` must not be inside a write transaction: the backup API would
    wait for it forever. A separate reader connection sees the last commit.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        dest = sqlite3.connect(tmp)
        try:
            source.backup(dest)
            # The copy keeps the source's WAL flag; fold everything into the
            # one file so the backup is complete without a -wal beside it.
            dest.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            dest.close()
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return target


def backup_database(db_path: Path, target: Path | None = None, *, suffix: str = "") -> Path:
    """Back up the library at ``db_path`` to ``target`` (default: a stamped file in backups/)."""
    target = target or stamped_path(backup_dir(db_path), suffix)
    source = connect_source(db_path)
    try:
        return copy_database(source, target)
    finally:
        source.close()


def prune_automatic(folder: Path, keep: int = KEEP_AUTOMATIC) -> list[Path]:
    """Delete all but the newest ``keep`` pre-migration backups; returns those deleted."""
    found = sorted(folder.glob(_AUTOMATIC_GLOB), key=lambda p: (p.stat().st_mtime_ns, p.name))
    doomed = found[:-keep] if keep > 0 else found
    for path in doomed:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return doomed


def list_backups(db_path: Path) -> list[Path]:
    folder = backup_dir(db_path)
    return sorted(folder.glob("paperlab-*.db")) if folder.is_dir() else []


__all__ = [
    "KEEP_AUTOMATIC",
    "backup_database",
    "backup_dir",
    "connect_source",
    "copy_database",
    "is_writable",
    "list_backups",
    "prune_automatic",
    "readonly_uri",
    "stamped_path",
]
