"""PDF downloads from the fake arXiv: verified, atomic, retried, host-restricted."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from paperlab.errors import DownloadError
from paperlab.settings import load_settings
from paperlab.sources.download import (
    DownloadResult,
    allowed_download_hosts,
    clean_partials,
    download_pdf,
)
from tests import fakearxiv
from tests.fakearxiv import FakeArxiv, sample_paper

# The fixture, for modules run without the conftest registering the plugin.
fake_arxiv = fakearxiv.fake_arxiv

EPS = 0.05


@pytest.fixture
def paper(fake_arxiv: FakeArxiv) -> bytes:
    """One paper in the fake catalogue; returns its PDF bytes."""
    fake_arxiv.add(sample_paper("1706.03762", version=5))
    return fake_arxiv.papers["1706.03762"].pdf_for(5)


def fetch(fake: FakeArxiv, dest: Path, **kwargs: Any) -> DownloadResult:
    return download_pdf(
        fake.pdf_url("1706.03762v5"),
        dest,
        settings=load_settings(),
        backoff_base=0.01,
        **kwargs,
    )


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".partial-"))


def test_good_pdf_lands_complete_with_its_hash(
    fake_arxiv: FakeArxiv, paper: bytes, tmp_path: Path
) -> None:
    dest = tmp_path / "pdfs" / "1706.03762v5.pdf"
    seen: list[tuple[int, int | None]] = []
    result = fetch(fake_arxiv, dest, progress=lambda done, total: seen.append((done, total)))
    assert result.path == dest
    assert dest.read_bytes() == paper
    assert result.sha256 == hashlib.sha256(paper).hexdigest()
    assert result.size == len(paper)
    assert seen[-1] == (len(paper), len(paper))
    assert leftovers(dest.parent) == []
    assert fake_arxiv.requests("pdf")[0].user_agent.startswith("paperlab/")


def test_truncated_download_is_retried(fake_arxiv: FakeArxiv, paper: bytes, tmp_path: Path) -> None:
    fake_arxiv.inject("pdf", "truncate")
    dest = tmp_path / "a.pdf"
    fetch(fake_arxiv, dest)
    assert dest.read_bytes() == paper
    assert [r.fault for r in fake_arxiv.requests("pdf")] == ["truncate", None]
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("fault", ["truncate", "truncate_nolength", "reset"])
def test_persistent_truncation_fails_and_keeps_the_old_file(
    fake_arxiv: FakeArxiv, paper: bytes, tmp_path: Path, fault: str
) -> None:
    dest = tmp_path / "a.pdf"
    dest.write_bytes(b"%PDF-1.4 the complete previous version %%EOF")
    fake_arxiv.inject("pdf", fault, count=3)
    with pytest.raises(DownloadError) as info:
        fetch(fake_arxiv, dest, max_retries=2)
    assert "failed after 3 tries" in info.value.message
    assert info.value.retries == 2 and info.value.url.endswith("/pdf/1706.03762v5")
    assert dest.read_bytes() == b"%PDF-1.4 the complete previous version %%EOF"
    assert leftovers(tmp_path) == []


def test_html_served_as_pdf_is_rejected(
    fake_arxiv: FakeArxiv, paper: bytes, tmp_path: Path
) -> None:
    fake_arxiv.inject("pdf", "html")
    dest = tmp_path / "a.pdf"
    with pytest.raises(DownloadError) as info:
        fetch(fake_arxiv, dest)
    assert "served an HTML page instead of a PDF" in info.value.message
    assert not dest.exists() and leftovers(tmp_path) == []
    assert len(fake_arxiv.requests("pdf")) == 1


def test_503_with_retry_after_then_success(
    fake_arxiv: FakeArxiv, paper: bytes, tmp_path: Path
) -> None:
    fake_arxiv.inject("pdf", "503", retry_after="1")
    fetch(fake_arxiv, tmp_path / "a.pdf")
    first, second = fake_arxiv.requests("pdf")
    assert second.time - first.time >= 1.0 - EPS


def test_slow_download_times_out_and_is_retried(
    fake_arxiv: FakeArxiv, paper: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERLAB_HTTP_TIMEOUT", "0.3")
    fake_arxiv.inject("pdf", "slow", delay=1.5)
    fetch(fake_arxiv, tmp_path / "a.pdf")
    assert (tmp_path / "a.pdf").read_bytes() == paper


def test_missing_pdf_is_not_retried(fake_arxiv: FakeArxiv, tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as info:
        download_pdf(fake_arxiv.pdf_url("2101.99999"), tmp_path / "x.pdf", settings=load_settings())
    assert "HTTP 404" in info.value.message
    assert len(fake_arxiv.requests("pdf")) == 1


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/pdf/1706.03762",
        "file:///etc/passwd",
        "ftp://arxiv.org/pdf/1706.03762",
    ],
)
def test_other_hosts_are_refused(fake_arxiv: FakeArxiv, tmp_path: Path, url: str) -> None:
    with pytest.raises(DownloadError) as info:
        download_pdf(url, tmp_path / "x.pdf", settings=load_settings())
    assert "Refusing to download" in info.value.message
    assert fake_arxiv.requests() == [] and not (tmp_path / "x.pdf").exists()


def test_explicit_allowed_hosts_replace_the_defaults(
    fake_arxiv: FakeArxiv, paper: bytes, tmp_path: Path
) -> None:
    with pytest.raises(DownloadError):
        fetch(fake_arxiv, tmp_path / "a.pdf", allowed_hosts={"arxiv.org"})
    assert fake_arxiv.requests() == []


def test_allowed_hosts_are_arxiv_and_the_api_host(fake_arxiv: FakeArxiv) -> None:
    hosts = allowed_download_hosts(load_settings())
    assert {"arxiv.org", "export.arxiv.org", "127.0.0.1"} <= hosts


def test_downloads_are_paced_apart_from_the_api(
    fake_arxiv: FakeArxiv, paper: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERLAB_ARXIV_DELAY", "0.6")
    fetch(fake_arxiv, tmp_path / "a.pdf")
    fetch(fake_arxiv, tmp_path / "b.pdf")
    first, second = fake_arxiv.requests("pdf")
    assert second.time - first.time >= 0.2 - EPS
    # PDF downloads do not use up the API's slots.
    assert not load_settings().rate_limit_file.exists()


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_clean_partials_removes_only_abandoned_files(tmp_path: Path) -> None:
    dead = tmp_path / f".partial-hep-th_9901001v2-{_dead_pid()}-ab12cd34"
    live = tmp_path / f".partial-1706.03762v5-{os.getpid()}-0011aabb"
    stale = tmp_path / f".partial-1706.03762v4-{os.getpid()}-ffee0011"
    odd = tmp_path / ".partial-no-pid-here"
    keep = tmp_path / "1706.03762v5.pdf"
    for path in (dead, live, stale, odd, keep):
        path.write_bytes(b"x")
    old = time.time() - 600
    os.utime(stale, (old, old))
    removed = clean_partials(tmp_path)
    assert sorted(p.name for p in removed) == sorted([dead.name, stale.name, odd.name])
    assert live.exists() and keep.exists()
    assert clean_partials(tmp_path / "absent") == []
