"""Hybrid search end to end: real SQLite, real model, real faiss."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import text as sql

from paperlab.errors import NotFoundError, UsageError
from paperlab.indexing import index_pending, index_status
from paperlab.search.embedder import Progress, SentenceTransformerEmbedder, bundled_model_path
from paperlab.searching import search
from paperlab.settings import load_settings
from paperlab.store import Store
from paperlab.store.models import (
    Annotation,
    Chunk,
    LogEntry,
    LogPaper,
    LogTopic,
    Note,
    Paper,
    PaperTopic,
    Topic,
)

TRANSFORMER = (
    "The transformer architecture relies on self-attention to relate every token in a "
    "sequence to every other token, replacing recurrence entirely."
)
PHOTOSYNTHESIS = (
    "Photosynthesis converts sunlight, water and carbon dioxide into glucose and oxygen "
    "inside the chloroplasts of plant cells."
)
GRADIENT = (
    "Gradient descent iteratively updates model parameters in the direction that most "
    "reduces the training loss."
)
CENTRAL_BANK = (
    "The central bank raised interest rates to curb inflation, and bond yields climbed sharply."
)
REFERENCE = "[12] A. Vaswani et al. Photosynthesis is all you need. NeurIPS 2017."


def add_paper(
    store: Store,
    paper_id: str,
    title: str,
    chunks: Sequence[str],
    *,
    state: str = "extracted",
    references: Sequence[str] = (),
    section: str = "Introduction",
) -> list[int]:
    """Insert a paper and its chunks as the extractor would; returns chunk ids."""
    with store.write() as session:
        session.add(Paper(id=paper_id, title=title, state=state))
        session.flush()
        rows = []
        for i, text in enumerate([*chunks, *references]):
            is_ref = i >= len(chunks)
            row = Chunk(
                paper_id=paper_id,
                ordinal=i,
                page_start=i + 1,
                page_end=i + 1,
                char_start=0,
                char_end=len(text),
                section="References" if is_ref else section,
                is_reference=is_ref,
                text=text,
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
            )
            session.add(row)
            rows.append(row)
        session.flush()
        return [int(r.id) for r in rows if r.id is not None]


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner = inner
        self.texts: list[str] = []

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed(
        self, texts: Sequence[str], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.embed(texts, batch_size, progress)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder("all-MiniLM-L6-v2")


@pytest.fixture
def counting(real_embedder: SentenceTransformerEmbedder) -> CountingEmbedder:
    return CountingEmbedder(real_embedder)


@pytest.fixture
def library(store: Any, counting: CountingEmbedder) -> Store:
    """Two indexed papers (one with a reference list), a topic on the first."""
    add_paper(store, "2401.00001", "Attention models", [TRANSFORMER, GRADIENT])
    add_paper(
        store, "2401.00002", "Plant biology", [PHOTOSYNTHESIS, CENTRAL_BANK], references=[REFERENCE]
    )
    with store.write() as session:
        session.add(Topic(slug="deep-learning", title="Deep learning"))
        session.flush()
        session.add(PaperTopic(paper_id="2401.00001", topic_slug="deep-learning"))
    index_pending(store, load_settings(), embedder=counting)
    return store


def test_semantic_query_finds_passage_with_no_shared_words(
    library: Store, counting: CountingEmbedder
) -> None:
    query = "botany leaves turning solar energy into sugar"
    settings = load_settings()
    assert search(library, settings, query, mode="lexical", embedder=counting) == []
    hits = search(library, settings, query, k=3, embedder=counting)
    assert hits[0].kind == "passage"
    assert hits[0].text == PHOTOSYNTHESIS
    assert hits[0].paper_id == "2401.00002"
    assert hits[0].title == "Plant biology"
    assert hits[0].page == 1 and hits[0].section == "Introduction"


def test_exact_term_found_lexically_and_highlighted(
    library: Store, counting: CountingEmbedder
) -> None:
    hits = search(library, load_settings(), "chloroplasts", k=3, embedder=counting)
    assert hits[0].text == PHOTOSYNTHESIS
    assert hits[0].lexical_rank == 1
    assert "«chloroplasts»" in hits[0].snippet


def test_references_excluded_by_default(library: Store, counting: CountingEmbedder) -> None:
    settings = load_settings()
    hits = search(library, settings, "Vaswani NeurIPS", k=10, embedder=counting)
    assert all(h.text != REFERENCE for h in hits)
    with_refs = search(
        library, settings, "Vaswani NeurIPS", k=10, embedder=counting, include_references=True
    )
    assert with_refs[0].text == REFERENCE


@pytest.mark.parametrize(
    "query",
    [
        "C++",
        '"',
        '"unbalanced',
        "AND",
        "OR NOT",
        "NEAR(a b)",
        "self-attention",
        "title:x",
        "*",
        "a:b:c",
        "(((",
        "^start",
        "naïve",
        "-",
        "🙂",
        "x" * 2000,
    ],
)
def test_hostile_queries_do_not_crash(
    library: Store, counting: CountingEmbedder, query: str
) -> None:
    hits = search(library, load_settings(), query, k=5, embedder=counting)
    assert isinstance(hits, list)


def test_note_found_immediately_lexically_and_semantically(
    library: Store, counting: CountingEmbedder
) -> None:
    settings = load_settings()
    with library.write() as session:
        session.add(
            Note(
                paper_id="2401.00001",
                summary="Zebrafish regenerate their heart muscle after injury.",
                limitations="Only tested in larvae.",
            )
        )
    lexical = search(library, settings, "zebrafish", scope="notes", mode="lexical")
    assert [h.kind for h in lexical] == ["note"]
    counting.texts.clear()
    semantic = search(
        library, settings, "cardiac tissue repair in fish", scope="notes", embedder=counting
    )
    assert semantic[0].kind == "note"
    assert semantic[0].dense_rank == 1
    assert "Zebrafish" in semantic[0].text and "larvae" in semantic[0].text
    # Only the new note was embedded (queries go through embed_query).
    assert len(counting.texts) == 1


def test_unchanged_text_is_not_embedded_twice(library: Store, counting: CountingEmbedder) -> None:
    settings = load_settings()
    first = len(counting.texts)
    assert first == 4  # four non-reference passages; the reference chunk is not embedded
    report = index_pending(library, settings, embedder=counting)
    assert report.total_embedded == 0
    assert len(counting.texts) == first
    # A new paper repeating a known passage costs one new embedding only.
    add_paper(library, "2401.00003", "Repeat", [GRADIENT, "A brand new paragraph on geology."])
    report = index_pending(library, settings, embedder=counting)
    assert counting.texts[first:] == ["A brand new paragraph on geology."]
    assert report.papers_indexed == ["2401.00003"]


def test_model_change_reembeds_everything(
    library: Store, counting: CountingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_name = str(bundled_model_path())
    monkeypatch.setenv("PAPERLAB_EMBED_MODEL", other_name)
    settings = load_settings()
    other = CountingEmbedder(SentenceTransformerEmbedder(other_name))
    report = index_pending(library, settings, embedder=other)
    assert report.embedded == {"passage": 4}
    assert report.rebuilt
    with library.read() as session:
        models = dict(
            session.connection()
            .execute(sql("SELECT model, COUNT(*) FROM embedding GROUP BY model"))
            .all()
        )
    assert models == {"all-MiniLM-L6-v2": 4, other_name: 4}
    hits = search(library, settings, "interest rates", k=1, embedder=other)
    assert hits[0].text == CENTRAL_BANK


def test_paper_state_becomes_indexed_only_from_extracted(
    store: Any, counting: CountingEmbedder
) -> None:
    add_paper(store, "2402.00001", "A", [TRANSFORMER], state="extracted")
    add_paper(store, "2402.00002", "B", [GRADIENT], state="failed")
    report = index_pending(store, load_settings(), embedder=counting)
    assert report.papers_indexed == ["2402.00001"]
    with store.read() as session:
        states = dict(session.connection().execute(sql("SELECT id, state FROM paper")).all())
    assert states == {"2402.00001": "indexed", "2402.00002": "failed"}


def test_by_paper_groups_best_passages(library: Store, counting: CountingEmbedder) -> None:
    hits = search(
        library, load_settings(), "neural network training", k=1, by_paper=True, embedder=counting
    )
    assert {h.paper_id for h in hits} == {"2401.00001"}
    assert len(hits) == 2  # both passages of the best paper
    assert hits[0].score >= hits[1].score
    two = search(library, load_settings(), "neural network training", k=2, by_paper=True)
    papers = [h.paper_id for h in two]
    assert papers == sorted(papers, key=papers.index)  # each paper's hits are consecutive
    assert set(papers) == {"2401.00001", "2401.00002"}


def test_topic_filter(library: Store, counting: CountingEmbedder) -> None:
    settings = load_settings()
    with library.write() as session:
        entry = LogEntry(text="Try photosynthesis-inspired optimisers.")
        other = LogEntry(text="Photosynthesis reading group on Friday.")
        session.add_all([entry, other])
        session.flush()
        assert entry.id is not None
        session.add(LogTopic(log_id=entry.id, topic_slug="deep-learning"))
        session.add(LogPaper(log_id=other.id or 0, paper_id="2401.00002"))
        session.add(Annotation(paper_id="2401.00002", quote="glucose and oxygen", page=1))
    hits = search(
        library, settings, "photosynthesis", k=10, topic="deep-learning", embedder=counting
    )
    assert hits
    assert {h.paper_id for h in hits if h.kind == "passage"} == {"2401.00001"}
    logs = [h for h in hits if h.kind == "log"]
    assert [h.text for h in logs] == ["Try photosynthesis-inspired optimisers."]
    assert all(h.kind != "annotation" for h in hits)
    everything = search(library, settings, "photosynthesis", k=20, embedder=counting)
    assert {"annotation", "log", "passage"} <= {h.kind for h in everything}
    with pytest.raises(NotFoundError):
        search(library, settings, "x", topic="no-such-topic", embedder=counting)


def test_scope_and_log_paper_link(library: Store, counting: CountingEmbedder) -> None:
    with library.write() as session:
        entry = LogEntry(kind="decision", text="Use bond yields as the target variable.")
        session.add(entry)
        session.flush()
        session.add(LogPaper(log_id=entry.id or 0, paper_id="2401.00002"))
    hits = search(library, load_settings(), "bond yields", scope="log", embedder=counting)
    assert [h.kind for h in hits] == ["log"]
    assert hits[0].paper_id == "2401.00002"
    papers_only = search(library, load_settings(), "bond yields", scope="papers")
    assert {h.kind for h in papers_only} == {"passage"}


def test_invalid_arguments(library: Store) -> None:
    settings = load_settings()
    with pytest.raises(UsageError):
        search(library, settings, "   ")
    with pytest.raises(UsageError):
        search(library, settings, "x", scope="everything")
    with pytest.raises(UsageError):
        search(library, settings, "x", k=0)


def test_index_status_counts(library: Store, counting: CountingEmbedder) -> None:
    settings = load_settings()
    with library.write() as session:
        session.add(LogEntry(text="An unembedded thought about soil."))
    status = index_status(library, settings)
    assert status["chunks"] == 4 and status["chunks_embedded"] == 4
    assert status["reference_chunks"] == 1
    assert status["log_entries"] == 1 and status["log_entries_embedded"] == 0
    # The file covers every stored vector; the new entry simply has none yet.
    assert status["faiss_state"] == "fresh"
    index_pending(library, settings, embedder=counting)
    status = index_status(library, settings)
    assert status["log_entries_embedded"] == 1
    assert status["faiss_state"] == "fresh"
    assert status["papers_by_state"] == {"indexed": 2}
    with library.write() as session:
        session.connection().execute(sql("DELETE FROM chunk WHERE ordinal = 1"))
    assert index_status(library, settings)["faiss_state"] == "stale"


def test_real_paper_text(store: Any, counting: CountingEmbedder, shared_data: Path) -> None:
    import pymupdf

    pdf = sorted((shared_data / "pdfs" / "arxiv").glob("*.pdf"))[0]
    with pymupdf.open(pdf) as doc:
        words = " ".join(page.get_text() for page in doc).split()
    chunks = [" ".join(words[i : i + 150]) for i in range(0, min(len(words), 3000), 150)]
    add_paper(store, "real", pdf.stem, chunks)
    index_pending(store, load_settings(), embedder=counting)
    target = chunks[len(chunks) // 2]
    phrase = " ".join(target.split()[40:52])
    hits = search(store, load_settings(), phrase, k=3, embedder=counting)
    assert target in [h.text for h in hits]


def test_a_failure_of_full_text_search_beside_the_dense_half_is_raised(
    library: Store, counting: CountingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # BM25 runs on a thread beside the dense half; its error must not be lost.
    import paperlab.searching as searching_module

    settings = load_settings()

    def broken(*args: object, **kwargs: object) -> list[object]:
        raise RuntimeError("full-text index unreadable")

    monkeypatch.setattr(searching_module, "search_lexical", broken)
    with pytest.raises(RuntimeError, match="full-text index unreadable"):
        search(library, settings, "attention", embedder=counting)
    assert search(library, settings, "attention", embedder=counting, mode="dense")
