"""The command palette's paperlab actions (ctrl+p)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from paperlab.tui.app import PaperlabApp


class PaperlabCommands(Provider):
    """Screens, refresh and help; plus "Open paper: <title>" and "About paper: <title>"
    (its front page) for every paper."""

    @property
    def lab(self) -> PaperlabApp:
        return cast("PaperlabApp", self.app)

    def _actions(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = self.lab
        actions: list[tuple[str, str, Callable[[], object]]] = [
            ("Library", "Papers by reading list and week", partial(app.switch_mode, "library")),
            (
                "Search",
                "Hybrid search over papers, notes, annotations and the log",
                partial(app.switch_mode, "search"),
            ),
            (
                "Research log",
                "Ideas, questions, experiments, results, decisions, todos",
                partial(app.switch_mode, "log"),
            ),
            ("Topics", "Roadmap weeks 1-18 as tags", partial(app.switch_mode, "topics")),
            (
                "Annotations",
                "Every paper's highlights, filtered by kind and tag",
                partial(app.switch_mode, "annotations"),
            ),
            (
                "Progress",
                "This week's papers and the next to read, time per week, papers read per list",
                partial(app.switch_mode, "progress"),
            ),
            (
                "Refresh",
                "Reload from the library (after a fetch in another terminal)",
                app.action_refresh_library,
            ),
            ("Help", "Keys of this screen and what each screen does", app.action_help),
        ]
        if app.active_paper:
            paper = app.active_paper
            actions += [
                ("About this paper", paper, partial(app.open_front_page, paper)),
                ("Notes for this paper", paper, partial(app.open_notes, paper)),
                ("Tag this paper", paper, partial(app.action_tag_paper, paper)),
            ]
        return actions

    async def discover(self) -> Hits:
        for name, help_text, callback in self._actions():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._actions():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
        for paper_id, title in self.lab.paper_titles:
            label = f"Open paper: {title}"
            score = max(matcher.match(label), matcher.match(paper_id))
            if score > 0:
                yield Hit(
                    score * 0.9,
                    matcher.highlight(label),
                    partial(self.lab.open_reader, paper_id),
                    help=paper_id,
                )
            label = f"About paper: {title}"
            score = matcher.match(label)
            if score > 0:
                yield Hit(
                    score * 0.85,
                    matcher.highlight(label),
                    partial(self.lab.open_front_page, paper_id),
                    help=f"{paper_id}: abstract, why read it, what it builds on, your note",
                )


__all__ = ["PaperlabCommands"]
