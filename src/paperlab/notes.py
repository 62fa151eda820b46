"""The notes service: one structured note per paper, as rows and as Markdown.

A note has fixed fields (summary, contributions, method, results, limitations,
open questions, relevance to my project) and a free Markdown body. Front ends
edit it either field by field (TUI, ``--set``) or as one Markdown document
with a ``## <Field title>`` heading per field (``paperlab note ID``).

Each user (``PAPERLAB_USER``) has their own note on a paper; the others see
it only when it is shared, and only its owner edits it.

A user's notes are never lost: every save is one transaction that merges
field by field against what the caller last read (``base``): the stored row
is read under a row lock, fields only the caller changed are written, fields
only another writer changed are kept, and a field both changed differently
is a ConflictError that writes nothing. Text the Markdown parser cannot
place under a field lands in the body.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from paperlab.errors import PaperlabError, UsageError
from paperlab.library import get_topic, resolve_paper
from paperlab.settings import current_user
from paperlab.store import Store
from paperlab.store.models import Note, NoteTopic, Paper, utcnow
from paperlab.store.values import NOTE_FIELD_TITLES

NOTE_FIELDS: tuple[str, ...] = (
    "summary",
    "contributions",
    "method",
    "results",
    "limitations",
    "questions",
    "relevance",
)
# Every editable column of a note, in the order the Markdown shows them.
ALL_FIELDS: tuple[str, ...] = (*NOTE_FIELDS, "body")

FIELD_TITLES: dict[str, str] = NOTE_FIELD_TITLES

# Headings a user might plausibly type instead of the canonical titles.
_HEADING_ALIASES: dict[str, str] = {
    "contributions": "contributions",
    "key contribution": "contributions",
    "questions": "questions",
    "open question": "questions",
    "relevance": "relevance",
    "relevance to my project": "relevance",
    "relevance to project": "relevance",
    "body": "body",
    "notes": "body",
    "note": "body",
    "free notes": "body",
    "methods": "method",
    "result": "results",
    "limitation": "limitations",
}


class ConflictError(PaperlabError):
    """The note changed in the library since the caller read it (``fields``: which)."""

    def __init__(self, message: str, hint: str | None = None, fields: tuple[str, ...] = ()):
        super().__init__(message, hint=hint)
        self.fields = fields


def _aware(value: datetime) -> datetime:
    """Treat naive datetimes as UTC so stored and in-memory stamps compare."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def validate_field(name: str) -> str:
    """The canonical field name for ``name``, or a UsageError with a guess."""
    key = name.strip().lower()
    if key in ALL_FIELDS:
        return key
    close = difflib.get_close_matches(key, ALL_FIELDS, n=1, cutoff=0.6)
    hint = f"Did you mean {close[0]}? " if close else ""
    raise UsageError(
        f"Unknown note field {name!r}.", hint=f"{hint}Fields: {', '.join(ALL_FIELDS)}."
    )


def _note_for(session: Session, paper_id: str, *, lock: bool = False) -> Note | None:
    """The current user's note on the paper; ``lock`` reads it under a row lock.

    ``with_for_update`` is PostgreSQL's ``SELECT ... FOR UPDATE``, which holds
    off another writer of the row until this transaction ends; SQLite ignores
    it, its ``BEGIN IMMEDIATE`` already lets one writer in at a time.
    """
    query = select(Note).where(Note.paper_id == paper_id, Note.owner == current_user())
    return session.exec(query.with_for_update() if lock else query).first()


def get_note(store: Store, paper: str) -> Note | None:
    """The current user's note on the paper named by ``paper``, or None when none yet."""
    with store.read() as session:
        found = resolve_paper(session, paper)
        return _note_for(session, found.id)


def save_note(
    store: Store,
    paper: str,
    fields: Mapping[str, str],
    *,
    base: Mapping[str, str] | None = None,
    shared: bool | None = None,
    expected_updated_at: datetime | None = None,
) -> Note:
    """Update the given fields of the current user's note (creating it), in one transaction.

    Fields not in ``fields`` keep their stored text. ``base`` is the note's
    fields as the caller last read them (``note_fields``): inside the write
    the stored row is read under a row lock and merged with
    ``merge_note_fields`` (base, the caller's, stored), so a field only the
    caller changed is written, one only someone else changed since is kept,
    and one both changed differently raises ConflictError naming it, with
    nothing written. Without ``base`` the given fields are written as they
    are. ``expected_updated_at`` (the ``updated_at`` the caller last read)
    refuses any change made since, whatever its fields. ``shared`` shares or
    unshares the note; None leaves it. Saving what is stored writes nothing.
    """
    clean = {validate_field(name): value for name, value in fields.items()}
    for name, value in clean.items():
        if not isinstance(value, str):
            raise UsageError(f"The note field {name} must be text, not {type(value).__name__}.")
    if base is not None:
        base = {validate_field(name): value for name, value in base.items()}
    with store.write() as session:
        found = resolve_paper(session, paper)
        note = _note_for(session, found.id, lock=True)
        if (
            expected_updated_at is not None
            and note is not None
            and _aware(note.updated_at) != _aware(expected_updated_at)
        ):
            raise ConflictError(
                f"The note on {found.id} was changed elsewhere since it was opened.",
                hint="Reload the note and apply your edits again; nothing was overwritten.",
            )
        if base is not None:
            clean = _merged(found.id, base, clean, note_fields(note))
        if (
            note is not None
            and all(getattr(note, k) == v for k, v in clean.items())
            and (shared is None or note.shared == shared)
        ):
            return note  # nothing to change: keep updated_at, write nothing
        now = utcnow()
        if note is None:
            note = Note(paper_id=found.id, created_at=now, updated_at=now)
        for name, value in clean.items():
            setattr(note, name, value)
        if shared is not None:
            note.shared = shared
        note.updated_at = now
        session.add(note)
        session.flush()
        session.refresh(note)
        return note


def _merged(
    paper_id: str, base: Mapping[str, str], ours: Mapping[str, str], stored: Mapping[str, str]
) -> dict[str, str]:
    """The fields to write: the caller's changes merged with the stored note, or a conflict."""
    mine = {name: ours.get(name, base.get(name, "")) for name in ALL_FIELDS}
    merge = merge_note_fields({n: base.get(n, "") for n in ALL_FIELDS}, mine, stored)
    if merge.conflicts:
        names = ", ".join(FIELD_TITLES[n] for n in merge.conflicts)
        raise ConflictError(
            f"The note on {paper_id} was changed elsewhere in {names} since it was read; "
            "nothing was saved.",
            hint="Reload the note and apply your edits again; nothing was overwritten.",
            fields=tuple(merge.conflicts),
        )
    return {name: value for name, value in merge.fields.items() if value != stored[name]}


def note_fields(note: Note | None) -> dict[str, str]:
    """Every field of ``note`` (empty strings when there is no note)."""
    return {name: (getattr(note, name) if note is not None else "") for name in ALL_FIELDS}


def is_empty(note: Note | None) -> bool:
    """True when the note is missing or every field is blank."""
    return all(not value.strip() for value in note_fields(note).values())


def note_to_json(paper: Paper, note: Note | None, topics: Iterable[str] = ()) -> dict[str, Any]:
    """The note as plain data for ``--json`` (empty fields when there is none)."""
    data: dict[str, Any] = {"paper_id": paper.id, "title": paper.title}
    data.update(note_fields(note))
    data["topics"] = list(topics)
    data["owner"] = note.owner if note is not None else current_user()
    data["shared"] = bool(note.shared) if note is not None else False
    data["created_at"] = note.created_at.isoformat() if note is not None else None
    data["updated_at"] = note.updated_at.isoformat() if note is not None else None
    return data


# --------------------------------------------------------------------------- merging


@dataclass(frozen=True)
class NoteMerge:
    """Two edits of one note merged field by field.

    ``fields`` holds every field: the changed side where only one side changed,
    and *ours* where both changed differently. Those fields are listed in
    ``conflicts`` as (ours, theirs) and are left for the user to decide: a
    merge never writes both texts, or any marker, into a field by itself.
    """

    fields: dict[str, str]
    conflicts: dict[str, tuple[str, str]] = field(default_factory=dict)
    theirs_changed: tuple[str, ...] = ()


def merge_note_fields(
    base: Mapping[str, str], ours: Mapping[str, str], theirs: Mapping[str, str]
) -> NoteMerge:
    """Three-way merge of note fields: ``base`` is what both sides started from."""
    merged: dict[str, str] = {}
    conflicts: dict[str, tuple[str, str]] = {}
    theirs_changed: list[str] = []
    names = [n for n in ALL_FIELDS if n in {*base, *ours, *theirs}]
    names += sorted({*base, *ours, *theirs} - set(ALL_FIELDS))
    for name in names:
        b, o, t = base.get(name, ""), ours.get(name, ""), theirs.get(name, "")
        if t != b:
            theirs_changed.append(name)
        if o in (b, t):
            merged[name] = t
        elif t == b:
            merged[name] = o
        else:
            merged[name] = o
            conflicts[name] = (o, t)
    return NoteMerge(merged, conflicts, tuple(theirs_changed))


def keep_both(ours: str, theirs: str) -> str:
    """The text of a field whose user chose to keep both versions: ours, then theirs."""
    if not ours.strip():
        return theirs
    if not theirs.strip():
        return ours
    return f"{ours.rstrip()}\n\n{theirs.lstrip()}"


# --------------------------------------------------------------------------- markdown

_HEADING = re.compile(r"^ {0,3}##[ \t]+(?P<title>.*?)[ \t]*#*[ \t]*$")
# The title line note_to_markdown writes: "# <title> (<id>)".
_FRONT = re.compile(r"^ {0,3}#[ \t]+.*\([^()\s]+\)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def note_to_markdown(paper: Paper, note: Note | None) -> str:
    """The note as one Markdown document: a title line, then one section per field."""
    values = note_fields(note)
    title = " ".join(paper.title.split()) or "Untitled"
    lines = [f"# {title} ({paper.id})", ""]
    for name in ALL_FIELDS:
        lines.append(f"## {FIELD_TITLES[name]}")
        lines.append("")
        text = values[name].strip("\n")
        if text:
            lines.append(text)
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _heading_field(title: str) -> str | None:
    key = " ".join(title.strip().rstrip(":").split()).lower()
    for name, field_title in FIELD_TITLES.items():
        if key in (name, field_title.lower()):
            return name
    if key in _HEADING_ALIASES:
        return _HEADING_ALIASES[key]
    if key.endswith("s") and key[:-1] in _HEADING_ALIASES:
        return _HEADING_ALIASES[key[:-1]]
    return None


def _clean(lines: list[str]) -> str:
    """A section's text without its surrounding blank lines; inner text as typed."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end]).rstrip()


def note_from_markdown(text: str) -> dict[str, str]:
    """Parse ``note_to_markdown``'s format back into a value for every field.

    Headings are matched by title or field name, ignoring case, spacing and a
    trailing colon. Everything after the Notes heading is body text verbatim
    (so a body may use ``##`` headings of its own). Text before the first
    heading (other than the title line) and sections under unknown headings
    go to the body, so nothing typed is lost. A field repeated twice keeps
    both texts.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    sections: dict[str, list[list[str]]] = {name: [] for name in ALL_FIELDS}
    stray: list[list[str]] = []  # unplaceable text, kept in the body
    current: list[str] = []
    stray.append(current)
    seen_content = False
    in_fence = False
    for index, line in enumerate(lines):
        if not seen_content and not line.strip():
            continue
        if not seen_content and _FRONT.match(line):
            # The title line we wrote; it is regenerated on every edit.
            seen_content = True
            continue
        seen_content = True
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading is not None:
            field = _heading_field(heading["title"])
            if field == "body":
                sections["body"].append(lines[index + 1 :])
                break
            current = []
            if field is None:
                # Unknown heading: keep it with its text in the body.
                current.append(line)
                stray.append(current)
            else:
                sections[field].append(current)
            continue
        current.append(line)
    result = {
        name: "\n\n".join(filter(None, (_clean(b) for b in blocks)))
        for name, blocks in sections.items()
    }
    extra = "\n\n".join(filter(None, (_clean(b) for b in stray)))
    if extra:
        result["body"] = f"{extra}\n\n{result['body']}" if result["body"] else extra
    return result


def note_text_for_index(note: Note) -> str:
    """The note's text for search indexes: each non-empty field under its title."""
    parts = []
    for name in ALL_FIELDS:
        value = getattr(note, name).strip()
        if value:
            parts.append(f"{FIELD_TITLES[name]}: {value}")
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- topics


def link_note_topics(store: Store, paper: str, slugs: Iterable[str]) -> list[str]:
    """Link the paper's note (created empty if needed) to topics; return all its topics."""
    wanted = [s.strip() for s in slugs if s.strip()]
    with store.write() as session:
        found = resolve_paper(session, paper)
        for slug in wanted:
            get_topic(session, slug)
        note = _note_for(session, found.id)
        if note is None:
            now = utcnow()
            note = Note(paper_id=found.id, created_at=now, updated_at=now)
            session.add(note)
            session.flush()
        assert note.id is not None
        existing = set(_topics_of(session, note.id))
        for slug in wanted:
            if slug not in existing:
                session.add(NoteTopic(note_id=note.id, topic_slug=slug))
                existing.add(slug)
        return sorted(existing)


def note_topics(store: Store, paper: str) -> list[str]:
    """The topic slugs the paper's note links to (empty when there is no note)."""
    with store.read() as session:
        found = resolve_paper(session, paper)
        note = _note_for(session, found.id)
        return [] if note is None or note.id is None else _topics_of(session, note.id)


def _topics_of(session: Session, note_id: int) -> list[str]:
    query = select(NoteTopic.topic_slug).where(NoteTopic.note_id == note_id)
    return list(session.exec(query.order_by(col(NoteTopic.topic_slug))).all())


__all__ = [
    "ALL_FIELDS",
    "FIELD_TITLES",
    "NOTE_FIELDS",
    "ConflictError",
    "NoteMerge",
    "get_note",
    "is_empty",
    "keep_both",
    "link_note_topics",
    "merge_note_fields",
    "note_fields",
    "note_from_markdown",
    "note_text_for_index",
    "note_to_json",
    "note_to_markdown",
    "note_topics",
    "save_note",
    "validate_field",
]
