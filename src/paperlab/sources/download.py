"""Download arXiv PDFs safely: allowed hosts only, verified, atomic.

The final path only ever appears through ``os.replace`` of a complete,
checked, fsynced temp file from the same directory, so a killed process
leaves at worst a ``.partial-*`` file, which ``clean_partials`` removes later.

What the network may send is bounded (``paperlab.sources.netguard``): only
allowed hosts, checked at every redirect; at most ``PAPERLAB_MAX_PDF_MB``; and
the whole download, retries included, within ``PAPERLAB_HTTP_DEADLINE``.

PDF downloads are not API requests, so they do not take the API's slots, but
arXiv asks for politeness there too: downloads are paced machine-wide by
their own limiter (stamp ``<home>/arxiv-pdf.last``) at a third of
``PAPERLAB_ARXIV_DELAY`` (one second with the default three), see
``PDF_DELAY_FACTOR``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from paperlab.errors import DownloadError
from paperlab.settings import ARXIV_PDF_HOSTS, MB, Settings, load_settings
from paperlab.sources.netguard import (
    Deadline,
    DeadlineExceeded,
    Refused,
    TooLarge,
    allowed_hosts,
    check_url,
    declared_length,
    guard_session,
    normal_host,
    open_response,
    shown,
)
from paperlab.sources.ratelimit import (
    ApiRateLimiter,
    RetryPolicy,
    describe_request_error,
    parse_retry_after,
    user_agent,
)

logger = logging.getLogger(__name__)

PDF_DELAY_FACTOR = 1 / 3
PARTIAL_PREFIX = ".partial-"
# A partial file untouched this long belongs to a download that is not running.
STALE_PARTIAL_SECONDS = 60.0
_TAIL_BYTES = 2048
_CHUNK = 64 * 1024
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_HINT = "Check your connection; run the command again to resume."


@dataclass(frozen=True)
class DownloadResult:
    """A complete PDF at ``path``."""

    path: Path
    sha256: str
    size: int


class _Transient(Exception):
    """A failure worth another try."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def allowed_download_hosts(settings: Settings) -> set[str]:
    """arXiv's PDF hosts plus the host of the configured API (a mirror or test server)."""
    return allowed_hosts(settings.arxiv_api_url, ARXIV_PDF_HOSTS)


def arxiv_pdf_url(settings: Settings, versioned_id: str) -> str:
    """Where arXiv serves ``versioned_id``'s PDF (``1706.03762v5``), without asking the API.

    arXiv's own API host sends PDFs to arxiv.org; a configured
    ``PAPERLAB_ARXIV_API_URL`` (a mirror, a test server) serves them under
    ``/pdf/`` on its own host, as arXiv's hosts all do.
    """
    api = urlsplit(settings.arxiv_api_url)
    if normal_host(api.hostname or "") in ARXIV_PDF_HOSTS:
        return f"https://arxiv.org/pdf/{versioned_id}"
    return f"{api.scheme}://{api.netloc}/pdf/{versioned_id}"


def pdf_limiter(settings: Settings) -> ApiRateLimiter:
    """The machine-wide pacing for PDF downloads (separate from the API's)."""
    return ApiRateLimiter(settings.home / "arxiv-pdf.last", settings.arxiv_delay * PDF_DELAY_FACTOR)


def _refusal(
    url: str, exc: Refused | TooLarge | DeadlineExceeded, settings: Settings
) -> DownloadError:
    """What to tell the user when the network sent something we do not accept."""
    if isinstance(exc, TooLarge):
        return DownloadError(
            f"{shown(url)} is larger than the {exc.limit / MB:g} MB limit (PAPERLAB_MAX_PDF_MB).",
            "Raise PAPERLAB_MAX_PDF_MB if this paper's PDF really is that large.",
            url=url,
        )
    if isinstance(exc, DeadlineExceeded):
        return DownloadError(
            f"Downloading {shown(url)} took longer than {settings.http_deadline:g} s"
            " (PAPERLAB_HTTP_DEADLINE).",
            "Raise PAPERLAB_HTTP_DEADLINE on a slow connection; run the command again to resume.",
            url=url,
        )
    return DownloadError(
        f"Refusing to download {shown(url)}: {exc.reason}.",
        "Only arxiv.org and the configured PAPERLAB_ARXIV_API_URL host are allowed.",
        url=url,
    )


def download_pdf(
    url: str,
    dest: Path,
    *,
    settings: Settings | None = None,
    allowed_hosts: set[str] | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    max_retries: int = 3,
    backoff_base: float = 2.0,
    session: requests.Session | None = None,
) -> DownloadResult:
    """Download the PDF at ``url`` to ``dest`` atomically, verifying it is complete."""
    settings = settings or load_settings()
    allowed = {normal_host(h) for h in allowed_hosts} if allowed_hosts else None
    allowed = allowed or allowed_download_hosts(settings)
    try:
        check_url(url, allowed)
    except Refused as exc:
        raise _refusal(url, exc, settings) from None
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(
            f"Cannot create {dest.parent}: {exc.strerror}.",
            "Set PAPERLAB_HOME to a writable directory.",
            url=url,
        ) from None
    policy = RetryPolicy(max_retries=max_retries, backoff_base=backoff_base)
    limiter = pdf_limiter(settings)
    own_session = session is None
    http = guard_session(session or requests.Session(), allowed)
    http.headers["User-Agent"] = user_agent()
    timeout = settings.http_timeout
    reason = "no answer"
    tries = 0
    try:
        with Deadline(settings.http_deadline) as deadline:
            while tries < policy.tries:
                tries += 1
                retry_after: float | None = None
                try:
                    return _attempt(url, dest, http, limiter, allowed, settings, deadline, progress)
                except _Transient as exc:
                    reason, retry_after = exc.reason, exc.retry_after
                except requests.RequestException as exc:
                    if deadline.expired:
                        raise _refusal(url, DeadlineExceeded(), settings) from None
                    reason = describe_request_error(exc, timeout)
                except (Refused, TooLarge, DeadlineExceeded) as exc:
                    raise _refusal(url, exc, settings) from None
                logger.info("PDF download failed (try %d): %s: %s", tries, url, reason)
                pause = policy.delay(tries - 1, retry_after)
                if tries < policy.tries and pause >= deadline.remaining():
                    break  # the next try could not even start in time
                if tries < policy.tries:
                    time.sleep(pause)
    finally:
        if own_session:
            http.close()
    raise DownloadError(
        f"Downloading {shown(url)} failed after {tries} {'try' if tries == 1 else 'tries'}"
        f" ({reason}).",
        _HINT,
        url=url,
        retries=tries - 1,
    )


def _attempt(
    url: str,
    dest: Path,
    http: requests.Session,
    limiter: ApiRateLimiter,
    allowed: set[str],
    settings: Settings,
    deadline: Deadline,
    progress: Callable[[int, int | None], None] | None,
) -> DownloadResult:
    """One try: follow redirects (checking each hop's host), then stream to disk."""
    with open_response(
        http, url, allowed=allowed, timeout=settings.http_timeout, before_each=limiter.wait_turn
    ) as (resp, final_url):
        status = resp.status_code
        if status in _RETRY_STATUSES:
            raise _Transient(f"HTTP {status}", parse_retry_after(resp.headers.get("Retry-After")))
        if status == 404:
            raise DownloadError(
                f"arXiv has no PDF at {shown(final_url)} (HTTP 404).",
                "The paper may have been withdrawn; check the id.",
                url=final_url,
            )
        if status != 200:
            raise DownloadError(
                f"arXiv refused the download of {shown(final_url)} (HTTP {status}).",
                _HINT,
                url=final_url,
            )
        return _stream_to(resp, final_url, dest, progress, settings.max_pdf_bytes, deadline)


def _stream_to(
    resp: requests.Response,
    url: str,
    dest: Path,
    progress: Callable[[int, int | None], None] | None,
    limit: int,
    deadline: Deadline,
) -> DownloadResult:
    expected = declared_length(resp)
    if expected is not None and expected > limit:
        raise TooLarge(limit)  # said up front: not a byte of it is read
    tmp = dest.parent / f"{PARTIAL_PREFIX}{dest.stem}-{os.getpid()}-{secrets.token_hex(4)}"
    digest = hashlib.sha256()
    size = 0
    head = b""
    tail = b""
    try:
        with open(tmp, "xb") as out:
            for chunk in resp.iter_content(chunk_size=_CHUNK):
                if not chunk:
                    continue
                if len(head) < 5:
                    head = (head + chunk)[:5]
                    if len(head) == 5:
                        _check_header(head, resp, url)
                size += len(chunk)
                if size > limit:
                    raise TooLarge(limit)
                deadline.check()
                out.write(chunk)
                digest.update(chunk)
                tail = (tail + chunk)[-_TAIL_BYTES:]
                if progress is not None:
                    progress(size, expected)
            # The deadline ends a body by shutting its socket: that is no answer.
            deadline.check()
            if size == 0:
                raise _Transient("empty answer")
            if len(head) < 5:
                _check_header(head, resp, url)
            if expected is not None and size != expected:
                raise _Transient(f"download cut short at {size} of {expected} bytes")
            if b"%%EOF" not in tail:
                raise _Transient("download cut short (no %%EOF at the end)")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    except requests.RequestException:
        # requests' errors are OSErrors too; they are transport trouble, not disk trouble.
        _remove_quietly(tmp)
        raise
    except OSError as exc:
        _remove_quietly(tmp)
        raise DownloadError(
            f"Cannot write {dest}: {exc.strerror or exc}.",
            "Free some disk space or check the data directory's permissions.",
            url=url,
        ) from None
    except BaseException:
        _remove_quietly(tmp)
        raise
    _fsync_dir(dest.parent)
    return DownloadResult(dest, digest.hexdigest(), size)


def _check_header(head: bytes, resp: requests.Response, url: str) -> None:
    if head.startswith(b"%PDF-"):
        return
    ctype = resp.headers.get("Content-Type", "").split(";")[0].strip() or "unknown type"
    looks_html = head.lstrip()[:1] == b"<" or "html" in ctype
    what = "an HTML page" if looks_html else f"something that is not a PDF ({ctype})"
    raise DownloadError(
        f"{shown(url)} served {what} instead of a PDF.",
        "arXiv may still be building the PDF or be blocking requests; try again later.",
        url=url,
    )


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable; not possible on every platform, so best effort."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    except OSError:
        return False
    return True


def clean_partials(pdf_dir: Path, max_age: float = STALE_PARTIAL_SECONDS) -> list[Path]:
    """Remove ``.partial-*`` files left by killed downloads; return what was removed.

    A file goes when its writer's pid is dead, or when nothing has written to
    it for ``max_age`` seconds (a live download writes continuously, and the
    read timeout would have ended a stalled one long before).
    """
    removed: list[Path] = []
    directory = Path(pdf_dir)
    if not directory.is_dir():
        return removed
    now = time.time()
    for path in directory.glob(f"{PARTIAL_PREFIX}*"):
        try:
            age = now - path.stat().st_mtime
        except FileNotFoundError:
            continue
        parts = path.name.rsplit("-", 2)
        pid = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
        dead = pid is None or not _pid_alive(pid)
        if dead or age > max_age:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed
