"""The review draft as a LaTeX article with natbib citations and BibTeX.

Compiles with ``latexmk -pdf review.tex`` (pdflatex + bibtex, plainnat). For
papers with titles or authors in non-Latin scripts, ``latexmk -lualatex``
prints the real glyphs (given a font that has them); pdflatex prints a
``[U+XXXX]`` placeholder instead of failing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from paperlab.export.bibtex import bibtex_text
from paperlab.export.latex import tex_escape, unicode_preamble
from paperlab.export.review import (
    AIM_KINDS,
    KIND_TITLES,
    PaperEntry,
    ReviewData,
    first_sentence,
)


def citep(key: str, page: int | None = None) -> str:
    return f"\\citep[p.~{page}]{{{key}}}" if page else f"\\citep{{{key}}}"


def _inline(text: str) -> str:
    items = [ln.strip(" -*+\t") for ln in text.splitlines() if ln.strip(" -*+\t")]
    return tex_escape("; ".join(items))


def _sentence(text: str) -> str:
    text = text.rstrip()
    return text if text.endswith((".", "!", "?", r"\ldots{}")) else text + "."


def paper_section(entry: PaperEntry) -> list[str]:
    note = entry.note
    assert note is not None
    lines = [f"\\subsection{{{tex_escape(entry.paper.title or entry.paper.id)}}}", ""]
    lead = (
        _inline(note.summary)
        if note.summary.strip()
        else tex_escape(first_sentence(entry.paper.abstract))
    )
    parts = [lead.rstrip(".") + f" {citep(entry.key)}."]
    for label, value in (
        ("Its key contributions: ", note.contributions),
        ("Method: ", note.method),
        ("Results: ", note.results),
        ("Limitations: ", note.limitations),
        ("Relevance to this project: ", note.relevance),
    ):
        if value.strip():
            parts.append(label + _sentence(_inline(value)))
    lines += [" ".join(parts), ""]
    for ann in entry.annotations:
        lines += ["\\begin{quote}", f"``{tex_escape(ann.quote)}'' {citep(entry.key, ann.page)}"]
        if ann.comment.strip():
            lines.append(f"\\\\ \\emph{{{tex_escape(ann.comment)}}}")
        lines += ["\\end{quote}", ""]
    return lines


def render_latex(data: ReviewData, *, now: datetime | None = None) -> str:
    """The whole draft as a LaTeX document citing ``references.bib``."""
    now = now or datetime.now(UTC)
    body: list[str] = ["\\section{Research question and aims}", ""]
    if not data.log:
        body += [
            "\\emph{No questions, decisions or ideas in the research log yet: "
            "state the research question and aims here.}",
            "",
        ]
    for kind in AIM_KINDS:
        items = [item for item in data.log if item.kind == kind]
        if not items:
            continue
        body += [f"\\subsection*{{{KIND_TITLES[kind]}}}", "\\begin{itemize}"]
        for item in items:
            refs = f" \\citep{{{','.join(item.keys)}}}" if item.keys else ""
            body.append(
                f"  \\item {tex_escape(item.text)}{refs} ({item.created_at.date().isoformat()})"
            )
        body += ["\\end{itemize}", ""]
    for theme in data.themes:
        body += [f"\\section{{{tex_escape(theme.title)}}}", ""]
        if theme.kind == "cluster":
            body += [
                "\\emph{A theme found by clustering; key terms: "
                f"{tex_escape(', '.join(theme.terms))}.}}",
                "",
            ]
        entries = [data.papers[pid] for pid in theme.paper_ids]
        for entry in entries:
            if entry.has_note:
                body += paper_section(entry)
        unread = [e for e in entries if not e.has_note]
        if unread:
            body += ["\\paragraph{Still to read.}", "\\begin{itemize}"]
            for e in unread:
                abstract = first_sentence(e.paper.abstract) or "(no abstract)"
                body.append(
                    f"  \\item \\textbf{{{tex_escape(e.paper.title or e.paper.id)}}} "
                    f"{citep(e.key)}: {tex_escape(abstract)}"
                )
            body += ["\\end{itemize}", ""]
    if data.comparison:
        body += [
            "\\section{Comparison}",
            "{\\footnotesize",
            "\\begin{longtable}{@{}p{0.13\\linewidth}p{0.05\\linewidth}"
            + "p{0.17\\linewidth}" * 4
            + "@{}}",
            "\\hline Paper & Year & Method & Data & Result & Limitation \\\\ \\hline",
            "\\endhead",
        ]
        for row in data.comparison:
            cells = [f"\\citet{{{row.key}}}", row.year or "--"] + [
                tex_escape(t) or "--" for t in (row.method, row.data, row.result, row.limitation)
            ]
            body.append(" & ".join(cells) + " \\\\")
        body += ["\\hline", "\\end{longtable}", "}", ""]
    if data.questions:
        body += ["\\section{Open questions}", "\\begin{itemize}"]
        body += [f"  \\item {tex_escape(q)} {citep(key)}" for key, q in data.questions]
        body += ["\\end{itemize}", ""]
    # The preamble must declare every character the bibliography will carry too.
    bib = bibtex_text(data.ordered())
    preamble = unicode_preamble(["\n".join(body), bib, data.title])
    head = [
        "% A draft from `paperlab export review`: edit freely. Compile with",
        "%   latexmk -pdf review.tex       (pdflatex + bibtex)",
        "%   latexmk -lualatex review.tex  (real glyphs for non-Latin scripts)",
        "\\documentclass[11pt]{article}",
        preamble,
        "\\usepackage{amsmath,amssymb}",
        "\\usepackage[round]{natbib}",
        "\\usepackage{longtable}",
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
