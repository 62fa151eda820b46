"""`paperlab next`: the papers to read next, ranked, each with its reasons."""

from __future__ import annotations

import click

from paperlab.cli.common import get_store, json_option, print_json, terminal_text
from paperlab.errors import UsageError


@click.command("next")
@click.option("-k", "k", type=int, default=10, show_default=True, help="How many papers.")
@json_option
def next_papers(k: int, as_json: bool) -> None:
    """Rank what to read next: this week's plan, citations from what you read and
    noted, closeness to your notes and log; papers to fetch first are marked."""
    from paperlab.nextread import rank_next

    if k < 1 or k > 1000:
        raise UsageError(f"-k must be between 1 and 1000, not {k}.", hint="Try -k 10.")
    ranked = rank_next(get_store(), k)
    if as_json:
        print_json([item.to_json() for item in ranked])
        return
    if not ranked:
        click.echo(
            "Nothing to suggest: no unread paper in the library and none cited to fetch.",
            err=True,
        )
        click.echo(
            "Hint: paperlab fetch adds papers; paperlab lists shows the reading lists.", err=True
        )
        return
    for number, item in enumerate(ranked, start=1):
        where = "" if item.in_library else "  [not in library]"
        key = f" [{item.citation_key}]" if item.citation_key else ""
        click.echo(terminal_text(f"{number}. {item.paper_id}{key}  {item.title or ''}{where}"))
        for reason in item.reasons:
            click.echo(terminal_text(f"     - {reason}"))
        if item.next_step:
            click.echo(f"     next: {item.next_step}")
