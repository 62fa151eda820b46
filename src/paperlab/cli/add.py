"""`paperlab add PATH.pdf ...`."""

from __future__ import annotations

from pathlib import Path

import click

from paperlab.cli.common import echo_hints, get_store, json_option, print_json
from paperlab.cli.progress import make_progress


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--no-index", is_flag=True, help="Only import: skip text extraction and search.")
@json_option
def add(paths: tuple[Path, ...], no_index: bool, as_json: bool) -> None:
    """Import local PDF files (or folders of them) into the library.

    The arXiv id is read from the PDF's side stamp or text; the next
    `paperlab fetch` completes such papers' metadata. A PDF whose title is not
    the arXiv title of the paper its stamp names is refused. Exits 1 when any
    PDF failed, was refused or could not be indexed.
    """
    from paperlab.importing import PROBLEMS, add_pdfs
    from paperlab.settings import load_settings

    settings = load_settings()
    with make_progress() as progress:
        outcomes = add_pdfs(
            get_store(settings), settings, list(paths), index=not no_index, progress=progress
        )
    if as_json:
        print_json([o.__dict__ for o in outcomes])
    else:
        for o in outcomes:
            click.echo(_line(o), err=o.status in PROBLEMS)
            for warning in o.warnings:
                click.echo(f"warning: {o.path}: {warning}", err=True)
            for key in o.linked:
                click.echo(f"{o.path}: linked to the reading-list entry {key!r}")
        echo_hints(o.hint for o in outcomes if o.status in PROBLEMS)
        if any(o.status == "refused" for o in outcomes):
            click.echo(
                "Hint: a refused PDF is not stored; `paperlab fetch ID` downloads "
                "arXiv's own PDF of the paper.",
                err=True,
            )
    if any(o.status in PROBLEMS for o in outcomes):
        raise SystemExit(1)


def _line(o: object) -> str:
    from paperlab.importing import AddOutcome

    assert isinstance(o, AddOutcome)
    if o.status == "not-indexed":
        # Stored, so not "failed"; not searchable, and this says why.
        return f"{o.path}: added as {o.paper_id}, not indexed: {o.message}"
    who = f" as {o.paper_id}" if o.paper_id and o.status not in ("failed", "refused") else ""
    extra = f" ({o.message})" if o.message else ""
    return f"{o.path}: {o.status}{who}{extra}"
