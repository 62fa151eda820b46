"""Politeness toward arXiv: machine-wide pacing, backoff and ``Retry-After``.

``ApiRateLimiter`` keeps at most one request every ``interval`` seconds.

arXiv asks API clients for no more than one request every three seconds. Two
paperlab processes (a CLI fetch while the TUI refreshes, two terminals) must
share that budget, so the time of the last request lives in a file in the
data dir and every process takes an exclusive ``flock`` on a companion lock
file before reading it, sleeping out the remainder and writing its own time.

The stamp is written in place under the lock rather than via rename: renaming
would not break the lock (it is on a separate file), but in-place writing
keeps the file's identity stable and a torn write is handled like any other
corrupt stamp: it is ignored, which costs at most one interval of politeness.
"""

from __future__ import annotations

import email.utils
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no fcntl.
    # Without flock we can only pace requests inside this process; a second
    # process on the same machine is then not held back. Acceptable on such
    # platforms: arXiv's limit is a politeness rule, not a hard failure.
    fcntl = None  # type: ignore[assignment]

# One lock per stamp path inside a process: flock already serialises threads
# that open the lock file separately, but a thread lock keeps the fallback
# path (no fcntl) correct and avoids burning file descriptors on contention.
_THREAD_LOCKS: dict[Path, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


def _thread_lock(path: Path) -> threading.Lock:
    with _THREAD_LOCKS_GUARD:
        lock = _THREAD_LOCKS.get(path)
        if lock is None:
            lock = _THREAD_LOCKS[path] = threading.Lock()
        return lock


logger = logging.getLogger(__name__)


class ApiRateLimiter:
    """Spaces request *starts* at least ``interval`` seconds apart, machine-wide.

    Use ``limiter.wait_turn()`` right before sending a request, or
    ``with limiter:`` around the send (the turn is taken on entry; nothing is
    held while the request runs, so a slow answer does not block others
    longer than the interval demands).
    """

    def __init__(self, stamp_path: Path, interval: float) -> None:
        self.stamp_path = Path(stamp_path)
        self.interval = max(0.0, float(interval))
        self.lock_path = self.stamp_path.with_name(self.stamp_path.name + ".lock")

    def __repr__(self) -> str:
        return f"ApiRateLimiter({str(self.stamp_path)!r}, interval={self.interval:g})"

    def __enter__(self) -> ApiRateLimiter:
        self.wait_turn()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def wait_turn(self) -> float:
        """Block until this process may start a request; return the seconds slept."""
        if self.interval <= 0:
            return 0.0
        self.stamp_path.parent.mkdir(parents=True, exist_ok=True)
        with _thread_lock(self.stamp_path), self._file_lock():
            last = self._read_stamp()
            now = time.time()
            slept = 0.0
            if last is not None:
                # A stamp in the future means the wall clock went backwards (or
                # a bogus file): never wait longer than one interval for it.
                remainder = min(self.interval, last + self.interval - now)
                if remainder > 0:
                    time.sleep(remainder)
                    slept = remainder
            taken = time.time()
            self._write_stamp(taken)
            # Written under the lock, so every process's turns form one sequence.
            logger.debug(
                "turn on %s taken at %.6f after %.3f s", self.stamp_path.name, taken, slept
            )
            return slept

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        if fcntl is None:  # pragma: no cover - see the import above.
            yield
            return
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _read_stamp(self) -> float | None:
        """The last request's start time, or None when absent or unreadable."""
        try:
            raw = self.stamp_path.read_text(encoding="ascii", errors="replace").strip()
        except OSError:
            return None
        try:
            value = float(raw)
        except ValueError:
            return None  # empty or corrupt: behave as if no request was recorded
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return value

    def _write_stamp(self, when: float) -> None:
        fd = os.open(self.stamp_path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            data = f"{when:.6f}\n".encode("ascii")
            os.ftruncate(fd, 0)
            os.write(fd, data)
        finally:
            os.close(fd)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a transient failure.

    ``max_retries`` retries follow the first try, so a request is sent at most
    ``max_retries + 1`` times. Waits grow as ``backoff_base * 2**retry``
    (capped at ``backoff_max``); a server's ``Retry-After`` is honoured up to
    ``retry_after_max`` so a misconfigured mirror cannot park us for hours.
    """

    max_retries: int = 3
    backoff_base: float = 2.0
    backoff_max: float = 60.0
    retry_after_max: float = 120.0

    @property
    def tries(self) -> int:
        return self.max_retries + 1

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0 for the first retry)."""
        backoff = min(self.backoff_max, self.backoff_base * (2**retry))
        if retry_after is None:
            return backoff
        return max(backoff, min(self.retry_after_max, retry_after))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def user_agent() -> str:
    """The User-Agent every request carries, so arXiv can tell who is calling."""
    from paperlab import __version__

    return f"paperlab/{__version__} (+https://github.com/paperlab)"


def describe_request_error(exc: BaseException, timeout: float) -> str:
    """A short human reason for a transport failure from ``requests``."""
    import requests

    text = str(exc).lower()
    if isinstance(exc, requests.Timeout) or "timed out" in text:
        return f"timed out after {timeout:g} s"
    if "refused" in text:
        return "connection refused"
    if "reset" in text:
        return "connection reset"
    if "name or service" in text or "resolve" in text or "getaddrinfo" in text:
        return "host not found"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError) or "incompleteread" in text:
        return "answer cut short"
    if "aborted" in text or "remotedisconnected" in text or "closed" in text:
        return "connection closed"
    return "connection failed"
