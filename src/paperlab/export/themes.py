"""Themes of the user's reading: papers grouped by what the user wrote about them.

Only papers the user has read or noted take part (a note with text, an
annotation, or reading state "read"). Each gets one vector: its text (mean
chunk vector, or its embedded title and abstract) plus the vector of what the
user wrote about it (note fields and annotations, as the search index embeds
them), both unit length, so the user's own reading counts as much as the
paper. k-means groups them, with the number of themes chosen by silhouette
(clusters.py); theme_names.py names each group from the phrases its notes
share. A ``themes.toml`` (theme_file.py) overrides grouping and names.
The roadmap's topic tags are only hints for names: a week's topic says when
a paper was read, not what it is about.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import col, select

from paperlab.export.clusters import best_clustering, choose_k, kmeans
from paperlab.export.paper_vectors import paper_vectors, text_vectors, vector_model
from paperlab.export.theme_file import read_theme_file
from paperlab.export.theme_names import (
    PaperWords,
    headings,
    joined,
    key_terms,
    name_groups,
    shared_phrase_vectors,
    tokens,
)
from paperlab.settings import Settings, load_settings
from paperlab.store import Store
from paperlab.store.models import (
    Annotation,
    CitationAlias,
    Note,
    Paper,
    PaperTag,
    PaperTopic,
    Topic,
    mine,
    seen_by_me,
)
from paperlab.store.values import NOTE_TEXT_COLUMNS

if TYPE_CHECKING:
    import numpy as np

    from paperlab.search.embedder import Embedder

NOTE_TEXT_FIELDS = NOTE_TEXT_COLUMNS
GROUPINGS = ("content", "tag")


def _blocks(parts: Iterable[str]) -> str:
    """Non-empty parts, blank-line separated: the text the search index embeds."""
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


@dataclass(frozen=True)
class Theme:
    """A group of papers the user has read, with a name a researcher would use."""

    name: str
    paper_ids: list[str]
    kind: str = "content"  # "content" | "user" (themes.toml) | "tag"
    terms: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.name


@dataclass
class Reading:
    """What the user has done with one paper: note, annotations, topics and tags."""

    paper: Paper
    note: Note | None = None
    annotations: list[Annotation] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)  # topic titles
    tags: list[str] = field(default_factory=list)

    @property
    def has_note(self) -> bool:
        note = self.note
        return note is not None and any(getattr(note, f).strip() for f in NOTE_TEXT_FIELDS)

    @property
    def noted(self) -> bool:
        return self.has_note or bool(self.annotations)

    @property
    def read(self) -> bool:
        return self.noted or self.paper.reading_state == "read"

    def user_texts(self) -> list[str]:
        """The note and annotations as the search index embeds them (same hashes)."""
        texts = []
        note = self.note
        if note is not None:
            texts.append(_blocks(getattr(note, f) for f in NOTE_TEXT_FIELDS))
        for ann in self.annotations:
            texts.append(_blocks([ann.quote, ann.comment]))
        return [t for t in texts if t]

    def words(self) -> PaperWords:
        note = self.note
        body = note.body if note is not None else ""
        fields = [getattr(note, f) for f in NOTE_TEXT_FIELDS if f != "body"] if note else []
        comments = [a.comment for a in self.annotations]
        return PaperWords(
            note=joined([*fields, body, *comments]),
            headings=headings(body),
            title=self.paper.title,
            hints=[*self.topics, *self.tags],
        )


@dataclass
class ThemePlan:
    themes: list[Theme]
    unknown: list[str] = field(default_factory=list)  # themes.toml entries matching no paper


def gather_reading(store: Store, papers: Sequence[Paper]) -> dict[str, Reading]:
    """Every paper's note, annotations (by page), topic titles and free tags."""
    ids = [p.id for p in papers]
    out = {p.id: Reading(paper=p) for p in papers}
    with store.read() as session:
        # The user's own note; their own annotations and those others shared.
        for note in session.exec(select(Note).where(col(Note.paper_id).in_(ids), mine(Note))):
            out[note.paper_id].note = note
        for ann in session.exec(
            select(Annotation)
            .where(col(Annotation.paper_id).in_(ids), seen_by_me(Annotation))
            .order_by(col(Annotation.page), col(Annotation.char_start), col(Annotation.id))
        ):
            out[ann.paper_id].annotations.append(ann)
        titles = {t.slug: t.title for t in session.exec(select(Topic))}
        for paper_id, slug in session.exec(
            select(PaperTopic.paper_id, PaperTopic.topic_slug).where(
                col(PaperTopic.paper_id).in_(ids)
            )
        ):
            out[paper_id].topics.append(titles.get(slug, slug))
        for paper_id, tag in session.exec(
            select(PaperTag.paper_id, PaperTag.tag).where(col(PaperTag.paper_id).in_(ids))
        ):
            out[paper_id].tags.append(tag)
    for reading in out.values():  # unanchored annotations (no page) last
        reading.annotations.sort(key=lambda a: (a.page is None, a.page or 0, a.char_start or 0))
    return out


def reading_vectors(
    store: Store,
    settings: Settings,
    readings: Sequence[Reading],
    *,
    embedder: Embedder | None = None,
    allow_embed: bool = True,
) -> dict[str, np.ndarray]:
    """One unit vector per paper: its text and the user's words about it, equally weighted.

    Vectors of another size than most (a paper embedded by another model)
    are left out rather than mixed in.
    """
    import numpy as np

    papers = [r.paper for r in readings]
    text = paper_vectors(store, settings, papers, embedder=embedder, allow_embed=allow_embed)
    model = vector_model(store, settings, [p.id for p in papers])
    user = text_vectors(
        store,
        settings,
        {r.paper.id: r.user_texts() for r in readings},
        model,
        embedder=embedder,
        allow_embed=allow_embed,
    )
    out: dict[str, np.ndarray] = {}
    for reading in readings:
        pid = reading.paper.id
        parts = [v for v in (text.get(pid), user.get(pid)) if v is not None]
        if len(parts) == 2 and parts[0].shape != parts[1].shape:
            parts = parts[:1]
        if parts:
            total = np.sum(np.stack(parts), axis=0)
            norm = float(np.linalg.norm(total))
            if norm > 0:
                out[pid] = (total / norm).astype(np.float32)
    sizes = Counter(v.shape for v in out.values())
    if len(sizes) > 1:
        common = sizes.most_common(1)[0][0]
        out = {pid: v for pid, v in out.items() if v.shape == common}
    return out


def themes_by_tag(
    papers: Sequence[Paper], paper_tags: Mapping[str, Sequence[str]]
) -> tuple[list[Theme], list[Paper]]:
    """One theme per free tag, and the papers that carry none.

    A paper with several tags joins the tag most shared among ``papers`` (then
    the alphabetically first), so themes gather papers rather than scatter
    them one per section.
    """
    counts: dict[str, int] = {}
    for paper in papers:
        for tag in set(paper_tags.get(paper.id, ())):
            counts[tag] = counts.get(tag, 0) + 1
    by_tag: dict[str, list[str]] = {}
    rest: list[Paper] = []
    for paper in papers:
        tags = sorted(set(paper_tags.get(paper.id, ())), key=lambda t: (-counts[t], t))
        if tags:
            by_tag.setdefault(tags[0], []).append(paper.id)
        else:
            rest.append(paper)
    themes = [
        Theme(name=f"#{tag}", kind="tag", paper_ids=by_tag[tag], terms=[tag])
        for tag in sorted(by_tag, key=lambda t: (-len(by_tag[t]), t))
    ]
    return themes, rest


def _resolver(store: Store, readings: Mapping[str, Reading]) -> dict[str, str]:
    """Every name a themes.toml may use for a paper (key, old key, id) -> paper id."""
    names: dict[str, str] = {}
    for pid, reading in readings.items():
        names[pid.lower()] = pid
        if reading.paper.citation_key:
            names[reading.paper.citation_key.lower()] = pid
    with store.read() as session:
        for key, pid in session.exec(
            select(CitationAlias.key, CitationAlias.paper_id).where(
                col(CitationAlias.paper_id).in_(list(readings))
            )
        ):
            names.setdefault(key.lower(), pid)
    return names


def plan_themes(
    store: Store,
    settings: Settings,
    readings: Mapping[str, Reading],
    *,
    overrides: Path | None = None,
    embedder: Embedder | None = None,
    k: int | None = None,
    group_by: str = "content",
    allow_embed: bool = True,
) -> ThemePlan:
    """Themes for the read papers of ``readings``, honouring a themes.toml.

    A paper the file names joins its theme even if unread (the user said
    so); every other read paper is grouped by tag (``group_by="tag"``) or
    content. Each paper is in one theme at most.
    """
    plan = ThemePlan(themes=[])
    placed: set[str] = set()
    if overrides is not None:
        names = _resolver(store, readings)
        for user in read_theme_file(overrides).themes:
            ids = []
            for ref in user.papers:
                pid = names.get(ref.lower())
                if pid is None:
                    plan.unknown.append(ref)
                elif pid not in placed:
                    ids.append(pid)
                    placed.add(pid)
            if ids:
                plan.themes.append(Theme(name=user.name, paper_ids=ids, kind="user"))
    rest = [r for pid, r in readings.items() if r.read and pid not in placed]
    if group_by == "tag":
        tag_themes, untagged = themes_by_tag(
            [r.paper for r in rest], {r.paper.id: r.tags for r in rest}
        )
        plan.themes += tag_themes
        left = {p.id for p in untagged}
        rest = [r for r in rest if r.paper.id in left]
    if rest:
        plan.themes += content_themes(
            store, settings, readings, rest, embedder=embedder, k=k, allow_embed=allow_embed
        )
    plan.themes = [
        Theme(t.name, _by_year(t.paper_ids, readings), t.kind, t.terms) for t in plan.themes
    ]
    return plan


def _by_year(ids: Sequence[str], readings: Mapping[str, Reading]) -> list[str]:
    def order(pid: str) -> tuple[int, str]:
        paper = readings[pid].paper
        return (paper.year or 9999, paper.citation_key or pid)

    return sorted(ids, key=order)


def combined(
    meaning: Mapping[str, np.ndarray], shared: Mapping[str, np.ndarray], ids: Sequence[str]
) -> np.ndarray:
    """Rows of the embedding and the shared-phrase vector side by side, half weight each.

    Embeddings of whole papers put most machine-learning papers close
    together; the phrases a user's notes share ("policy gradient",
    "learning-rate schedules") are what sets their reading apart. A paper
    sharing no phrase keeps its embedding at full weight.
    """
    import numpy as np

    width = next((len(v) for v in shared.values()), 0)
    rows = []
    for pid in ids:
        if pid in shared:
            half = np.float32(np.sqrt(0.5))
            rows.append(np.concatenate([meaning[pid] * half, shared[pid] * half]))
        else:
            rows.append(np.concatenate([meaning[pid], np.zeros(width, dtype=np.float32)]))
    return np.stack(rows).astype(np.float32)


def content_themes(
    store: Store,
    settings: Settings,
    readings: Mapping[str, Reading],
    members: Sequence[Reading],
    *,
    embedder: Embedder | None = None,
    k: int | None = None,
    allow_embed: bool = True,
) -> list[Theme]:
    """``members`` clustered by content and named from the user's words, largest first."""

    vectors = reading_vectors(store, settings, members, embedder=embedder, allow_embed=allow_embed)
    words = {pid: r.words() for pid, r in readings.items() if r.read}
    shared = shared_phrase_vectors({r.paper.id: words[r.paper.id] for r in members})
    with_vec = [r.paper.id for r in members if r.paper.id in vectors]
    groups: list[list[str]] = []
    if with_vec:
        labels = best_clustering(combined(vectors, shared, with_vec), k)
        for label in sorted(set(labels)):
            groups.append([pid for pid, lab in zip(with_vec, labels, strict=True) if lab == label])
    without = [r.paper.id for r in members if r.paper.id not in vectors]
    if without:  # nothing to place them by: one more group, named like the others
        groups.append(without)
    groups.sort(key=lambda g: -len(g))
    named = name_groups(words, groups)
    return [
        Theme(name=name, paper_ids=group, kind="content", terms=terms)
        for group, (name, terms) in zip(groups, named, strict=True)
    ]


def reading_themes(
    store: Store,
    settings: Settings | None = None,
    papers: Sequence[Paper] | None = None,
    *,
    overrides: Path | None = None,
    embedder: Embedder | None = None,
    k: int | None = None,
    group_by: str = "content",
    allow_embed: bool = True,
) -> list[Theme]:
    """Themes of the papers the user has read or noted (among ``papers``, else all).

    The public entry point for other exports (the library map colours by
    it). Papers not read or noted are in no theme. ``allow_embed=False``
    uses only stored vectors (the model never loads).
    """
    settings = settings or load_settings()
    if papers is None:
        from paperlab.library import show_my_reading_states

        with store.read() as session:
            papers = list(session.exec(select(Paper).order_by(col(Paper.id))))
            session.expunge_all()
            show_my_reading_states(session, papers)
    readings = gather_reading(store, papers)
    plan = plan_themes(
        store,
        settings,
        readings,
        overrides=overrides,
        embedder=embedder,
        k=k,
        group_by=group_by,
        allow_embed=allow_embed,
    )
    return plan.themes


__all__ = [
    "GROUPINGS",
    "Reading",
    "Theme",
    "ThemePlan",
    "choose_k",
    "content_themes",
    "gather_reading",
    "key_terms",
    "kmeans",
    "paper_vectors",
    "plan_themes",
    "reading_themes",
    "reading_vectors",
    "themes_by_tag",
    "tokens",
]
