"""The weeks 21-24 tracks: what each offers and builds on, and the one the learner chose.

Tracks are the bundled lists with a ``track`` slug. The choice is stored in
the library (``library_setting``), so a bare ``paperlab fetch`` and ``paperlab
plan`` follow it; clearing it brings every track back into a bare fetch.
"""

from __future__ import annotations

from dataclasses import dataclass

from paperlab.errors import UsageError, shown
from paperlab.listcheck import suggest
from paperlab.planning import TRACK_SETTING, chosen_track
from paperlab.readinglists import ReadingListSpec, Roadmap, bundled_roadmap_and_lists, tracks_of
from paperlab.store import Store
from paperlab.store.models import LibrarySetting, utcnow


@dataclass(frozen=True)
class TrackInfo:
    """One track as ``paperlab track`` lists it."""

    slug: str
    title: str
    list_name: str
    weeks: tuple[int, ...]
    hours_per_week: float
    builds_on: tuple[str, ...]  # readable: project and topic titles with their weeks
    core: int  # core papers
    optional: int
    chosen: bool


def _info(spec: ReadingListSpec, roadmap: Roadmap, chosen: str | None) -> TrackInfo:
    assert spec.track is not None
    core = sum(1 for e in spec.entries if e.core)
    return TrackInfo(
        slug=spec.track,
        title=spec.title,
        list_name=spec.name,
        weeks=spec.weeks,
        hours_per_week=spec.hours_per_week,
        builds_on=tuple(roadmap.describe(s) or s for s in spec.builds_on),
        core=core,
        optional=len(spec.entries) - core,
        chosen=spec.track == chosen,
    )


def list_tracks(store: Store) -> list[TrackInfo]:
    """Every bundled track, in file order, with the chosen one marked."""
    roadmap, specs = bundled_roadmap_and_lists()
    chosen = chosen_track(store)
    return [_info(spec, roadmap, chosen) for spec in tracks_of(specs).values()]


def choose_track(store: Store, name: str) -> TrackInfo:
    """Record ``name`` as the chosen track; a name no track has is a UsageError."""
    roadmap, specs = bundled_roadmap_and_lists()
    offered = tracks_of(specs)
    if name not in offered:
        close = suggest(name, offered)
        guess = f"Did you mean {close[0]!r}? " if close else ""
        raise UsageError(
            f"There is no track named {shown(name)}.",
            hint=f"{guess}Tracks: {', '.join(offered) or 'none'} (`paperlab track` lists them).",
        )
    with store.write() as session:
        row = session.get(LibrarySetting, TRACK_SETTING) or LibrarySetting(
            key=TRACK_SETTING, value=name
        )
        row.value, row.updated_at = name, utcnow()
        session.add(row)
    return _info(offered[name], roadmap, name)


def clear_track(store: Store) -> str | None:
    """Forget the chosen track; returns the one that was chosen, if any."""
    with store.write() as session:
        row = session.get(LibrarySetting, TRACK_SETTING)
        if row is None:
            return None
        session.delete(row)
        return row.value


__all__ = ["TrackInfo", "choose_track", "clear_track", "list_tracks"]
