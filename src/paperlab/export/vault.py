"""An Obsidian vault: a Markdown file per paper and per topic.

Each paper file has YAML front matter (id, title, authors, year, tags,
citekey, state), ``[[topic]]`` links, the structured note and the
annotations with page numbers. Everything below the marker line belongs to
the user: exporting again rewrites only what is above it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from paperlab.annotation_views import HIGHLIGHT_KIND_LABELS
from paperlab.export import atomic_write_text, checked_target, key_aliases
from paperlab.export.latex import normalise_space
from paperlab.export.vaultfile import (
    FIELD_TITLES,
    FrontMatterError,
    UserFrontMatter,
    merge_fields,
    parse_note,
    read_values,
    user_front_matter,
)
from paperlab.store import Store
from paperlab.store.models import (
    Annotation,
    Note,
    Paper,
    PaperTag,
    PaperTopic,
    Topic,
    VaultNote,
    mine,
    utcnow,
)

MARKER = "<!-- paperlab: your notes below this line are kept -->"
# The marker as it appears when a note, annotation or title quotes it: the
# generated part must never hold a real marker, or the next export would split
# there and copy the rest of the generated text into the user's part.
_QUOTED_MARKER = MARKER.replace("<", "&lt;", 1)
NOTE_TITLES = FIELD_TITLES


@dataclass
class VaultResult:
    directory: Path
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept_whole: list[str] = field(default_factory=list)  # files whose marker was gone
    unchanged: list[str] = field(default_factory=list)  # already right: not rewritten
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (old, new) after a rekey
    # vault edits not imported yet, kept in the file: (file, fields)
    pending: list[tuple[str, list[str]]] = field(default_factory=list)
    # fields edited on both sides since the last export, the file's text kept
    conflicts: list[tuple[str, list[str]]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why): left untouched

    def to_json(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "kept_whole": self.kept_whole,
            "renamed": [{"from": old, "to": new} for old, new in self.renamed],
            "pending": [{"file": f, "fields": names} for f, names in self.pending],
            "conflicts": [{"file": f, "fields": names} for f, names in self.conflicts],
            "skipped": [{"file": f, "reason": why} for f, why in self.skipped],
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
    *,
    kept: Mapping[str, Any] | None = None,
    user: UserFrontMatter | None = None,
) -> str:
    """The generated part (above the marker) of one paper's file.

    ``kept`` holds values the file's own text keeps over the library's: edits
    made in the vault and not imported yet, or in conflict (``tags`` is then
    the whole front-matter list). ``user`` is what the user added to the
    front matter (properties, aliases), written back as it was.
    """
    kept = kept or {}
    user = user or UserFrontMatter()
    title = normalise_space(paper.title) or paper.id
    tags = kept.get("tags", [t.slug for t in topics] + list(free_tags))
    lines = [
        "---",
        f"id: {_yaml(paper.id)}",
        f"title: {_yaml(title)}",
        f"authors: {_yaml(paper.author_list)}",
        f"year: {_yaml(paper.year)}",
        # Obsidian tags: the roadmap topics, then the user's free tags (`paperlab tag`)
        f"tags: {_yaml(tags)}",
        f"citekey: {_yaml(paper.citation_key)}",
        f"state: {_yaml(kept.get('state', paper.reading_state))}",
        f"aliases: {_yaml([title, *(a for a in user.aliases if a != title)])}",
        *user.lines,
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
    for name, heading in NOTE_TITLES.items():
        value = kept[name] if name in kept else getattr(note, name, "") if note else ""
        if value.strip():
            lines += [f"## {heading}", "", value.strip(), ""]
    if annotations:
        lines += ["## Annotations", ""]
        for i, ann in enumerate(annotations):
            where = f"p. {ann.page}" if ann.page else "page unknown"
            if ann.kind != "highlight":  # plain highlights stay as every earlier export wrote them
                where += f" · {HIGHLIGHT_KIND_LABELS.get(ann.kind, ann.kind)}"
            lines.append(f"> {' '.join(ann.quote.split())}")
            lines.append(f"> — {where}")
            comment = kept.get(f"comment:{i}", ann.comment)
            if comment.strip():
                lines += ["", comment.strip()]
            lines.append("")
    # Quoted here, not only when merging, so that the values read back from
    # this text are the ones the file will hold.
    return ("\n".join(lines).rstrip() + "\n").replace(MARKER, _QUOTED_MARKER)


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


@dataclass
class LibrarySide:
    """What the library holds for the papers of a vault: each file's ingredients."""

    notes: dict[str, Note]
    annotations: dict[str, list[Annotation]]
    topics_of: dict[str, list[Topic]]
    free_tags: dict[str, list[str]]
    papers_of_topic: dict[str, list[Paper]]
    topics: dict[str, Topic]

    def markdown(
        self,
        paper: Paper,
        *,
        kept: Mapping[str, Any] | None = None,
        user: UserFrontMatter | None = None,
    ) -> str:
        return paper_markdown(
            paper,
            self.notes.get(paper.id),
            self.annotations.get(paper.id, []),
            self.topics_of.get(paper.id, []),
            self.free_tags.get(paper.id, []),
            kept=kept,
            user=user,
        )


def library_side(store: Store, papers: Sequence[Paper]) -> LibrarySide:
    ids = [p.id for p in papers]
    with store.read() as session:
        notes = {
            n.paper_id: n
            for n in session.exec(select(Note).where(col(Note.paper_id).in_(ids), mine(Note)))
        }
        annotations: dict[str, list[Annotation]] = {}
        for a in session.exec(
            select(Annotation)
            # The vault is the user's own: their note and highlights, which
            # `import notes` may write back (others' would be refused).
            .where(col(Annotation.paper_id).in_(ids), mine(Annotation))
            .order_by(col(Annotation.id))
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
    return LibrarySide(notes, annotations, by_paper, free_tags, by_topic, topics)


def export_vault(store: Store, papers: Sequence[Paper], directory: Path) -> VaultResult:
    """Write (or refresh) one file per paper and per linked topic under ``directory``.

    A field edited in the vault since the last export and not imported yet
    keeps the file's text (listed in ``pending``, or ``conflicts`` when the
    library changed it too): an export never overwrites the user's edits.
    """
    directory = Path(directory)
    ids = [p.id for p in papers]
    aliases = key_aliases(store, ids)
    side = library_side(store, papers)
    result = VaultResult(directory=directory)
    vault_key = vault_identity(directory)
    bases = load_bases(store, vault_key, ids)
    files: list[tuple[Path, str, Path | None]] = []
    records: dict[str, tuple[Path, dict[str, Any]]] = {}
    renames: dict[str, str] = {}  # old key -> current key, for [[links]]
    for paper in papers:
        path = directory / f"{_file_stem(paper)}.md"
        recorded, base = bases.get(paper.id, (None, None))
        if (
            recorded is not None
            and Path(recorded).stem not in aliases.get(paper.id, [])  # not a rekey's old name
            and not path.exists()
            and (directory / recorded).is_file()
        ):
            path = directory / recorded  # renamed in Obsidian: the note keeps its new name
        source = None
        for old in reversed(aliases.get(paper.id, [])):  # the newest old note first
            renames[old] = paper.citation_key or ""
            old_path = directory / f"{old}.md"
            if source is None and not path.exists() and old_path.is_file():
                source = old_path
        text = side.markdown(paper)
        kept: dict[str, Any] = {}
        existing = source or path
        if existing.is_file():
            name = str(existing.relative_to(directory))
            try:
                kept = _vault_side(existing, base, text, name, result)
            except FrontMatterError as error:
                # Rewriting it would lose whatever the user typed: leave it whole.
                result.skipped.append((name, f"{error}; fix it and export again"))
                continue
            user = user_front_matter(_read(existing) or "", MARKER)
            if kept or user.lines or user.aliases:
                text = side.markdown(paper, kept=kept, user=user)
        files.append((path, text, source))
        records[paper.id] = (path, base_values(text, kept, base))
    for slug, members in sorted(side.papers_of_topic.items()):
        path = directory / "topics" / f"{slug}.md"
        files.append((path, topic_markdown(side.topics[slug], members), None))
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
    save_bases(store, vault_key, directory, records)
    for name in _relink(directory, renames):
        if name in result.unchanged:
            result.unchanged.remove(name)
        if name not in result.created and name not in result.updated:
            result.updated.append(name)
    return result


def vault_identity(directory: Path) -> str:
    """The key a vault's export records are kept under: its resolved folder."""
    return str(Path(directory).resolve())


def load_bases(
    store: Store, vault: str, ids: Sequence[str]
) -> dict[str, tuple[str, dict[str, Any]]]:
    """(file, values) last exported to ``vault`` (or settled by an import), by paper id."""
    with store.read() as session:
        rows = session.exec(
            select(VaultNote).where(VaultNote.vault == vault, col(VaultNote.paper_id).in_(ids))
        ).all()
    out = {}
    for row in rows:
        try:
            fields = json.loads(row.fields)
        except ValueError:
            continue  # unreadable: as if never exported
        if isinstance(fields, dict):
            out[row.paper_id] = (row.file, fields)
    return out


def save_bases(
    store: Store, vault: str, directory: Path, records: Mapping[str, tuple[Path, dict[str, Any]]]
) -> None:
    """Record what the files now hold, in one transaction."""
    if not records:
        return
    now = utcnow()
    with store.write() as session:
        for paper_id, (path, fields) in records.items():
            session.merge(
                VaultNote(
                    vault=vault,
                    paper_id=paper_id,
                    file=str(path.relative_to(directory)),
                    fields=json.dumps(fields, ensure_ascii=False, sort_keys=True),
                    exported_at=now,
                )
            )


def base_values(
    generated: str, kept: Mapping[str, Any], base: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The base after an export writes ``generated``: its values as read back, except
    fields the file kept from the vault, whose base stays what it was (so an
    import still sees them as the vault's edits, or as conflicts)."""
    parsed = parse_note(generated, MARKER)
    values = parsed.values(comments=True) | parsed.layout()
    for name in kept:
        values[name] = (base or {}).get(name, [] if name == "tags" else "")
    return values


def _vault_side(
    path: Path, base: Mapping[str, Any] | None, library_text: str, name: str, result: VaultResult
) -> dict[str, Any]:
    """Fields the file's text keeps over the library's: vault edits since ``base``.

    Without a base (a vault written before export records were kept) the
    library's text is written, as it always was. Front matter that cannot be
    read raises FrontMatterError either way: the file is left whole.
    """
    text = _read(path)
    if text is None:
        return {}
    parsed = parse_note(text, MARKER)
    if base is None:
        return {}
    vault, library = read_values(parsed, parse_note(library_text, MARKER), base)
    decided = merge_fields(base, vault, library)
    pending = [k for k in decided.keep_in_vault if k not in decided.conflicts]
    if pending:
        result.pending.append((name, pending))
    if decided.conflicts:
        result.conflicts.append((name, decided.conflicts))
    return decided.keep_in_vault


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


__all__ = [
    "MARKER",
    "LibrarySide",
    "VaultResult",
    "base_values",
    "export_vault",
    "library_side",
    "load_bases",
    "merge",
    "paper_markdown",
    "save_bases",
    "topic_markdown",
    "vault_identity",
]
