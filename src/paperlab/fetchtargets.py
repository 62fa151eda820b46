"""What `paperlab fetch` was asked for: its arguments resolved into lists and ids.

Arguments are list files, bundled list names, arXiv ids or URLs; no argument
is the bundled lists of the chosen track. Everything is parsed and validated
here before the fetch pipeline (``fetching``) stores anything, so a broken
list or a bad id leaves the library as it was. Kept apart from the pipeline
because it needs neither the ORM nor the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from paperlab.errors import PaperlabError, UsageError
from paperlab.ids import ArxivId, parse_arxiv_id
from paperlab.readinglists import (
    ReadingListSpec,
    Roadmap,
    bare_fetch_lists,
    find_list,
    is_file,
    load_bundled_lists,
    load_reading_lists,
    load_roadmap,
    tracks_of,
)


@dataclass
class Targets:
    """What one `paperlab fetch` was asked for, fully validated."""

    roadmap: Roadmap
    lists: list[ReadingListSpec] = field(default_factory=list)
    ids: list[ArxivId] = field(default_factory=list)
    include_incomplete: bool = False  # also complete metadata of papers added offline
    retry_failed: bool = False  # a bare fetch tries failed papers again only when asked
    # A bare fetch: the chosen track (None: none chosen, so every track is fetched)
    # and the tracks the bundled lists offer.
    track: str | None = None
    tracks_offered: list[str] = field(default_factory=list)

    @property
    def bare(self) -> bool:
        """No arguments: the bundled lists, minus what the user removed or gave up on."""
        return self.include_incomplete


def resolve_targets(args: Sequence[str], chosen_track: str | None = None) -> Targets:
    """Parse the command line: list files or names, ids and URLs. Writes nothing.

    No arguments means the bundled lists of weeks 19-20 and ``chosen_track``
    (every track while none is chosen). Every list is validated before
    anything is stored, so a broken file leaves the library as it was.
    """
    roadmap = load_roadmap()
    if not args:
        specs = load_bundled_lists(roadmap)
        offered = list(tracks_of(specs))
        return Targets(
            roadmap,
            lists=bare_fetch_lists(specs, chosen_track),
            include_incomplete=True,
            track=chosen_track if chosen_track in offered else None,
            tracks_offered=offered,
        )
    targets = Targets(roadmap)
    paths: list[Path] = []
    for arg in args:
        if arg.endswith(".toml") or is_file(Path(arg)) or _is_bundled_name(arg):
            paths.append(find_list(arg))
        else:
            targets.ids.append(parse_arxiv_id(arg))
    targets.lists = load_reading_lists(paths, roadmap)  # every problem of every file at once
    return targets


def _is_bundled_name(arg: str) -> bool:
    try:
        find_list(arg)
    except PaperlabError:
        return False
    return True


def check_no_usage_errors(args: Sequence[str]) -> None:
    """Reject obviously wrong arguments (e.g. a PDF path: that is `paperlab add`)."""
    for arg in args:
        if arg.lower().endswith(".pdf") and is_file(Path(arg)):
            raise UsageError(
                f"{arg} is a local PDF, not an arXiv id or reading list.",
                hint=f"Import it with: paperlab add {arg}",
            )


__all__ = [
    "Targets",
    "check_no_usage_errors",
    "resolve_targets",
]
