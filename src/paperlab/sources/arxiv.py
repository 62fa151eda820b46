"""The arXiv metadata client: batched, paced across processes, retrying.

The ``arxiv`` package still parses the Atom feed and builds its ``Result``
objects (through ``paperlab.sources.arxivfeed``) and still owns search paging
(``arxiv.Client.results``); this module owns the HTTP underneath: the
configured endpoint, the machine-wide rate limit, timeouts, retries with
backoff and ``Retry-After``, and the API's habit of sometimes answering a
good query with an empty page. What the API may send is bounded
(``paperlab.sources.netguard``): allowed hosts at every redirect, at most
``PAPERLAB_MAX_API_MB`` decompressed, within ``PAPERLAB_HTTP_DEADLINE``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import arxiv
import requests
from arxiv import _feed

from paperlab.errors import NetworkError, PaperlabError, UsageError
from paperlab.ids import ArxivId
from paperlab.settings import ARXIV_PDF_HOSTS, MB, Settings, load_settings
from paperlab.sources.arxivfeed import (
    NETWORK_HINT,
    ArxivQueryError,
    FeedPage,
    MalformedEntryError,
    PaperMetadata,
    TransientResponse,
    find_error_entry,
    parse_feed,
    parse_response,
)
from paperlab.sources.netguard import (
    Deadline,
    DeadlineExceeded,
    Refused,
    TooLarge,
    allowed_hosts,
    guard_session,
    open_response,
    read_capped,
    shown,
)
from paperlab.sources.ratelimit import (
    ApiRateLimiter,
    RetryPolicy,
    describe_request_error,
    user_agent,
)

# Parsing lives in arxivfeed; these names stay importable from here.
__all__ = [
    "NETWORK_HINT",
    "ApiUnreachable",
    "ArxivClient",
    "ArxivQueryError",
    "BatchFailure",
    "FeedPage",
    "MalformedEntryError",
    "MetadataBatch",
    "PaperMetadata",
    "TransientResponse",
    "find_error_entry",
    "parse_feed",
    "parse_response",
]

logger = logging.getLogger(__name__)

# The API accepts long id lists; 100 keeps URLs well under common limits.
BATCH_SIZE = 100
# Page size for searches (the API allows up to 2000; smaller pages fail less).
SEARCH_PAGE_SIZE = 100


# Transport failures that mean "no network here", not "arXiv is having a bad day".
UNREACHABLE_REASONS = frozenset({"connection refused", "host not found"})


class ApiUnreachable(NetworkError):
    """Every try failed before arXiv could answer: refused, or its host not found."""


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


class _FeedClient(arxiv.Client):
    """``arxiv.Client`` whose page fetches go through ``ArxivClient``'s HTTP."""

    def __init__(self, owner: ArxivClient, page_size: int) -> None:
        super().__init__(page_size=page_size, delay_seconds=0.0, num_retries=0)
        # Pages are fetched by _parse_feed below; should anything in the
        # package still use its own session, it gets the guarded one.
        own = getattr(self, "_session", None)
        if isinstance(own, requests.Session):
            own.close()
        self._session = owner.session
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
        max_retries: int | None = None,
        backoff_base: float | None = None,
        backoff_max: float = 60.0,
        retry_after_max: float = 120.0,
        batch_size: int = BATCH_SIZE,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings or load_settings()
        # Retries follow the user's PAPERLAB_HTTP_* settings unless a caller says
        # otherwise, so no command can forget them.
        self.policy = RetryPolicy(
            self.settings.http_retries if max_retries is None else max_retries,
            self.settings.http_backoff if backoff_base is None else backoff_base,
            backoff_max,
            retry_after_max,
        )
        self.batch_size = max(1, min(batch_size, BATCH_SIZE))
        self.query_url_format = self.settings.arxiv_api_url.split("?", 1)[0] + "?{}"
        self.limiter = ApiRateLimiter(self.settings.rate_limit_file, self.settings.arxiv_delay)
        self.timeout = self.settings.http_timeout
        # The API host may redirect within arXiv's hosts, never elsewhere.
        self.allowed = allowed_hosts(self.settings.arxiv_api_url, ARXIV_PDF_HOSTS)
        self.session = guard_session(session or requests.Session(), self.allowed)
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
        """GET one API url with pacing, timeouts and retries; parse the answer.

        All tries together get ``PAPERLAB_HTTP_DEADLINE`` seconds.
        """
        last_reason = "no answer"
        tries = 0
        with Deadline(self.settings.http_deadline) as deadline:
            while tries < self.policy.tries:
                tries += 1
                retry_after: float | None = None
                try:
                    status, content, headers = self._get(url)
                except (Refused, TooLarge, DeadlineExceeded) as exc:
                    raise self._refusal(url, exc) from None
                except requests.RequestException as exc:
                    if deadline.expired:
                        raise self._refusal(url, DeadlineExceeded()) from None
                    last_reason = describe_request_error(exc, self.timeout)
                    logger.info("arXiv request failed (try %d): %s: %s", tries, url, exc)
                else:
                    try:
                        return parse_response(
                            status, content, url=url, headers=headers, allow_empty=allow_empty
                        )
                    except TransientResponse as exc:
                        last_reason = exc.reason
                        retry_after = exc.retry_after
                        logger.info("arXiv answered %s (try %d): %s", exc.reason, tries, url)
                pause = self.policy.delay(tries - 1, retry_after)
                if tries < self.policy.tries and pause >= deadline.remaining():
                    break  # the next try could not even start in time
                if tries < self.policy.tries:
                    time.sleep(pause)
        kind = ApiUnreachable if last_reason in UNREACHABLE_REASONS else NetworkError
        raise kind(
            f"arXiv did not answer after {tries} {'try' if tries == 1 else 'tries'}"
            f" ({last_reason}).",
            NETWORK_HINT,
            url=url,
            retries=tries - 1,
        )

    def _take_turn(self) -> None:
        self.limiter.wait_turn()
        self.requests_sent += 1

    def _get(self, url: str) -> tuple[int, bytes, dict[str, str]]:
        """One try: redirects followed on allowed hosts, the body read whole but capped."""
        with open_response(
            self.session,
            url,
            allowed=self.allowed,
            timeout=self.timeout,
            before_each=self._take_turn,
        ) as (resp, _final):
            # Read here, inside the try, so a cut-off body counts as transient.
            content = read_capped(resp, self.settings.max_api_bytes)
            return resp.status_code, content, dict(resp.headers)

    def _refusal(self, url: str, exc: Refused | TooLarge | DeadlineExceeded) -> NetworkError:
        """Final (not retried): the answer is one paperlab does not accept."""
        if isinstance(exc, TooLarge):
            return NetworkError(
                f"arXiv's answer is larger than the {exc.limit / MB:g} MB limit"
                " (PAPERLAB_MAX_API_MB).",
                "Check PAPERLAB_ARXIV_API_URL points at the arXiv API.",
                url=url,
            )
        if isinstance(exc, DeadlineExceeded):
            return NetworkError(
                f"arXiv did not answer within {self.settings.http_deadline:g} s"
                " (PAPERLAB_HTTP_DEADLINE).",
                "Raise PAPERLAB_HTTP_DEADLINE on a slow connection; "
                + NETWORK_HINT[0].lower()
                + NETWORK_HINT[1:],
                url=url,
            )
        return NetworkError(
            f"Refusing to query {shown(url)}: {exc.reason}.",
            "Only arXiv's hosts and the PAPERLAB_ARXIV_API_URL host are contacted.",
            url=url,
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
        with the current version. Ids still absent after one re-query are
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
        """Ask for one batch; ids the answer leaves out are asked for once more.

        The API sometimes drops entries it has, so an omission is not yet an
        absence; but one re-query for the whole batch (paced by the rate
        limiter, no backoff) settles it: ids still left out then are reported
        missing, so a mistyped id is answered in one API turn, not a minute
        of retries.
        """
        pending = {i.base: i for i in chunk}
        requeried = False
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
            for base, reason in page.bad.items():
                if pending.pop(base, None) is not None:
                    result.errors.append(BatchFailure([base], MalformedEntryError(reason + ".")))
            for meta in page.papers:
                asked = pending.get(meta.base_id)
                if asked is None:
                    continue
                if asked.version is not None and meta.version != asked.version:
                    continue
                result.found[meta.base_id] = meta
                del pending[meta.base_id]
            if not pending or requeried:
                break
            logger.info("arXiv left out %d id(s); asking once more", len(pending))
            requeried = True
        for base, asked in pending.items():
            if asked.version is not None:
                result.missing[base] = (
                    f"arXiv has no version {asked.version} of {base}; check the version."
                )
            else:
                result.missing[base] = f"{base} does not exist on arXiv; check the id."

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
