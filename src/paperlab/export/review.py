"""The literature-review draft: gather the user's material, then write it out.

The research log is the draft's spine: its first question and the ideas
(aims) open it; decisions, experiments and results make "What I tried", in
date order with the papers they cite; later questions and to-dos close it.
Between them, one related-work section per theme of the user's reading
(themes.py): what the papers address, the papers compared field by field
(review_fields.py), the user's quotes with pages and the notes' open
questions. Everything comes from the user's notes, annotations and log, with
a citation; a missing field is said to be missing. Papers without notes are
left out, or listed in a short appendix when asked (``include_unread``).

Rendering lives in review_md.py and review_latex.py; both read a ReviewData.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from paperlab.errors import UsageError
from paperlab.export import atomic_write_text, checked_target, key_aliases
from paperlab.export.bibtex import bibtex_text
from paperlab.export.review_fields import NoteFields, note_fields, question_items
from paperlab.export.theme_file import THEMES_FILE, theme_file_text
from paperlab.export.themes import GROUPINGS, Reading, gather_reading, plan_themes
from paperlab.settings import Settings, current_user
from paperlab.store import Store
from paperlab.store.models import Annotation, LogEntry, LogPaper, Note, Paper, seen_by_me

if TYPE_CHECKING:
    from paperlab.search.embedder import Embedder

# Log kinds by their place in the draft.
AIM_KINDS = ("question", "idea")
TRIED_KINDS = ("decision", "experiment", "result")
FORMATS = ("md", "latex", "both", "docx", "odt", "all")
PANDOC_FORMATS = ("docx", "odt")
# An --out ending so names a file, not the folder the draft goes into.
_FILE_SUFFIXES = frozenset({".md", ".markdown", ".tex", ".docx", ".odt", ".pdf", ".bib", ".txt"})


@dataclass(frozen=True)
class LogItem:
    kind: str
    text: str
    created_at: datetime
    keys: list[str]  # citation keys of linked papers in the draft
    by: str | None = None  # the colleague who shared it; None for the user's own


@dataclass(frozen=True)
class Quote:
    """A highlighted passage as the draft quotes it."""

    text: str
    page: int | None
    comment: str
    by: str | None = None  # the colleague who shared it; None for the user's own


def colleague(owner: str, me: str) -> str | None:
    """Who to name beside a shared row in a lab: nobody when it is the user's own."""
    return None if owner == me else owner


@dataclass
class PaperEntry:
    paper: Paper
    key: str
    note: Note | None
    quotes: list[Quote]  # the user's annotations and those colleagues shared
    fields: NoteFields

    @property
    def has_note(self) -> bool:
        return Reading(self.paper, self.note).has_note

    @property
    def noted(self) -> bool:
        """The user wrote something about it: a note or an annotation."""
        return self.has_note or bool(self.quotes)


@dataclass
class ThemeSection:
    name: str
    kind: str
    entries: list[PaperEntry]
    questions: list[tuple[str, str]] = field(default_factory=list)  # (key, question)


@dataclass
class ReviewData:
    title: str
    sections: list[ThemeSection]
    question: LogItem | None  # the research question: the log's first question
    aims: list[LogItem]  # ideas
    tried: list[LogItem]  # decisions, experiments, results, oldest first
    open_items: list[LogItem]  # later questions and to-dos
    unread: list[PaperEntry]  # papers without notes (listed only when asked)
    include_unread: bool = False
    papers: list[Paper] = field(default_factory=list)  # every paper the draft may cite

    @property
    def has_log(self) -> bool:
        return bool(self.question or self.aims or self.tried or self.open_items)


def _log_items(store: Store, keys: dict[str, str], me: str) -> list[LogItem]:
    with store.read() as session:
        entries = session.exec(
            select(LogEntry)
            .where(seen_by_me(LogEntry))  # the user's own entries and shared ones
            .order_by(col(LogEntry.created_at), col(LogEntry.id))
        ).all()
        links: dict[int, list[str]] = {}
        for log_id, paper_id in session.exec(select(LogPaper.log_id, LogPaper.paper_id)):
            links.setdefault(log_id, []).append(paper_id)
    return [
        LogItem(
            kind=e.kind,
            text=e.text,
            created_at=e.created_at,
            keys=sorted(keys[pid] for pid in links.get(e.id or -1, []) if pid in keys),
            by=colleague(e.owner, me),
        )
        for e in entries
    ]


def _quote(annotation: Annotation, me: str) -> Quote:
    return Quote(
        annotation.quote, annotation.page, annotation.comment, colleague(annotation.owner, me)
    )


def gather_review(
    store: Store,
    settings: Settings,
    papers: Sequence[Paper],
    *,
    title: str = "Literature review (draft)",
    embedder: Embedder | None = None,
    k: int | None = None,
    group_by: str = "content",
    themes_file: Path | None = None,
    include_unread: bool = False,
    allow_embed: bool = True,
) -> tuple[ReviewData, list[str]]:
    """Everything the draft needs for ``papers`` (which carry citation keys).

    Returns the data and the themes.toml entries that matched no paper.
    """
    readings = gather_reading(store, papers)
    plan = plan_themes(
        store,
        settings,
        readings,
        overrides=themes_file,
        embedder=embedder,
        k=k,
        group_by=group_by,
        allow_embed=allow_embed,
    )
    keys = {p.id: p.citation_key or p.id for p in papers}
    me = current_user()
    entries = {
        pid: PaperEntry(
            paper=r.paper,
            key=keys[pid],
            note=r.note,
            quotes=[_quote(a, me) for a in r.annotations],
            fields=note_fields(r.note),
        )
        for pid, r in readings.items()
    }
    sections = []
    for theme in plan.themes:
        members = [entries[pid] for pid in theme.paper_ids if entries[pid].noted]
        if not members:
            continue
        section = ThemeSection(name=theme.name, kind=theme.kind, entries=members)
        for entry in members:
            note = entry.note
            if note is not None:
                section.questions += [(entry.key, q) for q in question_items(note.questions)]
        sections.append(section)
    log = _log_items(store, keys, me)
    questions = [item for item in log if item.kind == "question"]
    return (
        ReviewData(
            title=title,
            sections=sections,
            question=questions[0] if questions else None,
            aims=[item for item in log if item.kind == "idea"],
            tried=[item for item in log if item.kind in TRIED_KINDS],
            open_items=questions[1:] + [item for item in log if item.kind == "todo"],
            unread=[e for e in entries.values() if not e.noted],
            include_unread=include_unread,
            papers=list(papers),
        ),
        plan.unknown,
    )


@dataclass(frozen=True)
class ReviewResult:
    files: list[Path]
    papers: int  # papers in the related-work sections
    themes: list[str]
    theme_keys: list[list[str]]  # citation keys of each theme's papers, as in the draft
    unread: list[str]  # keys of papers without notes
    include_unread: bool
    themes_file: Path
    themes_file_written: bool
    unknown: list[str]  # themes.toml entries matching no paper

    def to_json(self) -> dict[str, Any]:
        return {
            "files": [str(f) for f in self.files],
            "papers": self.papers,
            "themes": self.themes,
            "theme_papers": [
                {"theme": name, "papers": keys}
                for name, keys in zip(self.themes, self.theme_keys, strict=True)
            ],
            "unread": self.unread,
            "unread_in_appendix": self.include_unread,
            "themes_file": str(self.themes_file),
            "themes_file_written": self.themes_file_written,
            "unknown_in_themes_file": self.unknown,
        }


def _names(fmt: str) -> list[str]:
    names = ["references.bib"]
    if fmt in ("md", "both", "all", *PANDOC_FORMATS):
        names.append("review.md")  # the .docx/.odt are made from it
    if fmt in ("latex", "both", "all"):
        names.append("review.tex")
    if fmt in ("docx", "all"):
        names.append("review.docx")
    if fmt in ("odt", "all"):
        names.append("review.odt")
    return names


def review_targets(out_dir: Path, fmt: str) -> list[Path]:
    """The files a review in ``fmt`` writes into ``out_dir``, each one checked.

    ``checked_target`` refuses a device, FIFO or directory in their place, so
    a draft is never half-written next to a file it could not replace.
    """
    if fmt not in FORMATS:
        raise UsageError(f"Unknown format {fmt!r}.", hint=f"Use one of: {', '.join(FORMATS)}.")
    out_dir = Path(out_dir)
    if out_dir.suffix.lower() in _FILE_SUFFIXES and not out_dir.is_dir():
        raise UsageError(
            f"--out is the folder for the draft, references.bib and themes.toml, and "
            f"{out_dir.name} looks like a file name.",
            hint=f"Give the folder, e.g. --out {out_dir.parent}; the draft is written there "
            "as review.md (or review.tex).",
        )
    if fmt in PANDOC_FORMATS or fmt == "all":
        from paperlab.export.review_pandoc import require_pandoc

        require_pandoc(fmt)
    for name in [*_names(fmt), THEMES_FILE]:
        checked_target(Path(out_dir) / name)
    return [Path(out_dir) / name for name in _names(fmt)]


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
    group_by: str = "content",
    include_unread: bool = False,
    allow_embed: bool = True,
) -> ReviewResult:
    """Write the draft, ``references.bib`` and (the first time) ``themes.toml`` into ``out_dir``.

    An existing ``themes.toml`` there decides grouping and names for the
    papers it lists; it is never overwritten.
    """
    from paperlab.export.review_latex import render_latex
    from paperlab.export.review_md import render_markdown
    from paperlab.export.review_pandoc import convert

    targets = review_targets(out_dir, fmt)  # a bad target is refused before any work
    if not papers:
        raise UsageError("Nothing to export: no papers selected.")
    if group_by not in GROUPINGS:
        raise UsageError(
            f"Unknown grouping {group_by!r}.", hint=f"Use one of: {', '.join(GROUPINGS)}."
        )
    out_dir = Path(out_dir)
    themes_path = out_dir / THEMES_FILE
    had_file = themes_path.is_file()
    data, unknown = gather_review(
        store,
        settings,
        papers,
        title=title,
        embedder=embedder,
        k=k,
        group_by=group_by,
        themes_file=themes_path,
        include_unread=include_unread,
        allow_embed=allow_embed,
    )
    aliases = key_aliases(store, [p.id for p in papers])  # old keys still cite
    files = [atomic_write_text(out_dir / "references.bib", bibtex_text(data.papers, aliases))]
    names = {t.name for t in targets}
    if "review.md" in names:
        files.append(atomic_write_text(out_dir / "review.md", render_markdown(data)))
    if "review.tex" in names:
        files.append(atomic_write_text(out_dir / "review.tex", render_latex(data)))
    for target in targets:
        if target.suffix in (".docx", ".odt"):
            files.append(convert(out_dir, target.name))
    if not had_file:
        grouping = [(s.name, [e.key for e in s.entries]) for s in data.sections]
        titles = {e.key: e.paper.title for s in data.sections for e in s.entries}
        files.append(atomic_write_text(themes_path, theme_file_text(grouping, titles)))
    return ReviewResult(
        files=files,
        papers=sum(len(s.entries) for s in data.sections),
        themes=[s.name for s in data.sections],
        theme_keys=[[e.key for e in s.entries] for s in data.sections],
        unread=[e.key for e in data.unread],
        include_unread=include_unread,
        themes_file=themes_path,
        themes_file_written=not had_file,
        unknown=unknown,
    )


__all__ = [
    "AIM_KINDS",
    "FORMATS",
    "TRIED_KINDS",
    "LogItem",
    "PaperEntry",
    "ReviewData",
    "ReviewResult",
    "ThemeSection",
    "gather_review",
    "review_targets",
    "write_review",
]
