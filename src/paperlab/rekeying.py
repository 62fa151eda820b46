"""Changing a paper's citation key on purpose (``paperlab rekey``).

Keys never change by themselves (``library.ensure_citation_key``). When the
user wants a better one, the old key is kept as an alias: the BibTeX export
lists it in ``ids``, the CSL-JSON export repeats the entry under it, and the
vault export renames the note and its ``[[links]]``, so nothing written
with the old key breaks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import select

from paperlab.citekeys import base_key, unique_key
from paperlab.errors import UsageError, clip
from paperlab.library import key_owner, resolve_paper
from paperlab.store import Store
from paperlab.store.models import CitationAlias

# What BibTeX, biber, pandoc ([@key]) and Obsidian file names all accept.
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_:.+-]{0,79}")
KEY_HINT = "Start with a letter; use letters, digits and _ : . + - (e.g. vaswani2017attention)."


@dataclass
class RekeyResult:
    paper_id: str
    old: str | None
    new: str
    aliases: list[str]

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.paper_id,
            "old": self.old,
            "new": self.new,
            "changed": self.changed,
            "aliases": self.aliases,
        }


def check_key(text: str) -> str:
    key = text.strip()
    if not _KEY.fullmatch(key):
        raise UsageError(f"{clip(text)!r} is not a usable citation key.", hint=KEY_HINT)
    return key


def rekey(store: Store, paper_text: str, new: str | None = None) -> RekeyResult:
    """Give a paper the key ``new`` (or one made from its current metadata).

    The old key becomes an alias; a key already used by another paper, as
    its key or as an alias, is refused. Taking back one of the paper's own
    aliases swaps the two.
    """
    wanted = check_key(new) if new is not None else None
    with store.write() as session:
        paper = resolve_paper(session, paper_text)
        old = paper.citation_key
        if wanted is None:
            title = paper.title or paper.id.replace("local:", "local")

            def taken(key: str) -> bool:
                return key_owner(session, key) not in (None, paper.id)

            wanted = unique_key(base_key(paper.author_list, paper.year, title), taken)
        owner = key_owner(session, wanted)
        if owner not in (None, paper.id):
            raise UsageError(
                f"Citation key {wanted!r} is already taken by paper {owner}.",
                hint="Choose another key; old keys stay valid, so they are never reused.",
            )
        if wanted != old:
            mine = session.get(CitationAlias, wanted)
            if mine is not None:
                session.delete(mine)
                session.flush()
            if old:
                session.add(CitationAlias(key=old, paper_id=paper.id))
            paper.citation_key = wanted
            session.add(paper)
            session.flush()
        rows = session.exec(select(CitationAlias).where(CitationAlias.paper_id == paper.id))
        aliases = sorted(a.key for a in rows)
        return RekeyResult(paper_id=paper.id, old=old, new=wanted, aliases=aliases)


__all__ = ["KEY_HINT", "RekeyResult", "check_key", "rekey"]
