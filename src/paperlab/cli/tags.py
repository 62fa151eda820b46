"""``paperlab tag``, ``paperlab untag`` and ``paperlab read``."""

from __future__ import annotations

from difflib import get_close_matches

import click

from paperlab.cli.common import get_store
from paperlab.errors import UsageError
from paperlab.library import READING_STATES
from paperlab.library import set_reading_state as set_state
from paperlab.tagging import paper_topics, tag_paper, untag_paper


def _topics_text(slugs: list[str]) -> str:
    return ", ".join(slugs) if slugs else "none"


@click.command("tag")
@click.argument("paper_id", metavar="ID")
@click.argument("slugs", nargs=-1, metavar="TOPIC...")
def tag(paper_id: str, slugs: tuple[str, ...]) -> None:
    """Link a paper to roadmap topics (see `paperlab topics`)."""
    if not slugs:
        raise UsageError("Name at least one topic.", hint=f"paperlab tag {paper_id} TOPIC...")
    store = get_store()
    try:
        topics = tag_paper(store, paper_id, slugs)
    finally:
        store.close()
    click.echo(f"{paper_id} topics: {_topics_text(topics)}")


@click.command("untag")
@click.argument("paper_id", metavar="ID")
@click.argument("slugs", nargs=-1, metavar="TOPIC...")
def untag(paper_id: str, slugs: tuple[str, ...]) -> None:
    """Unlink a paper from roadmap topics."""
    if not slugs:
        raise UsageError("Name at least one topic.", hint=f"paperlab untag {paper_id} TOPIC...")
    store = get_store()
    try:
        before = paper_topics(store, paper_id)
        topics = untag_paper(store, paper_id, slugs)
    finally:
        store.close()
    missing = [s for s in slugs if s not in before]
    if missing:
        click.echo(f"{paper_id} was not tagged with {', '.join(missing)}.")
    click.echo(f"{paper_id} topics: {_topics_text(topics)}")


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
    store = get_store()
    try:
        paper = set_state(store, paper_id, value)
    finally:
        store.close()
    click.echo(f"{paper.id} is now {paper.reading_state}.")
