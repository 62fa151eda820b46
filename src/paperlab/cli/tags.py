"""``paperlab tag``, ``untag``, ``tags`` and ``read``."""

from __future__ import annotations

from difflib import get_close_matches

import click

from paperlab.catalog import READING_STATES
from paperlab.cli.common import get_store, json_option, print_json, terminal_text
from paperlab.errors import UsageError
from paperlab.tagging import Tagging, tag_paper, untag_paper
from paperlab.wording import counted


def _summary(result: Tagging) -> str:
    topics = ", ".join(result.topics) or "none"
    tags = ", ".join(result.tags) or "none"
    return f"{result.paper_id} topics: {topics}; tags: {tags}"


@click.command("tag")
@click.argument("paper_id", metavar="ID")
@click.argument("slugs", nargs=-1, metavar="TOPIC|TAG...")
def tag(paper_id: str, slugs: tuple[str, ...]) -> None:
    """Tag a paper: a roadmap topic slug links the topic, anything else is a free tag.

    Free tags are lowercase letters, digits, '-', '_' and '/' (at most 40
    characters, at least one letter), e.g. gans or project/baseline.
    """
    if not slugs:
        raise UsageError(
            "Name at least one topic or tag.", hint=f"paperlab tag {paper_id} TOPIC|TAG..."
        )
    store = get_store()
    try:
        result = tag_paper(store, paper_id, slugs)
    finally:
        store.close()
    for free, topic in result.near_topics.items():
        click.echo(
            f"note: {free} is a free tag, not the roadmap topic {topic} "
            f"(`paperlab untag {result.paper_id} {free}` to undo).",
            err=True,
        )
    click.echo(_summary(result))


@click.command("untag")
@click.argument("paper_id", metavar="ID")
@click.argument("slugs", nargs=-1, metavar="TOPIC|TAG...")
def untag(paper_id: str, slugs: tuple[str, ...]) -> None:
    """Remove roadmap topics or free tags from a paper."""
    if not slugs:
        raise UsageError(
            "Name at least one topic or tag.", hint=f"paperlab untag {paper_id} TOPIC|TAG..."
        )
    store = get_store()
    try:
        result = untag_paper(store, paper_id, slugs)
    finally:
        store.close()
    if result.absent:
        click.echo(f"{result.paper_id} was not tagged with {', '.join(result.absent)}.")
    click.echo(_summary(result))


@click.command("tags")
@json_option
def tags(as_json: bool) -> None:
    """List the free tags in use, with how many papers carry each."""
    from paperlab.overviews import tags_overview

    rows = tags_overview(get_store())
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo(
            "No free tags yet. Tag a paper with: paperlab tag ID TAG "
            "(roadmap topics: paperlab topics).",
            err=True,
        )
        return
    width = max(len(r["tag"]) for r in rows)
    for r in rows:
        n = r["papers"]
        click.echo(terminal_text(f"{r['tag']:<{width}}  {counted(n, 'paper')}"))


@click.command("read")
@click.argument("paper_id", metavar="ID")
@click.argument("state", metavar="STATE")
def set_reading_state(paper_id: str, state: str) -> None:
    """Set a paper's reading state: unread, skimming, reading or read."""
    value = state.strip().lower()
    if value not in READING_STATES:
        prefixed = [s for s in READING_STATES if value and s.startswith(value)]
        close = prefixed if len(prefixed) == 1 else get_close_matches(value, READING_STATES, n=1)
        guess = f"Did you mean {close[0]}? " if close else ""
        raise UsageError(
            f"Unknown reading state {state!r}.",
            hint=f"{guess}Use one of: {', '.join(READING_STATES)}.",
        )
    from paperlab.library import set_reading_state as set_state

    store = get_store()
    try:
        row = set_state(store, paper_id, value)
    finally:
        store.close()
    click.echo(f"{row.paper_id} is now {row.state}.")
