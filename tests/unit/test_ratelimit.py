"""Machine-wide pacing, backoff and Retry-After parsing."""

from __future__ import annotations

import itertools
import logging
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
from tests.helpers import api_turns

# The fixture, for modules run without the conftest registering the plugin.
fake_arxiv = fakearxiv.fake_arxiv


def _logged_turns(caplog: pytest.LogCaptureFixture) -> list[float]:
    return api_turns("\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records), "api.last")


def test_turns_are_spaced_by_the_interval(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    limiter = ApiRateLimiter(tmp_path / "sub" / "api.last", 0.3)
    with caplog.at_level(logging.DEBUG, logger="paperlab.sources.ratelimit"):
        for _ in range(3):
            limiter.wait_turn()
    turns = _logged_turns(caplog)
    assert len(turns) == 3
    assert all(b - a >= 0.3 - 1e-6 for a, b in itertools.pairwise(turns)), turns
    assert float((tmp_path / "sub" / "api.last").read_text()) == pytest.approx(turns[-1])


def test_context_manager_takes_a_turn(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    limiter = ApiRateLimiter(tmp_path / "api.last", 0.2)
    with caplog.at_level(logging.DEBUG, logger="paperlab.sources.ratelimit"):
        with limiter:
            pass
        with limiter:
            pass
    first, second = _logged_turns(caplog)
    assert second - first >= 0.2 - 1e-6


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
import logging
import sys
from paperlab.ids import parse_arxiv_id
from paperlab.settings import load_settings
from paperlab.sources.arxiv import ArxivClient

# The limiter's own record of each turn it granted, to a file the test reads.
logging.basicConfig(filename=sys.argv[2], level=logging.DEBUG, format="%(name)s %(message)s")
client = ArxivClient(load_settings(), backoff_base=0.01)
for _ in range(3):
    batch = client.fetch_metadata([parse_arxiv_id(sys.argv[1])])
    assert batch.found, batch
"""


@pytest.mark.slow
def test_two_processes_share_the_interval(
    fake_arxiv: FakeArxiv, paperlab_home: Path, tmp_path: Path
) -> None:
    fake_arxiv.add(sample_paper("2101.00001"), sample_paper("2101.00002"))
    env = dict(os.environ, PAPERLAB_ARXIV_DELAY="0.3")
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    children = [
        subprocess.Popen([sys.executable, "-c", _CHILD, base, str(log)], env=env)
        for base, log in zip(("2101.00001", "2101.00002"), logs, strict=True)
    ]
    assert [c.wait(timeout=60) for c in children] == [0, 0]
    requests = fake_arxiv.requests("api")
    assert len(requests) == 6
    # Both processes made requests, each after a turn of its own.
    assert {r.query["id_list"] for r in requests} == {"2101.00001", "2101.00002"}
    first, second = (api_turns(log.read_text(encoding="utf-8")) for log in logs)
    assert len(first) == len(second) == 3
    # The turns of both, taken under one lock, form one sequence spaced by the
    # interval: what the limiter decided, not when a busy machine delivered it
    # (arrival times at the server shrink by any scheduling delay). Budgets not
    # shared would put the two processes' turns ~0 s apart.
    turns = sorted(first + second)
    gaps = [b - a for a, b in itertools.pairwise(turns)]
    assert min(gaps) >= 0.3 - 1e-6, gaps


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
