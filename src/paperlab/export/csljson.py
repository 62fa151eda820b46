"""CSL-JSON (what Zotero, pandoc and citeproc read) for the selected papers.

A preprint is ``type: article`` with ``publisher: arXiv`` and
``number: arXiv:<id>`` (Zotero's convention); a paper with a journal
reference is ``article-journal`` with ``container-title``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from paperlab.export.bibtex import abs_url
from paperlab.export.latex import normalise_space
from paperlab.store.models import Paper

_PARTICLES = frozenset(
    [
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "di",
        "da",
        "du",
        "le",
        "la",
        "dos",
        "das",
        "ten",
        "ter",
    ]
)


def split_name(author: str) -> dict[str, str]:
    """``{"given", "family"}`` for an author name, ``{"literal"}`` when it has one word."""
    author = normalise_space(author)
    if "," in author:
        family, given = (s.strip() for s in author.split(",", 1))
        return {"family": family, "given": given}
    words = author.split()
    if len(words) < 2:
        return {"literal": author}
    cut = len(words) - 1
    for i, word in enumerate(words[1:-1], start=1):  # "Ludwig van Beethoven"
        if word.lower() in _PARTICLES:
            cut = i
            break
    return {"given": " ".join(words[:cut]), "family": " ".join(words[cut:])}


def csl_item(paper: Paper) -> dict[str, Any]:
    """One CSL-JSON item; ``id`` is the paper's citation key."""
    item: dict[str, Any] = {
        "id": paper.citation_key or paper.id,
        "type": "article-journal" if paper.journal_ref else "article",
        "title": normalise_space(paper.title),
    }
    authors = [split_name(a) for a in paper.author_list if normalise_space(a)]
    if authors:  # none known: left out, so no style invents an "Anon."
        item["author"] = authors
    if paper.published:
        d = paper.published
        item["issued"] = {"date-parts": [[d.year, d.month, d.day]]}
    if paper.journal_ref:
        item["container-title"] = normalise_space(paper.journal_ref)
    if not paper.id.startswith("local:"):
        item["publisher"] = "arXiv"
        item["number"] = f"arXiv:{paper.id}"
        if paper.primary_category:
            item["note"] = f"arXiv:{paper.id} [{paper.primary_category}]"
    if paper.doi:
        item["DOI"] = paper.doi
    url = abs_url(paper)
    if url:
        item["URL"] = url
    if paper.abstract:
        item["abstract"] = normalise_space(paper.abstract)
    return item


def csl_json_text(
    papers: Sequence[Paper], aliases: Mapping[str, Sequence[str]] | None = None
) -> str:
    """A CSL-JSON array for ``papers``, pretty-printed, UTF-8.

    CSL-JSON has no alias field, so each old key of a paper (``aliases`` by
    paper id) gets a copy of its item under that id: that is what lets pandoc
    resolve ``[@old]`` in a draft written before a rekey.
    """
    aliases = aliases or {}
    items = []
    for paper in papers:
        item = csl_item(paper)
        items.append(item)
        items += [{**item, "id": old} for old in aliases.get(paper.id, ())]
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


__all__ = ["csl_item", "csl_json_text", "split_name"]
