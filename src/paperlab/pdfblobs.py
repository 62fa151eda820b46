"""PDFs kept in the library database (``pdf_blob``), by sha256.

A lab library on PostgreSQL is what colleagues share, so the PDFs only one
machine could provide (those imported with ``paperlab add``) are stored in
it, and each machine's cache (``pdfcache``) writes them out from there. A
SQLite library's files under ``pdfs/`` are its copy: it stores no blobs
(``database_keeps_pdfs``), though a lab library copied into a file brings
its blobs along. A blob is never larger than the download cap
(``PAPERLAB_MAX_PDF_MB``) and is read whole into memory.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from paperlab.errors import PaperlabError, StoreError
from paperlab.provenance import file_sha256
from paperlab.settings import MB, Settings
from paperlab.store import Store

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Connection
    from sqlmodel import Session


def database_keeps_pdfs(store: Store) -> bool:
    """Whether PDFs go into ``pdf_blob``: a policy, not a SQL difference.

    A lab database is what colleagues share, so a PDF only one machine holds
    must be in it; a SQLite library's PDFs already sit beside it in ``pdfs/``.
    """
    return store.dialect == "postgresql"


def holds_recorded(path: Path, sha: str | None) -> bool:
    """Whether ``path`` is the recorded file (any file, when nothing was recorded)."""
    try:
        return path.is_file() and (sha is None or file_sha256(path) == sha)
    except OSError:
        return False


def read_blob(store: Store, settings: Settings, sha: str) -> bytes | None:
    with store.connect() as conn:
        size = conn.execute("SELECT size FROM pdf_blob WHERE sha256 = :s", {"s": sha}).scalar()
        if size is None:
            return None
        if size > settings.max_pdf_bytes:
            raise PaperlabError(
                f"The library database's copy of this PDF is larger than the"
                f" {settings.max_pdf_bytes / MB:g} MB limit (PAPERLAB_MAX_PDF_MB).",
                hint="Raise PAPERLAB_MAX_PDF_MB if this PDF really is that large.",
            )
        content = conn.execute(
            "SELECT content FROM pdf_blob WHERE sha256 = :s", {"s": sha}
        ).scalar()
    return bytes(content) if content is not None else None


def drop_unused_blob(session: Session, sha: str | None) -> None:
    """Delete the stored PDF ``sha`` once no paper or version records it (a removed paper's)."""
    from sqlalchemy import text

    if sha:
        session.connection().execute(
            text(
                "DELETE FROM pdf_blob WHERE sha256 = :s"
                " AND NOT EXISTS (SELECT 1 FROM paper WHERE pdf_sha256 = :s)"
                " AND NOT EXISTS (SELECT 1 FROM paper_version WHERE pdf_sha256 = :s)"
            ),
            {"s": sha},
        )


def keep_in_database(session: Session, path: Path, sha: str) -> bool:
    """Store the file at ``path`` (whose sha256 is ``sha``) as a blob; False when already there.

    Content-addressed, so two clients storing the same PDF at once agree:
    the second insert does nothing.
    """
    from sqlalchemy import text

    from paperlab.store.models import utcnow

    conn = session.connection()
    there = conn.execute(text("SELECT 1 FROM pdf_blob WHERE sha256 = :s"), {"s": sha}).first()
    if there is not None:
        return False
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha:
        raise StoreError(f"{path.name} changed while it was being stored; nothing was stored.")
    _insert(conn, sha, data, utcnow())
    return True


def _insert(conn: Connection, sha: str, data: bytes, added: datetime) -> None:
    """One blob row; typed parameters, so each store writes the date its own way."""
    from sqlalchemy import DateTime, LargeBinary, bindparam, text

    statement = text(
        "INSERT INTO pdf_blob (sha256, size, content, added_at) VALUES (:s, :n, :c, :t)"
        " ON CONFLICT DO NOTHING"
    ).bindparams(bindparam("c", type_=LargeBinary()), bindparam("t", type_=DateTime()))
    conn.execute(statement, {"s": sha, "n": len(data), "c": data, "t": added})


def too_large(settings: Settings, size: int) -> str | None:
    """Why a PDF of ``size`` bytes cannot go into the database (the download cap), or None."""
    if size <= settings.max_pdf_bytes:
        return None
    return (
        f"It is larger than the {settings.max_pdf_bytes / MB:g} MB limit for PDFs"
        " (PAPERLAB_MAX_PDF_MB)."
    )


def _copy_local_files(source: Store, target: Store) -> tuple[int, int, int]:
    """The local papers' files of a SQLite library, verified against their records."""
    from paperlab.settings import load_settings

    home = source.path.parent  # a SQLite library's folder is its PAPERLAB_HOME
    limit = load_settings().max_pdf_bytes
    with source.connect() as conn:
        rows = conn.execute(
            "SELECT pdf_path, pdf_sha256 FROM paper WHERE pdf_path IS NOT NULL"
            " AND pdf_sha256 IS NOT NULL AND id LIKE 'local:%' ORDER BY id"
        ).all()
    seen = copied = present = 0
    for pdf_path, sha in rows:
        path = Path(pdf_path) if Path(pdf_path).is_absolute() else home / pdf_path
        if not holds_recorded(path, sha) or path.stat().st_size > limit:
            continue  # not the recorded file, or too large: `paperlab doctor` names it
        seen += 1
        with target.write() as session:
            if keep_in_database(session, path, sha):
                copied += 1
            else:
                present += 1
    return seen, copied, present


def copy_pdf_blobs(source: Store, target: Store) -> tuple[int, int, int]:
    """Carry PDFs from ``source`` into ``target``'s blobs: (seen, copied, already there).

    One PDF per transaction (a PDF may be 200 MB; a batch of them is not held
    in memory). Blob rows are copied as they are. From a SQLite source the
    local papers' files are read too, since a SQLite library keeps its PDFs as
    files: a lab database must hold them for colleagues to have them.
    """
    from sqlalchemy import select
    from sqlmodel import SQLModel

    import paperlab.store.models  # noqa: F401  (registers the tables)

    # Typed reads: the date comes back a datetime from either store.
    table = SQLModel.metadata.tables["pdf_blob"]
    seen = copied = present = 0
    with source.connect() as conn:
        shas = [row[0] for row in conn.execute("SELECT sha256 FROM pdf_blob ORDER BY sha256")]
    for sha in shas:
        seen += 1
        with target.connect() as conn:
            if conn.execute("SELECT 1 FROM pdf_blob WHERE sha256 = :s", {"s": sha}).first():
                present += 1
                continue
        with source.engine.connect() as reading:
            row = reading.execute(select(table).where(table.c.sha256 == sha)).mappings().first()
        if row is None:
            continue  # removed meanwhile
        with target.write() as session:
            _insert(session.connection(), sha, bytes(row["content"]), row["added_at"])
        copied += 1
    if not database_keeps_pdfs(source) and database_keeps_pdfs(target):
        s, c, p = _copy_local_files(source, target)
        seen, copied, present = seen + s, copied + c, present + p
    return seen, copied, present


__all__ = [
    "copy_pdf_blobs",
    "database_keeps_pdfs",
    "drop_unused_blob",
    "holds_recorded",
    "keep_in_database",
    "read_blob",
    "too_large",
]
