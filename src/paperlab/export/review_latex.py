"""The review draft as a LaTeX article with natbib citations and BibTeX.

Compiles with ``latexmk -pdf review.tex`` (pdflatex + bibtex, plainnat). The
style is author-year; plainnat adds the letters that tell apart several papers
by the same first author in the same year (Author et al., 2017a and 2017b),
since every entry carries its own author and year. For papers with titles or
authors in non-Latin scripts, ``latexmk -lualatex`` prints the real glyphs
(given a font that has them); pdflatex prints a ``[U+XXXX]`` placeholder.

Sections mirror the Markdown: ``\\section`` for the draft's parts,
``\\subsection`` for each theme, ``\\paragraph`` for the fields inside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from paperlab.export.bibtex import bibtex_text
from paperlab.export.latex import normalise_space, tex_escape, unicode_preamble
from paperlab.export.review import LogItem, PaperEntry, ReviewData, ThemeSection
from paperlab.export.review_fields import FIELD_TITLES, FIELDS, body_text
from paperlab.export.review_md import (
    CELL_WORDS,
    MISSING,
    absent_sentence,
    fields_absent,
    missing_sentence,
)
from paperlab.export.review_text import KIND_LABELS, field_sentences, split_end


def citep(key: str, page: int | None = None) -> str:
    return f"\\citep[p.~{page}]{{{key}}}" if page else f"\\citep{{{key}}}"


def citep_all(keys: Sequence[str]) -> str:
    return f"\\citep{{{','.join(keys)}}}"


def cited(text: str, citation: str) -> str:
    out = []
    for sentence in field_sentences(text):
        body, end = split_end(sentence)
        out.append(f"{tex_escape(body)} {citation}{tex_escape(end)}")
    return " ".join(out)


def _paragraph(title: str, parts: list[str]) -> list[str]:
    return [f"\\paragraph{{{title}.}} " + " ".join(parts), ""]


def _field(entries: Sequence[PaperEntry], values: dict[str, str]) -> list[str]:
    parts = [cited(values[e.key], citep(e.key)) for e in entries if values[e.key].strip()]
    missing = [e.key for e in entries if not values[e.key].strip()]
    if missing:
        parts.append(missing_sentence(f"\\citet{{{','.join(missing)}}}"))
    return parts


def _cell(text: str) -> str:
    words = normalise_space(text).split(" ")
    short = text if len(words) <= CELL_WORDS else " ".join(words[:CELL_WORDS]) + "…"
    return tex_escape(short) or "\\emph{missing}"


def theme_section(section: ThemeSection) -> list[str]:
    entries = section.entries
    keys = [e.key for e in entries]
    out = [f"\\subsection{{{tex_escape(section.name)}}}", ""]
    count = "one paper" if len(entries) == 1 else f"{len(entries)} papers"
    opening = [f"This theme gathers {count} from my reading {citep_all(keys)}."]
    opening += [cited(e.fields.problem, citep(e.key)) for e in entries if e.fields.problem.strip()]
    out += [" ".join(opening), ""]
    absent = fields_absent(entries)
    for name in FIELDS:
        if name != "problem" and name not in absent:
            values = {e.key: e.fields.get(name) for e in entries}
            out += _paragraph(FIELD_TITLES[name], _field(entries, values))
    if absent:
        out += _paragraph(MISSING, [absent_sentence(absent, f"\\citet{{{','.join(keys)}}}")])
    for title, attr in (
        ("Contributions", "contributions"),
        ("Relevance to my project", "relevance"),
    ):
        parts = [
            cited(getattr(e.note, attr), citep(e.key))
            for e in entries
            if e.note is not None and getattr(e.note, attr).strip()
        ]
        out += _paragraph(title, parts) if parts else []
    bodies = [
        cited(body_text(e.note.body), citep(e.key))
        for e in entries
        if e.note is not None and body_text(e.note.body)
    ]
    out += _paragraph("Further notes", bodies) if bodies else []
    if len(entries) > 1:
        out += comparison_table(entries)
    quoted = [e for e in entries if e.quotes]
    if quoted:
        out += ["\\paragraph{In their words.}", ""]
        for entry in quoted:
            for quote in entry.quotes:
                by = f" ({tex_escape(quote.by)})" if quote.by else ""
                out += [
                    "\\begin{quote}",
                    f"``{tex_escape(quote.text)}'' {citep(entry.key, quote.page)}{by}",
                ]
                if quote.comment.strip():
                    whose = f"{tex_escape(quote.by)}'s note" if quote.by else "My note"
                    out.append(f"\\\\ \\emph{{{whose}:}} {tex_escape(quote.comment)}")
                out += ["\\end{quote}", ""]
    if section.questions:
        out += ["\\paragraph{Open questions.}", "\\begin{itemize}"]
        out += [f"  \\item {tex_escape(q)} {citep(key)}" for key, q in section.questions]
        out += ["\\end{itemize}", ""]
    return out


# Ragged-right cells: justified text in a narrow column leaves gaps between words.
_COLUMN = ">{{\\raggedright\\arraybackslash}}p{{{}\\linewidth}}"


def comparison_table(entries: Sequence[PaperEntry]) -> list[str]:
    keys = ",".join(e.key for e in entries)
    widths = _COLUMN.format(0.12) + _COLUMN.format(0.145) * len(FIELDS)
    out = [
        "{\\footnotesize",
        "\\begin{longtable}{@{}" + widths + "@{}}",
        f"\\caption{{The papers compared along my notes' fields \\citep{{{keys}}}.}}\\\\",
        "\\hline Paper & " + " & ".join(FIELD_TITLES[f] for f in FIELDS) + " \\\\ \\hline",
        "\\endhead",
    ]
    for entry in entries:
        cells = [f"\\citet{{{entry.key}}}"] + [_cell(entry.fields.get(f)) for f in FIELDS]
        out.append(" & ".join(cells) + " \\\\")
    return [*out, "\\hline", "\\end{longtable}", "}", ""]


def log_item(item: LogItem, prefix: str | None = None) -> str:
    refs = f" {citep_all(item.keys)}" if item.keys else ""
    text, end = split_end(normalise_space(item.text))
    kind = prefix if prefix is not None else f"{KIND_LABELS.get(item.kind, item.kind)}, "
    date = item.created_at.date().isoformat()
    by = f" ({tex_escape(item.by)})" if item.by else ""  # a colleague's shared entry
    return f"\\textbf{{{kind}{date}{by}.}} {tex_escape(text)}{refs}{tex_escape(end)}"


def _items(items: Sequence[LogItem]) -> list[str]:
    return ["\\begin{itemize}", *[f"  \\item {log_item(i)}" for i in items], "\\end{itemize}", ""]


def render_body(data: ReviewData) -> list[str]:
    body: list[str] = ["\\section{Research question and aims}", ""]
    if data.question is None and not data.aims:
        body += [
            "\\emph{The research log has no question or idea yet: "
            "state the research question and aims here.}",
            "",
        ]
    if data.question is not None:
        body += [log_item(data.question, "Research question, "), ""]
    if data.aims:
        body += _items(data.aims)
    body += ["\\section{Related work}", ""]
    if not data.sections:
        body += ["\\emph{No paper has notes or annotations yet.}", ""]
    for section in data.sections:
        body += theme_section(section)
    body += ["\\section{What I tried}", ""]
    body += (
        _items(data.tried)
        if data.tried
        else ["\\emph{The research log has no decisions, experiments or results yet.}", ""]
    )
    body += ["\\section{Open questions}", ""]
    body += (
        _items(data.open_items)
        if data.open_items
        else ["\\emph{The research log has no open question or to-do after the first.}", ""]
    )
    if data.include_unread and data.unread:
        body += ["\\appendix", "\\section{Papers not yet noted}", "\\begin{itemize}"]
        body += [
            f"  \\item {tex_escape(e.paper.title or e.paper.id)} {citep(e.key)}"
            for e in sorted(data.unread, key=lambda e: e.key)
        ]
        body += ["\\end{itemize}", ""]
    return body


def render_latex(data: ReviewData, *, now: datetime | None = None) -> str:
    """The whole draft as a LaTeX document citing ``references.bib``."""
    now = now or datetime.now(UTC)
    body = render_body(data)
    # The preamble must declare every character the bibliography will carry too.
    bib = bibtex_text(data.papers)
    preamble = unicode_preamble(["\n".join(body), bib, data.title])
    head = [
        "% A draft from `paperlab export review`: edit freely. Compile with",
        "%   latexmk -pdf review.tex       (pdflatex + bibtex)",
        "%   latexmk -lualatex review.tex  (real glyphs for non-Latin scripts)",
        "% Themes and their names come from themes.toml next to this file.",
        "\\documentclass[11pt]{article}",
        preamble,
        "\\usepackage{amsmath,amssymb}",
        "\\usepackage[round]{natbib}",
        "\\usepackage[margin=1in]{geometry}",
        "\\usepackage{array,longtable}",
        "\\usepackage{url}",
        "\\usepackage[hidelinks]{hyperref}",
        f"\\title{{{tex_escape(data.title)}}}",
        "\\author{}",
        f"\\date{{{now.date().isoformat()}}}",
        "\\begin{document}",
        "\\maketitle",
        "",
    ]
    tail = ["\\bibliographystyle{plainnat}", "\\bibliography{references}", "\\end{document}", ""]
    return "\n".join(head + body + tail)


__all__ = ["citep", "render_latex"]
