"""What paperlab accepts from a hostile network: hosts, redirects, sizes, time.

The fake arXiv on 127.0.0.1 is the configured API host; a second fake on
127.0.0.2 plays a foreign host (Linux routes all of 127/8 to loopback), and
every test that could reach it checks it was never contacted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from paperlab.errors import DownloadError, NetworkError
from paperlab.ids import parse_arxiv_id
from paperlab.settings import load_settings
from paperlab.sources.arxiv import ArxivClient
from paperlab.sources.download import allowed_download_hosts, download_pdf
from tests import fakearxiv
from tests.fakearxiv import FakeArxiv, sample_paper

fake_arxiv = fakearxiv.fake_arxiv

PAPER = "1706.03762"


@pytest.fixture
def arxiv(fake_arxiv: FakeArxiv) -> FakeArxiv:
    fake_arxiv.add(sample_paper(PAPER, version=5))
    return fake_arxiv


@pytest.fixture
def foreign() -> Iterator[FakeArxiv]:
    """A second server on another loopback address, with the same paper."""
    server = FakeArxiv([sample_paper(PAPER, version=5)], host="127.0.0.2").start()
    try:
        yield server
    finally:
        server.stop()


def hostport(server: FakeArxiv) -> str:
    return server.url.removeprefix("http://")


def download(url: str, dest: Path, **kwargs: object) -> None:
    download_pdf(url, dest, settings=load_settings(), backoff_base=0.01, **kwargs)  # type: ignore[arg-type]


def api_client() -> ArxivClient:
    return ArxivClient(load_settings(), max_retries=2, backoff_base=0.01)


def leftovers(directory: Path) -> list[str]:
    if not directory.is_dir():
        return []
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".partial-"))


# --------------------------------------------------------------------------- foreign hosts


def test_backslash_userinfo_trick_in_a_pdf_link_is_refused(
    arxiv: FakeArxiv, foreign: FakeArxiv, tmp_path: Path
) -> None:
    # urlparse reads 127.0.0.1 (after the backslash); urllib3 connects to 127.0.0.2.
    url = f"http://{hostport(foreign)}\\@{hostport(arxiv)}/pdf/{PAPER}v5"
    with pytest.raises(DownloadError) as info:
        download(url, tmp_path / "a.pdf")
    assert info.value.message.startswith("Refusing to download")
    assert foreign.requests() == [] and arxiv.requests() == []
    assert not (tmp_path / "a.pdf").exists()


@pytest.mark.parametrize(
    "template",
    [
        "http://{foreign}@{arxiv}/pdf/1706.03762v5",  # a user name that looks like a host
        "http://{arxiv}/pdf/1706.03762v5\n",  # control characters
        "http://{arxiv}/pdf/1706.03762v5 x",
        "http://[::1/pdf/1706.03762v5",  # unparseable
        "http://127.0.0.1:99999/pdf/1706.03762v5",
        "",
    ],
)
def test_ambiguous_or_malformed_pdf_urls_are_refused(
    arxiv: FakeArxiv, foreign: FakeArxiv, tmp_path: Path, template: str
) -> None:
    url = template.format(foreign=hostport(foreign), arxiv=hostport(arxiv))
    with pytest.raises(DownloadError) as info:
        download(url, tmp_path / "a.pdf")
    assert info.value.message.startswith("Refusing to download")
    assert len(info.value.message) < 300
    assert foreign.requests() == [] and arxiv.requests() == []


@pytest.mark.parametrize("location", ["{foreign}{path}", "{foreign_bs}{path}"])
def test_pdf_redirects_off_the_allowed_hosts_are_refused(
    arxiv: FakeArxiv, foreign: FakeArxiv, tmp_path: Path, location: str
) -> None:
    target = location.format(
        foreign=foreign.url,
        foreign_bs=f"http://{hostport(foreign)}\\@{hostport(arxiv)}",
        path="{path}",
    )
    arxiv.inject("pdf", "redirect", location=target)
    with pytest.raises(DownloadError) as info:
        download(arxiv.pdf_url(f"{PAPER}v5"), tmp_path / "a.pdf")
    assert "Refusing to download" in info.value.message
    assert foreign.requests() == []
    assert len(arxiv.requests("pdf")) == 1  # a refusal is not retried


def test_pdf_redirect_on_the_same_host_is_followed(arxiv: FakeArxiv, tmp_path: Path) -> None:
    arxiv.inject("pdf", "redirect")  # to the same path
    download(arxiv.pdf_url(f"{PAPER}v5"), tmp_path / "a.pdf")
    assert (tmp_path / "a.pdf").read_bytes()[:5] == b"%PDF-"
    assert [r.fault for r in arxiv.requests("pdf")] == ["redirect", None]


def test_endless_redirects_stop(arxiv: FakeArxiv, tmp_path: Path) -> None:
    arxiv.inject("pdf", "redirect", count=20)
    with pytest.raises(DownloadError) as info:
        download(arxiv.pdf_url(f"{PAPER}v5"), tmp_path / "a.pdf", max_retries=0)
    assert "redirect" in info.value.message
    assert len(arxiv.requests("pdf")) <= 6


@pytest.mark.parametrize("location", ["{foreign}{path}", "{foreign_bs}{path}"])
def test_api_redirects_off_the_allowed_hosts_are_refused(
    arxiv: FakeArxiv, foreign: FakeArxiv, location: str
) -> None:
    target = location.format(
        foreign=foreign.url,
        foreign_bs=f"http://{hostport(foreign)}\\@{hostport(arxiv)}",
        path="{path}",
    )
    arxiv.inject("api", "redirect", location=target)
    batch = api_client().fetch_metadata([parse_arxiv_id(PAPER)])
    assert not batch.found
    error = batch.failed[PAPER]
    assert isinstance(error, NetworkError)
    assert error.message.startswith("Refusing") and "redirect" in error.message
    assert foreign.requests() == []
    assert len(arxiv.requests("api")) == 1


def test_api_redirect_on_the_same_host_is_followed(arxiv: FakeArxiv) -> None:
    arxiv.inject("api", "redirect")
    batch = api_client().fetch_metadata([parse_arxiv_id(PAPER)])
    assert PAPER in batch.found
    assert [r.fault for r in arxiv.requests("api")] == ["redirect", None]


def test_search_through_the_arxiv_package_cannot_be_redirected_off_host(
    arxiv: FakeArxiv, foreign: FakeArxiv
) -> None:
    arxiv.inject("api", "redirect", location=foreign.url + "{path}")
    with pytest.raises(NetworkError) as info:
        api_client().search("ti:study", max_results=5)
    assert "Refusing" in info.value.message
    assert foreign.requests() == []


def test_the_session_itself_refuses_foreign_hosts_at_every_hop(
    arxiv: FakeArxiv, foreign: FakeArxiv
) -> None:
    # Defence in depth: even with requests following redirects on its own,
    # every hop goes through the guarded adapter.
    from paperlab.sources.netguard import Refused, guarded_session

    session = guarded_session(allowed_download_hosts(load_settings()))
    arxiv.inject("pdf", "redirect", location=foreign.url + "{path}")
    with pytest.raises(Refused):
        session.get(arxiv.pdf_url(f"{PAPER}v5"), timeout=5, allow_redirects=True)
    with pytest.raises(Refused):
        session.get(foreign.pdf_url(f"{PAPER}v5"), timeout=5)
    assert foreign.requests() == []
    assert session.get(arxiv.pdf_url(f"{PAPER}v5"), timeout=5).status_code == 200
    session.close()


def test_the_allowed_hosts_come_from_the_host_requests_connects_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAPERLAB_ARXIV_API_URL", "http://Mirror.Example.ORG.:8080/api/query")
    assert "mirror.example.org" in allowed_download_hosts(load_settings())


# --------------------------------------------------------------------------- sizes


def test_an_endless_pdf_stops_at_the_size_cap(
    arxiv: FakeArxiv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERLAB_MAX_PDF_MB", "1")
    arxiv.inject("pdf", "endless")  # 64 MB of zeros after a PDF header, no length
    dest = tmp_path / "pdfs" / "a.pdf"
    with pytest.raises(DownloadError) as info:
        download(arxiv.pdf_url(f"{PAPER}v5"), dest)
    assert "larger than the 1 MB limit" in info.value.message
    assert "PAPERLAB_MAX_PDF_MB" in info.value.message
    assert not dest.exists() and leftovers(dest.parent) == []
    assert len(arxiv.requests("pdf")) == 1  # not worth a retry


def test_an_announced_oversize_pdf_is_refused_before_reading(
    arxiv: FakeArxiv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERLAB_MAX_PDF_MB", "1")
    arxiv.inject("pdf", "endless", declared_length=10 * 1024**3)
    dest = tmp_path / "a.pdf"
    with pytest.raises(DownloadError) as info:
        download(arxiv.pdf_url(f"{PAPER}v5"), dest)
    assert "larger than the 1 MB limit" in info.value.message
    assert not dest.exists() and leftovers(tmp_path) == []


def test_a_gzip_bomb_pdf_stops_at_the_size_cap(
    arxiv: FakeArxiv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERLAB_MAX_PDF_MB", "1")
    arxiv.inject("pdf", "gzip_bomb", size=64 * 1024**2)
    with pytest.raises(DownloadError) as info:
        download(arxiv.pdf_url(f"{PAPER}v5"), tmp_path / "a.pdf")
    assert "larger than the 1 MB limit" in info.value.message
    assert leftovers(tmp_path) == []


def test_a_gzip_bomb_api_answer_stops_at_the_size_cap(
    arxiv: FakeArxiv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERLAB_MAX_API_MB", "1")
    arxiv.inject("api", "gzip_bomb", size=64 * 1024**2)
    batch = api_client().fetch_metadata([parse_arxiv_id(PAPER)])
    error = batch.failed[PAPER]
    assert "larger than the 1 MB limit" in error.message
    assert "PAPERLAB_MAX_API_MB" in error.message
    assert len(arxiv.requests("api")) == 1


def test_an_endless_api_answer_stops_at_the_size_cap(
    arxiv: FakeArxiv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERLAB_MAX_API_MB", "1")
    arxiv.inject("api", "endless")
    batch = api_client().fetch_metadata([parse_arxiv_id(PAPER)])
    assert "larger than the 1 MB limit" in batch.failed[PAPER].message


def test_answers_within_the_caps_still_pass(
    arxiv: FakeArxiv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = len(arxiv.papers[PAPER].pdf_for(5))
    monkeypatch.setenv("PAPERLAB_MAX_PDF_MB", str(size / 1024**2))  # exactly the PDF's size
    monkeypatch.setenv("PAPERLAB_MAX_API_MB", "0.01")
    assert PAPER in api_client().fetch_metadata([parse_arxiv_id(PAPER)]).found
    download(arxiv.pdf_url(f"{PAPER}v5"), tmp_path / "a.pdf")
    assert (tmp_path / "a.pdf").stat().st_size == size


# --------------------------------------------------------------------------- time


def test_a_dripping_pdf_stops_at_the_deadline(
    arxiv: FakeArxiv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ten bytes every 0.1 s: no read ever waits the 1 s timeout.
    monkeypatch.setenv("PAPERLAB_HTTP_TIMEOUT", "1")
    monkeypatch.setenv("PAPERLAB_HTTP_DEADLINE", "1.5")
    arxiv.inject("pdf", "drip", delay=0.1, count=5)
    dest = tmp_path / "a.pdf"
    with pytest.raises(DownloadError) as info:
        download(arxiv.pdf_url(f"{PAPER}v5"), dest)
    assert "took longer than 1.5 s" in info.value.message
    assert "PAPERLAB_HTTP_DEADLINE" in info.value.message
    assert not dest.exists() and leftovers(tmp_path) == []


def test_a_dripping_api_answer_stops_at_the_deadline(
    arxiv: FakeArxiv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERLAB_HTTP_TIMEOUT", "1")
    monkeypatch.setenv("PAPERLAB_HTTP_DEADLINE", "1.5")
    arxiv.inject("api", "drip", delay=0.1, count=5)
    batch = api_client().fetch_metadata([parse_arxiv_id(PAPER)])
    error = batch.failed[PAPER]
    assert "within 1.5 s" in error.message and "PAPERLAB_HTTP_DEADLINE" in error.message


def test_a_session_used_after_a_deadline_still_works(
    arxiv: FakeArxiv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERLAB_HTTP_TIMEOUT", "1")
    monkeypatch.setenv("PAPERLAB_HTTP_DEADLINE", "1")
    client = api_client()
    arxiv.inject("api", "drip", delay=0.1)
    assert PAPER in client.fetch_metadata([parse_arxiv_id(PAPER)]).failed
    assert PAPER in client.fetch_metadata([parse_arxiv_id(PAPER)]).found
