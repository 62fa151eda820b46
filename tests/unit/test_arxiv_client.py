"""The arXiv metadata client against the fake arXiv, one fault mode at a time."""

from __future__ import annotations

import itertools
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from paperlab.errors import NetworkError
from paperlab.ids import ArxivId, parse_arxiv_id
from paperlab.settings import load_settings
from paperlab.sources.arxiv import ArxivClient, ArxivQueryError, PaperMetadata
from tests import fakearxiv
from tests.fakearxiv import FakeArxiv, sample_paper
from tests.helpers import api_turns

# The fixture, for modules run without the conftest registering the plugin.
fake_arxiv = fakearxiv.fake_arxiv

EPS = 0.05


def client(**kwargs: Any) -> ArxivClient:
    options: dict[str, Any] = {"max_retries": 3, "backoff_base": 0.01}
    options.update(kwargs)
    return ArxivClient(load_settings(), **options)


def ids(*texts: str) -> list[ArxivId]:
    return [parse_arxiv_id(t) for t in texts]


def test_metadata_fields_come_through(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add(
        sample_paper(
            "1706.03762",
            version=5,
            title="Attention Is\n  All   You Need",
            authors=["Ashish Vaswani", "Noam Shazeer"],
            abstract="The dominant sequence\n transduction models & more <b>.",
            categories=["cs.CL", "cs.LG"],
            published=datetime(2017, 6, 12, 17, 57, 34, tzinfo=UTC),
            updated=datetime(2023, 8, 2, 0, 41, 18, tzinfo=UTC),
            doi="10.5555/3295222.3295349",
            journal_ref="NeurIPS 2017",
            comment="15 pages, 5 figures",
        )
    )
    batch = client().fetch_metadata(ids("1706.03762"))
    assert batch.ok
    meta = batch.found["1706.03762"]
    assert isinstance(meta, PaperMetadata)
    assert str(meta.arxiv_id) == "1706.03762v5"
    assert meta.title == "Attention Is All You Need"
    assert meta.authors == ["Ashish Vaswani", "Noam Shazeer"]
    assert meta.abstract == "The dominant sequence transduction models & more <b>."
    assert meta.categories == ["cs.CL", "cs.LG"]
    assert meta.primary_category == "cs.CL"
    assert meta.published == datetime(2017, 6, 12, 17, 57, 34, tzinfo=UTC)
    assert meta.updated.tzinfo is not None and meta.updated.year == 2023
    assert (meta.doi, meta.journal_ref, meta.comment) == (
        "10.5555/3295222.3295349",
        "NeurIPS 2017",
        "15 pages, 5 figures",
    )
    assert meta.pdf_url == fake_arxiv.pdf_url("1706.03762v5")
    # Asked without a version, so arXiv could answer with the current one.
    (request,) = fake_arxiv.requests("api")
    assert request.query["id_list"] == "1706.03762"
    assert request.user_agent.startswith("paperlab/")


def test_a_requested_version_is_asked_for(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add(sample_paper("hep-th/9901001", version=1))
    fake_arxiv.bump_version("hep-th/9901001")
    batch = client().fetch_metadata(ids("hep-th/9901001v1"))
    assert str(batch.found["hep-th/9901001"].arxiv_id) == "hep-th/9901001v1"
    assert fake_arxiv.requests("api")[0].query["id_list"] == "hep-th/9901001v1"
    latest = client().fetch_metadata(ids("hep-th/9901001"))
    assert latest.found["hep-th/9901001"].version == 2


def test_batches_of_one_hundred_with_progress(fake_arxiv: FakeArxiv) -> None:
    wanted = [f"2101.{n:05d}" for n in range(1, 151)]
    fake_arxiv.add(*(sample_paper(i) for i in wanted))
    seen: list[tuple[int, int]] = []
    batch = client().fetch_metadata(ids(*wanted), progress=lambda d, t: seen.append((d, t)))
    assert sorted(batch.found) == wanted and batch.ok
    sizes = [len(r.query["id_list"].split(",")) for r in fake_arxiv.requests("api")]
    assert sizes == [100, 50]
    assert seen == [(100, 150), (150, 150)]


def test_503_then_success(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add(sample_paper("2101.00001"))
    fake_arxiv.inject("api", "503", retry_after="0")
    batch = client().fetch_metadata(ids("2101.00001"))
    assert "2101.00001" in batch.found
    assert [r.fault for r in fake_arxiv.requests("api")] == ["503", None]


def test_429_retry_after_is_honoured(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add(sample_paper("2101.00001"))
    fake_arxiv.inject("api", "429", retry_after="1")
    batch = client().fetch_metadata(ids("2101.00001"))
    assert "2101.00001" in batch.found
    first, second = fake_arxiv.requests("api")
    assert first.fault == "429"
    assert second.time - first.time >= 1.0 - EPS


def test_connection_reset_is_retried(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add(sample_paper("2101.00001"))
    fake_arxiv.inject("api", "reset")
    batch = client().fetch_metadata(ids("2101.00001"))
    assert "2101.00001" in batch.found
    assert len(fake_arxiv.requests("api")) == 2


def test_slow_answer_times_out_and_is_retried(
    fake_arxiv: FakeArxiv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERLAB_HTTP_TIMEOUT", "0.3")
    fake_arxiv.add(sample_paper("2101.00001"))
    fake_arxiv.inject("api", "slow", delay=1.5)
    batch = client().fetch_metadata(ids("2101.00001"))
    assert "2101.00001" in batch.found
    assert [r.fault for r in fake_arxiv.requests("api")] == ["slow", None]


def test_truncated_feed_is_retried(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add(sample_paper("2101.00001"))
    fake_arxiv.inject("api", "truncate")
    batch = client().fetch_metadata(ids("2101.00001"))
    assert "2101.00001" in batch.found


def test_empty_feed_glitch_is_retried(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add(sample_paper("2101.00001"), sample_paper("2101.00002"))
    fake_arxiv.inject("api", "empty", count=1)
    batch = client().fetch_metadata(ids("2101.00001", "2101.00002"))
    assert sorted(batch.found) == ["2101.00001", "2101.00002"] and not batch.missing
    assert [r.fault for r in fake_arxiv.requests("api")] == ["empty", None]


def test_missing_id_is_confirmed_with_one_requery(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add(sample_paper("2101.00001"))
    batch = client(max_retries=3).fetch_metadata(ids("2101.00001", "2101.99999"))
    assert "2101.00001" in batch.found
    assert batch.missing == {"2101.99999": "2101.99999 does not exist on arXiv; check the id."}
    requests = fake_arxiv.requests("api")
    # The re-query asks only for what was left out, and only once.
    assert [r.query["id_list"] for r in requests] == ["2101.00001,2101.99999", "2101.99999"]


def test_error_feed_names_the_id_and_is_not_retried(fake_arxiv: FakeArxiv) -> None:
    c = client()
    with pytest.raises(ArxivQueryError) as info:
        c.fetch_page(c._id_url(["abc"]))
    assert "'abc'" in info.value.message
    assert info.value.bad_id == "abc"
    assert len(fake_arxiv.requests("api")) == 1


def test_error_feed_in_a_batch_spares_the_other_ids(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add(sample_paper("2101.00001"), sample_paper("2101.00002"))
    fake_arxiv.inject("api", "error_feed")  # names the first id of the list
    batch = client().fetch_metadata(ids("2101.00001", "2101.00002"))
    assert "2101.00001" in batch.missing["2101.00001"]
    assert "incorrect id format" in batch.missing["2101.00001"]
    assert list(batch.found) == ["2101.00002"]
    assert len(fake_arxiv.requests("api")) == 2


def test_unreachable_api_gives_a_network_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # conftest points the API at a port where nothing listens.
    wanted = [f"2101.{n:05d}" for n in range(1, 121)]
    batch = client(max_retries=3).fetch_metadata(ids(*wanted))
    assert not batch.found and not batch.missing
    failed = batch.failed
    assert sorted(failed) == wanted
    error = failed["2101.00001"]
    assert isinstance(error, NetworkError)
    assert error.message == "arXiv did not answer after 4 tries (connection refused)."
    assert error.hint and "PAPERLAB_ARXIV_API_URL" in error.hint
    assert error.retries == 3 and "127.0.0.1:9" in error.url
    # The second batch is not tried once the first found arXiv unreachable.
    assert failed["2101.00120"] is error


def test_persistent_503_gives_up_after_the_tries(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add(sample_paper("2101.00001"))
    fake_arxiv.inject("api", "503", count=10)
    batch = client(max_retries=2).fetch_metadata(ids("2101.00001"))
    error = batch.failed["2101.00001"]
    assert error.message == "arXiv did not answer after 3 tries (HTTP 503)."
    assert len(fake_arxiv.requests("api")) == 3


def test_a_final_refusal_is_not_retried(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.inject("api", "status", status=403)
    batch = client().fetch_metadata(ids("2101.00001"))
    assert "HTTP 403" in batch.failed["2101.00001"].message
    assert len(fake_arxiv.requests("api")) == 1


def test_search_pages_through_results(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add(*(sample_paper(f"2101.{n:05d}", title=f"Graph paper {n}") for n in range(150)))
    fake_arxiv.add(sample_paper("2102.00001", title="Something else"))
    found = client().search("ti:graph", max_results=120)
    assert len(found) == 120
    assert all(m.title.startswith("Graph paper") for m in found)
    starts = [r.query["start"] for r in fake_arxiv.requests("api")]
    assert starts == ["0", "100"]
    assert client().search("ti:nothing_like_this", max_results=5) == []


def test_requests_are_paced_by_the_delay(
    fake_arxiv: FakeArxiv, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PAPERLAB_ARXIV_DELAY", "0.3")
    fake_arxiv.add(sample_paper("2101.00001"))
    c = client()
    with caplog.at_level(logging.DEBUG, logger="paperlab.sources.ratelimit"):
        for _ in range(3):
            c.fetch_metadata(ids("2101.00001"))
    assert len(fake_arxiv.requests("api")) == 3
    # The turns the limiter took, not the arrival times (those also carry any
    # delay of a busy machine between a turn and its request reaching the server).
    turns = api_turns("\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records))
    assert len(turns) == 3
    assert all(b - a >= 0.3 - 1e-6 for a, b in itertools.pairwise(turns)), turns
    assert load_settings().rate_limit_file.exists()


def test_retries_follow_the_users_settings_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAPERLAB_HTTP_RETRIES", "5")
    monkeypatch.setenv("PAPERLAB_HTTP_BACKOFF", "0.5")
    with ArxivClient(load_settings()) as default:
        assert (default.policy.max_retries, default.policy.backoff_base) == (5, 0.5)
    with ArxivClient(load_settings(), max_retries=0, backoff_base=0.01) as told:
        assert (told.policy.max_retries, told.policy.backoff_base) == (0, 0.01)
