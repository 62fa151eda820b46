"""`paperlab list`, `show`, `topics`, `lists`: browse the library from the shell."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from paperlab import catalog
from paperlab.catalog import paper_details
from paperlab.cli.common import get_store, json_option, print_json, state_option, terminal_text
from paperlab.overviews import ensure_roadmap, lists_overview, topics_overview
from paperlab.store.values import NOTE_TEXT_COLUMNS
from paperlab.wording import counted

if TYPE_CHECKING:
    from paperlab.readinglists import TopicSpec


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@click.command("list")
@click.option("--list", "list_name", metavar="NAME", help="Only papers of this reading list.")
@click.option("--topic", metavar="SLUG", help="Only papers tagged with this roadmap topic.")
@click.option("--tag", metavar="TAG", help="Only papers with this free tag (or roadmap topic).")
@state_option("Pipeline or reading state (repeatable).")
@json_option
def list_papers_cmd(
    list_name: str | None,
    topic: str | None,
    tag: str | None,
    states: tuple[str, ...],
    as_json: bool,
) -> None:
    """List papers in the library."""
    store = get_store()
    rows = catalog.list_papers(store, list_name=list_name, topic=topic, tag=tag, states=states)
    if as_json:
        print_json([r.to_json() for r in rows])
        return
    if not rows:
        click.echo(
            "No papers match."
            if (list_name or topic or tag or states)
            else "The library is empty. Run `paperlab fetch` to fetch the reading lists.",
            err=True,
        )
        return
    width = max(len(r.id) for r in rows)
    for r in rows:
        year = str(r.year) if r.year else "    "
        tags = terminal_text(f"  [{', '.join(r.labels)}]") if r.labels else ""
        state = r.state if r.state != "indexed" else ""
        flags = " ".join(
            x for x in (r.reading_state if r.reading_state != "unread" else "", state) if x
        )
        title = _short(terminal_text(r.title or "(no metadata yet)"), 70)
        click.echo(f"{r.id:<{width}}  {year}  {title}{tags}{'  (' + flags + ')' if flags else ''}")


list_papers = list_papers_cmd  # the attribute name registered in paperlab.cli


@click.command()
@click.argument("paper")
@json_option
def show(paper: str, as_json: bool) -> None:
    """Show one paper's metadata, state and links."""
    info = paper_details(get_store(), paper)
    advice = None
    if info["state"] == "failed":
        from paperlab.paperpage import failure_advice

        advice = failure_advice(info["id"], info["state_reason"])
    if as_json:
        print_json({**info, "advice": advice})
        return
    version = f"v{info['version']}" if info["version"] else ""
    click.echo(click.style(terminal_text(info["title"] or "(no metadata yet)"), bold=True))
    click.echo(f"{info['id']}{version}  {info['abs_url'] or ''}")
    if info["authors"]:
        click.echo(terminal_text(", ".join(info["authors"])))
    published = (info["published"] or "")[:10]
    meta = [
        x
        for x in (
            published,
            info["primary_category"],
            info["journal_ref"],
            info["doi"] and f"doi:{info['doi']}",
        )
        if x
    ]
    if meta:
        click.echo(terminal_text(" · ".join(meta)))
    state = info["state"] + (f": {info['state_reason']}" if info["state_reason"] else "")
    click.echo(
        terminal_text(
            f"state: {state}   reading: {info['reading_state']}   "
            f"cite as: {info['citation_key'] or '-'}"
            + (
                f" (also {', '.join(info['old_citation_keys'])})"
                if info["old_citation_keys"]
                else ""
            )
        )
    )
    if advice:
        click.echo(terminal_text(advice))
    if info["pdf_path"]:
        version = f"v{info['pdf_version']}, " if info["pdf_version"] else ""
        sha = str(info["pdf_sha256"])[:12]
        click.echo(terminal_text(f"pdf: {info['pdf_path']} ({version}sha256 {sha}…)"))
    click.echo(
        f"text: {counted(info['pages'], 'page')}, {counted(info['chunks'], 'chunk')}   "
        f"note: {'yes' if info['has_note'] else 'no'}"
        f"{' (shared)' if info['note_shared'] else ''}   "
        f"annotations: {info['annotations']}   log entries: {info['log_entries']}"
    )
    for other in info["shared_notes"]:
        # Other users' shared notes, under the user's own: the summary, else the first text.
        text = next((other[f] for f in NOTE_TEXT_COLUMNS if str(other[f]).strip()), "")
        summary = " ".join(str(text).split())
        summary = summary if len(summary) <= 100 else summary[:99] + "…"
        click.echo(terminal_text(f"  [{other['owner']}] shared note: {summary or '(empty)'}"))
    if info["topics"]:
        click.echo(f"topics: {', '.join(info['topics'])}")
    if info["tags"]:
        click.echo(terminal_text(f"tags: {', '.join(info['tags'])}"))
    for entry in info["lists"]:
        week = f" week {entry['week']}" if entry["week"] else ""
        click.echo(terminal_text(f"list: {entry['name']}{week}: {entry['why']}"))
    if info["abstract"]:
        click.echo()
        click.echo(click.wrap_text(terminal_text(info["abstract"]), width=88))


@click.command()
@json_option
def topics(as_json: bool) -> None:
    """List roadmap topics with their weeks and linked papers."""
    store = get_store()
    roadmap = ensure_roadmap(store)
    rows = topics_overview(store)
    specs = roadmap.by_slug
    projects = roadmap.projects_by_slug
    if as_json:
        print_json([_topic_json(r.to_json(), specs.get(r.slug)) for r in rows])
        return
    for r in rows:
        weeks = _weeks(r.weeks)
        click.echo(click.style(f"{r.slug}", bold=True) + terminal_text(f"  {r.title}  ({weeks})"))
        spec = specs.get(r.slug)
        if spec is not None and spec.course:
            click.echo(terminal_text(f"    course: {spec.course} ({spec.provider})"))
        if spec is not None and spec.project in projects:
            click.echo(terminal_text(f"    project: {projects[spec.project].title}"))
        if spec is not None and spec.note:
            click.echo(terminal_text(f"    note: {spec.note}"))
        for resource in r.resources:
            click.echo(terminal_text(f"    resource: {resource}"))
        papers = ", ".join(r.papers) if r.papers else "-"
        click.echo(f"    papers ({len(r.papers)}): {papers}")
        if r.notes or r.log_entries:
            click.echo(f"    notes: {r.notes}  log entries: {r.log_entries}")


def _topic_json(row: dict[str, Any], spec: TopicSpec | None) -> dict[str, Any]:
    """A topic row with what the roadmap file says of its course, outcomes and project."""
    row.update(
        course=spec.course if spec else None,
        provider=spec.provider if spec else None,
        outcomes=list(spec.outcomes) if spec else [],
        project=spec.project if spec else None,
        note=spec.note if spec else None,
    )
    return row


def _weeks(weeks: list[int]) -> str:
    """``weeks 3–4``, ``week 5``, ``weeks 1, 5``."""
    return ("week " if len(weeks) == 1 else "weeks ") + _week_numbers(weeks)


def _week_numbers(weeks: list[int]) -> str:
    if not weeks:
        return "-"
    if weeks == list(range(weeks[0], weeks[-1] + 1)) and len(weeks) > 1:
        return f"{weeks[0]}–{weeks[-1]}"
    return ", ".join(str(w) for w in weeks)


@click.command()
@json_option
def lists(as_json: bool) -> None:
    """Show the bundled reading lists and what the library holds of each."""
    rows = lists_overview(get_store())
    if as_json:
        print_json(rows)
        return
    for r in rows:
        track = f", track {r['track']}" if r.get("track") else ""
        heading = terminal_text(f"  {r['title']}  ({_weeks(r['weeks'])}{track})")
        click.echo(click.style(terminal_text(r["name"]), bold=True) + heading)
        click.echo(
            terminal_text(
                f"    {counted(r['papers'], 'paper')}, {r['in_library']} in the library"
                + (f" ({r['to_get_by_hand']} not on arXiv to add)" if r["to_get_by_hand"] else "")
                + f", {r['indexed']} indexed   source: {r['source']}"
            )
        )
