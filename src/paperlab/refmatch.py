"""Match parsed reference entries to papers in the library.

In order of trust: an explicit arXiv id, a DOI, an arXiv id an online look-up
confirmed, then the title. Titles are compared as letters and digits only,
after folding ligatures (NFKC), accents (NFKD without combining marks, and
the spacing accents LaTeX PDFs print beside a letter: "G¨ulc¸ehre") and case,
so "Johnson–Lindenstrauss", "Johnson-\\nLindenstrauss" and "JohnsonLindenstrauss"
are one title. An exact title match needs the year within two of the
paper's (or no year printed) or the first author's surname; a near match
(SequenceMatcher ratio >= 0.92, which absorbs a dropped word or a
misread letter) needs the surname and the year.

Plain sqlite3 reads only: this runs on every ``refs``, ``cited-by``,
``graph`` and ``next``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from paperlab.ids import try_parse_arxiv_id

NEAR_TITLE = 0.92
YEAR_SLACK = 2
MIN_TITLE_KEY = 12  # shorter normalised titles ("Dropout") match only with author and year

# Accents set as separate characters by LaTeX's \" \' \` \^ \~ \c \v \u \= \. \r.
_SPACING_ACCENTS = dict.fromkeys(map(ord, "¨´`ˆ˜¸ˇ˘¯˙˚'’"), None)
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lowercase ASCII letters and digits of ``text``, spaces between words."""
    # Spacing accents first: NFKC would turn "¨" into a space and a combining mark.
    text = unicodedata.normalize("NFKC", text.translate(_SPACING_ACCENTS))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_NOT_ALNUM.sub(" ", text.lower()).split())


def title_key(title: str | None) -> str:
    """A title as letters and digits only: spacing and hyphenation do not count."""
    return fold(title or "").replace(" ", "")


def surname_key(author: str | None) -> str:
    """The family name of an author as printed, folded ("Bengio, Yoshua" -> "bengio")."""
    if not author:
        return ""
    if "," in author:
        name = author.split(",", 1)[0]
    else:
        words = [w for w in author.split() if len(w.strip(".")) > 1]
        name = words[-1] if words else author
    return fold(name).replace(" ", "")


def base_arxiv_id(raw: str | None) -> str | None:
    """The version-less form of an arXiv id, or None when it is not one."""
    parsed = try_parse_arxiv_id(raw) if raw else None
    return parsed.base if parsed is not None else None


@dataclass(frozen=True)
class LibraryPaper:
    id: str
    title: str
    year: int | None
    surnames: tuple[str, ...]
    doi: str | None
    citation_key: str | None


@dataclass(frozen=True)
class Resolution:
    """What an entry points at: a library paper, or an arXiv id outside the library."""

    paper_id: str | None  # a library paper
    arxiv_id: str | None  # an arXiv paper not in the library (a candidate)
    how: str  # "arxiv-id", "doi", "online", "title", "title+author" ...


class LibraryIndex:
    """The library's papers by arXiv id, DOI, title key and first author."""

    def __init__(self, papers: Iterable[LibraryPaper]) -> None:
        self.papers: dict[str, LibraryPaper] = {}
        self.by_doi: dict[str, str] = {}
        self.by_title: dict[str, list[LibraryPaper]] = defaultdict(list)
        self.by_surname: dict[str, list[LibraryPaper]] = defaultdict(list)
        for paper in papers:
            self.papers[paper.id] = paper
            if paper.doi:
                self.by_doi[paper.doi.lower()] = paper.id
            key = title_key(paper.title)
            if key:
                self.by_title[key].append(paper)
            if paper.surnames:
                self.by_surname[paper.surnames[0]].append(paper)

    @classmethod
    def load(cls, conn: Any) -> LibraryIndex:
        rows = conn.execute(
            "SELECT id, title, published, authors, doi, citation_key FROM paper"
        ).all()
        papers = []
        for pid, title, published, authors, doi, key in rows:
            year = int(str(published)[:4]) if published else None
            try:
                names = [str(a) for a in json.loads(authors or "[]")]
            except ValueError:
                names = []
            surnames = tuple(surname_key(_given_first(n)) for n in names)
            papers.append(LibraryPaper(str(pid), title or "", year, surnames, doi, key))
        return cls(papers)

    def resolve(
        self,
        *,
        arxiv_id: str | None,
        doi: str | None,
        online_arxiv_id: str | None,
        title: str | None,
        year: int | None,
        first_author: str | None,
    ) -> Resolution | None:
        for raw, how in ((arxiv_id, "arxiv-id"), (online_arxiv_id, "online")):
            base = base_arxiv_id(raw)
            if base is not None:
                if base in self.papers:
                    return Resolution(base, None, how)
                return Resolution(None, base, how)
        if doi and doi.lower() in self.by_doi:
            return Resolution(self.by_doi[doi.lower()], None, "doi")
        found = self.by_title_match(title, year, first_author)
        return Resolution(found[0], None, found[1]) if found else None

    def by_title_match(
        self, title: str | None, year: int | None, first_author: str | None
    ) -> tuple[str, str] | None:
        key = title_key(title)
        if not key:
            return None
        who = surname_key(first_author)
        for paper in self.by_title.get(key, []):
            same_author = bool(who) and who in paper.surnames[:1]
            if len(key) >= MIN_TITLE_KEY and _year_fits(year, paper.year):
                return paper.id, "title+year" if not same_author else "title+author"
            if same_author and _year_fits(year, paper.year):
                return paper.id, "title+author"
        if len(key) < MIN_TITLE_KEY or not who or year is None:
            return None
        for paper in self.by_surname.get(who, []):
            if not _year_fits(year, paper.year):
                continue
            other = title_key(paper.title)
            if SequenceMatcher(None, key, other, autojunk=False).ratio() >= NEAR_TITLE:
                return paper.id, "near-title+author"
        return None


def _given_first(name: str) -> str:
    """arXiv lists authors "Given Surname"; keep commas from reading as surname-first."""
    return name.replace(",", " ")


def _year_fits(printed: int | None, paper_year: int | None) -> bool:
    if printed is None or paper_year is None:
        return True
    return abs(printed - paper_year) <= YEAR_SLACK


__all__ = [
    "LibraryIndex",
    "LibraryPaper",
    "Resolution",
    "base_arxiv_id",
    "fold",
    "surname_key",
    "title_key",
]
