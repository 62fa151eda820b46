"""`paperlab index [IDS...]`, `paperlab index status`, `paperlab index rebuild`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from paperlab.cli.common import echo_hints, get_store, json_option, print_json
from paperlab.cli.progress import make_progress
from paperlab.search.embedder import EmbeddingPlan
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
    for line in status_lines(status):
        click.echo(line)


# What each state of the vector file means for the user, and what to do.
_FILE_STATES = {
    "fresh": "fresh",
    "stale": "behind the library; the next search or `paperlab index` brings it up to date",
    "missing": "not built yet; the next search or `paperlab index` builds it",
    "corrupt": "damaged; the next search rebuilds it from the stored vectors",
}


def status_lines(status: dict[str, Any]) -> list[str]:
    """``index status`` as sentences (the JSON has the same facts as fields)."""
    plan = EmbeddingPlan(**status["embedding"])
    papers = ", ".join(
        f"{count} {state}" for state, count in sorted(status["papers_by_state"].items())
    )
    passages = f"{status['chunks_embedded']} of {status['chunks']} embedded"
    if status["reference_chunks"]:
        passages += (
            f"; {counted(status['reference_chunks'], 'reference-list chunk')} besides,"
            " searched by words with `search --references`"
        )
    kinds = (
        ("notes", "note", "notes"),
        ("annotations", "annotation", "annotations"),
        ("log_entries", "log entry", "log entries"),
    )
    writing = ", ".join(counted(status[key], noun, many) for key, noun, many in kinds)
    waiting = sum(status[key] - status[f"{key}_embedded"] for key, _, _ in kinds)
    writing += (
        f"; {counted(waiting, 'text')} not embedded yet"
        " (the next search or `paperlab index` embeds them)"
        if waiting
        else ("; all embedded" if any(status[key] for key, _, _ in kinds) else "")
    )
    if status["dense_path"] == "pgvector":
        vectors = "Vector index: pgvector on the lab server."
    else:
        state = _FILE_STATES.get(status["faiss_state"], status["faiss_state"])
        vectors = f"Vector index: faiss, {state} ({status['faiss_file']})."
    return [
        f"Model: {status['model']}. {plan.sentence()}",
        f"Papers: {papers or 'none yet'}.",
        f"Passages: {passages}.",
        f"Your writing: {writing}.",
        vectors,
    ]


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
