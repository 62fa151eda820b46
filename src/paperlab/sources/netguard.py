"""What paperlab accepts from the network: which hosts, how many hops, how much, how long.

Every request to arXiv (API pages and PDFs) goes through these checks:

- **The host the connection really uses.** ``urllib.parse`` and urllib3 read
  some URLs differently: for ``http://a:1\\@b:2/x`` urlparse says ``b`` while
  urllib3 (and so requests) connects to ``a``. The host is therefore taken from
  the URL as requests prepares it, parsed by urllib3, and URLs with a
  backslash, whitespace, control characters or a user name (``user@host``)
  are refused outright: arXiv never sends such links.
- **Redirects** are followed by hand (``open_response``), at most
  ``MAX_REDIRECTS`` hops, each checked. The session's adapter checks every
  request it sends too, so a code path that lets requests follow redirects on
  its own still cannot leave the allowed hosts.
- **Size**: callers read bodies through ``read_capped`` or count while
  streaming; urllib3 decompresses a chunk at a time, so a gzip bomb is
  stopped at the cap instead of being inflated in memory.
- **Time**: a ``Deadline`` shuts the sockets of the requests made under it
  (on its thread) when it runs out. A per-read timeout alone never ends a
  server that drips a few bytes just before each timeout.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any
from urllib.parse import urljoin

import requests
import requests.adapters
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import parse_url

MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
_SHOWN_URL = 120
_BAD_URL = "the URL is not a valid http(s) URL"


class Refused(Exception):
    """A URL or redirect paperlab will not follow; never worth a retry."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TooLarge(Exception):
    """An answer bigger than its cap."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


class DeadlineExceeded(Exception):
    """The overall time for a request ran out."""


def shown(text: str, limit: int = _SHOWN_URL) -> str:
    """``text`` fit for a one-line message: bounded, control characters escaped."""
    clipped = text if len(text) <= limit else text[:limit] + "..."
    return clipped if clipped.isprintable() else repr(clipped)


def normal_host(host: str) -> str:
    """Hosts compare lowercased and without the trailing dot of a rooted name."""
    return host.lower().rstrip(".")


def connect_host(url: str) -> str:
    """The host requests will connect to for ``url``; Refused when that is not clear."""
    if any(c == "\\" or c.isspace() or not c.isprintable() for c in url):
        raise Refused("the URL contains a backslash, whitespace or a control character")
    try:
        prepared = requests.Request("GET", url).prepare().url or ""
    except (requests.RequestException, ValueError, urllib3.exceptions.HTTPError):
        raise Refused(_BAD_URL) from None
    return prepared_host(prepared)


def prepared_host(prepared_url: str) -> str:
    """The host of a URL as requests has prepared it (what urllib3 connects to)."""
    try:
        parsed = parse_url(prepared_url)
        port = parsed.port  # out-of-range ports fail here or in parse_url
    except (ValueError, urllib3.exceptions.HTTPError):
        raise Refused(_BAD_URL) from None
    if parsed.scheme not in ("http", "https") or not parsed.host or (port is not None and port < 1):
        raise Refused(_BAD_URL)
    if parsed.auth is not None:
        raise Refused("the URL names a user before '@'")
    return normal_host(parsed.host)


def check_url(url: str, allowed: Iterable[str]) -> str:
    """The host ``url`` connects to, when it is one of ``allowed``; else Refused."""
    host = connect_host(url)
    if host not in allowed:
        raise Refused(f"{shown(host, 60)} is not an arXiv host")
    return host


# --------------------------------------------------------------------------- deadlines

_LOCAL = threading.local()


def _current_deadline() -> Deadline | None:
    stack: list[Deadline] = getattr(_LOCAL, "deadlines", [])
    return stack[-1] if stack else None


class Deadline:
    """Ends the requests made under it on this thread once ``seconds`` have passed.

    ``with Deadline(60) as deadline:`` around the requests; the guarded
    connections register their socket with the innermost deadline of their
    thread, and a timer shuts those sockets down when time is up (a blocked
    read then returns at once). Callers check ``expired`` to tell that apart
    from a real network failure, and ``check()`` between reads.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        if not hasattr(_LOCAL, "deadlines"):
            _LOCAL.deadlines = []
        _LOCAL.deadlines.append(self)
        self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._timer.cancel()
        with contextlib.suppress(ValueError):
            _LOCAL.deadlines.remove(self)
        with self._lock:
            self._sockets.clear()

    @property
    def expired(self) -> bool:
        return self._expired or time.monotonic() >= self._end

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def check(self) -> None:
        if self.expired:
            raise DeadlineExceeded()

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if not self._expired:
                self._sockets.append(sock)
                return
        _shutdown(sock)

    def _expire(self) -> None:
        with self._lock:
            self._expired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    # shutdown (not close) wakes a thread blocked in recv on this socket.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _watch_current(sock: socket.socket | None) -> None:
    deadline = _current_deadline()
    if deadline is not None:
        deadline.watch(sock)


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().request(*args, **kwargs)
        finally:
            # Registered per request, not per connect: pooled sockets are reused.
            _watch_current(self.sock)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().request(*args, **kwargs)
        finally:
            _watch_current(self.sock)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class GuardedAdapter(requests.adapters.HTTPAdapter):
    """Sends only to ``allowed`` hosts, and only under the thread's deadline."""

    def __init__(self, allowed: Iterable[str]) -> None:
        self.allowed = frozenset(normal_host(h) for h in allowed)
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        host = prepared_host(request.url or "")
        if host not in self.allowed:
            raise Refused(f"{shown(host, 60)} is not an arXiv host")
        deadline = _current_deadline()
        if deadline is not None:
            deadline.check()
        return super().send(request, *args, **kwargs)


def guard_session(session: requests.Session, allowed: Iterable[str]) -> requests.Session:
    """Make ``session`` send only to ``allowed`` hosts, a bounded number of hops."""
    adapter = GuardedAdapter(allowed)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.max_redirects = MAX_REDIRECTS
    return session


def guarded_session(allowed: Iterable[str]) -> requests.Session:
    return guard_session(requests.Session(), allowed)


# --------------------------------------------------------------------------- requests


@contextlib.contextmanager
def open_response(
    session: requests.Session,
    url: str,
    *,
    allowed: Iterable[str],
    timeout: float,
    before_each: Callable[[], object] | None = None,
) -> Iterator[tuple[requests.Response, str]]:
    """GET ``url`` streamed, following redirects on ``allowed`` hosts by hand.

    Yields the final response and its URL. ``before_each`` runs before every
    hop (the rate limiter: a redirect is another request to the server).
    """
    allowed = frozenset(allowed)
    check_url(url, allowed)
    for _ in range(MAX_REDIRECTS + 1):
        if before_each is not None:
            before_each()
        deadline = _current_deadline()
        if deadline is not None:
            deadline.check()
        resp = session.get(url, stream=True, timeout=(timeout, timeout), allow_redirects=False)
        if resp.is_redirect:
            location = resp.headers.get("Location", "")
            resp.close()
            url = _redirect_target(url, location, allowed)
            continue
        with resp:
            yield resp, url
        return
    raise Refused(f"it redirects more than {MAX_REDIRECTS} times")


def _redirect_target(url: str, location: str, allowed: frozenset[str]) -> str:
    try:
        target = urljoin(url, location)
        check_url(target, allowed)
    except Refused as exc:
        raise Refused(f"it redirects to {shown(location)} and {exc.reason}") from None
    except ValueError:
        raise Refused(f"it redirects to {shown(location)} and {_BAD_URL}") from None
    return target


def declared_length(resp: requests.Response) -> int | None:
    """The body's length from Content-Length, when it is the decoded length."""
    # A compressed transfer's length is that of the encoded bytes, not ours.
    if resp.headers.get("Content-Encoding", "identity").lower() not in ("", "identity"):
        return None
    raw = resp.headers.get("Content-Length")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def read_capped(resp: requests.Response, limit: int) -> bytes:
    """The whole (decoded) body, or TooLarge as soon as it passes ``limit`` bytes."""
    announced = declared_length(resp)
    if announced is not None and announced > limit:
        raise TooLarge(limit)
    deadline = _current_deadline()
    body = bytearray()
    for chunk in resp.iter_content(chunk_size=_CHUNK):
        body += chunk
        if len(body) > limit:
            raise TooLarge(limit)
        if deadline is not None:
            deadline.check()
    if deadline is not None:
        deadline.check()  # a body ended by the deadline's shutdown is not an answer
    return bytes(body)


def allowed_hosts(api_url: str, extra: Iterable[str]) -> set[str]:
    """``extra`` plus the host the API URL connects to."""
    hosts = {normal_host(h) for h in extra}
    with contextlib.suppress(Refused):
        hosts.add(connect_host(api_url))
    return hosts
