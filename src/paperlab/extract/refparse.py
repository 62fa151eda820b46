"""Read one reference entry's fields: authors, title, year, venue, arXiv id, DOI, URL.

Identifiers come first, by pattern (``arXiv:1412.6980``, ``CoRR
abs/1301.4083``, ``hep-th/9901001``, ``10.1109/...``, ``https://...``), and
are taken out of the text so their digits are never read as a year. The rest
follows the shape nearly every style shares: the author list, then the title,
then where it appeared. A quoted title (“...”) is taken as it stands;
otherwise the entry is cut into sentences at full stops that end a word
(not an initial such as "M." or "al."), the first sentence being the
authors and the next the title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

_LABEL = re.compile(r"^\s*(?:\[(?P<b>[^\]]{1,20})\]|(?P<n>\d{1,3})\.?(?=\s))\s*")
_NEW_ARXIV = re.compile(
    r"(?:arxiv(?:\.org/(?:abs|pdf)/|\s*(?:preprint\s*)?(?:arxiv)?\s*[:/]?\s*)|abs/|\barXiv\s+)"
    r"(?P<id>\d{4}\.\s?\d{4,5})(?:v\d+)?",
    re.IGNORECASE,
)
_OLD_ARXIV = re.compile(
    r"\b(?P<id>(?:hep-th|hep-ph|hep-lat|hep-ex|gr-qc|quant-ph|astro-ph|cond-mat|nucl-th|"
    r"math-ph|nlin|physics|math|cs|stat|q-bio)(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?"
)
_DOI = re.compile(
    r"\b(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(?P<doi>10\.\d{4,9}/[^\s,;\"“”]+)", re.I
)
# A URL the line broke after "/", "." or "-" goes on after the space ("https:// designrl.io").
_URL = re.compile(r"https?://[^\s\"“”<>]*(?:(?<=[/.\-])\s(?=[a-z0-9~_])[^\s\"“”<>]+)*")
_YEAR = re.compile(r"(?<![\d./:-])(?P<y>(?:1[89]|20)\d\d)(?P<s>[a-z])?(?![\d/]|\.\d)")
_PAGES = re.compile(r"\b\d+\s?[–-]\s?\d+\b")
_QUOTED = re.compile(r"[“\"](?P<t>[^”\"]{8,400}?)[,.]?[”\"]")
# A full stop that ends an initial ("M.", "G.E.", "J.-P.") or a common
# abbreviation does not end a sentence.
_ABBREVIATIONS = frozenset(
    {"al", "et", "vol", "no", "pp", "ed", "eds", "proc", "conf", "int", "intl", "jr", "sr",
     "dr", "st", "vs", "fig", "eq", "ch", "sec", "univ", "dept", "inc", "co", "ltd"}
)  # fmt: skip
_SENTENCE_END = re.compile(r"(?<=[^\s])[.?!](?=\s+[\"“A-Za-z0-9\u00c0-\u024f(\[])")
_IN = re.compile(r"^(?:In:?|in:?)\s+")
# "In Proceedings ...", "In: ICML", "In M. Habib, editors": a venue, not a title
# ("In the Theater of Consciousness" is a title).
_IN_VENUE = re.compile(
    r"^(?:In:|in:?\s|In\s+(?:the\s+)?(?:Proc|Advances|International|Conference|Workshop|Annual"
    r"|IEEE|ACM|Journal|Symposium|Neural|European|Asian|North|Twenty|Thirty|Forty"
    r"|[A-Z]{2,}|\d|[A-Z]\.))"
)
_VENUE_TAIL = re.compile(r"(?:^|[\s,.;:(]+)(?:(?:19|20)\d\d[a-z]?|pp?\.|pages)(?:\b|\s).*$")
_YEAR_ONLY = re.compile(r"^\(?(?:19|20)\d\d[a-z]?\)?[.,:]?$")
_AUTHORS_YEAR = re.compile(r"[\s.,(]+(?:1[89]|20)\d\d[a-z]?\)?[\s.,:]*$")
_TRAILING_YEAR = re.compile(
    r"[\s,.;:(]+(?:(?:19|20)\d\d[a-z]?\)?|(?:volume|vol\.)\s*\d+)$", re.IGNORECASE
)
_AND = re.compile(r"\s*(?:,\s*and\s+|\band\s+|&\s*|;\s*)")


@dataclass
class ParsedReference:
    """One entry of a references section as printed, with the fields read from it."""

    raw: str
    label: str | None = None
    authors: list[str] = field(default_factory=list)
    title: str | None = None
    year: int | None = None
    venue: str | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    url: str | None = None

    @property
    def first_author(self) -> str | None:
        return self.authors[0] if self.authors else None


def parse_entry(raw: str) -> ParsedReference:
    """The fields of one entry (``raw`` as cut by ``split_entries``)."""
    ref = ParsedReference(raw=raw)
    text = raw
    label = _LABEL.match(text)
    if label:
        ref.label = label["b"] or label["n"]
        text = text[label.end() :]
    text = _take_identifiers(ref, text)
    ref.year = _year(text)
    quoted = _quoted_title(text)
    if quoted:
        # "Abbeel, P. and A. Y. Ng. 2004. “Title”": the year is not an author.
        authors = _AUTHORS_YEAR.sub("", text[: quoted.start()])
        ref.title = _clean_title(quoted["t"])
        rest = text[quoted.end() :]
    else:
        parts = _sentences(text)
        authors = parts[0] if parts else ""
        # "Axelrod, A. and He, X. (2011). Title." : the year stands alone.
        parts = parts[:1] + [p for p in parts[1:] if not _YEAR_ONLY.match(p)]
        title = parts[1] if len(parts) > 1 else None
        if title is not None and _IN_VENUE.match(title):
            title = None  # "Authors. In Proceedings ...": no title printed
        ref.title = _clean_title(title) if title else None
        rest = " ".join(parts[2:])
    ref.authors = split_authors(authors)
    ref.venue = _venue(rest)
    return ref


def _quoted_title(text: str) -> re.Match[str] | None:
    """A quoted title right after the authors (and a year): not a quoted publisher later on."""
    quoted = _QUOTED.search(text)
    if quoted is None:
        return None
    parts = _sentences(text[: quoted.start()])
    if parts and _YEAR_ONLY.match(parts[-1]):
        parts = parts[:-1]
    return quoted if len(parts) <= 1 else None


def _take_identifiers(ref: ParsedReference, text: str) -> str:
    """Record arXiv id, DOI and URL, and remove them from ``text``."""
    urls = ["".join(m.group(0).split()).rstrip(".,;)") for m in _URL.finditer(text)]
    ref.url = next((u for u in urls if "doi.org" not in u), None)
    # An id in a URL the line broke ("arxiv.org/abs/ 1703.00548") is whole again here.
    found = _NEW_ARXIV.search(text) or next(
        (m for m in (_NEW_ARXIV.search(u) for u in urls) if m is not None), None
    )
    if found:
        ref.arxiv_id = found["id"].replace(" ", "")
    else:
        old = _OLD_ARXIV.search(text)
        if old:
            ref.arxiv_id = old["id"]
    doi = _DOI.search(text)
    if doi:
        ref.doi = doi["doi"].rstrip(".)]").lower()
    for pattern in (_URL, _DOI, _NEW_ARXIV, _OLD_ARXIV):
        text = pattern.sub(" ", text)
    return text


def _year(text: str) -> int | None:
    last_allowed = datetime.now(UTC).year + 1
    found = [m for m in _YEAR.finditer(_PAGES.sub(" ", text)) if int(m["y"]) <= last_allowed]
    # A year that closes a sentence or a parenthesis is the entry's ("..., 2015."),
    # not "Published online 2014;" or "CVPR 2004" in a venue's name.
    closing = [m for m in found if m.string[m.end() : m.end() + 1] in (".", ")")]
    chosen = closing or found
    return int(chosen[-1]["y"]) if chosen else None


def _sentences(text: str) -> list[str]:
    """Cut at full stops that end a word, not an initial or an abbreviation."""
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        before = text[start : match.start()].split()
        word = before[-1] if before else ""
        bare = word.strip("(),;:'’\"“”").lower()
        if text[match.end() :].lstrip()[:1].islower() and not _ends_name(word, start, parts):
            continue  # "e.g. the", "vs. other": only a name ends before a lowercase title
        if match.group(0) == "." and (_is_initial(word) or bare in _ABBREVIATIONS):
            in_authors = start == 0 and not parts
            # Past the authors a lone capital ends a sentence ("..., Part I. Discrete Math").
            lone_capital = not in_authors and bool(re.fullmatch(r"[A-Z]", word))
            ends_list = in_authors and bare == "al"  # "..., et al. Title"
            if not (lone_capital or ends_list) and not _initial_ends_authors(
                text, match.end(), in_authors
            ):
                continue
        piece = text[start : match.end()].strip()
        if piece:
            parts.append(piece)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return parts


def _ends_name(word: str, start: int, parts: list[str]) -> bool:
    """A capitalised surname ending the author list ("... Lerchner. beta-vae: ...")."""
    return start == 0 and not parts and len(word) > 2 and word[:1].isupper() and word.isalpha()


def _is_initial(word: str) -> bool:
    """ "M", "G.E", "J.-P", "Ł": a single capital or dotted capitals."""
    return bool(re.fullmatch(r"[A-Z\u00c0-\u024f](?:\.-?[A-Za-z\u00c0-\u024f]){0,2}\.?", word))


_NEXT_AUTHOR = re.compile(
    r"\s*(?:and\b|&|et\s+al|[A-Z\u00c0-\u024f]\.|[A-Z\u00c0-\u024f][\w'’\-]+\s*,"
    r"|(?:van|von|de|der|den|da|di|la|le)\s)"
)


def _initial_ends_authors(text: str, at: int, in_authors: bool) -> bool:
    """After "Sun, J." the author list ends when no further name follows."""
    if not in_authors or not _SURNAME_FIRST_START.match(text):
        return False
    return _NEXT_AUTHOR.match(text, at) is None and _comma_before_initial(text, at)


def _comma_before_initial(text: str, at: int) -> bool:
    """ "Sun, J." (surname first) can end the list; "M. Bellemare" cannot end at "M."."""
    head = text[:at].rstrip()
    return bool(_SURNAME_FIRST_TAIL.search(head))


# "Bengio, Yoshua and ..." / "He, K., ...": only such lists end on an initial.
_SURNAME_FIRST_START = re.compile(
    r"^\s*(?:(?:van|von|de|der|den|da|di|la|le)\s+)*[A-Z\u00c0-\u024f][\w'’`´¨ˆ˜¸\-]*\s*,"
)
# "..., Sun, J." / "..., Simoncelli, E P." / "..., Hinton, Geoffrey E."
_SURNAME_FIRST_TAIL = re.compile(
    r",\s*(?:[A-Z\u00c0-\u024f][\w'’\-]+\s+){0,2}(?:[A-Z\u00c0-\u024f]\.?\s?-?)+$"
)


_TITLE_TRIM = re.compile(r"^[\s,.;:\"“”'’]+|[\s,.;:\"“”'’]+$")


def _clean_title(title: str) -> str | None:
    title = _TITLE_TRIM.sub("", title)
    title = _TITLE_TRIM.sub("", _TRAILING_YEAR.sub("", title))
    title = re.sub(r"\s+", " ", title)
    return title if len(title) >= 4 else None


def split_authors(text: str) -> list[str]:
    """Names in the author list, each "Given Surname" or "Surname, Given" as printed."""
    text = re.sub(r"\bet\s+al\.?", "", text).strip(" ,;:")
    if not text:
        return []
    pieces = [p.strip(" ,") for p in _AND.split(text) if p and p.strip(" .,")]
    names: list[str] = []
    for piece in pieces:
        names.extend(_tidy_name(p) for p in piece.split(",") if p.strip(" ."))
    if not names or not _surname_first(names):
        return names
    # "Bengio, Yoshua, Glorot, Xavier" / "He, K., Zhang, X." pair up; so does the
    # first of "Abadi, M., A. Agarwal, P. Barham" and the rest stay as printed.
    paired: list[str] = []
    i = 0
    while i < len(names):
        if i + 1 < len(names) and " " not in names[i] and _given(names[i + 1]):
            paired.append(f"{names[i]}, {names[i + 1]}")
            i += 2
        else:
            paired.append(names[i])
            i += 1
    return paired


def _given(piece: str) -> bool:
    """ "K.", "G. E.", "Yoshua", "Greg S.", "P.-L": what follows a surname and its comma."""
    words = piece.split()
    if all(_is_initial(w) for w in words):
        return True
    return (
        words[0][:1].isupper()
        and all(_is_initial(w) for w in words[1:])
        and (len(words) == 1 or _is_initial(words[-1]))
    )


def _tidy_name(name: str) -> str:
    """Spaces trimmed; a full stop kept after an initial ("J."), dropped after a word."""
    name = name.strip(" ;")
    return name[:-1] if re.search(r"[^\s.]{2}\.$", name) else name


def _surname_first(names: list[str]) -> bool:
    """ "Bengio, Yoshua": the first piece is one word, the second initials or a given name."""
    if len(names) < 2 or " " in names[0]:
        return False
    return _is_initial(names[1].replace(" ", "")) or (
        len(names[1].split()) <= 2 and len(names) % 2 == 0 and " " not in names[0]
    )


def surname(author: str) -> str:
    """The family name of one author as printed ("Bengio, Yoshua" or "Yoshua Bengio")."""
    if "," in author:
        return author.split(",", 1)[0].strip()
    words = [w for w in author.split() if not _is_initial(w.rstrip("."))]
    return words[-1] if words else author.strip()


def _venue(rest: str) -> str | None:
    rest = _IN.sub("", rest.strip())
    rest = _VENUE_TAIL.sub("", rest).strip(" ,.;:")
    return rest[:200] if len(rest) >= 3 else None


__all__ = ["ParsedReference", "parse_entry", "split_authors", "surname"]
