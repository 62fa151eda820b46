"""``paperlab open``: a paper's PDF in the system viewer."""

from __future__ import annotations

import click

from paperlab.cli.common import get_store, json_option, print_json
from paperlab.settings import load_settings


@click.command("open")
@click.argument("paper", metavar="ID")
@click.option(
    "--page",
    type=int,
    help="The page to open at (default: where the reader left the paper, else 1).",
)
@json_option
def open_command(paper: str, page: int | None, as_json: bool) -> None:
    """Open a paper's PDF in the system viewer, where you left off.

    Viewers that take a page (zathura, okular, evince, qpdfview, mupdf) open at
    it; otherwise xdg-open (open on macOS) opens the file.
    """
    from paperlab.pdfviewer import open_paper

    store = get_store()
    try:
        opened = open_paper(store, load_settings(), paper, page)
    finally:
        store.close()
    if as_json:
        print_json(opened.to_json())
    else:
        click.echo(opened.sentence())
