"""``paperlab search``: hybrid search over papers, notes, annotations and the log."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from paperlab.cli.common import (
    get_store,
    json_option,
    print_json,
    state_option,
    stdout_is_terminal,
    terminal_text,
)
from paperlab.errors import UsageError
from paperlab.settings import load_settings
from paperlab.wording import counted

if TYPE_CHECKING:
    from paperlab.searching import SearchHit
    from paperlab.store import Store

KIND_LABELS = {"passage": "", "note": "note", "annotation": "annotation", "log": "log"}


def _location(hit: SearchHit) -> str:
    from paperlab.views import owner_label

    parts = []
    if KIND_LABELS.get(hit.kind):
        # Another user's shared note, annotation or log entry names its owner.
        mark = owner_label(hit.owner or "", False).strip()
        parts.append(f"{mark} {KIND_LABELS[hit.kind]}" if mark else KIND_LABELS[hit.kind])
    if hit.paper_id:
        parts.append(hit.paper_id)
    if hit.page is not None:
        parts.append(f"p. {hit.page}")
    if hit.section and hit.kind == "passage":
        parts.append(hit.section)
    return " · ".join(parts)


def _numbered(hits: list[SearchHit], by_paper: bool) -> list[int | None]:
    """Each hit's number in the listing, or None for a further passage of the paper above.

    With --by-paper the numbers count papers (1, 2, 3), as -k does there.
    """
    numbers: list[int | None] = []
    last_paper: str | None = None
    count = 0
    for hit in hits:
        if by_paper and hit.paper_id and hit.paper_id == last_paper:
            numbers.append(None)
        else:
            count += 1
            numbers.append(count)
        last_paper = hit.paper_id
    return numbers


def _print_plain(hits: list[SearchHit], by_paper: bool) -> None:
    for number, hit in zip(_numbered(hits, by_paper), hits, strict=True):
        if number is None:
            click.echo(terminal_text(f"     {_location(hit)}"))
        else:
            title = hit.title or "(untitled)"
            click.echo(terminal_text(f"{number:>3}. {title}  [{_location(hit)}]"))
        click.echo(terminal_text(f"     {hit.snippet}"))


def _print_rich(hits: list[SearchHit], by_paper: bool) -> None:
    from rich.console import Console
    from rich.text import Text

    from paperlab.search.lexical import split_marked

    console = Console(highlight=False)
    for number, hit in zip(_numbered(hits, by_paper), hits, strict=True):
        if number is not None:
            head = Text(f"{number:>3}. ", style="dim")
            head.append(terminal_text(hit.title or "(untitled)"), style="bold")
            head.append(terminal_text(f"  {_location(hit)}"), style="cyan")
            console.print(head)
        else:
            console.print(Text(terminal_text(f"     {_location(hit)}"), style="cyan"))
        plain, spans = split_marked(terminal_text(hit.snippet))
        body = Text("     " + plain)
        for start, end in spans:
            body.stylize("bold yellow", start + 5, end + 5)
        console.print(body)


@click.command("search")
@click.argument("query", nargs=-1)
@click.option(
    "-k",
    "k",
    type=click.IntRange(1, 1000),
    default=10,
    show_default=True,
    help="How many results (with --by-paper: how many papers).",
)
@click.option(
    "--in",
    "scope",
    type=click.Choice(["all", "papers", "notes", "log"]),
    default="all",
    show_default=True,
    help="papers: passages; notes: notes and annotations; log: the research log.",
)
@click.option("--topic", metavar="SLUG", help="Only papers, notes and log entries of a topic.")
@click.option(
    "--paper",
    "papers",
    multiple=True,
    metavar="ID",
    help="Only this paper: its passages, notes, annotations and log entries (repeatable).",
)
@click.option("--list", "list_name", metavar="NAME", help="Only the papers of a reading list.")
@click.option("--tag", metavar="TAG", help="Only papers with this free tag (or roadmap topic).")
@state_option("Only papers in this pipeline or reading state (repeatable).")
@click.option("--by-paper", is_flag=True, help="Group results: the best passages per paper.")
@click.option("--references", is_flag=True, help="Also search reference-list chunks.")
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Say on stderr which dense search ran (pgvector on the lab server, or the faiss cache).",
)
@json_option
def search(
    query: tuple[str, ...],
    k: int,
    scope: str,
    topic: str | None,
    papers: tuple[str, ...],
    list_name: str | None,
    tag: str | None,
    states: tuple[str, ...],
    by_paper: bool,
    references: bool,
    verbose: bool,
    as_json: bool,
) -> None:
    """Search papers, notes, annotations and the log by words and by meaning.

    --paper, --list, --tag and --state search within the papers they choose
    (together: the papers all of them keep), --topic within a roadmap topic.
    The same can be written in the query: paper:ID list:NAME tag:TAG state:STATE
    topic:SLUG.
    """
    from paperlab.searching import library_is_empty
    from paperlab.searching import search as run_search
    from paperlab.searchterms import split_terms, with_options

    terms = with_options(
        split_terms(" ".join(query)),
        papers=papers,
        list_name=list_name,
        tag=tag,
        states=states,
        topic=topic,
    )
    text = terms.query
    if not text:
        among = f" {terms.describe()}" if terms.limited else ""
        raise UsageError(
            f"The search query is empty: give the words to search for{among}.",
            hint='Try: paperlab search "attention"',
        )
    settings = load_settings()
    store = get_store(settings)
    try:
        if library_is_empty(store):
            if as_json:
                print_json([])
            _nothing_to_search(store)
            return
        within = terms.chosen_papers(store)
        if within == []:
            if as_json:
                print_json([])
            click.echo(terminal_text(terms.none_chosen()), err=True)
            return
        info: dict[str, object] = {}
        hits = run_search(
            store,
            settings,
            text,
            k=k,
            scope=scope,
            topic=terms.topic,
            by_paper=by_paper,
            papers=within,
            include_references=references,
            info=info,
        )
        if verbose:
            click.echo(f"dense search: {info['dense']} ({info['dense_reason']})", err=True)
        if as_json and by_paper:
            from paperlab.searching import papers_of

            print_json(papers_of(store, hits))  # reads the papers: before the store closes
        elif as_json:
            print_json([hit.to_dict() for hit in hits])
    finally:
        store.close()
    if not hits:  # said on stderr, so --json's stdout stays the bare list
        unrelated = info.get("unrelated")
        why = (
            f": no text contains these words, and none is close in meaning"
            f" (best similarity {unrelated:.2f})"
            if isinstance(unrelated, float)
            else ""
        )
        click.echo(terminal_text(f"No matches for {text!r}{why}."), err=True)
    if as_json or not hits:
        return
    if stdout_is_terminal():
        _print_rich(hits, by_paper)
    else:
        _print_plain(hits, by_paper)


def _nothing_to_search(store: Store) -> None:
    """Why a search has nothing to look in: no papers at all, or none with text."""
    from paperlab.searching import paper_count

    papers = paper_count(store)
    if not papers:
        click.echo("The library is empty: there is nothing to search yet.", err=True)
        click.echo("Hint: run `paperlab fetch` to add papers, then `paperlab index`.", err=True)
        return
    click.echo(
        f"Nothing to search yet: {counted(papers, 'paper')} in the library, no searchable text.",
        err=True,
    )
    click.echo(
        "Hint: `paperlab index` extracts and indexes fetched papers; "
        "`paperlab show ID` tells why a paper has no text.",
        err=True,
    )
