"""Damage no command could repair: checksums, doctor's checks, repair, backups."""

from __future__ import annotations

import gc
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from paperlab.indexing import index_pending
from paperlab.search.vectors import FileState, VectorPaths, forget_cache, load_index
from paperlab.searching import search
from paperlab.settings import load_settings
from tests.unit.test_searching import (
    CENTRAL_BANK,
    GRADIENT,
    PHOTOSYNTHESIS,
    TRANSFORMER,
    CountingEmbedder,
    add_paper,
    counting,  # noqa: F401  (fixtures)
    real_embedder,  # noqa: F401
)


def garble_middle(path: Path, length: int = 64) -> None:
    """Overwrite ``length`` bytes in the middle of a file with different bytes (same size)."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    for i in range(middle, min(middle + length, len(data))):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


@pytest.fixture
def indexed(store: Any, counting: CountingEmbedder) -> Any:  # noqa: F811
    add_paper(store, "p1", "One", [PHOTOSYNTHESIS, GRADIENT])
    add_paper(store, "p2", "Two", [CENTRAL_BANK, TRANSFORMER])
    index_pending(store, load_settings(), embedder=counting)
    return store


def test_faiss_file_garbled_in_the_middle_is_rebuilt_not_trusted(
    indexed: Any,
    counting: CountingEmbedder,  # noqa: F811
) -> None:
    settings = load_settings()
    paths = VectorPaths.for_model(settings.index_dir, settings.embed_model)
    before = search(indexed, settings, "monetary policy", k=4, embedder=counting, mode="dense")
    size = paths.index.stat().st_size
    # The flat index stores the vectors after a short header: the middle is
    # vector data, so the file still loads and would rank differently.
    garble_middle(paths.index, length=size // 3)
    assert paths.index.stat().st_size == size
    forget_cache()
    loaded, state = load_index(paths, settings.embed_model, None)
    assert (loaded, state) == (None, FileState.CORRUPT)

    after = search(indexed, settings, "monetary policy", k=4, embedder=counting, mode="dense")
    assert [(h.kind, h.row_id) for h in after] == [(h.kind, h.row_id) for h in before]
    assert [h.dense_score for h in after] == pytest.approx([h.dense_score for h in before])
    # The rebuilt file was saved with fresh checksums and loads again.
    forget_cache()
    assert load_index(paths, settings.embed_model, None)[1] is FileState.FRESH


def test_garbled_id_record_is_caught_too(indexed: Any) -> None:
    settings = load_settings()
    paths = VectorPaths.for_model(settings.index_dir, settings.embed_model)
    garble_middle(paths.ids, length=8)
    forget_cache()
    assert load_index(paths, settings.embed_model, None)[1] is FileState.CORRUPT


def _pages_of(db: Path, table: str) -> list[int]:
    """The leaf pages of ``table`` (from the dbstat virtual table)."""
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno",
            (table,),
        ).fetchall()
    assert rows, f"{table} has no leaf page"
    return [int(r[0]) for r in rows]


# -- a real library: PDFs imported, extracted, embedded; notes, annotations, log --

PAGES = {
    "1608.03983": (
        "SGDR: warm restarts",
        [
            "1 Introduction\nWe restart the learning rate schedule periodically so that "
            "stochastic gradient descent escapes sharp minima. " * 18,
            "2 Method\nCosine annealing with warm restarts improves anytime performance "
            "of deep networks on image benchmarks. " * 18,
        ],
    ),
    "1704.00109": (
        "Snapshot ensembles",
        [
            "1 Introduction\nSnapshot ensembles collect several models along one training "
            "run at no extra cost by saving weights at each local minimum. " * 18,
            "2 Results\nEnsembles from one run match independently trained ensembles "
            "on the classification benchmarks we tried. " * 18,
        ],
    ),
}
NOTE = "Restarts help escape sharp minima."
QUOTE = "Cosine annealing with warm restarts"


def build_library(tmp: Path, capsys: pytest.CaptureFixture[str], embedder: Any) -> Any:
    """Import two real PDFs, extract and embed them, write a note, an annotation, a log entry."""
    from paperlab.pipeline import extract_paper
    from paperlab.store import open_store
    from tests.fakearxiv import make_pdf
    from tests.helpers import run_cli

    files = []
    for arxiv_id, (title, pages) in PAGES.items():
        path = tmp / f"{arxiv_id}.pdf"
        path.write_bytes(make_pdf(title, pages, stamp=f"arXiv:{arxiv_id}v1 [cs.LG] 1 Jan 2017"))
        files.append(str(path))
    added = run_cli(capsys, "add", "--no-index", *files)
    assert added.code == 0, added.err
    settings = load_settings()
    store = open_store(settings)
    try:
        for arxiv_id in PAGES:
            assert extract_paper(store, settings, arxiv_id).ok
        index_pending(store, settings, embedder=embedder)
    finally:
        store.close()
    for args in (
        ("note", "1608.03983", "--set", f"summary={NOTE}"),
        (
            "annotate",
            "1608.03983",
            "--quote",
            QUOTE,
            "--occurrence",
            "1",
            "--comment",
            "the key idea",
        ),
        ("log", "add", "Try SGDR on the small transformer", "--paper", "1608.03983"),
    ):
        result = run_cli(capsys, *args)
        assert result.code == 0, result.err
    # The commands above ran in this process and leave their pooled
    # connections to the garbage collector; a real command's end closes them.
    gc.collect()
    return settings


def own_rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The user's own rows, to compare before and after a repair."""
    with closing(sqlite3.connect(db)) as conn:
        return {
            "note": conn.execute("SELECT paper_id, summary FROM note").fetchall(),
            "annotation": conn.execute(
                "SELECT paper_id, quote, comment FROM annotation"
            ).fetchall(),
            "log_entry": conn.execute("SELECT kind, text FROM log_entry").fetchall(),
            "log_paper": conn.execute("SELECT log_id, paper_id FROM log_paper").fetchall(),
            "paper": conn.execute(
                "SELECT id, title, pdf_path, pdf_sha256, reading_state FROM paper ORDER BY id"
            ).fetchall(),
        }


def garble_table_page(
    db: Path, table: str, *, where: str = "middle", length: int = 512, every: bool = False
) -> list[int]:
    """Overwrite bytes of one (or ``every``) of ``table``'s leaf pages in place.

    where: "middle" garbles ``length`` bytes around the middle of the page;
    "cell" the start of the row stored nearest the middle (its length and
    record header become nonsense); "header" the page's type byte.
    """
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = _pages_of(db, table)
    pages = pages if every else [pages[len(pages) // 2]]
    with open(db, "r+b") as fh:
        for page in pages:
            offset = (page - 1) * page_size
            if where == "header":
                fh.seek(offset)
                fh.write(b"\x00")  # no valid b-tree page has type 0: SQLITE_CORRUPT
            elif where == "cell":
                fh.seek(offset)
                data = fh.read(page_size)
                cells = int.from_bytes(data[3:5], "big")
                starts = [int.from_bytes(data[8 + 2 * i : 10 + 2 * i], "big") for i in range(cells)]
                fh.seek(offset + min(starts, key=lambda start: abs(start - page_size // 2)))
                fh.write(b"\xff" * 12)
            else:
                fh.seek(offset + page_size // 2 - length // 2)
                fh.write(bytes((i * 37 + 11) % 256 for i in range(length)))
    return pages


@pytest.fixture
def library(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    counting: CountingEmbedder,  # noqa: F811
) -> Any:
    return build_library(tmp_path, capsys, counting)


@pytest.mark.slow
def test_doctor_finds_a_garbled_chunk_page_and_repair_rebuilds_keeping_your_rows(
    library: Any,
    counting: CountingEmbedder,  # noqa: F811
) -> None:
    from paperlab.doctor import diagnose
    from paperlab.doctor_repair import repair
    from paperlab.errors import StoreError
    from paperlab.store import open_store

    settings = library
    assert diagnose(settings).ok
    store = open_store(settings)
    before = search(store, settings, "snapshot ensembles one training run", k=3, embedder=counting)
    store.close()
    mine = own_rows(settings.db_path)
    garble_table_page(settings.db_path, "chunk")

    store = open_store(settings)
    with pytest.raises(StoreError) as failure:
        search(store, settings, "snapshot ensembles one training run", k=3, embedder=counting)
    store.close()
    assert "is damaged" in failure.value.message and "\n" not in failure.value.message
    assert "paperlab doctor --repair" in (failure.value.hint or "")

    report = diagnose(settings)
    assert not report.ok and report.repairable
    assert "chunk" in report.damaged_tables
    assert not next(f for f in report.findings if f.check == "fulltext").ok
    damaged_bytes = settings.db_path.read_bytes()

    result = repair(settings, embedder=counting)
    assert result.papers_extracted == 2 and not result.papers_failed
    assert result.copied["note"] == 1 and result.copied["annotation"] == 1
    assert result.vectors_reused > 0 and result.index_vectors > 0
    assert Path(result.backup).read_bytes() == damaged_bytes
    assert diagnose(settings).ok
    assert own_rows(settings.db_path) == mine

    store = open_store(settings)
    try:
        after = search(
            store, settings, "snapshot ensembles one training run", k=3, embedder=counting
        )
        assert [(h.paper_id, h.text) for h in after] == [(h.paper_id, h.text) for h in before]
        found = search(store, settings, "sharp minima", k=5, scope="notes", embedder=counting)
        assert any(h.kind == "note" and NOTE in h.text for h in found)
        with store.connect() as conn:
            page = conn.execute("SELECT page FROM annotation").scalar()
        assert page == 2  # re-anchored on the re-extracted text
    finally:
        store.close()


@pytest.mark.slow
def test_repair_keeps_annotation_ids_from_being_reused(
    library: Any,
    counting: CountingEmbedder,  # noqa: F811
) -> None:
    import sqlite3

    from paperlab.doctor_repair import repair

    settings = library
    with sqlite3.connect(settings.db_path) as conn:
        row = conn.execute("SELECT * FROM annotation").fetchone()
        columns = [d[0] for d in conn.execute("SELECT * FROM annotation").description]
        copy = dict(zip(columns, row, strict=True)) | {"id": 50}
        names = ", ".join(copy)
        conn.execute(
            f"INSERT INTO annotation ({names}) VALUES ({', '.join('?' * len(copy))})",
            list(copy.values()),
        )
        conn.execute("DELETE FROM annotation WHERE id = 50")  # the counter stays at 50
    conn.close()
    repair(settings, embedder=counting)
    with sqlite3.connect(settings.db_path) as conn:
        seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'annotation'").fetchone()
    conn.close()
    assert seq is not None and seq[0] >= 50


@pytest.mark.slow
def test_unreadable_own_rows_stop_the_repair_unless_salvaging(
    library: Any,
    counting: CountingEmbedder,  # noqa: F811
) -> None:
    from paperlab.doctor import diagnose
    from paperlab.doctor_repair import repair
    from paperlab.errors import StoreError

    settings = library
    garble_table_page(settings.db_path, "log_entry", where="header")
    report = diagnose(settings)
    assert "log_entry" in report.damaged_tables
    assert "keeps every row it can read" in report.findings[0].message
    damaged = settings.db_path.read_bytes()

    with pytest.raises(StoreError) as refused:
        repair(settings, embedder=counting)
    assert "nothing was changed" in refused.value.message
    assert "--salvage" in (refused.value.hint or "")
    assert settings.db_path.read_bytes() == damaged
    assert not list(settings.home.glob(".paperlab.db.repair*"))

    result = repair(settings, embedder=counting, salvage=True)
    assert "log_entry" in result.unreadable
    assert result.copied["note"] == 1 and result.copied["annotation"] == 1
    assert diagnose(settings).findings[0].ok


@pytest.mark.slow
def test_repair_waits_for_no_one_and_changes_nothing_while_the_library_is_open(
    library: Any,
    counting: CountingEmbedder,  # noqa: F811
) -> None:
    from paperlab.doctor_repair import repair
    from paperlab.errors import StoreError

    settings = library
    before = settings.db_path.read_bytes()
    other = sqlite3.connect(settings.db_path)  # e.g. the lab bench, idle
    try:
        other.execute("SELECT COUNT(*) FROM paper").fetchone()
        with pytest.raises(StoreError) as busy:
            repair(settings, embedder=counting)
        assert "Another paperlab process" in busy.value.message
    finally:
        other.close()
    assert settings.db_path.read_bytes() == before
    assert not (settings.home / "backups").exists()


@pytest.mark.slow
def test_pdf_and_leftover_checks(library: Any) -> None:
    from paperlab.doctor import diagnose

    settings = library
    pdfs = sorted(settings.pdf_dir.glob("*.pdf"))
    assert [p.name for p in pdfs] == ["1608.03983v1.pdf", "1704.00109v1.pdf"]
    with open(pdfs[0], "ab") as fh:
        fh.write(b"\n% appended\n")
    pdfs[1].unlink()
    (settings.pdf_dir / "stray.pdf").write_bytes(b"%PDF-1.4 not ours")
    (settings.pdf_dir / "1608.03983v0.pdf").write_bytes(b"%PDF-1.4 an older version")
    report = diagnose(settings)
    by_check = {f.check: f for f in report.findings}
    assert by_check["database"].ok and by_check["fulltext"].ok and by_check["vectors"].ok
    pdf = by_check["pdfs"]
    assert not pdf.ok and "1 missing" in pdf.message and "1 no longer match" in pdf.message
    assert any("1704.00109" in i for i in pdf.items) and any("1608.03983" in i for i in pdf.items)
    orphans = by_check["orphans"]
    assert orphans.items == ["file with no paper: pdfs/stray.pdf"]
    quick = {f.check: f for f in diagnose(settings, quick=True).findings}
    assert "1 missing" in quick["pdfs"].message and "match" not in quick["pdfs"].message


@pytest.mark.slow
def test_doctor_names_a_garbled_vector_file(library: Any) -> None:
    from paperlab.doctor import diagnose

    settings = library
    paths = VectorPaths.for_model(settings.index_dir, settings.embed_model)
    garble_middle(paths.index, length=256)
    vectors = next(f for f in diagnose(settings).findings if f.check == "vectors")
    assert not vectors.ok and vectors.repairable
    assert vectors.items == [f"{paths.index.name}: checksum mismatch (bytes changed in place)"]


# -- backups ---------------------------------------------------------------------


def test_an_existing_library_is_backed_up_before_migrating(
    paperlab_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperlab.store import migrations, open_store
    from paperlab.store.models import Paper

    every = list(migrations.MIGRATIONS)
    monkeypatch.setattr(migrations, "MIGRATIONS", every[:-1])
    store = open_store()
    with store.write() as session:
        session.add(Paper(id="1706.03762", title="Attention"))
    store.close()
    assert not (paperlab_home / "backups").exists()  # a new library has nothing to keep

    monkeypatch.setattr(migrations, "MIGRATIONS", every)
    store = open_store()
    assert store.applied_migrations == [len(every)]
    assert store.backup_path is not None
    store.close()
    backups = sorted((paperlab_home / "backups").iterdir())
    assert [p.name.endswith(f"-before-v{len(every)}.db") for p in backups] == [True]
    with closing(sqlite3.connect(backups[0])) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_migration").fetchone() == (
            len(every) - 1,
        )
        assert conn.execute("SELECT id FROM paper").fetchall() == [("1706.03762",)]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert not Path(f"{backups[0]}-wal").exists()

    open_store().close()  # up to date: no migration, no new backup
    assert len(list((paperlab_home / "backups").iterdir())) == 1


def test_only_the_newest_automatic_backups_are_kept(tmp_path: Path) -> None:
    import os

    from paperlab.store.backup import KEEP_AUTOMATIC, prune_automatic

    automatic = []
    for i in range(KEEP_AUTOMATIC + 3):
        path = tmp_path / f"paperlab-2026010{i}-000000-before-v4.db"
        path.write_bytes(b"x")
        os.utime(path, ns=(i * 10**9, i * 10**9))
        automatic.append(path)
    manual = tmp_path / "paperlab-20250101-000000.db"
    manual.write_bytes(b"x")
    repaired = tmp_path / "paperlab-20250101-000000-before-repair.db"
    repaired.write_bytes(b"x")
    assert prune_automatic(tmp_path) == automatic[:3]
    assert sorted(tmp_path.iterdir()) == sorted([*automatic[3:], manual, repaired])


def test_backup_is_consistent_while_another_process_writes(store: Any, tmp_path: Path) -> None:
    from paperlab.store.backup import backup_database

    add_paper(store, "p1", "One", [PHOTOSYNTHESIS])
    writer = sqlite3.connect(store.path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM chunk")  # not committed while the backup runs
        copy = backup_database(store.path, tmp_path / "copy.db")
        writer.execute("ROLLBACK")
    finally:
        writer.close()
    with closing(sqlite3.connect(copy)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM chunk").fetchone() == (1,)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
