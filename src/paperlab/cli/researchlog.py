"""``paperlab log``: add, list, show, edit and remove research-log entries.

Listing reads through ``log_views`` (plain sqlite3); the writing service
(``researchlog``, SQLModel) is imported by the subcommands that write.
"""

from __future__ import annotations

import click

from paperlab.cli.common import (
    get_store,
    json_option,
    owner_mark,
    print_json,
    sharing_option,
    terminal_text,
)
from paperlab.errors import UsageError
from paperlab.log_views import LOG_KINDS, LogEntryView, list_entries


def _line(entry: LogEntryView) -> str:
    when = entry.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    links = []
    if entry.paper_ids:
        links.append("papers: " + ", ".join(entry.paper_ids))
    if entry.topic_slugs:
        links.append("topics: " + ", ".join(entry.topic_slugs))
    tail = f"  ({'; '.join(links)})" if links else ""
    mark = owner_mark(entry.owner, entry.shared)
    return terminal_text(f"#{entry.id}  {when}  {mark}[{entry.kind}]  {entry.text}{tail}")


@click.group("log", invoke_without_command=True)
@click.pass_context
def log(ctx: click.Context) -> None:
    """The research project's log: ideas, questions, experiments, results.

    With no subcommand, lists the entries (same as `paperlab log list`).
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_)


@log.command("add")
@click.argument("words", nargs=-1, metavar="TEXT")
@click.option("--kind", default="idea", show_default=True, help=f"One of: {', '.join(LOG_KINDS)}.")
@click.option("--paper", "papers", multiple=True, metavar="ID", help="Link a paper (repeatable).")
@click.option("--topic", "topics", multiple=True, metavar="SLUG", help="Link a topic (repeatable).")
@sharing_option("entry")
@json_option
def add(
    words: tuple[str, ...],
    kind: str,
    papers: tuple[str, ...],
    topics: tuple[str, ...],
    shared: bool | None,
    as_json: bool,
) -> None:
    """Add an entry. arXiv ids in the text link those papers too."""
    from paperlab.researchlog import add_entry, get_entry

    text = " ".join(words)
    store = get_store()
    try:
        entry = add_entry(store, text, kind=kind, papers=papers, topics=topics, shared=bool(shared))
        assert entry.id is not None
        shown = get_entry(store, entry.id)
    finally:
        store.close()
    if as_json:
        print_json(shown.to_json())
    else:
        click.echo(f"Added log entry {shown.id}" + (" (shared)." if shown.shared else "."))


@log.command("list")
@click.option("--kind", help=f"Only this kind: {', '.join(LOG_KINDS)}.")
@click.option("--paper", metavar="ID", help="Only entries linked to this paper.")
@click.option("--topic", metavar="SLUG", help="Only entries linked to this topic.")
@click.option("--limit", type=int, help="At most this many (newest first).")
@json_option
def list_(
    kind: str | None, paper: str | None, topic: str | None, limit: int | None, as_json: bool
) -> None:
    """List entries, newest first."""
    store = get_store()
    try:
        entries = list_entries(store, kind=kind, paper=paper, topic=topic, limit=limit)
    finally:
        store.close()
    if as_json:
        print_json([e.to_json() for e in entries])
        return
    if not entries:
        click.echo("No log entries match." if (kind or paper or topic) else "The log is empty.")
        return
    for entry in entries:
        click.echo(_line(entry))


@log.command("edit")
@click.argument("entry_id", type=int, metavar="N")
@click.argument("words", nargs=-1, metavar="TEXT")
@click.option("--kind", help="Change the kind.")
@click.option("--paper", "papers", multiple=True, metavar="ID", help="Replace the linked papers.")
@click.option("--topic", "topics", multiple=True, metavar="SLUG", help="Replace the topics.")
@click.option("--no-papers", is_flag=True, help="Unlink every paper (ids in the text stay linked).")
@click.option("--no-topics", is_flag=True, help="Unlink every topic.")
@sharing_option("entry")
@json_option
def edit(
    entry_id: int,
    words: tuple[str, ...],
    kind: str | None,
    papers: tuple[str, ...],
    topics: tuple[str, ...],
    no_papers: bool,
    no_topics: bool,
    shared: bool | None,
    as_json: bool,
) -> None:
    """Replace entry N's text (and optionally its kind, papers or topics)."""
    if (no_papers and papers) or (no_topics and topics):
        raise UsageError(
            "Give either --no-papers/--no-topics or new links, not both.",
            hint=f"paperlab log edit {entry_id} --topic SLUG (replaces the topics)",
        )
    if (
        not words
        and kind is None
        and shared is None
        and not (papers or topics or no_papers or no_topics)
    ):
        raise UsageError(
            f"Nothing to change in log entry {entry_id}.",
            hint=f'paperlab log edit {entry_id} "new text" (or --kind, --paper, --topic)',
        )
    from paperlab.researchlog import get_entry, update_entry

    store = get_store()
    try:
        update_entry(
            store,
            entry_id,
            text=" ".join(words) if words else None,
            kind=kind,
            papers=() if no_papers else (papers or None),
            topics=() if no_topics else (topics or None),
            shared=shared,
        )
        shown = get_entry(store, entry_id)
    finally:
        store.close()
    if as_json:
        print_json(shown.to_json())
    else:
        click.echo(f"Updated log entry {entry_id}.")


@log.command("show")
@click.argument("entry_id", type=int, metavar="N")
@json_option
def show(entry_id: int, as_json: bool) -> None:
    """Show entry N whole: its text as written, its papers and topics."""
    from paperlab.log_views import get_entry_view

    store = get_store()
    try:
        entry = get_entry_view(store, entry_id)
    finally:
        store.close()
    if entry is None:
        raise UsageError(
            f"There is no log entry {entry_id}.",
            hint="See the entry numbers with: paperlab log list",
        )
    if as_json:
        print_json(entry.to_json())
        return
    when = entry.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    mark = owner_mark(entry.owner, entry.shared)
    lines = [f"#{entry.id}  {when}  {mark}[{entry.kind}]", "", entry.text, ""]
    if entry.paper_ids:
        lines.append("papers: " + ", ".join(entry.paper_ids))
    if entry.topic_slugs:
        lines.append("topics: " + ", ".join(entry.topic_slugs))
    click.echo(terminal_text("\n".join(lines).rstrip("\n"), multiline=True))


@log.command("rm")
@click.argument("entry_id", type=int, metavar="N")
def rm(entry_id: int) -> None:
    """Delete entry N."""
    from paperlab.researchlog import delete_entry

    store = get_store()
    try:
        delete_entry(store, entry_id)
    finally:
        store.close()
    click.echo(f"Deleted log entry {entry_id}.")
