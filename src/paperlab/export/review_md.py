"""The review draft as pandoc Markdown with ``[@key]`` citations.

Renders with ``pandoc --citeproc --bibliography references.bib review.md``.
All text from the library (titles, abstracts, notes, quotes) is escaped, so a
stray ``@``, ``*`` or ``[`` in a note can never become a broken citation or
markup; safe ``$...$`` math is kept as pandoc math.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from paperlab.export.latex import normalise_space, split_math
from paperlab.export.review import (
    AIM_KINDS,
    KIND_TITLES,
    PaperEntry,
    ReviewData,
    first_sentence,
)

MD_SPECIALS = set("\\`*_{}[]<>#$@^~|&")


def _escape_text(text: str) -> str:
    return "".join("\\" + c if c in MD_SPECIALS else c for c in text)


def _pandoc_math_ok(segment: str) -> bool:
    body = segment[1:-1]
    return bool(body) and not body[0].isspace() and not body[-1].isspace()


def md_escape(text: str) -> str:
    """Escape library text for pandoc Markdown on one line; keeps safe inline math."""
    text = normalise_space(text)
    out = []
    for is_math, segment in split_math(text):
        out.append(segment if is_math and _pandoc_math_ok(segment) else _escape_text(segment))
    return "".join(out)


def cite(key: str, page: int | None = None) -> str:
    return f"[@{key}, p. {page}]" if page else f"[@{key}]"


def _inline(text: str) -> str:
    """A multi-line note field as one running sentence list."""
    items = [ln.strip(" -*+\t") for ln in text.splitlines() if ln.strip(" -*+\t")]
    return md_escape("; ".join(items))


def _sentence(text: str) -> str:
    text = text.rstrip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def paper_section(entry: PaperEntry) -> list[str]:
    """Heading, paragraph and quotes for one paper with a note."""
    note = entry.note
    assert note is not None
    lines = [f"### {md_escape(entry.paper.title or entry.paper.id)}", ""]
    parts: list[str] = []
    if note.summary.strip():
        parts.append(_sentence(_inline(note.summary)).rstrip(".") + f" {cite(entry.key)}.")
    else:
        parts.append(
            f"{md_escape(first_sentence(entry.paper.abstract)).rstrip('.')} {cite(entry.key)}."
        )
    if note.contributions.strip():
        parts.append(f"Its key contributions: {_sentence(_inline(note.contributions))}")
    if note.method.strip():
        parts.append(f"Method: {_sentence(_inline(note.method))}")
    if note.results.strip():
        parts.append(f"Results: {_sentence(_inline(note.results))}")
    if note.limitations.strip():
        parts.append(f"Limitations: {_sentence(_inline(note.limitations))}")
    if note.relevance.strip():
        parts.append(f"Relevance to this project: {_sentence(_inline(note.relevance))}")
    lines += [" ".join(parts), ""]
    lines += quotes(entry)
    return lines


def quotes(entry: PaperEntry) -> list[str]:
    lines: list[str] = []
    for ann in entry.annotations:
        lines.append(f"> \u201c{md_escape(ann.quote)}\u201d {cite(entry.key, ann.page)}")
        if ann.comment.strip():
            lines += [">", f"> *{md_escape(ann.comment).strip()}*"]
        lines.append("")
    return lines


def to_read_item(entry: PaperEntry) -> str:
    abstract = first_sentence(entry.paper.abstract) or "(no abstract)"
    return f"- **{md_escape(entry.paper.title or entry.paper.id)}** {cite(entry.key)}: " + (
        md_escape(abstract)
    )


def _cell(text: str) -> str:
    return md_escape(text) or "\u2014"


def render_markdown(data: ReviewData, *, now: datetime | None = None) -> str:
    """The whole draft as pandoc Markdown."""
    now = now or datetime.now(UTC)
    out = [
        "---",
        f"title: {json.dumps(md_escape(data.title), ensure_ascii=False)}",
        f"date: {now.date().isoformat()}",
        "bibliography: references.bib",
        "link-citations: true",
        "---",
        "",
        "<!-- A draft from `paperlab export review`: edit freely; exporting again "
        "overwrites this file, so work on a copy. -->",
        "",
        "# Research question and aims",
        "",
    ]
    if not data.log:
        out += [
            "*No questions, decisions or ideas in the research log yet: "
            "state the research question and aims here.*",
            "",
        ]
    for kind in AIM_KINDS:
        items = [item for item in data.log if item.kind == kind]
        if not items:
            continue
        out += [f"## {KIND_TITLES[kind]}", ""]
        for item in items:
            refs = "; ".join(f"@{k}" for k in item.keys)
            suffix = f" [{refs}]" if refs else ""
            out.append(f"- {md_escape(item.text)}{suffix} ({item.created_at.date().isoformat()})")
        out.append("")
    for theme in data.themes:
        out += [f"# {md_escape(theme.title)}", ""]
        if theme.kind == "cluster":
            out += [
                f"*A theme found by clustering; key terms: {md_escape(', '.join(theme.terms))}.*",
                "",
            ]
        entries = [data.papers[pid] for pid in theme.paper_ids]
        for entry in entries:
            if entry.has_note:
                out += paper_section(entry)
        unread = [e for e in entries if not e.has_note]
        if unread:
            out += ["**Still to read:**", ""]
            out += [to_read_item(e) for e in unread]
            out.append("")
    if data.comparison:
        out += [
            "# Comparison",
            "",
            "| Paper | Year | Method | Data | Result | Limitation |",
            "|---|---|---|---|---|---|",
        ]
        for row in data.comparison:
            cells = [cite(row.key), row.year or "\u2014"] + [
                _cell(t) for t in (row.method, row.data, row.result, row.limitation)
            ]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    if data.questions:
        out += ["# Open questions", ""]
        out += [f"- {md_escape(q)} {cite(key)}" for key, q in data.questions]
        out.append("")
    out += ["# References", "", "::: {#refs}", ":::", ""]
    return "\n".join(out)


__all__ = ["cite", "md_escape", "render_markdown"]
