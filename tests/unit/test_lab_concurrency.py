"""Four users writing at once on each store: no lost write, no error.

Four processes, each a different user (PAPERLAB_USER), save 100 notes (on
the same 100 papers: each user has a note of their own on each), 100
annotations and 100 log entries through the services the commands use,
while a fifth stores chunks and vectors for new papers as indexing does
(``store_vectors``, with vectors of its own, two clients storing the same
hashes) and a real ``paperlab fetch`` downloads, extracts and embeds papers
from a fake arXiv on 127.0.0.1 with the real model. Every row must be there
afterwards, under the right owner, and every fetched paper indexed.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
from pathlib import Path

import pytest

from paperlab.store import open_store
from paperlab.store.models import Page, Paper
from tests.fakearxiv import FakeArxiv, sample_paper
from tests.helpers import library_rows, paperlab_command, write_list
from tests.unit.test_fast_embedder import export_home, exported  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("backend")]
WRITERS = 4
EACH = 100
QUOTE_PAPER = "2401.99999"
USERS = [f"user{n}" for n in range(WRITERS)]
FETCHED = [f"2403.{n:05d}" for n in range(1, 7)]


def _environment(env: dict[str, str]) -> None:
    os.environ.update(env)


def _writer(env: dict[str, str], n: int) -> None:
    _environment({**env, "PAPERLAB_USER": USERS[n]})
    from paperlab.annotations import add_annotation
    from paperlab.notes import save_note
    from paperlab.researchlog import add_entry
    from paperlab.store import open_store as open_

    store = open_()
    for i in range(EACH):
        save_note(store, f"2401.{i:05d}", {"summary": f"writer {n} note {i}"})
        add_annotation(store, QUOTE_PAPER, f"w{n}x{i}y", comment=f"writer {n}")
        add_entry(store, f"writer {n} entry {i}", kind="idea")


def _indexer(env: dict[str, str]) -> None:
    _environment(env)
    import numpy as np

    from paperlab.embedding import store_vectors
    from paperlab.store import open_store as open_
    from paperlab.store.models import Chunk
    from paperlab.store.models import Paper as P

    store = open_()
    for i in range(50):
        with store.write() as session:
            session.add(P(id=f"2402.{i:05d}", title=f"indexed {i}", state="extracted"))
            session.flush()
            for j in range(5):
                session.add(
                    Chunk(
                        paper_id=f"2402.{i:05d}",
                        ordinal=j,
                        page_start=1,
                        page_end=1,
                        char_start=0,
                        char_end=4,
                        text=f"chunk {i} {j}",
                        content_hash=f"h{i}-{j % 3}",  # shared hashes: vectors stored once
                    )
                )
        hashes = [f"h{i}-{j}" for j in range(3)]
        store_vectors(store, "m", hashes, np.ones((3, 4), dtype="float32"))
        store_vectors(store, "m", hashes, np.zeros((3, 4), dtype="float32"))  # a second client


def test_four_writers_an_indexer_and_a_fetch_lose_nothing(
    paperlab_home: Path,
    fake_arxiv: FakeArxiv,
    tmp_path: Path,
    exported: Path,  # noqa: F811  (the session's ONNX export: the fetch embeds, not exports)
) -> None:
    for arxiv_id in FETCHED:
        fake_arxiv.add(sample_paper(arxiv_id, title=f"Paper {arxiv_id}"))
    listing = write_list(
        tmp_path / "lab.toml", "lab", [(i, f"Paper {i}") for i in FETCHED], "deep-learning"
    )
    store = open_store()
    text = " ".join(f"w{n}x{i}y" for n in range(WRITERS) for i in range(EACH))
    with store.write() as session:
        for i in range(EACH):
            session.add(Paper(id=f"2401.{i:05d}", title=f"paper {i}"))
        session.add(Paper(id=QUOTE_PAPER, title="Quotes", state="extracted"))
        session.flush()
        session.add(Page(paper_id=QUOTE_PAPER, number=1, text=text))
    store.close()
    env = {k: v for k, v in os.environ.items() if k.startswith("PAPERLAB_")}
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(env, n)) for n in range(WRITERS)]
    procs.append(ctx.Process(target=_indexer, args=(env,)))
    fetch = subprocess.Popen(
        paperlab_command("fetch", str(listing)),
        env={**os.environ, "PAPERLAB_ARXIV_DELAY": "0.2", "PAPERLAB_USER": "fetcher"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    for p in procs:
        p.start()
    for p in procs:
        p.join(600)
    _out, err = fetch.communicate(timeout=600)
    assert [p.exitcode for p in procs] == [0] * (WRITERS + 1)
    assert fetch.returncode == 0, err
    states = library_rows(
        "SELECT id, state FROM paper WHERE id IN :ids ORDER BY id", {"ids": FETCHED}
    )
    assert states == [(i, "indexed") for i in FETCHED]
    unembedded = library_rows(
        "SELECT COUNT(*) FROM chunk c WHERE c.paper_id IN :ids AND NOT EXISTS "
        "(SELECT 1 FROM embedding e WHERE e.content_hash = c.content_hash)",
        {"ids": FETCHED},
    )
    assert unembedded == [(0,)]
    for table in ("note", "annotation", "log_entry"):
        counts = library_rows(f"SELECT owner, COUNT(*) FROM {table} GROUP BY owner ORDER BY owner")
        assert counts == [(user, EACH) for user in USERS], table
    # Each row is its writer's: the text names the writer, the owner names the user.
    for table, column in (("note", "summary"), ("annotation", "comment"), ("log_entry", "text")):
        for n, user in enumerate(USERS):
            stray = library_rows(
                f"SELECT COUNT(*) FROM {table} WHERE owner = :u AND {column} NOT LIKE :w",
                {"u": user, "w": f"writer {n}%"},
            )
            assert stray == [(0,)], (table, user)
    assert library_rows("SELECT COUNT(*) FROM chunk WHERE paper_id LIKE '2402.%'") == [(250,)]
    assert library_rows("SELECT COUNT(*) FROM embedding WHERE model = 'm'") == [(150,)]
    # The first vector stored for a hash stays: the second client's was dropped.
    assert {
        bytes(r[0]) for r in library_rows("SELECT vector FROM embedding WHERE model = 'm'")
    } == {b"\0\0\x80\x3f" * 4}
    notes = library_rows(
        "SELECT owner, summary FROM note WHERE paper_id = :p ORDER BY owner", {"p": "2401.00099"}
    )
    assert notes == [(user, f"writer {n} note 99") for n, user in enumerate(USERS)]
