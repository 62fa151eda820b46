"""Reference lists stored per paper version: generated PDFs through the real pipeline,
re-extraction, reading them resolved, and confirming entries against the fake arXiv."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from paperlab.pipeline import extract_paper
from paperlab.references import candidates, cited_by, references
from paperlab.settings import load_settings
from paperlab.store import Store
from paperlab.store.models import Paper, utcnow
from tests.fakearxiv import FakeArxiv, sample_paper
from tests.refpdfs import paper_with_references

NUMBERED = [
    "[1] A. Vaswani, N. Shazeer, and N. Parmar. Attention is all you need. "
    "arXiv preprint arXiv:1706.03762, 2017.",
    "[2] K. He, X. Zhang, S. Ren, and J. Sun. Deep residual learning for image recognition. "
    "In CVPR, 2016.",
    "[3] S. Ioffe and C. Szegedy. Batch normaliza- tion: Accelerating deep network "
    "training by reducing internal covariate shift. In ICML, 2015.",
    "[4] J. Doe. A title arXiv will not recognise. arXiv:1104.1234, 2011.",
]
AUTHOR_YEAR = [
    "Ioffe, Sergey and Szegedy, Christian. Batch normalization: Accelerating deep network "
    "training by reducing internal covariate shift. In ICML, 2015.",
    "Lovelace, Ada. Notes on the analytical engine. Taylor's Scientific Memoirs, 1843.",
]


def add_paper(
    store: Store, home: Path, paper_id: str, title: str, pdf: bytes, **extra: Any
) -> None:
    path = home / "pdfs" / f"{paper_id}.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf)
    with store.write() as session:
        session.add(
            Paper(
                id=paper_id,
                title=title,
                pdf_path=str(path),
                state="fetched",
                published=utcnow().replace(year=extra.pop("year", 2015)),
                **extra,
            )
        )


@pytest.fixture
def library(store: Store, paperlab_home: Path) -> Store:
    settings = load_settings()
    body = "We study deep networks and their training. " * 30
    add_paper(
        store,
        paperlab_home,
        "2101.00001",
        "A Survey",
        paper_with_references("A Survey", body, NUMBERED),
        pdf_version=2,
    )
    add_paper(
        store,
        paperlab_home,
        "1502.03167",
        "Batch Normalization: Accelerating Deep Network Training by Reducing Internal "
        "Covariate Shift",
        paper_with_references("Batch Normalization", body, AUTHOR_YEAR),
        authors='["Sergey Ioffe", "Christian Szegedy"]',
    )
    for paper_id in ("2101.00001", "1502.03167"):
        assert extract_paper(store, settings, paper_id).ok
    return store


def rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(store.path) as conn:
        return conn.execute(sql).fetchall()


def test_generated_pdfs_give_their_reference_lists(library: Store) -> None:
    stored = rows(
        library,
        "SELECT paper_id, version, ordinal, label, title, year, arxiv_id FROM paper_reference "
        "ORDER BY paper_id, ordinal",
    )
    assert stored == [
        ("1502.03167", 0, 1, None,
         "Batch normalization: Accelerating deep network training by reducing internal "
         "covariate shift", 2015, None),
        ("1502.03167", 0, 2, None, "Notes on the analytical engine", 1843, None),
        ("2101.00001", 2, 1, "1", "Attention is all you need", 2017, "1706.03762"),
        ("2101.00001", 2, 2, "2", "Deep residual learning for image recognition", 2016, None),
        ("2101.00001", 2, 3, "3",
         "Batch normaliza- tion: Accelerating deep network training by reducing internal "
         "covariate shift", 2015, None),
        ("2101.00001", 2, 4, "4", "A title arXiv will not recognise", 2011, "1104.1234"),
    ]  # fmt: skip


def test_entries_resolve_to_library_papers_and_candidates(library: Store) -> None:
    views = references(library, "2101.00001")
    assert [(v.paper_id, v.candidate_id, v.resolved_by) for v in views] == [
        (None, "1706.03762", "arxiv-id"),
        (None, None, None),
        ("1502.03167", None, "title+author"),  # across the line-break hyphen
        (None, "1104.1234", "arxiv-id"),
    ]
    # The paper's own entry about itself is no citation of itself.
    assert [v.paper_id for v in references(library, "1502.03167")] == [None, None]
    assert [c.paper_id for c in cited_by(library, "1502.03167")] == ["2101.00001"]
    assert cited_by(library, "2101.00001") == []
    assert [c.arxiv_id for c in candidates(library)] == ["1104.1234", "1706.03762"]


def test_re_extraction_replaces_rows_and_keeps_what_arxiv_confirmed(library: Store) -> None:
    with sqlite3.connect(library.path) as conn:
        conn.execute(
            "UPDATE paper_reference SET online_arxiv_id = '1512.03385', online_title = 'x', "
            "online_checked_at = '2026-01-01' WHERE paper_id = '2101.00001' AND ordinal = 2"
        )
        conn.execute("UPDATE paper_reference SET title = 'garbled' WHERE ordinal = 1")
    assert extract_paper(library, load_settings(), "2101.00001").ok
    again = rows(
        library,
        "SELECT ordinal, title, online_arxiv_id FROM paper_reference "
        "WHERE paper_id = '2101.00001' ORDER BY ordinal",
    )
    assert again[0] == (1, "Attention is all you need", None)
    assert again[1] == (2, "Deep residual learning for image recognition", "1512.03385")
    assert references(library, "2101.00001")[1].candidate_id == "1512.03385"


def test_a_new_version_keeps_the_old_versions_list(library: Store) -> None:
    with library.write() as session:
        paper = session.get(Paper, "2101.00001")
        assert paper is not None
        paper.pdf_version = 3
        session.add(paper)
    assert extract_paper(library, load_settings(), "2101.00001").ok
    versions = rows(
        library,
        "SELECT version, COUNT(*) FROM paper_reference WHERE paper_id = '2101.00001' GROUP BY 1",
    )
    assert versions == [(2, 4), (3, 4)]
    assert len(references(library, "2101.00001")) == 4  # the current version's only


def test_resolve_online_confirms_ids_and_finds_titles_in_batches(
    library: Store, fake_arxiv: FakeArxiv
) -> None:
    from paperlab.refonline import resolve_online

    fake_arxiv.add(
        sample_paper("1706.03762", title="Attention Is All You Need"),
        sample_paper("1104.1234", title="Something Else Entirely"),
        sample_paper("1512.03385", title="Deep Residual Learning for Image Recognition"),
    )
    report = resolve_online(library, load_settings())
    assert (report.asked_ids, report.asked_titles, report.confirmed) == (2, 2, 2)
    assert len(fake_arxiv.requests("api")) == 2  # one id_list, one OR-ed title query
    views = references(library, "2101.00001")
    assert (views[1].candidate_id, views[1].resolved_by) == ("1512.03385", "online")
    assert views[3].online_title == "Something Else Entirely"  # asked, but not this paper
    fake_arxiv.clear_log()
    again = resolve_online(library, load_settings())
    assert (again.asked_ids, again.asked_titles) == (0, 0)  # each entry is asked once
    assert fake_arxiv.requests("api") == []


def test_a_read_only_library_reads_references(library: Store) -> None:
    readonly = Store(library.path, readonly=True)
    try:
        assert [v.paper_id for v in references(readonly, "2101.00001")][2] == "1502.03167"
        assert [c.paper_id for c in cited_by(readonly, "1502.03167")] == ["2101.00001"]
    finally:
        readonly.close()


def test_resolve_online_without_arxiv_changes_nothing(
    library: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperlab.refonline import resolve_online

    # The test environment points the API at a port nothing listens on. The
    # user's retry settings hold here as for fetch (they were ignored: three
    # retries with 2 s, 4 s and 8 s waits whatever PAPERLAB_HTTP_* said).
    monkeypatch.setenv("PAPERLAB_HTTP_RETRIES", "1")
    report = resolve_online(library, load_settings())
    assert report.errors and report.confirmed == 0
    assert all("after 2 tries" in error for error in report.errors), report.errors
    assert (report.asked_ids, report.asked_titles) == (0, 0)
    assert rows(
        library, "SELECT COUNT(*) FROM paper_reference WHERE online_checked_at IS NOT NULL"
    ) == [(0,)]
