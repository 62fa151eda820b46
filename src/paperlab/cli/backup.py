"""`paperlab backup [PATH]`: a consistent copy of the library database."""

from __future__ import annotations

from pathlib import Path

import click

from paperlab.cli.common import json_option, print_json, refuse_lab_library
from paperlab.errors import NotFoundError, StoreError, UsageError


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@json_option
def backup(path: Path | None, as_json: bool) -> None:
    """Copy paperlab.db (online, safe while paperlab runs) and print where.

    PATH is a new file or an existing folder; by default a timestamped file
    under backups/ in the data directory. PDFs are not copied: they are the
    files under pdfs/ and never change once stored.
    """
    import sqlite3

    from paperlab.settings import load_settings
    from paperlab.store.backup import backup_database, backup_dir, stamped_path

    settings = load_settings()
    refuse_lab_library(
        settings,
        "backup",
        "Back the lab database up with pg_dump (see the README), "
        "or unset PAPERLAB_DATABASE_URL to back up your own library.",
    )
    db = settings.db_path
    if not db.is_file():
        raise NotFoundError(
            f"There is no library at {settings.home} to back up.",
            hint="Set PAPERLAB_HOME to the library's folder.",
        )
    if path is None:
        target = stamped_path(backup_dir(db))
    elif path.is_dir():
        target = stamped_path(path)
    elif path.exists():
        raise UsageError(f"{path} already exists.", hint="Give a new file name or a folder.")
    elif not path.parent.is_dir():
        raise UsageError(
            f"The folder {path.parent} does not exist.", hint="Create it, or give another path."
        )
    else:
        target = path
    try:
        written = backup_database(db, target)
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"Could not back up {db} ({str(exc).splitlines()[0]}).",
            hint="Run `paperlab doctor` to see whether the library is damaged.",
        ) from None
    if as_json:
        print_json({"path": str(written), "bytes": written.stat().st_size})
    else:
        click.echo(str(written))
        click.echo(f"Backed up the library to {written}.", err=True)
