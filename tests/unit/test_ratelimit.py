"""Machine-wide pacing, backoff and Retry-After parsing."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paperlab.sources.ratelimit import ApiRateLimiter, RetryPolicy, parse_retry_after, user_agent
from tests import fakearxiv
from tests.fakearxiv import FakeArxiv, sample_paper

# The fixture, for modules run without the conftest registering the plugin.
fake_arxiv = fakearxiv.fake_arxiv

EPS = 0.05
# How late a request may reach the server after its turn, across processes on a busy machine.
SCHEDULING_DELAY = 0.1


def test_turns_are_spaced_by_the_interval(tmp_path: Path) -> None:
    limiter = ApiRateLimiter(tmp_path / "sub" / "api.last", 0.3)
    starts = []
    for _ in range(3):
        limiter.wait_turn()
        starts.append(time.monotonic())
    assert all(b - a >= 0.3 - EPS for a, b in itertools.pairwise(starts))
    assert float((tmp_path / "sub" / "api.last").read_text()) > 0


def test_context_manager_takes_a_turn(tmp_path: Path) -> None:
    limiter = ApiRateLimiter(tmp_path / "api.last", 0.2)
    with limiter:
        first = time.monotonic()
    with limiter:
        second = time.monotonic()
    assert second - first >= 0.2 - EPS


@pytest.mark.parametrize("content", [b"", b"garbage\n", b"\x00\xff\xfe", b"nan", b"inf"])
def test_a_corrupt_stamp_is_survived_and_rewritten(tmp_path: Path, content: bytes) -> None:
    stamp = tmp_path / "api.last"
    stamp.write_bytes(content)
    limiter = ApiRateLimiter(stamp, 5.0)
    assert limiter.wait_turn() == 0.0  # no usable previous time: no wait
    assert abs(float(stamp.read_text()) - time.time()) < 5


def test_a_stamp_in_the_future_waits_at_most_one_interval(tmp_path: Path) -> None:
    stamp = tmp_path / "api.last"
    stamp.write_text(f"{time.time() + 3600:.6f}\n")
    slept = ApiRateLimiter(stamp, 0.2).wait_turn()
    assert 0 < slept <= 0.2


def test_zero_interval_never_touches_the_disk(tmp_path: Path) -> None:
    limiter = ApiRateLimiter(tmp_path / "nowhere" / "api.last", 0)
    assert limiter.wait_turn() == 0.0
    assert not (tmp_path / "nowhere").exists()


_CHILD = """
import sys
from paperlab.ids import parse_arxiv_id
from paperlab.settings import load_settings
from paperlab.sources.arxiv import ArxivClient

client = ArxivClient(load_settings(), backoff_base=0.01)
for _ in range(3):
    batch = client.fetch_metadata([parse_arxiv_id(sys.argv[1])])
    assert batch.found, batch
"""


@pytest.mark.slow
def test_two_processes_share_the_interval(
    fake_arxiv: FakeArxiv, paperlab_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_arxiv.add(sample_paper("2101.00001"), sample_paper("2101.00002"))
    env = dict(os.environ, PAPERLAB_ARXIV_DELAY="0.3")
    children = [
        subprocess.Popen([sys.executable, "-c", _CHILD, base], env=env)
        for base in ("2101.00001", "2101.00002")
    ]
    assert [c.wait(timeout=60) for c in children] == [0, 0]
    requests = fake_arxiv.requests("api")
    assert len(requests) == 6
    # Both processes made requests, interleaved under one shared budget.
    assert {r.query["id_list"] for r in requests} == {"2101.00001", "2101.00002"}
    times = sorted(r.time for r in requests)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # The server sees a request a little after its turn was taken, later still
    # when the sender was waiting for a busy core (0.249 s was seen between two
    # turns 0.3 s apart with every core running tests): so a gap may shrink by
    # one such delay, while the six turns together still span five intervals.
    # Budgets not shared would put the two processes' turns ~0 s apart.
    assert min(gaps) >= 0.3 - SCHEDULING_DELAY, gaps
    assert times[-1] - times[0] >= 5 * 0.3 - SCHEDULING_DELAY, gaps


def test_retry_policy_backs_off_exponentially_and_caps() -> None:
    policy = RetryPolicy(max_retries=3, backoff_base=0.5, backoff_max=3.0, retry_after_max=10.0)
    assert policy.tries == 4
    assert [policy.delay(i) for i in range(4)] == [0.5, 1.0, 2.0, 3.0]
    assert policy.delay(0, retry_after=7.0) == 7.0
    assert policy.delay(0, retry_after=600.0) == 10.0  # capped
    assert policy.delay(2, retry_after=0.0) == 2.0  # never less than the backoff


def test_retry_after_parses_seconds_and_http_dates() -> None:
    now = datetime(2026, 4, 12, 22, 0, 0, tzinfo=UTC)
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after(" 120 ") == 120.0
    assert parse_retry_after("Sun, 12 Apr 2026 22:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Sun, 12 Apr 2026 21:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("") is None
    assert parse_retry_after(None) is None


def test_user_agent_names_paperlab() -> None:
    from paperlab import __version__

    assert user_agent().startswith(f"paperlab/{__version__} (+https://")
