"""The fake arXiv itself: feeds shaped like the real ones, PDFs, versions, faults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from arxiv import _feed
from lxml import etree

from tests import fakearxiv
from tests.fakearxiv import (
    FakeArxiv,
    FakePaper,
    catalogue_from_shared,
    make_pdf,
    sample_paper,
)

# The fixture, for modules run without the conftest registering the plugin.
fake_arxiv = fakearxiv.fake_arxiv

ATOM = "{http://www.w3.org/2005/Atom}"


def shape(xml: bytes) -> tuple[list[str], list[str]]:
    """Tag sequence of the feed head and of its first entry, namespaces kept."""
    root = etree.fromstring(xml)
    head = [child.tag for child in root if child.tag != ATOM + "entry"]
    entry = root.find(ATOM + "entry")
    body = [] if entry is None else [c.tag for c in entry]
    # Authors repeat per paper; collapse runs of the same tag.
    return head, [t for i, t in enumerate(body) if i == 0 or body[i - 1] != t]


def full_paper() -> FakePaper:
    return sample_paper(
        "2202.12139", comment="workshop", journal_ref="ICSTW 2022", doi="10.1109/ICSTW.2022.35"
    )


def test_feed_shape_matches_a_recorded_answer(fake_arxiv: FakeArxiv, shared_data: Path) -> None:
    recorded_dir = shared_data / "arxiv_api" / "recorded_json"
    (path,) = recorded_dir.glob("q_testing_s0_m10_*.json")
    real = json.loads(path.read_text(encoding="utf-8"))["body"].encode()
    fake_arxiv.add(full_paper())
    ours = requests.get(fake_arxiv.api_url, params={"id_list": "2202.12139"}, timeout=5).content
    assert shape(ours) == shape(real)
    (path,) = recorded_dir.glob("id_abc_*.json")
    real_error = json.loads(path.read_text(encoding="utf-8"))
    answer = requests.get(fake_arxiv.api_url, params={"id_list": "abc"}, timeout=5)
    assert answer.status_code == real_error["status_code"] == 400
    assert shape(answer.content) == shape(real_error["body"].encode())


def test_feed_parses_with_the_arxiv_package(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add(full_paper(), sample_paper("hep-th/9901001", version=3))
    answer = requests.get(
        fake_arxiv.api_url,
        params={"id_list": "2202.12139,hep-th/9901001,2101.99999", "max_results": "100"},
        timeout=5,
    )
    assert answer.headers["Content-Type"].startswith("application/atom+xml")
    parsed = _feed.parse(answer.content)
    assert parsed.header.total_results == 2 and parsed.header.items_per_page == 100
    first, second = parsed.results
    assert first.get_short_id() == "2202.12139v1"
    assert (first.doi, first.journal_ref, first.comment) == (
        "10.1109/ICSTW.2022.35",
        "ICSTW 2022",
        "workshop",
    )
    assert first.pdf_url == fake_arxiv.pdf_url("2202.12139v1")
    assert second.get_short_id() == "hep-th/9901001v3"


def test_the_error_feed_for_malformed_ids(fake_arxiv: FakeArxiv) -> None:
    answer = requests.get(fake_arxiv.api_url, params={"id_list": "1706.03762,abc"}, timeout=5)
    assert answer.status_code == 400
    assert b"https://arxiv.org/api/errors#incorrect_id_format_for_abc" in answer.content
    assert b"<summary>incorrect id format for abc</summary>" in answer.content


def test_search_paging_and_totals(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add(*(sample_paper(f"2101.{n:05d}", title=f"Graph {n}") for n in range(25)))
    fake_arxiv.add(sample_paper("2102.00001", title="Unrelated"))
    answer = requests.get(
        fake_arxiv.api_url,
        params={"search_query": "ti:graph", "start": "20", "max_results": "10"},
        timeout=5,
    )
    parsed = _feed.parse(answer.content)
    assert parsed.header.total_results == 25 and parsed.header.start_index == 20
    assert len(parsed.results) == 5


def test_make_pdf_is_a_real_pdf_with_a_side_stamp() -> None:
    import pymupdf

    stamp = "arXiv:2101.00001v2 [cs.LG] 1 Jan 2021"
    data = make_pdf("Tiny Paper", ["First page text.", "Second."], stamp)
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-2048:]
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        assert doc.page_count == 2
        text = doc[0].get_text()
    assert "Tiny Paper" in text and "First page text." in text
    assert stamp in text


def test_versions_bump_with_new_pdfs(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add(sample_paper("2101.00001"))
    v1 = requests.get(fake_arxiv.pdf_url("2101.00001"), timeout=5).content
    fake_arxiv.bump_version("2101.00001")
    latest = requests.get(fake_arxiv.pdf_url("2101.00001"), timeout=5).content
    assert latest != v1 and latest.startswith(b"%PDF-")
    assert requests.get(fake_arxiv.pdf_url("2101.00001v1"), timeout=5).content == v1
    assert requests.get(fake_arxiv.pdf_url("2101.00001v2"), timeout=5).content == latest
    assert requests.get(fake_arxiv.pdf_url("2101.00001v3"), timeout=5).status_code == 404
    feed = requests.get(fake_arxiv.api_url, params={"id_list": "2101.00001"}, timeout=5).content
    assert b"<id>http://arxiv.org/abs/2101.00001v2</id>" in feed


def test_faults_are_served_in_order_and_logged(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add(sample_paper("2101.00001"))
    fake_arxiv.inject("api", "429", retry_after="7")
    fake_arxiv.inject("api", "empty")
    first = requests.get(fake_arxiv.api_url, params={"id_list": "2101.00001"}, timeout=5)
    assert first.status_code == 429 and first.headers["Retry-After"] == "7"
    second = requests.get(fake_arxiv.api_url, params={"id_list": "2101.00001"}, timeout=5)
    assert second.status_code == 200 and b"<entry>" not in second.content
    third = requests.get(fake_arxiv.api_url, params={"id_list": "2101.00001"}, timeout=5)
    assert b"<entry>" in third.content
    assert [r.fault for r in fake_arxiv.requests("api")] == ["429", "empty", None]
    assert fake_arxiv.requests("api")[0].query == {"id_list": "2101.00001"}
    with pytest.raises(requests.ConnectionError):
        fake_arxiv.inject("pdf", "reset")
        requests.get(fake_arxiv.pdf_url("2101.00001"), timeout=5)
    with pytest.raises(ValueError):
        fake_arxiv.inject("api", "gremlins")


def test_shared_catalogue_serves_real_pdfs(shared_data: Path) -> None:
    papers = catalogue_from_shared(shared_data)
    assert len(papers) >= 30
    first = papers[0]
    with FakeArxiv(papers) as server:
        answer = requests.get(server.pdf_url(f"{first.id}v{first.version}"), timeout=10)
        assert answer.content == Path(first.pdf_path).read_bytes()  # type: ignore[arg-type]
        feed = requests.get(server.api_url, params={"id_list": first.id}, timeout=10).content
    (result,) = _feed.parse(feed).results
    assert result.title == first.title
