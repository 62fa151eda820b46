"""``paperlab doctor``: find damage in a library without changing anything.

Checks, each reported as one :class:`Finding`:

- *database*: ``PRAGMA integrity_check`` (``quick_check`` when quick), then
  every table read end to end, so garbled text that leaves the b-tree intact
  (which integrity_check cannot see) is found and named;
- *fulltext*: FTS5's ``integrity-check`` of every full-text index against its
  table (needs write access, because FTS5 runs it as an INSERT; rolled back);
- *vectors*: each faiss file against the sizes and CRC-32s in its sidecar;
- *pdfs*: every stored PDF exists and still has its recorded sha256;
- *orphans*: files in ``pdfs/`` no paper names, rows pointing at papers that
  are gone (``PRAGMA foreign_key_check``), vectors no current text uses.

The database is read through a plain sqlite3 connection (read-only when the
library is), never through :class:`~paperlab.store.Store`, which would
migrate it first and fail on the damage doctor is asked to describe.
Repair lives in :mod:`paperlab.doctor_repair`.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from paperlab.search.vectors import FORMAT, VectorPaths, checksums_match
from paperlab.settings import Settings
from paperlab.store.backup import connect_source, is_writable
from paperlab.wording import counted

# Derived from the PDFs and the tables below; --repair rebuilds them.
DERIVED_TABLES = frozenset(
    {"page", "chunk", "paper_reference", "embedding", "change_counter", "schema_migration"}
)
MAX_ITEMS = 20  # details listed per finding; the counts say how many in all
_OLD_VERSION = re.compile(r"^(?P<stem>.+)v\d+$")


@dataclass
class Finding:
    """One check's verdict: ``ok`` or a problem, with one sentence and some details."""

    check: str
    ok: bool
    message: str
    items: list[str] = field(default_factory=list)
    repairable: bool = False  # does --repair fix it?
    skipped: bool = False


@dataclass
class DoctorReport:
    home: str
    findings: list[Finding] = field(default_factory=list)
    damaged_tables: dict[str, str] = field(default_factory=dict)  # table -> what is wrong

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    @property
    def repairable(self) -> bool:
        return any(not f.ok and f.repairable for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "home": self.home,
            "ok": self.ok,
            "damaged_tables": self.damaged_tables,
            "findings": [asdict(f) for f in self.findings],
        }


@contextmanager
def _open(db_path: Path) -> Iterator[sqlite3.Connection]:
    conn = connect_source(db_path, timeout=5.0)
    conn.isolation_level = None  # we say BEGIN/ROLLBACK ourselves
    try:
        yield conn
    finally:
        conn.close()


def tables(conn: sqlite3.Connection) -> tuple[list[str], list[str]]:
    """(ordinary tables, full-text tables); FTS5's own shadow tables are left out."""
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
    shadow = tuple(f"{name}_" for name in virtual)
    plain = [
        name
        for name, sql in rows
        if name not in virtual and not (shadow and name.startswith(shadow))
    ]
    return plain, virtual


def _table_problem(conn: sqlite3.Connection, table: str, check_tree: bool) -> str | None:
    """What is wrong with one table (None when it reads back whole)."""
    if check_tree:
        try:
            messages = _messages(conn.execute(f'PRAGMA integrity_check("{table}")'))
        except (sqlite3.DatabaseError, MemoryError) as exc:
            return _short(exc)
        if messages != ["ok"]:
            more = f" (and {len(messages) - 1} more)" if len(messages) > 1 else ""
            return f"{messages[0]}{more}"
    try:
        for _ in conn.execute(f'SELECT * FROM "{table}"'):
            pass
    except (sqlite3.DatabaseError, MemoryError) as exc:
        return _short(exc)
    return None


def _messages(rows: Any) -> list[str]:
    """integrity_check's lines, without its '*** in database main ***' headings."""
    lines = (line.strip() for (row,) in rows for line in str(row).splitlines())
    return [line[:200] for line in lines if line and not line.startswith("***")]


def _short(exc: BaseException) -> str:
    text = str(exc)
    if "decode to UTF-8" in text:
        return "text that is not UTF-8 (garbled bytes)"
    if isinstance(exc, MemoryError):
        return "a row claims a size no allocation can meet (garbled)"
    return text.splitlines()[0][:200] if text else type(exc).__name__


def check_database(conn: sqlite3.Connection, report: DoctorReport, *, quick: bool) -> bool:
    """Integrity of the file and readability of every table; False when unreadable."""
    pragma = "quick_check" if quick else "integrity_check"
    try:
        messages = _messages(conn.execute(f"PRAGMA {pragma}(100)"))
    except (sqlite3.DatabaseError, MemoryError) as exc:
        # Some damage stops the check itself; the per-table pass names it.
        messages = [_short(exc)]
    try:
        plain, _ = tables(conn)
    except (sqlite3.DatabaseError, MemoryError) as exc:
        report.findings.append(
            Finding(
                "database",
                False,
                f"The library file cannot be read as a database ({_short(exc)}).",
                repairable=False,
            )
        )
        return False
    intact = messages == ["ok"]
    for table in plain:
        problem = _table_problem(conn, table, check_tree=not intact)
        if problem:
            report.damaged_tables[table] = problem
    derived = sorted(t for t in report.damaged_tables if t in DERIVED_TABLES)
    yours = sorted(t for t in report.damaged_tables if t not in DERIVED_TABLES)
    if intact and not report.damaged_tables:
        report.findings.append(
            Finding("database", True, f"The database file is intact ({pragma}).")
        )
        return True
    parts = []
    if derived:
        parts.append(f"derived tables {', '.join(derived)} (rebuilt by --repair)")
    if yours:
        parts.append(f"tables {', '.join(yours)} (--repair keeps every row it can read)")
    if not parts:
        parts.append("indexes or free pages only")
    items = [f"{t}: {why}" for t, why in sorted(report.damaged_tables.items())]
    if not items:
        items = messages[:MAX_ITEMS]
    report.findings.append(
        Finding(
            "database",
            False,
            f"The database file is damaged: {'; '.join(parts)}.",
            items[:MAX_ITEMS],
            repairable=True,
        )
    )
    return True


def check_fulltext(conn: sqlite3.Connection, report: DoctorReport, *, writable: bool) -> None:
    _, virtual = tables(conn)
    if not writable:
        report.findings.append(
            Finding(
                "fulltext",
                True,
                "Full-text indexes not checked: FTS5 checks need write access.",
                skipped=True,
            )
        )
        return
    bad: list[str] = []
    for fts in virtual:
        try:
            conn.execute("BEGIN")
            # rank 1: also compare the index with the rows of its table.
            conn.execute(f'INSERT INTO "{fts}"("{fts}", rank) VALUES (\'integrity-check\', 1)')
        except (sqlite3.DatabaseError, MemoryError) as exc:
            bad.append(f"{fts}: {_short(exc)}")
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
    if bad:
        report.findings.append(
            Finding(
                "fulltext",
                False,
                f"{len(bad)} of {len(virtual)} full-text indexes do not match their tables.",
                bad,
                repairable=True,
            )
        )
    else:
        report.findings.append(
            Finding("fulltext", True, f"All {len(virtual)} full-text indexes match their tables.")
        )


def check_vectors(settings: Settings, report: DoctorReport) -> None:
    metas = sorted(settings.index_dir.glob("vectors-*.json")) if settings.index_dir.is_dir() else []
    bad: list[str] = []
    for meta_path in metas:
        stem = meta_path.name[: -len(".json")]
        paths = VectorPaths(
            index=meta_path.with_name(f"{stem}.faiss"),
            ids=meta_path.with_name(f"{stem}.ids.npy"),
            meta=meta_path,
        )
        why = _vector_problem(paths)
        if why:
            bad.append(f"{paths.index.name}: {why}")
    if bad:
        report.findings.append(
            Finding(
                "vectors",
                False,
                f"{len(bad)} vector index files are damaged or unverifiable "
                "(the next search rebuilds them from the stored vectors).",
                bad,
                repairable=True,
            )
        )
    elif metas:
        report.findings.append(
            Finding("vectors", True, f"{len(metas)} vector index file(s) match their checksums.")
        )
    else:
        report.findings.append(
            Finding("vectors", True, "No vector index file yet (the next search makes one).")
        )


def _vector_problem(paths: VectorPaths) -> str | None:
    try:
        meta = json.loads(paths.meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "its sidecar is unreadable"
    if not isinstance(meta, dict):
        return "its sidecar is unreadable"
    if meta.get("format") != FORMAT:
        return f"format {meta.get('format')} has no checksums"
    for path, key in ((paths.index, "index_bytes"), (paths.ids, "ids_bytes")):
        if not path.is_file():
            return f"{path.name} is missing"
        if path.stat().st_size != meta.get(key):
            return f"{path.name} has the wrong size"
    if not checksums_match(paths, meta):
        return "checksum mismatch (bytes changed in place)"
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def check_pdfs(
    conn: sqlite3.Connection, settings: Settings, report: DoctorReport, *, quick: bool
) -> set[Path]:
    """Every recorded PDF exists and matches its sha256; returns the paths recorded."""
    try:
        rows = conn.execute(
            "SELECT id, pdf_path, pdf_sha256 FROM paper WHERE pdf_path IS NOT NULL ORDER BY id"
        ).fetchall()
    except (sqlite3.DatabaseError, MemoryError) as exc:
        report.findings.append(
            Finding("pdfs", False, f"PDFs not checked: {_short(exc)}.", skipped=True)
        )
        return set()
    recorded: set[Path] = set()
    missing: list[str] = []
    changed: list[str] = []
    for paper_id, pdf_path, sha in rows:
        path = Path(pdf_path) if Path(pdf_path).is_absolute() else settings.home / pdf_path
        recorded.add(path.resolve())
        if not path.is_file():
            missing.append(f"{paper_id}: {pdf_path}")
        elif not quick and sha and _sha256(path) != sha:
            changed.append(f"{paper_id}: {pdf_path}")
    what = "existence" if quick else "sha256"
    if not (missing or changed):
        report.findings.append(
            Finding("pdfs", True, f"All {len(rows)} stored PDFs are in place ({what} checked).")
        )
        return recorded
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing")
    if changed:
        parts.append(f"{len(changed)} no longer match their recorded sha256")
    report.findings.append(
        Finding(
            "pdfs",
            False,
            f"Of {len(rows)} stored PDFs, {' and '.join(parts)} "
            "(`paperlab fetch ID` downloads an arXiv paper's PDF again).",
            [f"missing {m}" for m in missing] + [f"changed {c}" for c in changed],
        )
    )
    return recorded


def check_orphans(
    conn: sqlite3.Connection, settings: Settings, report: DoctorReport, recorded: set[Path]
) -> None:
    items: list[str] = []
    repairable = False
    # Files nobody points at. Older versions of a paper's PDF are kept on
    # purpose (hep-th_9901001v1.pdf beside v2), so they are not orphans.
    try:
        stems = {
            str(pid).replace("/", "_").replace(":", "_")
            for (pid,) in conn.execute("SELECT id FROM paper")
        }
    except (sqlite3.DatabaseError, MemoryError):
        stems = set()
    if settings.pdf_dir.is_dir():
        for path in sorted(settings.pdf_dir.iterdir()):
            if not path.is_file() or path.resolve() in recorded:
                continue
            match = _OLD_VERSION.match(path.stem)
            if match and match.group("stem") in stems:
                continue
            items.append(f"file with no paper: pdfs/{path.name}")
    try:
        violations = conn.execute("PRAGMA foreign_key_check").fetchall()
    except (sqlite3.DatabaseError, MemoryError):
        violations = []
    by_table: dict[str, int] = {}
    for table, *_ in violations:
        by_table[str(table)] = by_table.get(str(table), 0) + 1
    for table, count in sorted(by_table.items()):
        kept = "" if table in DERIVED_TABLES else " (kept: your text is never dropped)"
        refer = "refers" if count == 1 else "refer"
        items.append(
            f"{counted(count, f'{table} row')} {refer} to a paper or row that is gone{kept}"
        )
        repairable = repairable or table in DERIVED_TABLES
    unused = _unused_vectors(conn)
    if unused:
        belong = "belongs" if unused == 1 else "belong"
        items.append(
            f"{counted(unused, 'stored vector')} {belong} to no current text (dropped by --repair)"
        )
        repairable = True
    if items:
        report.findings.append(
            Finding(
                "orphans",
                False,
                f"{counted(len(items), 'kind')} of leftovers found.",
                items[:MAX_ITEMS],
                repairable=repairable,
            )
        )
    else:
        report.findings.append(Finding("orphans", True, "No orphan files, rows or vectors."))


def used_hashes(conn: Any) -> set[str]:
    """Content hashes of every text that is embedded: passages, notes, annotations, log."""
    from paperlab.embedding import small_items

    hashes = {str(h) for (h,) in conn.execute("SELECT DISTINCT content_hash FROM chunk")}
    hashes.update(item.hash for item in small_items(conn, everyone=True))
    return hashes


def _unused_vectors(conn: sqlite3.Connection) -> int:
    try:
        used = used_hashes(conn)
        stored = [str(h) for (h,) in conn.execute("SELECT content_hash FROM embedding")]
    except (sqlite3.DatabaseError, MemoryError):
        return 0  # the damage is reported by the database check
    return sum(1 for h in stored if h not in used)


def diagnose(settings: Settings, *, quick: bool = False) -> DoctorReport:
    """Run every check on the library of ``settings``; changes nothing."""
    report = DoctorReport(home=str(settings.home))
    db = settings.db_path
    if not db.is_file():
        report.findings.append(
            Finding("database", True, f"There is no library at {settings.home} yet.", skipped=True)
        )
        return report
    writable = is_writable(db)
    with _open(db) as conn:
        readable = check_database(conn, report, quick=quick)
        if readable:
            check_fulltext(conn, report, writable=writable)
        check_vectors(settings, report)
        if readable:
            recorded = check_pdfs(conn, settings, report, quick=quick)
            check_orphans(conn, settings, report, recorded)
    return report


__all__ = ["DERIVED_TABLES", "DoctorReport", "Finding", "diagnose", "tables", "used_hashes"]
