"""The literature-review draft: gather the material, then write Markdown/LaTeX.

The draft is meant to be edited, not rewritten: the research question and
aims come from the research log, sections follow themes (see themes.py), each
paper gets a paragraph from its structured note with its quotes, and a
comparison table, open questions and a still-to-read list close it.
Rendering lives in review_md.py and review_latex.py; both read a ReviewData.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from paperlab.errors import UsageError
from paperlab.export import atomic_write_text, checked_target, key_aliases
from paperlab.export.bibtex import bibtex_text
from paperlab.export.themes import Theme, gather_reading, plan_themes
from paperlab.settings import Settings
from paperlab.store import Store
from paperlab.store.models import (
    Annotation,
    LogEntry,
    LogPaper,
    Note,
    Paper,
    PaperTag,
    PaperTopic,
)

if TYPE_CHECKING:
    from paperlab.search.embedder import Embedder

AIM_KINDS = ("question", "decision", "idea")
KIND_TITLES = {"question": "Research questions", "decision": "Decisions", "idea": "Ideas"}
FORMATS = ("md", "latex", "both")
# How themes are made: roadmap topics and content clusters, or free tags first.
GROUPINGS = ("topic", "tag")
_DATA_WORDS = re.compile(
    r"\b(data ?sets?|corpus|corpora|benchmarks?|trained on|evaluated on|images?net|"
    r"samples|examples|tokens|[A-Z][A-Za-z0-9-]*\d+[A-Za-z0-9-]*)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class LogItem:
    kind: str
    text: str
    created_at: datetime
    keys: list[str]  # citation keys of linked papers in the draft


@dataclass
class PaperEntry:
    paper: Paper
    key: str
    note: Note | None
    annotations: list[Annotation]
    topics: list[str]

    @property
    def has_note(self) -> bool:
        note = self.note
        return note is not None and any(
            getattr(note, f).strip()
            for f in ("summary", "contributions", "method", "results", "limitations", "body")
        )


@dataclass(frozen=True)
class ComparisonRow:
    key: str
    year: str
    method: str
    data: str
    result: str
    limitation: str


@dataclass
class ReviewData:
    title: str
    papers: dict[str, PaperEntry]
    themes: list[Theme]
    log: list[LogItem]
    comparison: list[ComparisonRow] = field(default_factory=list)
    questions: list[tuple[str, str]] = field(default_factory=list)  # (key, question)

    def ordered(self) -> list[Paper]:
        return [e.paper for e in self.papers.values()]

    def to_read(self) -> list[PaperEntry]:
        return [e for e in self.papers.values() if not e.has_note]


def first_sentence(text: str, max_words: int = 40) -> str:
    """The first sentence of ``text``, cut to ``max_words`` words."""
    text = " ".join(text.split())
    if not text:
        return ""
    match = re.search(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])", text)
    sentence = text[: match.start()] if match else text
    return shorten(sentence, max_words)


def shorten(text: str, max_words: int) -> str:
    words = " ".join(text.split()).split(" ")
    if len(words) <= max_words:
        return " ".join(words).strip()
    return " ".join(words[:max_words]).rstrip(",;:") + "…"


def _sentences(text: str) -> list[str]:
    text = " ".join(text.split())
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def data_phrase(note: Note) -> str:
    """A short phrase on the data a paper uses, from its method/results text.

    The clause naming a data set, cut after its last "on"/"using"/"with"
    ("trained on WMT 2014 English-German data" -> "WMT 2014 English-German data").
    """
    for sentence in _sentences(note.method) + _sentences(note.results):
        for clause in re.split(r"[,;:]\s+", sentence.rstrip(".")):
            if _DATA_WORDS.search(clause):
                parts = re.split(r"\b(?:on|using|with|from|over)\s+", clause)
                return shorten(parts[-1] if len(parts[-1].split()) >= 2 else clause, 10)
    return ""


def question_items(text: str) -> list[str]:
    """Open questions from a note's questions field: one per line or bullet."""
    items = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s*", "", line).strip()
        if line:
            items.append(line)
    return items


def gather_review(
    store: Store,
    settings: Settings,
    papers: Sequence[Paper],
    *,
    title: str = "Literature review (draft)",
    embedder: Embedder | None = None,
    k: int | None = None,
    group_by: str = "topic",
) -> ReviewData:
    """Read everything the draft needs for ``papers`` (which carry citation keys).

    ``group_by="tag"`` makes a theme of each of the user's free tags first;
    papers without one are grouped by topic and content as usual.
    """
    ids = [p.id for p in papers]
    with store.read() as session:
        notes = {
            n.paper_id: n for n in session.exec(select(Note).where(col(Note.paper_id).in_(ids)))
        }
        annotations: dict[str, list[Annotation]] = {}
        for a in session.exec(
            select(Annotation)
            .where(col(Annotation.paper_id).in_(ids))
            .order_by(col(Annotation.page), col(Annotation.char_start), col(Annotation.id))
        ):
            annotations.setdefault(a.paper_id, []).append(a)
        for anns in annotations.values():  # unanchored (page None) last
            anns.sort(key=lambda a: (a.page is None, a.page or 0, a.char_start or 0))
        paper_topics: dict[str, list[str]] = {}
        for paper_id, slug in session.exec(
            select(PaperTopic.paper_id, PaperTopic.topic_slug).where(
                col(PaperTopic.paper_id).in_(ids)
            )
        ):
            paper_topics.setdefault(paper_id, []).append(slug)
        paper_tags: dict[str, list[str]] = {}
        if group_by == "tag":
            for paper_id, tag in session.exec(
                select(PaperTag.paper_id, PaperTag.tag).where(col(PaperTag.paper_id).in_(ids))
            ):
                paper_tags.setdefault(paper_id, []).append(tag)
        entries = session.exec(
            select(LogEntry)
            .where(col(LogEntry.kind).in_(AIM_KINDS))
            .order_by(col(LogEntry.created_at).desc(), col(LogEntry.id).desc())
        ).all()
        links: dict[int, list[str]] = {}
        for log_id, paper_id in session.exec(select(LogPaper.log_id, LogPaper.paper_id)):
            links.setdefault(log_id, []).append(paper_id)
    keys = {p.id: p.citation_key or p.id for p in papers}
    log = [
        LogItem(
            kind=e.kind,
            text=e.text,
            created_at=e.created_at,
            keys=[keys[pid] for pid in links.get(e.id or -1, []) if pid in keys],
        )
        for e in entries
    ]
    entries_by_id = {
        p.id: PaperEntry(
            paper=p,
            key=keys[p.id],
            note=notes.get(p.id),
            annotations=annotations.get(p.id, []),
            topics=sorted(paper_topics.get(p.id, [])),
        )
        for p in papers
    }
    plan = plan_themes(
        store,
        settings,
        gather_reading(store, papers),
        embedder=embedder,
        k=k,
        group_by="tag" if group_by == "tag" else "content",
    )
    themes = plan.themes
    placed = {pid for t in themes for pid in t.paper_ids}
    others = [p.id for p in papers if p.id not in placed]
    if others:
        themes.append(Theme(name="Other papers", paper_ids=others, kind="other"))
    data = ReviewData(title=title, papers=entries_by_id, themes=themes, log=log)
    for entry in entries_by_id.values():
        note = entry.note
        if note is None or not entry.has_note:
            continue
        data.comparison.append(
            ComparisonRow(
                key=entry.key,
                year=str(entry.paper.year or ""),
                method=first_sentence(note.method, 12),
                data=data_phrase(note),
                result=first_sentence(note.results, 12),
                limitation=first_sentence(note.limitations, 12),
            )
        )
        data.questions.extend((entry.key, q) for q in question_items(note.questions))
    return data


@dataclass(frozen=True)
class ReviewResult:
    files: list[Path]
    papers: int
    themes: list[str]
    to_read: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "files": [str(f) for f in self.files],
            "papers": self.papers,
            "themes": self.themes,
            "to_read": self.to_read,
        }


def review_targets(out_dir: Path, fmt: str) -> list[Path]:
    """The files a review in ``fmt`` writes into ``out_dir``, each one checked.

    ``checked_target`` refuses a device, FIFO or directory in their place, so
    a draft is never half-written next to a file it could not replace.
    """
    names = ["references.bib"]
    names += ["review.md"] if fmt in ("md", "both") else []
    names += ["review.tex"] if fmt in ("latex", "both") else []
    for name in names:
        checked_target(Path(out_dir) / name)
    return [Path(out_dir) / name for name in names]


def write_review(
    store: Store,
    settings: Settings,
    papers: Sequence[Paper],
    out_dir: Path,
    *,
    fmt: str = "md",
    title: str = "Literature review (draft)",
    embedder: Embedder | None = None,
    k: int | None = None,
    group_by: str = "topic",
) -> ReviewResult:
    """Write ``review.md`` and/or ``review.tex`` plus ``references.bib`` into ``out_dir``."""
    from paperlab.export.review_latex import render_latex
    from paperlab.export.review_md import render_markdown

    if fmt not in FORMATS:
        raise UsageError(f"Unknown format {fmt!r}.", hint=f"Use one of: {', '.join(FORMATS)}.")
    if not papers:
        raise UsageError("Nothing to export: no papers selected.")
    out_dir = Path(out_dir)
    review_targets(out_dir, fmt)  # a bad target is refused before any work or any write
    if group_by not in GROUPINGS:
        raise UsageError(
            f"Unknown grouping {group_by!r}.", hint=f"Use one of: {', '.join(GROUPINGS)}."
        )
    data = gather_review(
        store, settings, papers, title=title, embedder=embedder, k=k, group_by=group_by
    )
    ordered = data.ordered()
    aliases = key_aliases(store, [p.id for p in ordered])  # old keys still cite
    files = [atomic_write_text(out_dir / "references.bib", bibtex_text(ordered, aliases))]
    if fmt in ("md", "both"):
        files.append(atomic_write_text(out_dir / "review.md", render_markdown(data)))
    if fmt in ("latex", "both"):
        files.append(atomic_write_text(out_dir / "review.tex", render_latex(data)))
    return ReviewResult(
        files=files,
        papers=len(papers),
        themes=[t.title for t in data.themes],
        to_read=[e.key for e in data.to_read()],
    )


__all__ = [
    "AIM_KINDS",
    "FORMATS",
    "ComparisonRow",
    "LogItem",
    "PaperEntry",
    "ReviewData",
    "ReviewResult",
    "data_phrase",
    "first_sentence",
    "gather_review",
    "question_items",
    "review_targets",
    "write_review",
]
