"""An Obsidian vault: a Markdown file per paper and per topic.

Each paper file has YAML front matter (id, title, authors, year, tags,
citekey, state), ``[[topic]]`` links, the structured note and the
annotations with page numbers. Everything below the marker line belongs to
the user: exporting again rewrites only what is above it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from paperlab.export import atomic_write_text, checked_target, key_aliases
from paperlab.export.latex import normalise_space
from paperlab.store import Store
from paperlab.store.models import Annotation, Note, Paper, PaperTag, PaperTopic, Topic

MARKER = "<!-- paperlab: your notes below this line are kept -->"
# The marker as it appears when a note, annotation or title quotes it: the
# generated part must never hold a real marker, or the next export would split
# there and copy the rest of the generated text into the user's part.
_QUOTED_MARKER = MARKER.replace("<", "&lt;", 1)
NOTE_TITLES = {
    "summary": "Summary",
    "contributions": "Key contributions",
    "method": "Method",
    "results": "Results",
    "limitations": "Limitations",
    "questions": "Open questions",
    "relevance": "Relevance to my project",
    "body": "Notes",
}


@dataclass
class VaultResult:
    directory: Path
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept_whole: list[str] = field(default_factory=list)  # files whose marker was gone
    unchanged: list[str] = field(default_factory=list)  # already right: not rewritten
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (old, new) after a rekey

    def to_json(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "kept_whole": self.kept_whole,
            "renamed": [{"from": old, "to": new} for old, new in self.renamed],
        }


def _yaml(value: Any) -> str:
    # JSON scalars and flow lists are valid YAML and quote every odd character.
    return json.dumps(value, ensure_ascii=False)


def paper_markdown(
    paper: Paper,
    note: Note | None,
    annotations: Sequence[Annotation],
    topics: Sequence[Topic],
    free_tags: Sequence[str] = (),
) -> str:
    """The generated part (above the marker) of one paper's file."""
    title = normalise_space(paper.title) or paper.id
    lines = [
        "---",
        f"id: {_yaml(paper.id)}",
        f"title: {_yaml(title)}",
        f"authors: {_yaml(paper.author_list)}",
        f"year: {_yaml(paper.year)}",
        # Obsidian tags: the roadmap topics, then the user's free tags (`paperlab tag`)
        f"tags: {_yaml([t.slug for t in topics] + list(free_tags))}",
        f"citekey: {_yaml(paper.citation_key)}",
        f"state: {_yaml(paper.reading_state)}",
        f"aliases: {_yaml([title])}",
        "---",
        "",
        f"# {title}",
        "",
        f"{', '.join(paper.author_list)}" + (f" ({paper.year})" if paper.year else ""),
    ]
    if not paper.id.startswith("local:"):
        lines.append(f"<https://arxiv.org/abs/{paper.id}>")
    if topics:
        lines += ["", "Topics: " + ", ".join(f"[[{t.slug}|{t.title}]]" for t in topics)]
    lines.append("")
    if note is not None:
        for name, heading in NOTE_TITLES.items():
            value = getattr(note, name, "").strip()
            if value:
                lines += [f"## {heading}", "", value, ""]
    if annotations:
        lines += ["## Annotations", ""]
        for ann in annotations:
            where = f"p. {ann.page}" if ann.page else "page unknown"
            lines.append(f"> {' '.join(ann.quote.split())}")
            lines.append(f"> — {where}")
            if ann.comment.strip():
                lines += ["", ann.comment.strip()]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def topic_markdown(topic: Topic, papers: Sequence[Paper]) -> str:
    lines = [
        "---",
        f"title: {_yaml(topic.title)}",
        f"slug: {_yaml(topic.slug)}",
        f"weeks: {_yaml(topic.week_list)}",
        "---",
        "",
        f"# {topic.title}",
        "",
    ]
    if topic.description:
        lines += [topic.description, ""]
    if topic.resource_list:
        lines += ["## Resources", ""] + [f"- {r}" for r in topic.resource_list] + [""]
    lines += ["## Papers", ""]
    lines += [f"- [[{p.citation_key}|{normalise_space(p.title) or p.id}]]" for p in papers]
    return "\n".join(lines).rstrip() + "\n"


def _user_part(old: str) -> str | None:
    """What follows the first line that is exactly the marker, or None without one.

    Only a whole line counts: the generated part above it quotes the marker
    (``_QUOTED_MARKER``), and what the user writes below it is theirs, markers
    and all.
    """
    offset = 0
    for line in old.splitlines(keepends=True):
        if line.strip() == MARKER:
            return old[offset + len(line.rstrip("\r\n")) :]
        offset += len(line)
    return None


def merge(path: Path, generated: str, source: Path | None = None) -> tuple[str, str]:
    """New file text keeping the user's part of ``path``; and what happened.

    ``source`` is the file to keep the user's part from when it is not
    ``path`` itself: the note under the paper's old key after a rekey.
    """
    generated = generated.replace(MARKER, _QUOTED_MARKER)
    source = source or path
    if not source.exists():
        return f"{generated}\n{MARKER}\n\n", "created"
    old = source.read_text(encoding="utf-8")
    kept = _user_part(old)
    if kept is not None:
        return f"{generated}\n{MARKER}{kept}", "updated"
    if old.strip() == generated.strip():
        return f"{generated}\n{MARKER}\n\n", "updated"
    # The marker was removed: keep the whole old file below a fresh marker.
    return f"{generated}\n{MARKER}\n\n{old}", "kept_whole"


def export_vault(store: Store, papers: Sequence[Paper], directory: Path) -> VaultResult:
    """Write (or refresh) one file per paper and per linked topic under ``directory``."""
    directory = Path(directory)
    ids = [p.id for p in papers]
    aliases = key_aliases(store, ids)
    with store.read() as session:
        notes = {
            n.paper_id: n for n in session.exec(select(Note).where(col(Note.paper_id).in_(ids)))
        }
        annotations: dict[str, list[Annotation]] = {}
        for a in session.exec(
            select(Annotation).where(col(Annotation.paper_id).in_(ids)).order_by(col(Annotation.id))
        ):
            annotations.setdefault(a.paper_id, []).append(a)
        for anns in annotations.values():
            anns.sort(key=lambda a: (a.page is None, a.page or 0, a.char_start or 0))
        links = session.exec(
            select(PaperTopic.paper_id, PaperTopic.topic_slug).where(
                col(PaperTopic.paper_id).in_(ids)
            )
        ).all()
        topics = {t.slug: t for t in session.exec(select(Topic))}
        free_tags: dict[str, list[str]] = {}
        for paper_id, tag in session.exec(
            select(PaperTag.paper_id, PaperTag.tag)
            .where(col(PaperTag.paper_id).in_(ids))
            .order_by(col(PaperTag.tag))
        ):
            free_tags.setdefault(paper_id, []).append(tag)
    by_paper: dict[str, list[Topic]] = {}
    by_topic: dict[str, list[Paper]] = {}
    paper_by_id = {p.id: p for p in papers}
    for paper_id, slug in sorted(links):
        if slug in topics:
            by_paper.setdefault(paper_id, []).append(topics[slug])
            by_topic.setdefault(slug, []).append(paper_by_id[paper_id])
    result = VaultResult(directory=directory)
    files: list[tuple[Path, str, Path | None]] = []
    renames: dict[str, str] = {}  # old key -> current key, for [[links]]
    for paper in papers:
        text = paper_markdown(
            paper,
            notes.get(paper.id),
            annotations.get(paper.id, []),
            by_paper.get(paper.id, []),
            free_tags.get(paper.id, []),
        )
        path = directory / f"{_file_stem(paper)}.md"
        source = None
        for old in reversed(aliases.get(paper.id, [])):  # the newest old note first
            renames[old] = paper.citation_key or ""
            old_path = directory / f"{old}.md"
            if source is None and not path.exists() and old_path.is_file():
                source = old_path
        files.append((path, text, source))
    for slug, members in sorted(by_topic.items()):
        path = directory / "topics" / f"{slug}.md"
        files.append((path, topic_markdown(topics[slug], members), None))
    for path, _generated, _source in files:
        checked_target(path)  # every file first: a FIFO among them must not block the read
    for path, generated, source in files:
        text, what = merge(path, generated, source)
        name = str(path.relative_to(directory))
        if what != "created" and source is None and _read(path) == text:
            result.unchanged.append(name)  # nothing new: the file is left as it is
            continue
        atomic_write_text(path, text)
        if source is not None:
            source.unlink()  # its user part now lives in the note under the new key
            result.renamed.append((str(source.relative_to(directory)), name))
        getattr(result, what).append(name)
    for name in _relink(directory, renames):
        if name in result.unchanged:
            result.unchanged.remove(name)
        if name not in result.created and name not in result.updated:
            result.updated.append(name)
    return result


def _file_stem(paper: Paper) -> str:
    return paper.citation_key or paper.id.replace("/", "_")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _relink(directory: Path, renames: dict[str, str]) -> list[str]:
    """Point ``[[old]]``, ``[[old|text]]`` and ``[[old#part]]`` at the new keys in every note.

    Obsidian links by file name, so a renamed note would leave the user's
    links to it dangling. Folders starting with a dot (``.obsidian``,
    ``.trash``) are the app's, not notes, and are left alone.
    """
    renames = {old: new for old, new in renames.items() if new and old != new}
    if not renames:
        return []
    pattern = re.compile(r"\[\[(" + "|".join(re.escape(old) for old in renames) + r")(?=[\]|#])")
    changed = []
    for path in sorted(directory.rglob("*.md")):
        rel = path.relative_to(directory)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        text = _read(path)
        if text is None:
            continue
        new = pattern.sub(lambda m: "[[" + renames[m.group(1)], text)
        if new != text:
            atomic_write_text(path, new)
            changed.append(str(rel))
    return changed


__all__ = ["MARKER", "VaultResult", "export_vault", "merge", "paper_markdown", "topic_markdown"]
