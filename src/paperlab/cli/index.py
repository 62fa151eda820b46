"""`paperlab index [IDS...]`, `paperlab index status`, `paperlab index rebuild`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from paperlab.cli.common import echo_hints, get_store, json_option, print_json
from paperlab.cli.progress import make_progress
from paperlab.wording import counted

if TYPE_CHECKING:
    from paperlab.pipeline import ExtractOutcome
    from paperlab.settings import Settings
    from paperlab.store import Store


@click.command()
@click.argument("args", nargs=-1, metavar="[status | rebuild | ID...]")
@click.option("--force", is_flag=True, help="Re-extract papers that already have text.")
@json_option
def index(args: tuple[str, ...], force: bool, as_json: bool) -> None:
    """Extract and index papers for search.

    \b
    paperlab index            extract + embed every fetched paper not yet indexed
    paperlab index ID...      (re-)extract and embed these papers
    paperlab index status     counts, model and the state of the vector index
    paperlab index rebuild    rebuild the derived indexes from the library
    """
    from paperlab.settings import load_settings

    settings = load_settings()
    store = get_store(settings)
    if args[:1] == ("status",):
        _status(store, settings, as_json)
        return
    if args[:1] == ("rebuild",):
        from paperlab.indexing import rebuild_index

        report = rebuild_index(store, settings)
        if as_json:
            print_json(report.__dict__)
        else:
            click.echo(f"Rebuilt the indexes ({report.model}).", err=True)
        return
    _run(store, settings, list(args), force, as_json)


def _status(store: Store, settings: Settings, as_json: bool) -> None:
    from paperlab.indexing import index_status

    status = index_status(store, settings)
    if as_json:
        print_json(status)
        return
    for key, value in status.items():
        click.echo(f"{key}: {value}")


def _run(store: Store, settings: Settings, ids: list[str], force: bool, as_json: bool) -> None:
    from paperlab.indexing import index_pending
    from paperlab.library import resolve_paper
    from paperlab.pdfcache import local_pdf
    from paperlab.pipeline import embed_paper, extract_papers, papers_needing_extraction

    if ids:
        with store.read() as session:
            todo = [resolve_paper(session, text).id for text in ids]
    else:
        todo = papers_needing_extraction(store, None, include_failed=force)

    def fetch_if_absent(paper_id: str) -> None:
        # A lab library's PDF may not be on this machine yet: fetched and verified
        # first. A PaperlabError saying why not (with its hint) fails the paper.
        local_pdf(store, settings, paper_id)

    results: list[ExtractOutcome] = []
    embedded = 0
    failed = False
    with make_progress() as progress:
        progress.stage("extract", len(todo))
        for outcome in extract_papers(store, settings, todo, prepare=fetch_if_absent):
            if outcome.ok:
                embedded += embed_paper(store, settings, outcome.paper_id)
            else:
                failed = True
            progress.advance("extract", outcome.paper_id, "ok" if outcome.ok else "failed")
            results.append(outcome)
        report = index_pending(store, settings)
    if as_json:
        print_json({"papers": [o.__dict__ for o in results], "index": report.__dict__})
    else:
        failures = [o for o in results if not o.ok]
        for o in failures:
            click.echo(f"failed: {o.paper_id}: {o.reason}", err=True)
        echo_hints(o.hint for o in failures)
        done = len(results) - len(failures)
        click.echo(
            f"{done} of {counted(len(results), 'paper')} extracted; "
            f"{counted(embedded + sum(report.embedded.values()), 'text')} embedded; "
            f"{counted(report.vectors_added, 'vector')} added to the index.",
            err=True,
        )
    if failed:
        raise SystemExit(1)
