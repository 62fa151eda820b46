"""Reading-list entries that are not on arXiv: which still need their PDF, and linking it.

Such an entry (``list_external_entry``) is fetched only when its ``url`` is on a
host paperlab may contact (``sources.netguard``: arXiv's and the API's);
otherwise the learner gets it by hand and ``paperlab add`` imports it. An
imported PDF is linked to every entry it matches: by the entry's DOI (the
paper's DOI, or the DOI printed on page 1) or by its title (the title read off
the PDF, or the entry's title printed on page 1), compared without case,
accents or punctuation. One work may sit in several lists under one key: all
of its entries are linked at once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from paperlab.errors import PaperlabError
from paperlab.settings import Settings
from paperlab.store import Store
from paperlab.store.values import loads_list

# How much of page 1 a title or DOI is looked for in: a title sits at the top.
_PAGE_ONE_CHARS = 4000
_MIN_TITLE_IN_TEXT = 15


@dataclass(frozen=True)
class ExternalEntry:
    """One work not on arXiv, as the lists name it (several lists may share its key)."""

    key: str
    title: str
    authors: tuple[str, ...]
    year: int | None
    doi: str | None
    url: str | None
    lists: tuple[str, ...]
    paper_id: str | None

    @property
    def link(self) -> str | None:
        if self.url:
            return self.url
        return f"https://doi.org/{self.doi}" if self.doi else None


def entries(store: Store, list_names: list[str] | None = None) -> list[ExternalEntry]:
    """The entries not on arXiv of ``list_names`` (default: every list), one per key."""
    by_key: dict[str, ExternalEntry] = {}
    with store.connect() as conn:
        rows = conn.execute(
            "SELECT x.key, x.title, x.authors, x.year, x.doi, x.url, l.name, x.paper_id "
            "FROM list_external_entry x JOIN reading_list l ON l.id = x.list_id "
            "ORDER BY l.name, x.position"
        ).all()
    for key, title, authors, year, doi, url, name, paper_id in rows:
        if list_names is not None and name not in list_names:
            continue
        found = by_key.get(key)
        if found is None:
            by_key[key] = ExternalEntry(
                key, title, tuple(map(str, loads_list(authors))), year, doi, url, (name,), paper_id
            )
        else:
            by_key[key] = ExternalEntry(
                found.key, found.title, found.authors, found.year, found.doi or doi,
                found.url or url, (*found.lists, name), found.paper_id or paper_id,
            )  # fmt: skip
    return list(by_key.values())


def link(store: Store, key: str, paper_id: str) -> None:
    """Point every entry with ``key`` at ``paper_id``."""
    from sqlmodel import col, select

    from paperlab.store.models import ListExternalEntry

    with store.write() as session:
        for row in session.exec(
            select(ListExternalEntry).where(
                ListExternalEntry.key == key, col(ListExternalEntry.paper_id).is_(None)
            )
        ).all():
            row.paper_id = paper_id
            session.add(row)


def norm(text: str) -> str:
    """Text compared for a match: no accents, case, punctuation or extra spaces."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def link_imported(store: Store, settings: Settings, paper_id: str) -> list[str]:
    """Link the imported paper to the unlinked entries it matches; returns their keys."""
    waiting = [e for e in entries(store) if e.paper_id is None]
    if not waiting:
        return []
    with store.connect() as conn:
        row = conn.execute(
            "SELECT title, doi, pdf_path FROM paper WHERE id = :p", {"p": paper_id}
        ).first()
    if row is None:
        return []
    title, doi, pdf_path = row
    page_one = _page_one(settings.home / pdf_path) if pdf_path else ""
    text = norm(page_one)
    linked = []
    for entry in waiting:
        by_doi = entry.doi is not None and (
            (doi or "").casefold() == entry.doi.casefold()
            or entry.doi.casefold() in page_one.casefold()
        )
        wanted = norm(entry.title)
        # A short title ("Notes") could be anyone's words: only a whole-title match counts.
        in_text = len(wanted) >= _MIN_TITLE_IN_TEXT and wanted in text
        by_title = bool(wanted) and (norm(title or "") == wanted or in_text)
        if by_doi or by_title:
            link(store, entry.key, paper_id)
            linked.append(entry.key)
    return linked


def _page_one(path: Path) -> str:
    from paperlab.extract.pdf import open_document

    try:
        doc = open_document(path)
    except PaperlabError:
        return ""
    try:
        return str(doc[0].get_text())[:_PAGE_ONE_CHARS] if doc.page_count else ""
    except Exception:  # a broken first page: nothing to match on
        return ""
    finally:
        doc.close()


__all__ = ["ExternalEntry", "entries", "link", "link_imported", "norm"]
