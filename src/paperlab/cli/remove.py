"""`paperlab remove ID... [--force] [--others] [--json]`."""

from __future__ import annotations

import sys

import click

from paperlab.cli.common import get_store, json_option, print_json, terminal_text
from paperlab.wording import counted


@click.command()
@click.argument("papers", nargs=-1, required=True)
@click.option(
    "--force", is_flag=True, help="Remove papers with notes, annotations or log links unasked."
)
@click.option(
    "--others",
    is_flag=True,
    help="In a shared library, also remove other members' notes, annotations and log links.",
)
@json_option
def remove(papers: tuple[str, ...], force: bool, others: bool, as_json: bool) -> None:
    """Remove papers from the library: PDFs, text, vectors, list links.

    A paper with notes, annotations or log links is removed only after you
    confirm (or with --force); log entries themselves stay. In a library
    several people share, a paper holding other members' work is removed only
    with --others (--force alone does not). A bare `paperlab fetch` does not
    bring a removed paper back; `paperlab fetch ID` or naming its list does.
    """
    from paperlab.errors import UsageError
    from paperlab.removing import plan_removal, remove_papers
    from paperlab.settings import load_settings

    settings = load_settings()
    store = get_store(settings)
    plans = plan_removal(store, papers)  # every name resolved before anything goes
    theirs = [p for p in plans if p.has_others_work]
    if theirs and not others:
        listed = "; ".join(f"{p.paper_id} ({p.others_work()})" for p in theirs)
        raise UsageError(
            f"Not removing: other members' work would go with it: {listed}.",
            hint="Ask them first, or re-run with --others to remove their work too"
            " (log entries stay).",
        )
    precious = [p for p in plans if p.has_own_work]
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
                    "others": {
                        "members": p.other_members,
                        "notes": p.others_notes,
                        "annotations": p.others_annotations,
                        "log_links": p.others_log_links,
                    },
                }
                for p in plans
            ]
        )
        return
    for p in plans:
        lists = f"; left {', '.join(p.lists)}" if p.lists else ""
        click.echo(
            f"removed {p.paper_id}: {terminal_text(p.title) or '(untitled)'}"
            f" ({counted(p.pdfs_removed, 'PDF')}, {counted(p.chunks_removed, 'passage')}{lists})",
            err=True,
        )
