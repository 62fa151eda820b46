"""A fake arXiv on 127.0.0.1: the API's Atom feeds, PDFs, and injectable faults.

Feeds are shaped like the real responses recorded in
``shared/data/arxiv_api/recorded_json`` (namespaces, element order, link rels,
opensearch totals, the HTTP 400 error feed for malformed ids). PDF links in
the feeds point back at this server so downloads stay local.

Use the ``fake_arxiv`` fixture (``pytest_plugins = ["tests.fakearxiv"]`` or
``from tests.fakearxiv import fake_arxiv  # noqa``), or run it by hand::

    python -m tests.fakearxiv --port 8765 --pdf-dir ../shared/data/pdfs/arxiv --latency 0.05

Besides the faults arXiv really shows (503, resets, truncation...), it can be
hostile: redirect anywhere (``redirect``), send a body that never ends
(``endless``), drip a few bytes at a time (``drip``) or send a gzip bomb
(``gzip_bomb``). A second instance on another loopback address
(``FakeArxiv(host="127.0.0.2")``) stands in for a foreign host.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import re
import socket
import struct
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

import pytest

API_PATH = "/api/query"
FAULTS = frozenset(
    {"ok", "503", "429", "status", "reset", "slow", "stall", "truncate", "truncate_nolength",
     "html", "empty", "error_feed", "redirect", "endless", "drip", "gzip_bomb"}
)  # fmt: skip
# What the hostile faults send at most when no size is given, so that a client
# without limits ends its test instead of filling the disk.
HOSTILE_DEFAULT_SIZE = 64 * 1024 * 1024
# Loose id check, like the real API's (it accepts 0808.05394 and finds nothing).
_ID_RE = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)?(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$")
_VERSION_RE = re.compile(r"^(?P<base>.+?)(?:v(?P<v>\d+))?$")
_FEED_OPEN = (
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
    'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">\n'
)


def _esc(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_pdf(title: str, text_pages: Iterable[str], stamp: str | None = None) -> bytes:
    """A small real PDF: ``title`` atop page 1, one page per text, an arXiv side stamp."""
    import pymupdf

    doc = pymupdf.open()
    pages = list(text_pages) or [""]
    for number, text in enumerate(pages):
        page = doc.new_page(width=612, height=792)
        top = 72.0
        if number == 0:
            page.insert_textbox(pymupdf.Rect(72, 60, 540, 130), title, fontsize=16, align=1)
            top = 140.0
            if stamp:
                # arXiv prints its stamp rotated up the left margin of page 1.
                page.insert_text((30, 600), stamp, fontsize=14, rotate=90, color=(0.5, 0.5, 0.5))
        page.insert_textbox(pymupdf.Rect(72, top, 540, 740), text, fontsize=10)
    doc.set_metadata({"title": title})
    data: bytes = doc.tobytes(garbage=3, deflate=True)
    doc.close()
    return data


@dataclass
class FakePaper:
    """One paper in the fake catalogue (``id`` is the version-less base id)."""

    id: str
    version: int = 1
    title: str = "Untitled"
    authors: list[str] = field(default_factory=lambda: ["Ada Lovelace"])
    abstract: str = ""
    categories: list[str] = field(default_factory=lambda: ["cs.LG"])
    published: datetime = field(default_factory=lambda: datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC))
    updated: datetime | None = None
    doi: str | None = None
    journal_ref: str | None = None
    comment: str | None = None
    pdf_bytes: bytes | None = None
    pdf_path: Path | None = None
    # Earlier versions: number -> (updated, pdf bytes or None to generate).
    old_versions: dict[int, tuple[datetime, bytes | None]] = field(default_factory=dict)
    # Raw text for the feed entry's <updated> and the PDF link's href (hostile feeds).
    updated_text: str | None = None
    pdf_link: str | None = None

    @property
    def primary_category(self) -> str:
        return self.categories[0] if self.categories else "cs.LG"

    def updated_at(self, version: int) -> datetime:
        if version == self.version:
            return self.updated or self.published
        return self.old_versions.get(version, (self.published, None))[0]

    def has_version(self, version: int) -> bool:
        return version == self.version or version in self.old_versions

    def pdf_for(self, version: int) -> bytes:
        """The PDF of ``version``, generated (with a side stamp) when none was given."""
        if version == self.version:
            if self.pdf_bytes is None and self.pdf_path is not None:
                return Path(self.pdf_path).read_bytes()
            if self.pdf_bytes is None:
                self.pdf_bytes = self._generate(version)
            return self.pdf_bytes
        updated, data = self.old_versions[version]
        if data is None:
            data = self._generate(version)
            self.old_versions[version] = (updated, data)
        return data

    def _generate(self, version: int) -> bytes:
        when = self.updated_at(version)
        stamp = f"arXiv:{self.id}v{version} [{self.primary_category}] {when:%d %b %Y}"
        body = self.abstract or f"The text of {self.title}, version {version}."
        return make_pdf(self.title, [body, f"Section 2 of {self.title}."], stamp)


def sample_paper(base: str, version: int = 1, **fields: Any) -> FakePaper:
    """A FakePaper with plausible generated fields, any of which can be overridden."""
    defaults: dict[str, Any] = {
        "title": f"A Study of Paper {base}",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "abstract": f"We study the problem of paper {base}. Our method improves results.",
    }
    defaults.update(fields)
    return FakePaper(id=base, version=version, **defaults)


@dataclass(frozen=True)
class Fault:
    """A queued misbehaviour for the next request of one kind (``api`` or ``pdf``)."""

    name: str
    retry_after: str | None = None
    delay: float = 0.0
    status: int = 503
    # ``redirect``: the Location sent ("{path}" becomes the request's path and query).
    location: str | None = None
    # ``endless``/``drip``/``gzip_bomb``: bytes sent (decompressed, for the bomb).
    size: int | None = None
    # ``endless``: a Content-Length header to announce (None: no header).
    declared_length: int | None = None


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server saw it (``time`` is ``time.monotonic()``)."""

    time: float
    wall: float
    path: str
    query: dict[str, str]
    kind: str
    fault: str | None
    user_agent: str = ""


class FakeArxiv:
    """A threaded HTTP server standing in for export.arxiv.org and arxiv.org/pdf."""

    def __init__(
        self,
        papers: Iterable[FakePaper] = (),
        *,
        latency: float = 0.0,
        port: int = 0,
        host: str = "127.0.0.1",
    ) -> None:
        self.papers: dict[str, FakePaper] = {}
        self.host = host
        self.latency = latency
        self.log: list[LoggedRequest] = []
        self._faults: dict[str, deque[Fault]] = {"api": deque(), "pdf": deque()}
        self._lock = threading.Lock()
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.add(*papers)

    # -- lifecycle -------------------------------------------------------
    def start(self) -> FakeArxiv:
        self._server = _Server((self.host, self._port), _Handler)
        self._server.fake = self
        # A short poll interval keeps stop() (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeArxiv:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the server first"
        return f"http://{self.host}:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.url + API_PATH

    def pdf_url(self, arxiv_id: str) -> str:
        return f"{self.url}/pdf/{arxiv_id}"

    # -- catalogue and faults -------------------------------------------
    def add(self, *papers: FakePaper) -> None:
        with self._lock:
            for paper in papers:
                self.papers[paper.id] = paper

    def bump_version(
        self, base: str, pdf_bytes: bytes | None = None, when: datetime | None = None
    ) -> FakePaper:
        """Publish a new version of ``base`` (new PDF, new ``updated`` date)."""
        with self._lock:
            paper = self.papers[base]
            old_updated = paper.updated or paper.published
            old_pdf = paper.pdf_bytes
            if old_pdf is None and paper.pdf_path is not None:
                old_pdf = Path(paper.pdf_path).read_bytes()
            paper.old_versions[paper.version] = (old_updated, old_pdf)
            paper.version += 1
            paper.updated = when or max(old_updated + timedelta(days=1), datetime.now(UTC))
            paper.pdf_bytes = pdf_bytes
            paper.pdf_path = None
            return paper

    def inject(
        self,
        kind: str,
        fault: str,
        *,
        count: int = 1,
        retry_after: str | None = None,
        delay: float = 0.0,
        status: int = 503,
        location: str | None = None,
        size: int | None = None,
        declared_length: int | None = None,
    ) -> None:
        """Queue ``fault`` for the next ``count`` requests of ``kind`` (``api``/``pdf``)."""
        if kind not in self._faults or fault not in FAULTS:
            raise ValueError(f"unknown fault {kind}/{fault}")
        one = Fault(fault, retry_after, delay, status, location, size, declared_length)
        with self._lock:
            self._faults[kind].extend([one] * count)

    def _next_fault(self, kind: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(kind)
            return queue.popleft() if queue else None

    def requests(self, kind: str | None = None) -> list[LoggedRequest]:
        """The logged requests, optionally only those of one kind."""
        with self._lock:
            return [r for r in self.log if kind is None or r.kind == kind]

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    # -- feeds -----------------------------------------------------------
    def answer_query(self, query: dict[str, str]) -> tuple[int, str]:
        """Status and Atom body for an API query, as arXiv would answer it."""
        id_list = [i.strip() for i in query.get("id_list", "").split(",") if i.strip()]
        search = query.get("search_query", "")
        for raw in id_list:
            if not _ID_RE.match(raw):
                return 400, error_feed(raw)
        start = _int(query.get("start"), 0)
        max_results = _int(query.get("max_results"), 10)
        with self._lock:
            if id_list:
                hits = [h for h in (self._lookup(i) for i in id_list) if h is not None]
                if search:
                    hits = [h for h in hits if _matches(h[0], search)]
            else:
                hits = [
                    (p, p.version) for p in self.papers.values() if search and _matches(p, search)
                ]
                hits = _sorted(hits, query.get("sortBy", ""), query.get("sortOrder", ""))
            page = hits[start : start + max_results]
            entries = [self._entry(paper, version) for paper, version in page]
        return 200, feed(query, entries, total=len(hits), start=start, per_page=max_results)

    def _lookup(self, raw: str) -> tuple[FakePaper, int] | None:
        m = _VERSION_RE.match(raw)
        assert m is not None
        paper = self.papers.get(m["base"])
        if paper is None:
            return None
        version = int(m["v"]) if m["v"] else paper.version
        return (paper, version) if paper.has_version(version) else None

    def _entry(self, paper: FakePaper, version: int) -> str:
        vid = f"{paper.id}v{version}"
        updated = paper.updated_text or _stamp(paper.updated_at(version))
        lines = [
            "  <entry>",
            f"    <id>http://arxiv.org/abs/{vid}</id>",
            f"    <title>{_esc(paper.title)}</title>",
            f"    <updated>{_esc(updated)}</updated>",
            f'    <link href="https://arxiv.org/abs/{vid}" rel="alternate" type="text/html"/>',
            f'    <link href="{_esc(paper.pdf_link or self.pdf_url(vid))}" rel="related"'
            ' type="application/pdf" title="pdf"/>',
            f"    <summary>{_esc(paper.abstract)}</summary>",
        ]
        lines += [
            f'    <category term="{_esc(c)}" scheme="http://arxiv.org/schemas/atom"/>'
            for c in paper.categories
        ]
        lines.append(f"    <published>{_stamp(paper.published)}</published>")
        if paper.comment:
            lines.append(f"    <arxiv:comment>{_esc(paper.comment)}</arxiv:comment>")
        lines.append(f'    <arxiv:primary_category term="{_esc(paper.primary_category)}"/>')
        if paper.journal_ref:
            lines.append(f"    <arxiv:journal_ref>{_esc(paper.journal_ref)}</arxiv:journal_ref>")
        for author in paper.authors:
            lines += ["    <author>", f"      <name>{_esc(author)}</name>", "    </author>"]
        if paper.doi:
            lines.append(f"    <arxiv:doi>{_esc(paper.doi)}</arxiv:doi>")
            lines.append(
                f'    <link rel="related" href="https://doi.org/{_esc(paper.doi)}" title="doi"/>'
            )
        lines.append("  </entry>")
        return "\n".join(lines) + "\n"


def _int(raw: str | None, default: int) -> int:
    try:
        return max(0, int(raw)) if raw not in (None, "") else default
    except ValueError:
        return default


def _matches(paper: FakePaper, search: str) -> bool:
    """A small subset of arXiv's query language: ``field:value`` terms joined by AND."""
    fields = {
        "ti": paper.title,
        "au": " ".join(paper.authors),
        "abs": paper.abstract,
        "cat": " ".join(paper.categories),
        "id": paper.id,
    }
    fields["all"] = " ".join(fields.values())
    # ``a OR b``: any alternative (each an AND of terms) matches.
    alternatives = re.split(r"\s+OR\s+", search.strip())
    if len(alternatives) > 1:
        return any(_matches(paper, alternative) for alternative in alternatives)
    for term in re.split(r"\s+AND\s+", search.strip()):
        name, _, value = term.partition(":") if ":" in term else ("all", "", term)
        value = value.strip().strip('"()').replace("_", " ").lower()
        if value and value not in fields.get(name.strip().lower(), fields["all"]).lower():
            return False
    return True


def _sorted(hits: list[tuple[FakePaper, int]], by: str, order: str) -> list[tuple[FakePaper, int]]:
    keys = {
        "submittedDate": lambda h: h[0].published,
        "lastUpdatedDate": lambda h: h[0].updated_at(h[1]),
    }
    if by not in keys:
        return hits
    return sorted(hits, key=keys[by], reverse=order != "ascending")


def feed(
    query: dict[str, str], entries: list[str], *, total: int, start: int, per_page: int
) -> str:
    """An arXiv query feed around rendered ``entries``."""
    sq, ids = query.get("search_query", ""), query.get("id_list", "")
    shown = f"search_query={sq}&id_list={ids}&start={start}&max_results={per_page}"
    link = f"https://arxiv.org/api/query?search_query={sq}&start={start}&max_results={per_page}&id_list={ids}"
    digest = base64.b64encode(hashlib.sha1(shown.encode()).digest()).decode()[:27]
    head = (
        f"  <id>https://arxiv.org/api/{digest}</id>\n"
        f"  <title>arXiv Query: {_esc(shown)}</title>\n"
        f"  <updated>{_stamp(datetime.now(UTC))}</updated>\n"
        f'  <link href="{_esc(link)}" type="application/atom+xml"/>\n'
        f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
    )
    return _FEED_OPEN + head + "".join(entries) + "</feed>\n"


def error_feed(bad_id: str) -> str:
    """The feed arXiv sends (with HTTP 400) for a malformed id."""
    slug = f"incorrect_id_format_for_{bad_id}"
    now = _stamp(datetime.now(UTC))
    return (
        _FEED_OPEN + "  <id>https://arxiv.org/</id>\n  <title>arXiv Search Results</title>\n"
        f"  <updated>{now}</updated>\n"
        "  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>\n"
        "  <opensearch:totalResults>1</opensearch:totalResults>\n"
        "  <opensearch:startIndex>0</opensearch:startIndex>\n"
        "  <entry>\n"
        f"    <id>https://arxiv.org/api/errors#{_esc(slug)}</id>\n    <title>Error</title>\n"
        f"    <updated>{now}</updated>\n"
        f'    <link href="https://arxiv.org/api/errors#{_esc(slug)}" rel="alternate"'
        ' type="text/html"/>\n'
        f"    <summary>incorrect id format for {_esc(bad_id)}</summary>\n"
        "    <author>\n      <name>arXiv api core</name>\n    </author>\n  </entry>\n</feed>\n"
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeArxiv

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Injected resets and clients timing out make broken pipes routine here.
        return None


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "FakeArxiv/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        fake = self.server.fake
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        kind = (
            "api"
            if parts.path == API_PATH
            else "pdf"
            if parts.path.startswith("/pdf/")
            else "other"
        )
        fault = fake._next_fault(kind) if kind != "other" else None
        with fake._lock:
            fake.log.append(
                LoggedRequest(
                    time.monotonic(),
                    time.time(),
                    parts.path,
                    query,
                    kind,
                    fault.name if fault else None,
                    self.headers.get("User-Agent", ""),
                )
            )
        if fake.latency:
            time.sleep(fake.latency)
        if fault is not None and self._fault(fault, kind, query):
            return
        if kind == "api":
            status, body = fake.answer_query(query)
            self._send(status, body.encode(), "application/atom+xml; charset=UTF-8")
        elif kind == "pdf":
            data = self._pdf(parts.path[len("/pdf/") :])
            if data is None:
                self._send(404, b"<html><body>Not found</body></html>", "text/html")
            else:
                self._send(200, data, "application/pdf")
        else:
            self._send(404, b"not found", "text/plain")

    def _pdf(self, rest: str) -> bytes | None:
        fake = self.server.fake
        m = _VERSION_RE.match(rest.removesuffix(".pdf"))
        with fake._lock:
            paper = fake.papers.get(m["base"]) if m else None
            if m is None or paper is None:
                return None
            version = int(m["v"]) if m["v"] else paper.version
            return paper.pdf_for(version) if paper.has_version(version) else None

    def _fault(self, fault: Fault, kind: str, query: dict[str, str]) -> bool:
        """Misbehave; True when the response has been dealt with."""
        name = fault.name
        if name == "ok":  # a placeholder so later faults hit later requests
            return False
        if name == "stall":
            # Half the body, then silence: the client is mid-download for ``delay`` s.
            body = self._pdf(urlsplit(self.path).path[len("/pdf/") :]) or b""
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                time.sleep(fault.delay or 30.0)
            self.close_connection = True
            return True
        if name == "redirect":
            target = (fault.location or "{path}").replace("{path}", self.path)
            status = fault.status if 300 <= fault.status < 400 else 302
            self._send(status, b"", "text/plain", {"Location": target})
            return True
        if name in ("endless", "drip", "gzip_bomb"):
            self._hostile(fault, kind, query)
            self.close_connection = True
            return True
        if name in ("503", "429", "status"):
            status = {"503": 503, "429": 429}.get(name, fault.status)
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            self._send(status, b"<html><body>Try again later</body></html>", "text/html", headers)
        elif name == "reset":
            # SO_LINGER 0 turns close() into a TCP RST: "connection reset by peer".
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
        elif name == "slow":
            time.sleep(fault.delay or 2.0)
            return False
        elif name in ("truncate", "truncate_nolength"):
            body = self._pdf(urlsplit(self.path).path[len("/pdf/") :]) if kind == "pdf" else None
            if body is None:
                body = self.server.fake.answer_query(query)[1].encode()
            self.send_response(200)
            self.send_header(
                "Content-Type", "application/pdf" if kind == "pdf" else "application/atom+xml"
            )
            if name == "truncate":
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
            self.close_connection = True
        elif name == "html":
            page = b"<!DOCTYPE html><html><head><title>arXiv</title></head><body>Wait</body></html>"
            self._send(200, page, "application/pdf")
        elif name == "empty":
            empty = feed(
                query,
                [],
                total=0,
                start=_int(query.get("start"), 0),
                per_page=_int(query.get("max_results"), 10),
            )
            self._send(200, empty.encode(), "application/atom+xml; charset=UTF-8")
        elif name == "error_feed":
            ids = [i for i in query.get("id_list", "").split(",") if i]
            self._send(400, error_feed(ids[0] if ids else "query").encode(), "application/atom+xml")
        return True

    def _hostile(self, fault: Fault, kind: str, query: dict[str, str]) -> None:
        """A body that never ends, one that drips, or a gzip bomb."""
        is_pdf = kind == "pdf"
        ctype = "application/pdf" if is_pdf else "application/atom+xml; charset=UTF-8"
        # What a parser would accept as the start of a real answer.
        prefix = b"%PDF-1.4\n" if is_pdf else _FEED_OPEN.encode()
        filler = b"\0" if is_pdf else b" "
        size = fault.size or HOSTILE_DEFAULT_SIZE
        headers: dict[str, str] = {}
        if fault.name == "gzip_bomb":
            body = gzip_bomb(prefix, filler, size)
            headers = {"Content-Encoding": "gzip", "Content-Length": str(len(body))}
            self._start(ctype, headers)
            with contextlib.suppress(OSError):
                self.wfile.write(body)
            return
        if fault.name == "drip":
            # The real answer, ten bytes at a time: every read succeeds, none ends it.
            if is_pdf:
                body = self._pdf(urlsplit(self.path).path[len("/pdf/") :]) or prefix
            else:
                body = self.server.fake.answer_query(query)[1].encode()
            body = body[: fault.size] if fault.size else body
            self._start(ctype, {"Content-Length": str(len(body))})
            with contextlib.suppress(OSError):
                for start in range(0, len(body), 10):
                    self.wfile.write(body[start : start + 10])
                    self.wfile.flush()
                    time.sleep(fault.delay or 0.1)
            return
        if fault.declared_length is not None:
            headers["Content-Length"] = str(fault.declared_length)
        self._start(ctype, headers)
        block = filler * (64 * 1024)
        with contextlib.suppress(OSError):
            self.wfile.write(prefix)
            sent = len(prefix)
            while sent < size:
                self.wfile.write(block)
                sent += len(block)

    def _start(self, ctype: str, headers: dict[str, str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()

    def _send(
        self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True  # the client gave up (e.g. its timeout fired)


_BOMBS: dict[tuple[bytes, bytes, int], bytes] = {}


def gzip_bomb(prefix: bytes, filler: bytes, size: int) -> bytes:
    """``prefix`` then ``filler`` up to ``size`` bytes, gzipped (about 1000:1), cached."""
    key = (prefix, filler, size)
    if key not in _BOMBS:
        packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: a gzip container
        parts = [packer.compress(prefix)]
        block = filler * (1 << 20)
        left = size - len(prefix)
        while left > 0:
            parts.append(packer.compress(block[:left]))
            left -= len(block)
        parts.append(packer.flush())
        _BOMBS[key] = b"".join(parts)
    return _BOMBS[key]


def catalogue_from_shared(shared_dir: Path) -> list[FakePaper]:
    """FakePapers for the real PDFs in ``<shared>/pdfs/arxiv/manifest.tsv``.

    ``shared_dir`` may be the shared data dir or the PDF dir itself; titles
    come from the manifest, abstracts are generated.
    """
    root = Path(shared_dir)
    pdf_dir = root / "pdfs" / "arxiv" if (root / "pdfs" / "arxiv").is_dir() else root
    papers = []
    lines = (pdf_dir / "manifest.tsv").read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:
        cols = line.split("\t")
        if len(cols) < 6:
            continue
        filename, versioned, category, stamp_date, _pages, title = cols[:6]
        m = _VERSION_RE.match(versioned)
        assert m is not None
        try:
            when = datetime.strptime(stamp_date, "%d %b %Y").replace(tzinfo=UTC)
        except ValueError:
            when = datetime(2020, 1, 1, tzinfo=UTC)
        papers.append(
            FakePaper(
                id=m["base"],
                version=int(m["v"] or 1),
                title=" ".join(title.split()),
                authors=["A. Author", "B. Author"],
                abstract=f"This paper, {title.strip()}, is served by the fake arXiv for tests.",
                categories=[category],
                published=when,
                pdf_path=pdf_dir / filename,
            )
        )
    return papers


@pytest.fixture
def fake_arxiv(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeArxiv]:
    """A running fake arXiv; PAPERLAB_ARXIV_API_URL points at it for the test."""
    server = FakeArxiv().start()
    monkeypatch.setenv("PAPERLAB_ARXIV_API_URL", server.api_url)
    try:
        yield server
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    """Serve a fake arXiv until interrupted (for benchmarks and manual use)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1", help="e.g. 127.0.0.2 for a foreign host")
    parser.add_argument("--pdf-dir", type=Path, help="a dir with manifest.tsv and its PDFs")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each request")
    args = parser.parse_args(argv)
    papers = catalogue_from_shared(args.pdf_dir) if args.pdf_dir else []
    server = FakeArxiv(papers, latency=args.latency, port=args.port, host=args.host).start()
    print(
        f"fake arXiv serving {len(papers)} papers; PAPERLAB_ARXIV_API_URL={server.api_url}",
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
