"""Confirm reference entries against arXiv (``--resolve-online``).

Two kinds of look-up, both batched and paced by the arXiv client's
machine-wide rate limit:

- entries that print an arXiv id the library lacks: one ``id_list`` request
  per 100 ids; the entry is confirmed when arXiv's title is the printed one
  (a misread id is then not offered as a candidate's title);
- entries with a title but no id and no match in the library: title
  queries, several titles OR-ed into one ``search_query``, each answer
  matched back to its entry by normalised title.

What was confirmed is stored on the entry (``online_*`` columns), so the
next ``refs``, ``cited-by`` or ``next`` uses it offline, and an entry is
asked about once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from paperlab.errors import NetworkError
from paperlab.ids import ArxivId
from paperlab.refmatch import NEAR_TITLE, LibraryIndex, base_arxiv_id, title_key
from paperlab.settings import Settings
from paperlab.store import Store

TITLES_PER_QUERY = 8
_QUERY_WORDS = re.compile(r"[A-Za-z0-9]+")


@dataclass
class OnlineReport:
    asked_ids: int = 0  # cited ids asked about
    asked_titles: int = 0  # titles arXiv answered a query for
    confirmed: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Pending:
    paper_id: str
    version: int
    ordinal: int
    title: str | None
    arxiv_id: str | None


def _pending(store: Store, paper_ids: Sequence[str] | None) -> list[_Pending]:
    only = "AND r.paper_id IN :ids " if paper_ids is not None else ""
    with store.connect() as conn:
        index = LibraryIndex.load(conn)
        rows = conn.execute(
            "SELECT r.paper_id, r.version, r.ordinal, r.title, r.arxiv_id, r.doi, r.year, "
            "r.authors FROM paper_reference r JOIN paper p ON p.id = r.paper_id "
            "WHERE r.version = COALESCE(p.pdf_version, 0) AND r.online_checked_at IS NULL "
            f"{only}ORDER BY r.paper_id, r.ordinal",
            {"ids": list(paper_ids or [])},
        ).all()
    pending = []
    for pid, version, ordinal, title, arxiv_id, doi, year, authors in rows:
        base = base_arxiv_id(arxiv_id)
        if base is not None:
            if base not in index.papers:
                pending.append(_Pending(pid, version, ordinal, title, base))
            continue
        names = json.loads(authors or "[]")
        found = index.resolve(
            arxiv_id=None,
            doi=doi,
            online_arxiv_id=None,
            title=title,
            year=year,
            first_author=names[0] if names else None,
        )
        if found is None and title and len(title_key(title)) >= 12:
            pending.append(_Pending(pid, version, ordinal, title, None))
    return pending


def _same_title(a: str | None, b: str | None) -> bool:
    ka, kb = title_key(a), title_key(b)
    if not ka or not kb:
        return False
    return ka == kb or SequenceMatcher(None, ka, kb, autojunk=False).ratio() >= NEAR_TITLE


def _title_query(titles: Sequence[str]) -> str:
    """``ti:"w1 w2 ..." OR ...``: the words only, so quotes and colons cannot break it."""
    phrases = []
    for title in titles:
        words = _QUERY_WORDS.findall(title)[:12]
        phrases.append('ti:"' + " ".join(words) + '"')
    return " OR ".join(phrases)


def resolve_online(
    store: Store,
    settings: Settings,
    paper_ids: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> OnlineReport:
    """Ask arXiv about the entries of ``paper_ids`` (all papers when None) not settled yet."""
    from paperlab.sources.arxiv import ArxivClient

    report = OnlineReport()
    pending = _pending(store, paper_ids)
    by_id = [p for p in pending if p.arxiv_id]
    by_title = [p for p in pending if not p.arxiv_id]
    results: dict[tuple[str, int, int], tuple[str | None, str | None]] = {}
    with ArxivClient(settings) as client:
        if by_id:
            ids = sorted({p.arxiv_id for p in by_id if p.arxiv_id})
            report.asked_ids = len(ids)
            if progress:
                progress(f"Asking arXiv about {len(ids)} cited id(s)")
            batch = client.fetch_metadata([ArxivId(i) for i in ids])
            for failure in batch.errors:
                report.errors.append(failure.error.message)
            if any(isinstance(f.error, NetworkError) for f in batch.errors):
                by_title = []  # arXiv is out of reach: the title queries would fail too
                report.asked_ids = 0
            for entry in by_id:
                meta = batch.found.get(entry.arxiv_id or "")
                if meta is None and (entry.arxiv_id or "") not in batch.missing:
                    continue  # not answered: ask again next time
                ok = meta is not None and (not entry.title or _same_title(entry.title, meta.title))
                results[(entry.paper_id, entry.version, entry.ordinal)] = (
                    entry.arxiv_id if ok else None,
                    meta.title if meta is not None else None,
                )
        for start in range(0, len(by_title), TITLES_PER_QUERY):
            part = by_title[start : start + TITLES_PER_QUERY]
            if progress:
                progress(
                    f"Asking arXiv for titles {start + 1}-{start + len(part)} of {len(by_title)}"
                )
            try:
                found = client.search(_title_query([p.title or "" for p in part]), 5 * len(part))
            except NetworkError as exc:
                report.errors.append(exc.message)
                break
            report.asked_titles += len(part)
            for entry in part:
                match = next((m for m in found if _same_title(entry.title, m.title)), None)
                results[(entry.paper_id, entry.version, entry.ordinal)] = (
                    match.base_id if match else None,
                    match.title if match else None,
                )
        report.requests = client.requests_sent
    _save(store, results)
    report.confirmed = sum(1 for arxiv_id, _ in results.values() if arxiv_id)
    return report


def _save(store: Store, results: dict[tuple[str, int, int], tuple[str | None, str | None]]) -> None:
    if not results:
        return
    from paperlab.store.models import utcnow

    now = utcnow()
    from sqlalchemy import text

    rows = [
        {"aid": aid, "title": title, "now": now, "pid": pid, "version": version, "ordinal": ordinal}
        for (pid, version, ordinal), (aid, title) in results.items()
    ]
    with store.write() as session:
        session.connection().execute(
            text(
                "UPDATE paper_reference SET online_arxiv_id = :aid, online_title = :title, "
                "online_checked_at = :now WHERE paper_id = :pid AND version = :version "
                "AND ordinal = :ordinal"
            ),
            rows,
        )


__all__ = ["OnlineReport", "resolve_online"]
