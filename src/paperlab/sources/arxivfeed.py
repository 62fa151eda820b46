"""Reading the arXiv API's answers: Atom entries, the error feed, bad entries.

The ``arxiv`` package parses the Atom feed and builds its ``Result`` objects
(``arxiv._feed``); this module turns one HTTP answer into a ``FeedPage`` of
``PaperMetadata``, tells retryable answers (``TransientResponse``) from final
ones (``ArxivQueryError``, a refusal), and sets aside entries the package's
parser chokes on (a bad date) so that one bad entry fails only its own paper.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import arxiv
from arxiv import _feed

from paperlab.errors import NetworkError, PaperlabError, UsageError
from paperlab.ids import ID_HINT, ArxivId, try_parse_arxiv_id
from paperlab.sources.netguard import shown
from paperlab.sources.ratelimit import parse_retry_after

logger = logging.getLogger(__name__)

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


class MalformedEntryError(PaperlabError):
    """arXiv's entry for one paper cannot be read (a bad date, say); the others can."""


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
class FeedPage:
    """One parsed API answer; ``bad`` maps base ids to why their entry was unreadable."""

    papers: list[PaperMetadata]
    total_results: int
    start_index: int
    raw: _feed.ParsedFeed
    bad: dict[str, str] = field(default_factory=dict)


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
    feed, bad = parse_feed(bytes(content))
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
    return FeedPage(papers, feed.header.total_results, feed.header.start_index, feed, bad)


# What a malformed entry raises inside the ``arxiv`` parser (dates go through
# datetime.fromisoformat and astimezone).
_ENTRY_ERRORS = (ValueError, OverflowError, TypeError)


def parse_feed(content: bytes) -> tuple[_feed.ParsedFeed, dict[str, str]]:
    """Parse an API answer, setting aside entries the ``arxiv`` parser chokes on.

    ``arxiv._feed.parse`` raises on the first bad ``<updated>`` or
    ``<published>`` date, which would sink every paper of the batch. When it
    does, each entry is tried on its own, the bad ones are removed (recorded by
    base id with the reason) and the rest parsed as usual.
    """
    try:
        return _feed.parse(content), {}
    except _ENTRY_ERRORS:
        pass
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    root = etree.fromstring(content, parser=parser)
    ns = {"atom": "http://www.w3.org/2005/Atom"}
    bad: dict[str, str] = {}
    for entry in list(root.iterfind("atom:entry", ns)):
        try:
            _feed._build_result(entry)
        except _ENTRY_ERRORS as exc:
            entry_id = _collapse(entry.findtext("atom:id", default="", namespaces=ns))
            parsed = try_parse_arxiv_id(entry_id.split("arxiv.org/abs/")[-1])
            reason = f"arXiv's entry for it is malformed ({_entry_problem(entry, ns, exc)})"
            logger.warning("Skipping a malformed entry %s: %s", shown(entry_id), reason)
            if parsed is not None:
                bad[parsed.base] = reason
            root.remove(entry)
    return _feed.parse(etree.tostring(root)), bad


def _entry_problem(entry: Any, ns: dict[str, str], exc: BaseException) -> str:
    """Which date is bad, quoted briefly; else the parser's own words."""
    for tag in ("updated", "published"):
        text = _collapse(entry.findtext(f"atom:{tag}", default="", namespaces=ns))
        try:
            _feed._parse_datetime(text)
        except _ENTRY_ERRORS:
            return f"a bad <{tag}> date {shown(text, 40)}"
    return shown(str(exc), 80)
