"""`paperlab sync [ID...]`: bring the library's PDFs onto this machine, verified."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from paperlab.cli.common import get_store, json_option, print_json, terminal_text
from paperlab.cli.progress import make_progress
from paperlab.wording import counted

if TYPE_CHECKING:
    from paperlab.pdfcache import SyncReport


@click.command()
@click.argument("papers", nargs=-1, metavar="[ID...]")
@click.option(
    "--upload",
    is_flag=True,
    help="Instead: store this machine's PDFs that arXiv cannot serve in the lab database "
    "(local papers; with IDs, those papers).",
)
@json_option
def sync(papers: tuple[str, ...], upload: bool, as_json: bool) -> None:
    """Put every paper's PDF (or these papers') in this machine's pdfs/ folder.

    A PDF that is missing here, or is not the file the library recorded, is
    written out from the lab database when it holds it, else downloaded
    from arXiv by id and version; either way it is kept only when its sha256
    is the recorded one. On a SQLite library this repairs lost PDFs. Exits
    with status 1 when any PDF could not be put in place.
    """
    from paperlab.library import resolve_paper
    from paperlab.pdfcache import (
        STATUSES,
        UPLOAD_STATUSES,
        local_papers,
        papers_with_pdfs,
        sync_pdfs,
        upload_pdfs,
    )
    from paperlab.settings import load_settings

    settings = load_settings()
    store = get_store(settings)
    if papers:
        with store.read() as session:
            ids = [resolve_paper(session, text).id for text in papers]
    else:
        ids = local_papers(store) if upload else papers_with_pdfs(store)
    stage = "upload" if upload else "pdfs"
    with make_progress() as progress:
        run = upload_pdfs if upload else sync_pdfs
        progress.stage(stage, len(ids))
        report = run(
            store,
            settings,
            ids,
            advance=lambda o: progress.advance(stage, o.paper_id, o.status),
        )
    statuses = UPLOAD_STATUSES if upload else STATUSES
    if as_json:
        print_json(
            {
                "ok": report.ok,
                "counts": report.counts(statuses),
                "papers": [o.__dict__ for o in report.papers],
            }
        )
    else:
        _print(report, statuses)
    if not report.ok:
        raise SystemExit(1)


def _print(report: SyncReport, statuses: tuple[str, ...]) -> None:
    for outcome in report.papers:
        if outcome.status == "failed":
            click.echo(terminal_text(f"failed: {outcome.paper_id}: {outcome.message}"), err=True)
            if outcome.hint:
                click.echo(terminal_text(f"  hint: {outcome.hint}"), err=True)
    counts = report.counts(statuses)
    n = len(report.papers)
    parts = ", ".join(f"{count} {status}" for status, count in counts.items() if count)
    click.echo(f"{counted(n, 'PDF')}: {parts or 'nothing to do'}.", err=True)
