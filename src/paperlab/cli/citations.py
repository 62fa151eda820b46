"""`paperlab refs`, `cited-by`, `graph`: the citation graph inside the library."""

from __future__ import annotations

from pathlib import Path

import click

from paperlab.cli.common import get_store, json_option, print_json, terminal_text
from paperlab.settings import load_settings
from paperlab.store import Store
from paperlab.wording import counted

online_option = click.option(
    "--resolve-online",
    is_flag=True,
    help="Confirm unresolved entries with batched arXiv look-ups (paced like fetch).",
)


def _online(store: Store, paper_ids: list[str] | None) -> None:
    from paperlab.refonline import resolve_online

    report = resolve_online(
        store, load_settings(), paper_ids, progress=lambda text: click.echo(text, err=True)
    )
    if report.errors:
        click.echo(f"Warning: {terminal_text(report.errors[0])}", err=True)
        click.echo(
            "Hint: what arXiv did not answer stays unconfirmed and is asked again next time.",
            err=True,
        )
    if report.asked_ids or report.asked_titles or not report.errors:
        click.echo(
            f"arXiv confirmed {report.confirmed} of {report.asked_ids + report.asked_titles} "
            f"entries ({report.requests} request(s)).",
            err=True,
        )


def _paper_id(store: Store, paper: str) -> str:
    from paperlab.lookup import resolve_paper_id

    with store.connect() as conn:
        return resolve_paper_id(conn, paper)


@click.command("refs")
@click.argument("paper")
@online_option
@json_option
def refs(paper: str, resolve_online: bool, as_json: bool) -> None:
    """List PAPER's references; those in the library are marked with their id and key."""
    from paperlab.references import references

    store = get_store()
    if resolve_online:
        _online(store, [_paper_id(store, paper)])
    views = references(store, paper)
    if as_json:
        print_json([v.to_json() for v in views])
        return
    if not views:
        click.echo("No references were found in this paper's PDF.", err=True)
        return
    for view in views:
        label = f"[{view.label}] " if view.label else f"{view.ordinal}. "
        title = view.title or view.online_title or view.raw[:100]
        year = f" ({view.year})" if view.year else ""
        click.echo(terminal_text(f"{label}{title}{year}"))
        if view.paper_id:
            key = f" [{view.citation_key}]" if view.citation_key else ""
            click.echo(terminal_text(f"    in library: {view.paper_id}{key} ({view.resolved_by})"))
        elif view.candidate_id:
            cid = view.candidate_id
            click.echo(f"    not in library: arXiv {cid} (paperlab fetch {cid})")
    resolved = sum(1 for v in views if v.paper_id)
    click.echo(f"{counted(len(views), 'reference')}, {resolved} in the library.", err=True)


@click.command("cited-by")
@click.argument("paper")
@online_option
@json_option
def cited_by(paper: str, resolve_online: bool, as_json: bool) -> None:
    """List the library papers that cite PAPER (a library paper, or any arXiv id)."""
    from paperlab.references import cited_by as citing

    store = get_store()
    if resolve_online:
        _online(store, None)
    found = citing(store, paper)
    if as_json:
        print_json([c.to_json() for c in found])
        return
    if not found:
        click.echo("No paper in the library cites it.", err=True)
        return
    for item in found:
        key = f" [{item.citation_key}]" if item.citation_key else ""
        click.echo(terminal_text(f"{item.paper_id}{key}  {item.title}  ({item.reading_state})"))
        click.echo(terminal_text(f"    cites it as: {item.entry[:160]}"))


@click.command("graph")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="File to write.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["graphml", "json"]),
    default=None,
    help="graphml or json (default: from the file's extension, else graphml).",
)
@online_option
@json_option
def graph(out: Path, fmt: str | None, resolve_online: bool, as_json: bool) -> None:
    """Write the library's citation graph (papers and the arXiv papers they cite)."""
    from paperlab.citegraph import write_graph

    fmt = fmt or ("json" if out.suffix.lower() == ".json" else "graphml")
    store = get_store()
    if resolve_online:
        _online(store, None)
    counts = write_graph(store, out, fmt)
    if as_json:
        print_json({"out": str(out), "format": fmt, **counts})
        return
    nodes, edges = counted(counts["nodes"], "node"), counted(counts["edges"], "edge")
    click.echo(f"Wrote {nodes} and {edges} to {out} ({fmt}).")
