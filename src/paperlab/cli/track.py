"""``paperlab track``: list the weeks 21-24 tracks, choose one, or clear the choice."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from paperlab.cli.common import get_store, json_option, print_json, terminal_text

if TYPE_CHECKING:
    from paperlab.tracks import TrackInfo


def _weeks(weeks: tuple[int, ...]) -> str:
    return f"weeks {weeks[0]}-{weeks[-1]}" if len(weeks) > 1 else f"week {weeks[0]}"


def _describe(info: TrackInfo) -> list[str]:
    mark = "*" if info.chosen else " "
    chosen = "  (chosen)" if info.chosen else ""
    return [
        terminal_text(f"{mark} {info.slug}: {info.title}{chosen}"),
        terminal_text(
            f"    {_weeks(info.weeks)}, {info.core} core + {info.optional} optional papers, "
            f"{info.hours_per_week:g} h of reading a week"
        ),
        terminal_text(f"    builds on: {'; '.join(info.builds_on) or '-'}"),
    ]


@click.group("track", invoke_without_command=True)
@json_option
@click.pass_context
def track(ctx: click.Context, as_json: bool) -> None:
    """The weeks 21-24 specialisation tracks and the one you follow.

    With no subcommand, lists the tracks with what each builds on from weeks
    1-18 and its papers; `paperlab track choose NAME` records your choice
    (a bare `paperlab fetch` and `paperlab plan` follow it), `paperlab track
    clear` forgets it.
    """
    if ctx.invoked_subcommand is not None:
        return
    from paperlab.tracks import list_tracks

    infos = list_tracks(get_store())
    if as_json:
        print_json([asdict(info) for info in infos])
        return
    if not infos:
        click.echo("No reading list offers a track.")
        return
    for info in infos:
        for line in _describe(info):
            click.echo(line)
    if not any(info.chosen for info in infos):
        click.echo(
            "No track chosen: a bare `paperlab fetch` fetches every track. "
            f"Choose one with `paperlab track choose {infos[0].slug}`."
        )


@track.command("choose")
@click.argument("name")
@json_option
def choose(name: str, as_json: bool) -> None:
    """Follow the track NAME in weeks 21-24."""
    from paperlab.tracks import choose_track

    info = choose_track(get_store(), name)
    if as_json:
        print_json(asdict(info))
        return
    click.echo(terminal_text(f"Chosen track: {info.slug} ({info.title})."))
    click.echo("`paperlab fetch` gets its papers; `paperlab plan --week 21` shows its first week.")


@track.command("clear")
def clear() -> None:
    """Forget the chosen track (a bare fetch then fetches every track)."""
    from paperlab.tracks import clear_track

    was = clear_track(get_store())
    click.echo(
        terminal_text(f"Track {was!r} is no longer chosen.") if was else "No track was chosen."
    )
