"""``paperlab db``: operations on the library's database, such as copying it to a lab server."""

from __future__ import annotations

from pathlib import Path

import click

from paperlab.cli.common import get_store, json_option, print_json
from paperlab.errors import UsageError
from paperlab.wording import counted


@click.group("db")
def db() -> None:
    """Lab database operations: copy a library between SQLite and PostgreSQL."""


@db.command("copy")
@click.option(
    "--to",
    "to",
    required=True,
    metavar="URL|FILE",
    help="The library to copy into: a postgresql+psycopg:// URL, or a SQLite file path.",
)
@json_option
def copy(to: str, as_json: bool) -> None:
    """Copy this library (PAPERLAB_DATABASE_URL, else PAPERLAB_HOME's SQLite) into another.

    Everything is copied: papers, versions, text, vectors, notes, annotations,
    the log, tags, topics, lists and reading states. Rows are matched by what
    they are (a paper by its id, a note by its paper, a log entry by its time
    and text), so two libraries copied into one merge. Running it again copies
    only what is new; rows the target holds differently are never overwritten
    and are listed as conflicts.
    """
    from paperlab.copying import TableCount, copy_library
    from paperlab.settings import is_database_url, load_settings, parse_database_url
    from paperlab.store import Store
    from paperlab.store.pgreader import shown_url

    settings = load_settings()
    target_store: Store
    if is_database_url(to):
        url = parse_database_url(to, "--to")
        if url == settings.database_url:
            raise UsageError("--to names the library being copied.", hint="Name another one.")
        from paperlab.store.pgengine import PgStore

        source = get_store(settings)
        target_store = PgStore(url)
        target_name = shown_url(url)
    else:
        path = Path(to.removeprefix("sqlite:///")).expanduser()
        if path.is_dir():
            path = path / "paperlab.db"
        if not settings.database_url and path.resolve() == settings.db_path.resolve():
            raise UsageError("--to names the library being copied.", hint="Name another one.")
        if not path.parent.is_dir():
            raise UsageError(
                f"There is no folder {path.parent} to put {path.name} in.",
                hint="Create the folder first, or give --to a postgresql+psycopg:// URL.",
            )
        source = get_store(settings)
        target_store = Store(path)
        target_name = str(path)

    def shown(name: str, count: TableCount) -> None:
        if not as_json:
            click.echo(
                f"{name}: {count.copied} copied, {count.present} already there"
                + (f", {count.conflicts} differing (left as they were)" if count.conflicts else ""),
                err=True,
            )

    try:
        counts = copy_library(source, target_store, progress=shown)
    finally:
        source.close()
        target_store.close()
    copied = sum(c.copied for c in counts.values())
    conflicts = sum(c.conflicts for c in counts.values())
    if as_json:
        print_json(
            {
                "target": target_name,
                "copied": copied,
                "conflicts": conflicts,
                "tables": {name: count.to_json() for name, count in counts.items()},
            }
        )
        return
    click.echo(f"Copied {counted(copied, 'row')} into {target_name}.")
    for old, new in counts["paper"].renamed.items() if "paper" in counts else ():
        click.echo(f"The citation key {old} is another paper's there: the copied one is {new}.")
    if conflicts:
        rows = counted(conflicts, "row")
        left = "differs; it was" if conflicts == 1 else "differ; they were"
        click.echo(f"{rows} already there under the same key {left} left as is:")
        for name, count in counts.items():
            for key in count.conflict_keys:
                click.echo(f"  {name} {_shown_key(key)}")
            if count.conflicts > len(count.conflict_keys):
                click.echo(f"  {name}: {count.conflicts - len(count.conflict_keys)} more")


def _shown_key(key: dict[str, object]) -> str:
    """``paper_id=1706.03762``; a parent shown by its own key: ``note(paper_id=...)``."""
    return " ".join(
        f"{name}({_shown_key(value)})" if isinstance(value, dict) else f"{name}={value}"
        for name, value in key.items()
    )
