"""The review draft as pandoc Markdown with ``[@key]`` citations.

Renders with ``pandoc --citeproc --bibliography references.bib review.md``.
All text from the library (titles, notes, quotes, log) is escaped, so a stray
``@``, ``*`` or ``[`` in a note can never become a broken citation or markup;
safe ``$...$`` math is kept as pandoc math. Headings go one level at a time:
``#`` for the draft's parts, ``##`` for each theme; the fields inside a theme
are bold run-in labels, not headings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from paperlab.export.latex import normalise_space, split_math
from paperlab.export.review import LogItem, PaperEntry, ReviewData, ThemeSection
from paperlab.export.review_fields import FIELD_TITLES, FIELDS, body_text
from paperlab.export.review_text import KIND_LABELS, field_sentences, split_end

MD_SPECIALS = set("\\`*_{}[]<>#$@^~|&")
CELL_WORDS = 14


MISSING = "Missing from my notes"


def missing_sentence(narrative: str) -> str:
    """How a field's absence from some notes is said (``narrative``: those papers cited)."""
    return f"{MISSING} for {narrative}."


def fields_absent(entries: Sequence[PaperEntry]) -> list[str]:
    """The comparison fields (after the problem) that no note of the theme fills: said
    once for the theme (:func:`absent_sentence`), not as a paragraph each."""
    return [
        name
        for name in FIELDS
        if name != "problem" and not any(e.fields.get(name).strip() for e in entries)
    ]


def absent_sentence(names: Sequence[str], narrative: str) -> str:
    """ "Method and limitations for @a and @b." (``narrative``: the theme's papers cited)."""
    listed = _and(FIELD_TITLES[name].lower() for name in names)
    return f"{listed[:1].upper()}{listed[1:]} for {narrative}."


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


def _and(items: Iterable[str]) -> str:
    listed = list(items)
    return listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]


def cite_all(keys: Sequence[str]) -> str:
    return "[" + "; ".join(f"@{k}" for k in keys) + "]"


def cited(text: str, citation: str) -> str:
    """Every sentence of ``text`` with ``citation`` before its full stop."""
    out = []
    for sentence in field_sentences(text):
        body, end = split_end(sentence)
        out.append(f"{md_escape(body)} {citation}{end}")
    return " ".join(out)


def _field_paragraph(title: str, entries: Sequence[PaperEntry], values: dict[str, str]) -> str:
    """One field across the theme's papers; the papers whose notes lack it are named."""
    parts = [cited(values[e.key], cite(e.key)) for e in entries if values[e.key].strip()]
    missing = [e.key for e in entries if not values[e.key].strip()]
    if missing:
        parts.append(missing_sentence(_and(f"@{k}" for k in missing)))
    return f"**{title}.** " + " ".join(parts)


def _optional_paragraph(title: str, entries: Sequence[PaperEntry], values: dict[str, str]) -> str:
    parts = [cited(values[e.key], cite(e.key)) for e in entries if values[e.key].strip()]
    return f"**{title}.** " + " ".join(parts) if parts else ""


def _shorten(text: str) -> str:
    words = normalise_space(text).split(" ")
    return text if len(words) <= CELL_WORDS else " ".join(words[:CELL_WORDS]).rstrip(",;:") + "…"


def theme_section(section: ThemeSection) -> list[str]:
    entries = section.entries
    keys = [e.key for e in entries]
    out = [f"## {md_escape(section.name)}", ""]
    count = "one paper" if len(entries) == 1 else f"{len(entries)} papers"
    opening = [f"This theme gathers {count} from my reading {cite_all(keys)}."]
    problems = {e.key: e.fields.problem for e in entries}
    opening += [cited(problems[k], cite(k)) for k in keys if problems[k].strip()]
    out += [" ".join(opening), ""]
    absent = fields_absent(entries)
    for name in FIELDS:
        if name == "problem" or name in absent:
            continue
        values = {e.key: e.fields.get(name) for e in entries}
        out += [_field_paragraph(FIELD_TITLES[name], entries, values), ""]
    if absent:
        narrative = _and(f"@{k}" for k in keys)
        out += [f"**{MISSING}.** {absent_sentence(absent, narrative)}", ""]
    notes = {e.key: e.note for e in entries}
    for title, attr in (
        ("Contributions", "contributions"),
        ("Relevance to my project", "relevance"),
    ):
        values = {k: getattr(n, attr) if n else "" for k, n in notes.items()}
        paragraph = _optional_paragraph(title, entries, values)
        out += [paragraph, ""] if paragraph else []
    bodies = {k: body_text(n.body) if n else "" for k, n in notes.items()}
    paragraph = _optional_paragraph("Further notes", entries, bodies)
    out += [paragraph, ""] if paragraph else []
    if len(entries) > 1:
        out += comparison_table(entries)
    quoted = [e for e in entries if e.quotes]
    if quoted:
        out += ["**In their words.**", ""]
        for entry in quoted:
            out += quotes(entry)
    if section.questions:
        out += ["**Open questions.**", ""]
        out += [f"- {md_escape(q)} {cite(key)}" for key, q in section.questions]
        out.append("")
    return out


def comparison_table(entries: Sequence[PaperEntry]) -> list[str]:
    out = [
        "| Paper | " + " | ".join(FIELD_TITLES[f] for f in FIELDS) + " |",
        "|" + "---|" * (len(FIELDS) + 1),
    ]
    for entry in entries:
        cells = [md_escape(_shorten(entry.fields.get(f))) or "*missing*" for f in FIELDS]
        out.append(f"| {cite(entry.key)} | " + " | ".join(cells) + " |")
    return [
        *out,
        "",
        f": The papers compared along my notes' fields {cite_all([e.key for e in entries])}.",
        "",
    ]


def quotes(entry: PaperEntry) -> list[str]:
    lines: list[str] = []
    for quote in entry.quotes:
        where = cite(entry.key, quote.page)
        by = f" ({md_escape(quote.by)})" if quote.by else ""
        lines.append(f"> \u201c{md_escape(quote.text)}\u201d {where}{by}")
        if quote.comment.strip():
            whose = f"{md_escape(quote.by)}'s note" if quote.by else "My note"
            lines += [">", f"> *{whose}:* {md_escape(quote.comment).strip()}"]
        lines.append("")
    return lines


def log_line(item: LogItem, *, prefix: str | None = None, bullet: bool = True) -> str:
    """One log entry: its kind and date in bold, its text, the papers it cites."""
    refs = f" {cite_all(item.keys)}" if item.keys else ""
    text, end = split_end(normalise_space(item.text))
    kind = prefix if prefix is not None else f"{KIND_LABELS.get(item.kind, item.kind)}, "
    by = f" ({md_escape(item.by)})" if item.by else ""  # a colleague's shared entry
    line = f"**{kind}{item.created_at.date().isoformat()}{by}.** {md_escape(text)}{refs}{end}"
    return f"- {line}" if bullet else line


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
        "overwrites this file, so work on a copy. Themes and their names come from "
        "themes.toml next to it. -->",
        "",
        "# Research question and aims",
        "",
    ]
    if data.question is None and not data.aims:
        out += [
            "*The research log has no question or idea yet: "
            "state the research question and aims here.*",
            "",
        ]
    if data.question is not None:
        out += [log_line(data.question, prefix="Research question, ", bullet=False), ""]
    if data.aims:
        out += [log_line(item) for item in data.aims] + [""]
    out += ["# Related work", ""]
    if not data.sections:
        out += ["*No paper has notes or annotations yet: the related work starts with them.*", ""]
    for section in data.sections:
        out += theme_section(section)
    out += ["# What I tried", ""]
    if data.tried:
        out += [log_line(item) for item in data.tried] + [""]
    else:
        out += ["*The research log has no decisions, experiments or results yet.*", ""]
    out += ["# Open questions", ""]
    if data.open_items:
        out += [log_line(item) for item in data.open_items] + [""]
    else:
        out += ["*The research log has no open question or to-do after the first question.*", ""]
    if data.include_unread and data.unread:
        out += ["# Appendix: papers not yet noted", ""]
        out += [
            f"- {md_escape(e.paper.title or e.paper.id)} {cite(e.key)}"
            for e in sorted(data.unread, key=lambda e: e.key)
        ]
        out.append("")
    out += ["# References", "", "::: {#refs}", ":::", ""]
    return "\n".join(out)


__all__ = ["cite", "md_escape", "render_markdown"]
