"""arXiv identifiers: parse, normalise, version and file-safe names.

Two schemes exist (https://info.arxiv.org/help/arxiv_identifier.html):

* new style, since April 2007: ``YYMM.NNNN`` (until 2014) or ``YYMM.NNNNN``;
* old style, before that: ``archive[.SUBJ]/YYMMNNN``, e.g. ``hep-th/9901001``.

Either may carry a version suffix ``vN``. The subject class of an old-style id
(``math.GT/0309136``) is not part of the identity, so it is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlparse

from paperlab.errors import InvalidIdError, shown

OLD_ARCHIVES = frozenset(
    {
        "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an",
        "chao-dyn", "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an",
        "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math", "math-ph", "mtrl-th",
        "nlin", "nucl-ex", "nucl-th", "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio",
        "quant-ph", "solv-int", "supr-con",
    }
)  # fmt: skip

# Ids are ASCII. [0-9] rather than \d, and re.ASCII throughout: \d, int() and
# case-insensitive letters also accept other scripts' digits and look-alike
# letters, and '１７０６.０３７６２' (full width) must not become a paper of its own.
_NEW = re.compile(r"(?P<yymm>[0-9]{4})\.(?P<num>[0-9]{4,5})(?:v(?P<v>[1-9][0-9]{0,3}))?", re.ASCII)
_OLD = re.compile(
    r"(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.(?P<subj>[A-Za-z]{2}(?:-[A-Za-z]{2})?))?"
    r"/(?P<yymm>[0-9]{4})(?P<num>[0-9]{3})(?:v(?P<v>[1-9][0-9]{0,3}))?",
    re.ASCII,
)
_ARXIV_HOSTS = ("arxiv.org", "export.arxiv.org", "www.arxiv.org")
_URL_PATH = re.compile(r"^/(?:abs|pdf|html|format)/(?P<id>.+?)(?:\.pdf)?/?$", re.ASCII)

# Example shown to users whenever an id is rejected.
ID_HINT = "Use an arXiv id such as 1706.03762, 1706.03762v5, hep-th/9901001 or an arxiv.org URL."


@dataclass(frozen=True, order=True)
class ArxivId:
    """A parsed arXiv identifier: ``base`` is the version-less identity."""

    base: str
    version: int | None = None

    def __str__(self) -> str:
        return self.versioned if self.version else self.base

    @property
    def versioned(self) -> str:
        return f"{self.base}v{self.version}" if self.version else self.base

    @property
    def is_old_style(self) -> bool:
        return "/" in self.base

    def with_version(self, version: int | None) -> ArxivId:
        return ArxivId(self.base, version)

    def file_stem(self) -> str:
        """A name safe on every filesystem: ``hep-th/9901001v2`` -> ``hep-th_9901001v2``."""
        return str(self).replace("/", "_")

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self}"


def _valid_new(yymm: str, num: str) -> bool:
    year, month = int(yymm[:2]), int(yymm[2:])
    if not 1 <= month <= 12:
        return False
    if (year, month) < (7, 4):
        return False
    # Four-digit sequence numbers until December 2014, five from January 2015.
    return len(num) == (4 if year < 15 else 5)


def _valid_old(yymm: str) -> bool:
    year, month = int(yymm[:2]), int(yymm[2:])
    if not 1 <= month <= 12:
        return False
    # Old-style ids ran from August 1991 to March 2007.
    return year >= 91 or (year, month) <= (7, 3)


def _parse_bare(text: str) -> ArxivId | None:
    m = _NEW.fullmatch(text)
    if m:
        if not _valid_new(m["yymm"], m["num"]):
            return None
        version = int(m["v"]) if m["v"] else None
        return ArxivId(f"{m['yymm']}.{m['num']}", version)
    m = _OLD.fullmatch(text)
    if m:
        if m["archive"] not in OLD_ARCHIVES or not _valid_old(m["yymm"]):
            return None
        version = int(m["v"]) if m["v"] else None
        return ArxivId(f"{m['archive']}/{m['yymm']}{m['num']}", version)
    return None


def _strip_url(text: str) -> str | None:
    """The id part of an arxiv.org URL, or None when ``text`` is not one."""
    if not re.match(
        r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/", text, re.IGNORECASE | re.ASCII
    ):
        return None
    parsed = urlparse(text if "://" in text else f"https://{text}")
    if parsed.hostname not in _ARXIV_HOSTS:
        return None
    m = _URL_PATH.match(parsed.path)
    return m["id"] if m else ""


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse any accepted spelling of an arXiv id, or raise InvalidIdError naming it."""
    raw = text
    candidate = text.strip()
    from_url = _strip_url(candidate)
    if from_url is not None:
        candidate = from_url
    elif candidate[:6].lower() == "arxiv:":
        candidate = candidate[6:].strip()
    parsed = _parse_bare(candidate) if candidate else None
    if parsed is None:
        raise InvalidIdError(f"{shown(raw)} is not an arXiv identifier.", hint=ID_HINT)
    return parsed


def try_parse_arxiv_id(text: str) -> ArxivId | None:
    """Like parse_arxiv_id, but None instead of an error."""
    try:
        return parse_arxiv_id(text)
    except InvalidIdError:
        return None


def looks_like_id(text: str) -> bool:
    return try_parse_arxiv_id(text) is not None


# A stamp or citation of an id inside running text (PDF side stamps, references).
ID_IN_TEXT = re.compile(
    r"arXiv:\s*(?P<id>[0-9]{4}\.[0-9]{4,5}(?:v[0-9]+)?"
    r"|[a-z-]+(?:\.[A-Z]{2})?/[0-9]{7}(?:v[0-9]+)?)",
    re.IGNORECASE,  # not ASCII-only: a PDF may put a no-break space after the colon
)


def find_id_in_text(text: str) -> ArxivId | None:
    """The first well-formed ``arXiv:<id>`` mention in ``text``."""
    for m in ID_IN_TEXT.finditer(text):
        found = try_parse_arxiv_id(m["id"])
        if found is not None:
            return found
    return None
