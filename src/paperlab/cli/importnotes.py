"""``paperlab import notes``: read back the edits made to exported notes."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import click

from paperlab.cli.common import get_store, json_option, print_json, terminal_text
from paperlab.errors import clip
from paperlab.wording import counted


@click.group("import")
def import_group() -> None:
    """Import notes edited elsewhere (an Obsidian vault written by `export notes`)."""


def _short(value: Any) -> str:
    """A value as one bounded line: enough to recognise the edit."""
    if isinstance(value, list):
        text = ", ".join(str(v) for v in value) or "(none)"
    else:
        text = " ".join(str(value).split()) or "(empty)"
    text = terminal_text(text)
    return text if len(text) <= 60 else text[:59] + "…"


def _diff(old: str, new: str, limit: int = 8) -> list[str]:
    """The changed lines of a text field, as ``-``/``+`` lines, at most ``limit``."""
    import difflib

    lines = [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if not line.startswith(("---", "+++", "@@"))
    ]
    shown = [f"{line[0]} {clip(terminal_text(line[1:]), 100)}".rstrip() for line in lines[:limit]]
    if len(lines) > limit:
        shown.append(f"… {len(lines) - limit} more changed lines")
    return shown


@import_group.command()
@click.argument("vault", type=click.Path(path_type=Path))
@click.option(
    "--from",
    "source",
    type=click.Choice(["obsidian"]),
    default="obsidian",
    show_default=True,
    help="Where the notes were edited.",
)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--prefer",
    type=click.Choice(["vault", "library"]),
    help="Settle fields edited on both sides: take the vault's text, or the library's "
    "(written to the vault by the next export). Default: report them, change nothing.",
)
@json_option
def notes(vault: Path, source: str, dry_run: bool, prefer: str | None, as_json: bool) -> None:
    """Apply the edits made in VAULT to the library, field by field.

    Reads each paper's note sections, tags and reading state. A field edited
    only in the vault is imported; one edited in the library too is a
    conflict, reported and left alone on both sides. Text below a file's
    marker line stays in the vault.
    """
    from paperlab.export.vaultfile import NOTE_KEYS
    from paperlab.vaultimport import Prefer, field_title, import_vault

    chosen = cast("Prefer | None", prefer)
    report = import_vault(get_store(), vault, dry_run=dry_run, prefer=chosen)
    if as_json:
        print_json(report.to_json())
        return
    verb = "would change" if dry_run else "changed"
    by_file: dict[str, list[Any]] = {}
    for change in report.changes:
        by_file.setdefault(change.file, []).append(change)
    for name, changes in by_file.items():
        click.echo(f"{terminal_text(name)}:")
        for c in changes:
            if dry_run and c.field in NOTE_KEYS:
                click.echo(f"  {field_title(c.field)}:")
                for line in _diff(c.library, c.vault):
                    click.echo(f"    {line}")
            else:
                click.echo(f"  {field_title(c.field)}: {_short(c.library)} -> {_short(c.vault)}")
    for c in report.conflicts:
        click.echo(
            f"Conflict: {terminal_text(c.file)}: {field_title(c.field)} was edited in the vault "
            f"({_short(c.vault)}) and in the library ({_short(c.library)}); both kept as they are.",
            err=True,
        )
    for n in report.notes:
        click.echo(f"{terminal_text(n.file)}: {terminal_text(n.message)}", err=True)
    fields = len(report.changes)
    click.echo(
        f"{counted(report.read, 'note')} read: {counted(fields, 'field')} {verb} "
        f"in {counted(len(by_file), 'note')}, {counted(len(report.conflicts), 'conflict')}, "
        f"{len(report.unchanged)} unchanged."
        + (" Nothing was written (--dry-run)." if dry_run else "")
    )
    if report.conflicts and not prefer:
        click.echo(
            "Hint: make both sides agree (edit the file, or `paperlab note ID`), "
            "or rerun with --prefer vault|library.",
            err=True,
        )
