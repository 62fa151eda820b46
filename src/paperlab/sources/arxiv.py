"""The arXiv metadata client: batched, paced across processes, retrying.

The ``arxiv`` package still parses the Atom feed and builds its ``Result``
objects (``arxiv._feed.parse``) and still owns search paging
(``arxiv.Client.results``); this module owns the HTTP underneath: the
configured endpoint, the machine-wide rate limit, timeouts, retries with
backoff and ``Retry-After``, the arXiv error feed, and the API's habit of
sometimes answering a good query with an empty page.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import arxiv
import requests
from arxiv import _feed

from paperlab.errors import NetworkError, PaperlabError, UsageError
from paperlab.ids import ID_HINT, ArxivId, try_parse_arxiv_id
from paperlab.settings import Settings, load_settings
from paperlab.sources.ratelimit import (
    ApiRateLimiter,
    RetryPolicy,
    describe_request_error,
    parse_retry_after,
    user_agent,
)

logger = logging.getLogger(__name__)

# The API accepts long id lists; 100 keeps URLs well under common limits.
BATCH_SIZE = 100
# Page size for searches (the API allows up to 2000; smaller pages fail less).
SEARCH_PAGE_SIZE = 100
NETWORK_HINT = "Check your connection or PAPERLAB_ARXIV_API_URL; run the command again to resume."
_ERROR_ID = re.compile(r"^https?://arxiv\.org/api/errors#")
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class ArxivQueryError(UsageError):
    """arXiv rejected the query itself (its error feed), e.g. a malformed id."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        url: str = "",
        detail: str = "",
        bad_id: str | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.url = url
        self.detail = detail
        self.bad_id = bad_id


class TransientResponse(NetworkError):
    """An answer worth retrying (5xx, 429, garbage, an unexpectedly empty page)."""

    def __init__(self, reason: str, *, url: str, retry_after: float | None = None) -> None:
        super().__init__(f"arXiv answered badly ({reason}).", NETWORK_HINT, url=url)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class PaperMetadata:
    """What the arXiv API says about one version of one paper."""

    arxiv_id: ArxivId
    title: str
    authors: list[str]
    abstract: str
    categories: list[str]
    primary_category: str
    published: datetime
    updated: datetime
    doi: str | None = None
    journal_ref: str | None = None
    comment: str | None = None
    pdf_url: str = ""

    @property
    def base_id(self) -> str:
        return self.arxiv_id.base

    @property
    def version(self) -> int | None:
        return self.arxiv_id.version

    @classmethod
    def from_result(cls, result: arxiv.Result) -> PaperMetadata | None:
        """Convert an ``arxiv.Result``; None when its entry id is not an arXiv id."""
        parsed = try_parse_arxiv_id(result.get_short_id())
        if parsed is None:
            return None
        return cls(
            arxiv_id=parsed,
            title=_collapse(result.title),
            authors=[_collapse(a.name) for a in result.authors if a.name.strip()],
            abstract=_collapse(result.summary),
            categories=list(result.categories),
            primary_category=result.primary_category or (result.categories or [""])[0],
            published=result.published,
            updated=result.updated,
            doi=_blank_to_none(result.doi),
            journal_ref=_blank_to_none(result.journal_ref),
            comment=_blank_to_none(result.comment),
            pdf_url=result.pdf_url or parsed.pdf_url,
        )

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly view (ids as strings, dates in ISO 8601)."""
        return {
            "arxiv_id": str(self.arxiv_id),
            "title": self.title,
            "authors": list(self.authors),
            "abstract": self.abstract,
            "categories": list(self.categories),
            "primary_category": self.primary_category,
            "published": self.published.isoformat(),
            "updated": self.updated.isoformat(),
            "doi": self.doi,
            "journal_ref": self.journal_ref,
            "comment": self.comment,
            "pdf_url": self.pdf_url,
        }


@dataclass
class BatchFailure:
    """A batch of ids for which arXiv gave no usable answer at all."""

    ids: list[str]
    error: PaperlabError


@dataclass
class MetadataBatch:
    """The outcome of ``fetch_metadata``, keyed by version-less base id."""

    found: dict[str, PaperMetadata] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    errors: list[BatchFailure] = field(default_factory=list)

    @property
    def failed(self) -> dict[str, PaperlabError]:
        """Each id of a failed batch mapped to the error that sank it."""
        return {i: failure.error for failure in self.errors for i in failure.ids}

    @property
    def ok(self) -> bool:
        return not self.missing and not self.errors


@dataclass
class FeedPage:
    """One parsed API answer."""

    papers: list[PaperMetadata]
    total_results: int
    start_index: int
    raw: _feed.ParsedFeed


def _collapse(text: str | None) -> str:
    return " ".join((text or "").split())


def _blank_to_none(text: str | None) -> str | None:
    collapsed = _collapse(text)
    return collapsed or None


def find_error_entry(content: bytes) -> tuple[str, str] | None:
    """``(error id, summary)`` when ``content`` is arXiv's error feed, else None.

    The ``arxiv`` parser drops the error entry (it has no ``<published>``), so
    it is looked for here with the same hardened lxml settings.
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError:
        return None
    if root is None:
        return None
    ns = {"atom": "http://www.w3.org/2005/Atom"}
    for entry in root.iterfind("atom:entry", ns):
        entry_id = (entry.findtext("atom:id", default="", namespaces=ns) or "").strip()
        if _ERROR_ID.match(entry_id):
            summary = _collapse(entry.findtext("atom:summary", default="", namespaces=ns))
            return entry_id, summary or entry_id.split("#", 1)[1].replace("_", " ")
    return None


def _query_error(entry_id: str, summary: str, url: str) -> ArxivQueryError:
    # arXiv words these as "incorrect id format for <id>".
    m = re.search(r"\bfor (?P<id>\S+)$", summary)
    bad_id = m["id"] if m else None
    if bad_id:
        message = f"arXiv rejected the id {bad_id!r}: {summary}."
        hint = ID_HINT
    else:
        message = f"arXiv rejected the query: {summary}."
        hint = "Check the search syntax: https://info.arxiv.org/help/api/user-manual.html"
    return ArxivQueryError(message, hint, url=url, detail=summary, bad_id=bad_id)


def parse_response(
    status: int,
    content: bytes,
    *,
    url: str = "",
    headers: dict[str, str] | None = None,
    allow_empty: bool = True,
) -> FeedPage:
    """Interpret one HTTP answer from the API.

    Returns the page, or raises ArxivQueryError (the error feed: retrying is
    pointless), TransientResponse (worth retrying) or NetworkError (a final
    refusal such as 403 or 404).
    """
    headers = headers or {}
    if status != 200:
        error = find_error_entry(content) if content else None
        if error is not None:
            raise _query_error(error[0], error[1], url)
        if status in _RETRY_STATUSES:
            retry_after = parse_retry_after(headers.get("Retry-After"))
            raise TransientResponse(f"HTTP {status}", url=url, retry_after=retry_after)
        raise NetworkError(
            f"arXiv refused the request (HTTP {status}).",
            "Check PAPERLAB_ARXIV_API_URL points at the arXiv API.",
            url=url,
        )
    feed = _feed.parse(bytes(content))
    if feed.malformed:
        raise TransientResponse("not an Atom feed", url=url)
    if not feed.results:
        error = find_error_entry(content)
        if error is not None:
            raise _query_error(error[0], error[1], url)
        if not allow_empty:
            raise TransientResponse("an unexpectedly empty page", url=url)
    papers = []
    for result in feed.results:
        meta = PaperMetadata.from_result(result)
        if meta is None:
            logger.warning("Skipping an entry with an unrecognised id: %s", result.entry_id)
            continue
        papers.append(meta)
    return FeedPage(papers, feed.header.total_results, feed.header.start_index, feed)


class _FeedClient(arxiv.Client):
    """``arxiv.Client`` whose page fetches go through ``ArxivClient``'s HTTP."""

    def __init__(self, owner: ArxivClient, page_size: int) -> None:
        super().__init__(page_size=page_size, delay_seconds=0.0, num_retries=0)
        self._owner = owner
        self.query_url_format = owner.query_url_format

    def _parse_feed(
        self, url: str, first_page: bool = True, _try_index: int = 0
    ) -> _feed.ParsedFeed:
        # Only the first page may legitimately be empty; arxiv.Client treats
        # an empty later page as a glitch, and so do we (by retrying).
        return self._owner.fetch_page(url, allow_empty=first_page).raw


class ArxivClient:
    """Talks to the arXiv API politely: one request per ``arxiv_delay`` machine-wide."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        max_retries: int = 3,
        backoff_base: float = 2.0,
        backoff_max: float = 60.0,
        retry_after_max: float = 120.0,
        batch_size: int = BATCH_SIZE,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings or load_settings()
        self.policy = RetryPolicy(max_retries, backoff_base, backoff_max, retry_after_max)
        self.batch_size = max(1, min(batch_size, BATCH_SIZE))
        self.query_url_format = self.settings.arxiv_api_url.split("?", 1)[0] + "?{}"
        self.limiter = ApiRateLimiter(self.settings.rate_limit_file, self.settings.arxiv_delay)
        self.timeout = self.settings.http_timeout
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = user_agent()
        self.requests_sent = 0

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> ArxivClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- HTTP ------------------------------------------------------------

    def fetch_page(self, url: str, *, allow_empty: bool = True) -> FeedPage:
        """GET one API url with pacing, timeouts and retries; parse the answer."""
        last_reason = "no answer"
        for attempt in range(self.policy.tries):
            retry_after: float | None = None
            self.limiter.wait_turn()
            self.requests_sent += 1
            try:
                resp = self.session.get(url, timeout=(self.timeout, self.timeout))
                content = resp.content  # read here so a cut-off body counts as transient
            except requests.RequestException as exc:
                last_reason = describe_request_error(exc, self.timeout)
                logger.info("arXiv request failed (try %d): %s: %s", attempt + 1, url, exc)
            else:
                try:
                    return parse_response(
                        resp.status_code,
                        content,
                        url=url,
                        headers=dict(resp.headers),
                        allow_empty=allow_empty,
                    )
                except TransientResponse as exc:
                    last_reason = exc.reason
                    retry_after = exc.retry_after
                    logger.info("arXiv answered %s (try %d): %s", exc.reason, attempt + 1, url)
            if attempt + 1 < self.policy.tries:
                time.sleep(self.policy.delay(attempt, retry_after))
        tries = self.policy.tries
        raise NetworkError(
            f"arXiv did not answer after {tries} {'try' if tries == 1 else 'tries'}"
            f" ({last_reason}).",
            NETWORK_HINT,
            url=url,
            retries=self.policy.max_retries,
        )

    def _id_url(self, ids: Sequence[str]) -> str:
        search = arxiv.Search(id_list=list(ids), max_results=len(ids))
        return _FeedClient(self, len(ids))._format_url(search, 0, len(ids))

    # -- public API --------------------------------------------------------

    def fetch_metadata(
        self,
        ids: Sequence[ArxivId],
        progress: Callable[[int, int], None] | None = None,
    ) -> MetadataBatch:
        """Fetch metadata for ``ids`` in batches of up to 100 per request.

        Ids without a version are requested without one, so arXiv answers
        with the current version. Ids that stay absent after the retries are
        reported in ``missing``; a batch that cannot be fetched at all lands
        in ``errors``, and so do the batches after it (arXiv being down for
        one batch means every further batch would only burn its retries).
        """
        wanted: dict[str, ArxivId] = {}
        for arxiv_id in ids:
            wanted.setdefault(arxiv_id.base, arxiv_id)
        result = MetadataBatch()
        todo = list(wanted.values())
        total = len(todo)
        done = 0
        for start in range(0, total, self.batch_size):
            chunk = todo[start : start + self.batch_size]
            if result.errors and isinstance(result.errors[-1].error, NetworkError):
                result.errors.append(BatchFailure([i.base for i in chunk], result.errors[-1].error))
            else:
                self._fetch_batch(chunk, result)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        return result

    def _fetch_batch(self, chunk: list[ArxivId], result: MetadataBatch) -> None:
        pending = {i.base: i for i in chunk}
        empty_retries = 0
        while pending:
            url = self._id_url([str(i) for i in pending.values()])
            try:
                page = self.fetch_page(url, allow_empty=True)
            except ArxivQueryError as exc:
                bad = _match_bad_id(exc.bad_id, pending)
                if bad is None:
                    result.errors.append(BatchFailure(list(pending), exc))
                    return
                result.missing[bad] = exc.message
                del pending[bad]
                continue  # the rest of the batch is still worth asking for
            except NetworkError as exc:
                result.errors.append(BatchFailure(list(pending), exc))
                return
            for meta in page.papers:
                asked = pending.get(meta.base_id)
                if asked is None:
                    continue
                if asked.version is not None and meta.version != asked.version:
                    continue
                result.found[meta.base_id] = meta
                del pending[meta.base_id]
            if not pending:
                return
            if empty_retries >= self.policy.max_retries:
                break
            # The API sometimes drops entries it has; ask again for the rest.
            logger.info("arXiv left out %d id(s); asking again", len(pending))
            time.sleep(self.policy.delay(empty_retries))
            empty_retries += 1
        for base, asked in pending.items():
            if asked.version is not None:
                result.missing[base] = f"arXiv has no version {asked.version} of {base}."
            else:
                result.missing[base] = f"arXiv has no paper {base}."

    def search(self, query: str, max_results: int = 10) -> list[PaperMetadata]:
        """Run an arXiv ``search_query`` (e.g. ``ti:attention AND cat:cs.CL``)."""
        if not query.strip():
            raise UsageError("The search query is empty.", hint="Give words to search for.")
        if max_results <= 0:
            return []
        client = _FeedClient(self, min(SEARCH_PAGE_SIZE, max_results))
        search = arxiv.Search(query=query, max_results=max_results)
        papers: list[PaperMetadata] = []
        for item in client.results(search):
            meta = PaperMetadata.from_result(item)
            if meta is not None:
                papers.append(meta)
        return papers


def _match_bad_id(bad_id: str | None, pending: dict[str, ArxivId]) -> str | None:
    """The pending base id the API complained about, if it names one of ours."""
    if not bad_id:
        return None
    for base, asked in pending.items():
        if bad_id in (base, str(asked)):
            return base
    return None
