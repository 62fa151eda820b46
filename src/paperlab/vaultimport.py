"""Importing an Obsidian vault's edits: the return half of ``export notes``.

Each paper file's note sections, free tags and reading state are compared
with what the library holds and with what the last export wrote to this
vault (``vault_note``, the common base), field by field
(``export.vaultfile.merge_fields``): an edit made only in the vault is
applied to the library, one made only in the library waits for the next
export, and a field both sides changed differently is reported and left
alone on both sides. Nothing is ever written to the vault here, and the
text below a file's marker line stays the vault's own.

Files that cannot be imported each get one line: unknown files, notes whose
front matter is broken, papers not in the library, notes renamed or deleted
since the export, copies of a paper's note.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlmodel import select

from paperlab.annotations import update_annotation
from paperlab.catalog import READING_STATES
from paperlab.errors import UsageError, clip_path, shown
from paperlab.export.vault import MARKER, LibrarySide, library_side, vault_identity
from paperlab.export.vaultfile import (
    FIELD_TITLES,
    NOTE_KEYS,
    FrontMatterError,
    NoteFile,
    merge_fields,
    parse_note,
    read_values,
)
from paperlab.notes import ConflictError, save_note
from paperlab.store import Store
from paperlab.store.models import Note, Paper, VaultNote, utcnow
from paperlab.tagging import check_tag, tag_paper, untag_paper

Prefer = Literal["vault", "library"]


@dataclass
class FieldChange:
    """One field whose vault text differs from the library's."""

    file: str
    paper_id: str
    field: str
    library: Any  # the library's value (text, or a list of tags)
    vault: Any

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class FileNote:
    """One file (or missing file) that was not imported, and why."""

    file: str
    kind: str  # unknown, broken, not-in-library, renamed, deleted, duplicate, not-imported
    message: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ImportReport:
    vault: Path
    dry_run: bool
    changes: list[FieldChange] = field(default_factory=list)  # applied (or would be)
    conflicts: list[FieldChange] = field(default_factory=list)  # edited on both sides
    notes: list[FileNote] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # files with nothing to import
    read: int = 0  # paper notes read

    def to_json(self) -> dict[str, Any]:
        return {
            "vault": str(self.vault),
            "dry_run": self.dry_run,
            "read": self.read,
            "changes": [c.to_json() for c in self.changes],
            "conflicts": [c.to_json() for c in self.conflicts],
            "files": [n.to_json() for n in self.notes],
            "unchanged": self.unchanged,
        }


@dataclass
class _Found:
    path: str
    parsed: NoteFile


def import_vault(
    store: Store, directory: Path, *, dry_run: bool = False, prefer: Prefer | None = None
) -> ImportReport:
    """Read the vault's edits into the library (``dry_run``: only say what would change).

    ``prefer`` settles conflicts: ``vault`` takes the file's text into the
    library, ``library`` lets the next export write the library's text into
    the file. Without it, conflicts are reported and nothing changes for them.
    """
    directory = Path(directory)
    if not directory.is_dir():
        what = "is not a folder" if directory.exists() else "does not exist"
        raise UsageError(
            f"The vault {shown(str(directory))} {what}.",
            hint="Give the folder `paperlab export notes` wrote to.",
        )
    vault = vault_identity(directory)
    with store.read() as session:
        records = {
            row.paper_id: row
            for row in session.exec(select(VaultNote).where(VaultNote.vault == vault)).all()
        }
    report = ImportReport(vault=directory, dry_run=dry_run)
    found = _read_files(directory, records, report)
    if not found and not records:
        raise UsageError(
            f"No note exported by paperlab was found in {shown(str(directory))}.",
            hint=f"Export the notes first: paperlab export notes {clip_path(directory, 60)}",
        )
    _account_for_records(directory, records, found, report)
    from paperlab.library import show_my_reading_states

    with store.read() as session:
        papers = {pid: p for pid in found if (p := session.get(Paper, pid)) is not None}
        session.expunge_all()
        show_my_reading_states(session, papers.values())  # the state compared is the user's
    for pid in list(found):
        if pid not in papers:
            report.notes.append(
                FileNote(
                    found[pid].path,
                    "not-in-library",
                    f"paper {shown(pid)} is not in this library; not imported",
                )
            )
            del found[pid]
    side = library_side(store, list(papers.values()))
    for pid, item in found.items():
        report.read += 1
        record = records.get(pid)
        moved = record is not None and record.file != item.path
        _import_one(
            store, side, papers[pid], item, _fields(record), vault, report, dry_run, prefer, moved
        )
    return report


def _read_files(
    directory: Path, records: Mapping[str, VaultNote], report: ImportReport
) -> dict[str, _Found]:
    """Every paper note of the vault by paper id; a line for each file that is not one."""
    by_file = {row.file: pid for pid, row in records.items()}
    found: dict[str, _Found] = {}
    for path in sorted(directory.rglob("*.md")):
        rel = path.relative_to(directory)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue  # .obsidian, .trash: the app's own
        name = rel.as_posix()
        try:
            parsed = parse_note(path.read_text(encoding="utf-8"), MARKER)
        except UnicodeDecodeError:
            report.notes.append(FileNote(name, "broken", "not UTF-8 text; not imported"))
            continue
        except FrontMatterError as error:
            if name in by_file or rel.parts[0] != "topics":
                report.notes.append(FileNote(name, "broken", f"{error}; not imported"))
            continue
        pid = parsed.paper_id or by_file.get(name)
        if pid is None:
            if not (rel.parts[0] == "topics" and "slug" in parsed.front):
                report.notes.append(
                    FileNote(name, "unknown", "not a paperlab note (no id in its front matter)")
                )
            continue
        if pid in found:
            first, second = found[pid].path, name
            expected = records[pid].file if pid in records else None
            if second == expected:  # the exported file wins over a copy
                found[pid], first, second = _Found(name, parsed), name, first
            report.notes.append(
                FileNote(
                    second,
                    "duplicate",
                    f"also paper {pid}, whose note is {first}; not imported",
                )
            )
            continue
        found[pid] = _Found(name, parsed)
    return found


def _account_for_records(
    directory: Path,
    records: Mapping[str, VaultNote],
    found: Mapping[str, _Found],
    report: ImportReport,
) -> None:
    """A line for each exported note that moved or disappeared."""
    for pid, row in sorted(records.items(), key=lambda kv: kv[1].file):
        if pid in found and found[pid].path != row.file:
            report.notes.append(
                FileNote(row.file, "renamed", f"renamed to {found[pid].path}; read from there")
            )
        elif pid not in found and not (directory / row.file).exists():
            report.notes.append(
                FileNote(
                    row.file,
                    "deleted",
                    f"gone from the vault (paper {pid}); the library keeps its note, "
                    "and the next export writes the file again",
                )
            )


def _fields(record: VaultNote | None) -> dict[str, Any] | None:
    if record is None:
        return None
    try:
        fields = json.loads(record.fields)
    except ValueError:
        return None
    return fields if isinstance(fields, dict) else None


def _import_one(
    store: Store,
    side: LibrarySide,
    paper: Paper,
    item: _Found,
    base: dict[str, Any] | None,
    vault: str,
    report: ImportReport,
    dry_run: bool,
    prefer: Prefer | None,
    moved: bool,
) -> None:
    values, library = read_values(item.parsed, parse_note(side.markdown(paper), MARKER), base)
    decided = merge_fields(base, values, library)
    for key in decided.conflicts:
        if prefer == "vault":
            decided.to_library[key] = values[key]
        else:
            report.conflicts.append(
                FieldChange(item.path, paper.id, key, library[key], values[key])
            )
    state = decided.to_library.get("state")
    if state is not None and state not in READING_STATES:
        del decided.to_library["state"]
        report.notes.append(
            FileNote(
                item.path,
                "not-imported",
                f"state {shown(state)} is not a reading state ({', '.join(READING_STATES)})",
            )
        )
    refused: list[str] = []
    for tag in list(decided.tags_added):
        if tag in side.topics:
            continue
        try:
            check_tag(tag)
        except UsageError as error:
            decided.tags_added.remove(tag)
            refused.append(tag)
            report.notes.append(FileNote(item.path, "not-imported", error.message))
    if base is not None and item.parsed.metadata() != base.get("_meta", item.parsed.metadata()):
        report.notes.append(
            FileNote(
                item.path,
                "not-imported",
                "title, authors, year and citekey are the library's; "
                "the next export writes them back",
            )
        )
    for key, new in decided.to_library.items():
        report.changes.append(FieldChange(item.path, paper.id, key, library[key], new))
    if decided.tags_added or decided.tags_removed:
        after = [t for t in library["tags"] if t not in decided.tags_removed] + decided.tags_added
        report.changes.append(FieldChange(item.path, paper.id, "tags", library["tags"], after))
    if not decided.changes_library and not decided.conflicts:
        report.unchanged.append(item.path)
    if dry_run:
        return
    try:
        _apply(store, side, paper, decided.to_library, decided.tags_added, decided.tags_removed)
    except ConflictError:
        report.notes.append(
            FileNote(item.path, "not-imported", "the note changed while importing; run it again")
        )
        return
    settled = [*decided.to_library, *decided.agreed]
    if prefer == "library":
        settled += decided.conflicts  # the next export writes the library's text
    if base is not None and not settled and not moved:
        return  # the base is still right
    values = dict(values) | {"tags": [t for t in values["tags"] if t not in refused]}
    _record(store, vault, paper.id, item, base, values, settled, decided.conflicts)


def _apply(
    store: Store,
    side: LibrarySide,
    paper: Paper,
    changes: Mapping[str, str],
    tags_added: list[str],
    tags_removed: list[str],
) -> None:
    annotations = side.annotations.get(paper.id, [])
    for key, comment in changes.items():
        index = int(key[8:]) if key.startswith("comment:") else -1
        ann_id = annotations[index].id if 0 <= index < len(annotations) else None
        if ann_id is not None:
            update_annotation(store, ann_id, comment=comment)
    fields = {k: v for k, v in changes.items() if k in NOTE_KEYS}
    if fields:
        note: Note | None = side.notes.get(paper.id)
        save_note(
            store,
            paper.id,
            fields,
            expected_updated_at=note.updated_at if note is not None else None,
        )
    if tags_added:
        tag_paper(store, paper.id, tags_added)
    if tags_removed:
        untag_paper(store, paper.id, tags_removed)
    if "state" in changes:
        from paperlab.library import set_reading_state

        set_reading_state(store, paper.id, changes["state"])


def _record(
    store: Store,
    vault: str,
    paper_id: str,
    item: _Found,
    base: dict[str, Any] | None,
    values: Mapping[str, Any],
    settled: list[str],
    conflicts: list[str],
) -> None:
    """Move the base to the vault's values for the fields both sides now agree on.

    The header and annotation lines are left as the export wrote them, so
    text typed there and imported into the notes is still told apart from
    the generated lines until the next export rewrites them. Without a base
    and with conflicts left, none is created: nobody could tell the sides apart.
    """
    if base is None:
        if conflicts:
            return
        fields: dict[str, Any] = dict(values) | item.parsed.layout()
    else:
        fields = dict(base)
        fields.update({key: values[key] for key in settled})
        fields["tags"] = values["tags"]
    with store.write() as session:
        session.merge(
            VaultNote(
                vault=vault,
                paper_id=paper_id,
                file=item.path,
                fields=json.dumps(fields, ensure_ascii=False, sort_keys=True),
                exported_at=utcnow(),
            )
        )


def field_title(key: str) -> str:
    """How a report names a field: its heading in the file, or the front-matter key."""
    if key.startswith("comment:"):
        return f"Comment on annotation {int(key[8:]) + 1}"
    return FIELD_TITLES.get(key, key)


__all__ = ["FieldChange", "FileNote", "ImportReport", "Prefer", "field_title", "import_vault"]
