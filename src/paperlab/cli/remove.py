"""`paperlab remove ID... [--force] [--json]`."""

from __future__ import annotations

import sys

import click

from paperlab.cli.common import get_store, json_option, print_json, terminal_text


@click.command()
@click.argument("papers", nargs=-1, required=True)
@click.option(
    "--force", is_flag=True, help="Remove papers with notes, annotations or log links unasked."
)
@json_option
def remove(papers: tuple[str, ...], force: bool, as_json: bool) -> None:
    """Remove papers from the library: PDFs, text, vectors, list links.

    A paper with notes, annotations or log links is removed only after you
    confirm (or with --force); log entries themselves stay. A bare
    `paperlab fetch` does not bring a removed paper back; `paperlab fetch ID`
    or naming its list does.
    """
    from paperlab.errors import UsageError
    from paperlab.removing import plan_removal, remove_papers
    from paperlab.settings import load_settings

    settings = load_settings()
    store = get_store(settings)
    plans = plan_removal(store, papers)  # every name resolved before anything goes
    precious = [p for p in plans if p.has_user_work]
    if precious and not force:
        listed = "; ".join(f"{p.paper_id} ({p.user_work()})" for p in precious)
        if not sys.stdin.isatty():
            raise UsageError(
                f"Not removing: your own work would go with it: {listed}.",
                hint="Re-run with --force to remove them anyway (log entries stay).",
            )
        click.echo(f"These papers have your own work: {terminal_text(listed)}", err=True)
        if not click.confirm("Remove them with it?", default=False, err=True):
            click.echo("Nothing removed.", err=True)
            raise SystemExit(1)
    remove_papers(store, settings, plans)

    if as_json:
        print_json(
            [
                {
                    "id": p.paper_id,
                    "title": p.title,
                    "notes": p.notes,
                    "annotations": p.annotations,
                    "log_links": p.log_links,
                    "lists": p.lists,
                    "pdfs_removed": p.pdfs_removed,
                    "chunks_removed": p.chunks_removed,
                    "vectors_removed": p.vectors_removed,
                }
                for p in plans
            ]
        )
        return
    for p in plans:
        lists = f"; left {', '.join(p.lists)}" if p.lists else ""
        click.echo(
            f"removed {p.paper_id}: {terminal_text(p.title) or '(untitled)'}"
            f" ({p.pdfs_removed} PDF{'s' if p.pdfs_removed != 1 else ''},"
            f" {p.chunks_removed} passages{lists})",
            err=True,
        )
