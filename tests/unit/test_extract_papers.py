"""extract_papers: several papers extracted ahead in worker processes, stored in order.

Two real SQLite libraries hold the same generated papers; one is extracted in
this process (PAPERLAB_EXTRACT_WORKERS=0), the other by two worker
processes, and every stored row must be the same.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from paperlab.errors import NotFoundError
from paperlab.pipeline import extract_papers
from paperlab.settings import load_settings
from paperlab.store import Store
from paperlab.store.models import Paper
from tests.refpdfs import paper_with_references

PAPERS = [f"2101.0000{n}" for n in range(1, 6)]
REFERENCES = [
    "[1] A. Vaswani and N. Shazeer. Attention is all you need. arXiv:1706.03762, 2017.",
    "[2] K. He and J. Sun. Deep residual learning for image recognition. In CVPR, 2016.",
]


def _library(home: Path) -> Store:
    home.mkdir(parents=True, exist_ok=True)
    store = Store(home / "paperlab.db")
    for n, paper_id in enumerate(PAPERS):
        path = home / "pdfs" / f"{paper_id}.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        body = f"Paper {n} trains deep networks with warm restarts. " * 30
        path.write_bytes(paper_with_references(f"Paper number {n}", body, REFERENCES))
        with store.write() as session:
            session.add(Paper(id=paper_id, title="", pdf_path=str(path), state="fetched"))
    return store


def _all(conn: sqlite3.Connection, sql: str) -> list[tuple[object, ...]]:
    return conn.execute(sql).fetchall()


def _rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(db) as conn:
        return {
            "page": conn.execute(
                "SELECT paper_id, number, text FROM page ORDER BY 1, 2"
            ).fetchall(),
            "chunk": conn.execute(
                "SELECT paper_id, ordinal, page_start, page_end, char_start, char_end, section,"
                " is_reference, text, content_hash FROM chunk ORDER BY 1, 2"
            ).fetchall(),
            "reference": conn.execute(
                "SELECT paper_id, version, ordinal, raw FROM paper_reference ORDER BY 1, 2, 3"
            ).fetchall(),
            "paper": conn.execute("SELECT id, state, title FROM paper ORDER BY 1").fetchall(),
            "fts": conn.execute(
                "SELECT rowid FROM chunk_fts WHERE chunk_fts MATCH 'restarts' ORDER BY rowid"
            ).fetchall(),
        }


def _extract_all(home: Path, workers: int, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("PAPERLAB_HOME", str(home))
    monkeypatch.setenv("PAPERLAB_EXTRACT_WORKERS", str(workers))
    store = _library(home)
    try:
        outcomes = list(extract_papers(store, load_settings(), PAPERS))
    finally:
        store.close()
    assert all(o.ok for o in outcomes), [o.reason for o in outcomes]
    return [o.paper_id for o in outcomes]


def test_workers_store_what_one_process_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _extract_all(tmp_path / "inline", 0, monkeypatch) == PAPERS
    assert _extract_all(tmp_path / "pool", 2, monkeypatch) == PAPERS  # in the order given
    inline, pool = (
        _rows(tmp_path / "inline" / "paperlab.db"),
        _rows(tmp_path / "pool" / "paperlab.db"),
    )
    assert inline["chunk"] and inline["reference"] and inline["fts"]
    assert {row[1] for row in inline["paper"]} == {"extracted"}
    assert pool == inline


def test_failures_keep_their_order_and_are_recorded(
    store: Store, paperlab_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERLAB_EXTRACT_WORKERS", "2")
    store.close()
    library = _library(paperlab_home)
    missing, refused = PAPERS[1], PAPERS[3]
    (paperlab_home / "pdfs" / f"{missing}.pdf").unlink()
    damaged = paperlab_home / "pdfs" / f"{PAPERS[2]}.pdf"
    damaged.write_bytes(b"%PDF-1.7\nnot a pdf at all\n")

    def prepare(paper_id: str) -> None:
        if paper_id == refused:
            raise NotFoundError("Not on this machine.", hint="Fetch it first.")

    outcomes = list(extract_papers(library, load_settings(), PAPERS, prepare=prepare))
    assert [o.paper_id for o in outcomes] == PAPERS
    assert [o.ok for o in outcomes] == [True, False, False, False, True]
    assert outcomes[1].reason and "is missing" in outcomes[1].reason
    assert outcomes[2].reason and "damaged" in outcomes[2].reason
    assert (outcomes[3].reason, outcomes[3].hint) == ("Not on this machine.", "Fetch it first.")
    states = dict(_rows(paperlab_home / "paperlab.db")["paper"][i][:2] for i in range(5))
    assert states[missing] == states[PAPERS[2]] == "failed"
    assert states[refused] == "fetched", "prepare's refusal is not recorded on the paper"
    library.close()
