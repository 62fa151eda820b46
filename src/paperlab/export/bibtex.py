"""BibTeX in arXiv's own conventions, with keys from Paper.citation_key.

``@misc`` with ``eprint``/``archivePrefix``/``primaryClass`` for a preprint,
``@article`` with ``journal`` when arXiv knows where it was published. Text
fields go through :func:`paperlab.export.latex.tex_escape` in its BibTeX mode
(a brace without a partner as ``\\textbraceleft{}``/``\\textbraceright{}``:
BibTeX counts ``\\{`` as a brace), so every entry reads back with bibtex,
biber and any BibTeX parser, whatever braces or ``%`` a title or name carries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from paperlab.export.latex import normalise_space, tex_escape
from paperlab.store.models import Paper

_AND = re.compile(r"\band\b", re.IGNORECASE)


def _braced(value: str) -> str:
    return "{" + value + "}"


def _plain(value: str) -> str:
    """A verbatim-ish field (url, doi, eprint): no braces, backslashes or spaces."""
    return re.sub(r"[{}\\\s%]", "", value)


def format_author(name: str) -> str:
    """One author for an ``author`` field; names BibTeX would misparse are braced."""
    escaped = tex_escape(name, keep_math=False, bibtex=True)
    if "," in name or _AND.search(name) or len(name.split()) == 1:
        return "{" + escaped + "}"
    return escaped


def abs_url(paper: Paper) -> str | None:
    return None if paper.id.startswith("local:") else f"https://arxiv.org/abs/{paper.id}"


def bibtex_fields(paper: Paper) -> tuple[str, list[tuple[str, str]]]:
    """Entry type and (field, already-braced value) pairs for ``paper``."""
    fields: list[tuple[str, str]] = []
    title = normalise_space(paper.title) or paper.id
    # Double braces keep the title's capitalisation (BERT, ImageNet) in every style.
    fields.append(("title", "{" + _braced(tex_escape(title, bibtex=True)) + "}"))
    authors = [a for a in paper.author_list if normalise_space(a)]  # "A and  and B" misparses
    if authors:
        fields.append(("author", _braced(" and ".join(format_author(a) for a in authors))))
    if paper.year:
        fields.append(("year", _braced(str(paper.year))))
    entry_type = "misc"
    if paper.journal_ref:
        entry_type = "article"
        fields.append(("journal", _braced(tex_escape(paper.journal_ref, bibtex=True))))
    if not paper.id.startswith("local:"):
        fields.append(("eprint", _braced(_plain(paper.id))))
        fields.append(("archivePrefix", "{arXiv}"))
        if paper.primary_category:
            fields.append(("primaryClass", _braced(_plain(paper.primary_category))))
    if paper.doi:
        fields.append(("doi", _braced(_plain(paper.doi))))
    url = abs_url(paper)
    if url:
        fields.append(("url", _braced(url)))
    return entry_type, fields


def bibtex_entry(paper: Paper, aliases: Sequence[str] = ()) -> str:
    """One BibTeX entry; ``paper.citation_key`` must be set (see ensure_keys).

    ``aliases`` (keys the paper had before a rekey) go in biblatex's ``ids``
    field, and each also gets a copy of the entry under its own key: pandoc
    (2.17) resolves an ``ids`` alias only when the main key is cited too, and
    plain BibTeX ignores ``ids``; biber takes the copy's key as a real entry
    and skips the alias with a warning. So ``[@old]`` and ``\\cite{old}``
    build everywhere.
    """
    if not paper.citation_key:
        raise ValueError(f"paper {paper.id} has no citation key")
    entry_type, fields = bibtex_fields(paper)
    main = fields + ([("ids", _braced(", ".join(aliases)))] if aliases else [])
    entries = [_entry(entry_type, paper.citation_key, main)]
    for old in aliases:
        note = f"% {old}: an earlier key of {paper.citation_key}, kept for drafts citing it\n"
        entries.append(note + _entry(entry_type, old, fields))
    return "\n".join(entries)


def _entry(entry_type: str, key: str, fields: list[tuple[str, str]]) -> str:
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@{entry_type}{{{key},\n{body}\n}}\n"


def bibtex_text(papers: Sequence[Paper], aliases: Mapping[str, Sequence[str]] | None = None) -> str:
    """A whole ``.bib`` file for ``papers`` (in the given order); ``aliases`` by paper id."""
    aliases = aliases or {}
    return "\n".join(bibtex_entry(p, aliases.get(p.id, ())) for p in papers)


__all__ = ["abs_url", "bibtex_entry", "bibtex_fields", "bibtex_text", "format_author"]
