"""Real arXiv API answers (recorded) through the client's parsing path."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from paperlab.sources.arxiv import ArxivQueryError, parse_response


def recorded(shared_data: Path) -> list[Path]:
    files = sorted((shared_data / "arxiv_api" / "recorded_json").glob("*.json"))
    if not files:
        pytest.skip("no recorded arXiv responses")
    return files


def test_every_recorded_answer_parses(shared_data: Path) -> None:
    checked = 0
    for path in recorded(shared_data):
        record = json.loads(path.read_text(encoding="utf-8"))
        body = record["body"].encode("utf-8")
        if record["status_code"] != 200:
            continue
        page = parse_response(record["status_code"], body, url=record["url"])
        entries = len(re.findall(rb"<entry>", body))
        assert len(page.papers) == entries, path.name
        total = int(re.search(rb"<opensearch:totalResults>(\d+)<", body)[1])  # type: ignore[index]
        assert page.total_results == total
        for meta in page.papers:
            assert meta.arxiv_id.version is not None, path.name
            assert meta.title and "  " not in meta.title and "\n" not in meta.title
            assert meta.authors and all(a.strip() == a for a in meta.authors)
            assert meta.published.tzinfo is not None and meta.updated.tzinfo is not None
            assert meta.published <= meta.updated
            assert meta.primary_category in meta.categories
            assert meta.pdf_url.startswith("https://arxiv.org/pdf/")
        checked += 1
    assert checked >= 15


def test_recorded_id_answers_match_their_ids(shared_data: Path) -> None:
    base = shared_data / "arxiv_api" / "recorded_json"
    if not base.is_dir():
        pytest.skip("no recorded arXiv responses")

    def load(name: str) -> list[str]:
        (path,) = base.glob(f"{name}_s0_m100_*.json")
        record = json.loads(path.read_text(encoding="utf-8"))
        page = parse_response(record["status_code"], record["body"].encode(), url=record["url"])
        return [str(m.arxiv_id) for m in page.papers]

    assert load("id_astro-ph_0601001") == ["astro-ph/0601001v1"]
    assert load("id_quant-ph_0201082v1") == ["quant-ph/0201082v1"]
    assert load("id_2104.12255v1") == ["2104.12255v1"]
    assert load("id_0000.0000") == []  # no such paper: an empty, valid answer
    assert load("id_0808.05394_1707.08567") == ["1707.08567v1"]


def test_recorded_optional_fields(shared_data: Path) -> None:
    base = shared_data / "arxiv_api" / "recorded_json"
    paths = list(base.glob("id_astro-ph_0601001_*.json"))
    if not paths:
        pytest.skip("recorded astro-ph answer absent")
    record = json.loads(paths[0].read_text(encoding="utf-8"))
    (meta,) = parse_response(200, record["body"].encode()).papers
    assert meta.journal_ref == "ActaAstron.56:1-50,2006"
    assert meta.comment and meta.comment.startswith("62 pages")
    assert meta.doi is None
    assert meta.authors[0] == "Andrew Gould"
    assert meta.abstract.startswith("We derive the frequencies")  # leading blanks gone
    assert "&lt;" not in meta.abstract and "V_max<17.5" in meta.abstract


def test_recorded_error_feed_names_the_bad_id(shared_data: Path) -> None:
    paths = list((shared_data / "arxiv_api" / "recorded_json").glob("id_abc_*.json"))
    if not paths:
        pytest.skip("recorded error feed absent")
    record = json.loads(paths[0].read_text(encoding="utf-8"))
    assert record["status_code"] == 400
    with pytest.raises(ArxivQueryError) as info:
        parse_response(400, record["body"].encode(), url=record["url"])
    assert info.value.bad_id == "abc"
    assert info.value.message == "arXiv rejected the id 'abc': incorrect id format for abc."
    assert info.value.url == record["url"]


def test_legacy_feeds_parse(shared_data: Path) -> None:
    files = sorted((shared_data / "arxiv_api" / "legacy_2016").glob("*.xml"))
    if not files:
        pytest.skip("no legacy feeds")
    for path in files:
        body = path.read_bytes()
        page = parse_response(200, body)
        assert len(page.papers) == body.count(b"<entry>"), path.name
