"""The paperlab lab bench: library, reader, notes, search, log, topics, progress."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from paperlab.errors import PaperlabError
from paperlab.settings import Settings, load_settings
from paperlab.store import Store, open_store
from paperlab.tui.commands import PaperlabCommands
from paperlab.tui.screens.library import LibraryScreen

if TYPE_CHECKING:
    from textual.screen import Screen


def _lazy(module: str, name: str) -> Callable[[], Screen[Any]]:
    """A mode's screen, imported when the mode is first shown: the library is
    what a launch shows, and importing every other screen (the log's editor,
    markdown, the annotations browser) cost ~0.2 s of a ~1.3 s launch on a
    slow CPU."""

    def make() -> Screen[Any]:
        import importlib

        screen: type[Screen[Any]] = getattr(importlib.import_module(module), name)
        return screen()

    return make


class Flushable(Protocol):
    def flush_now(self) -> None: ...

    async def settle(self) -> None: ...


class PaperlabApp(App[None]):
    """The Textual app. Pass a Store/Settings to run it on another library (tests do)."""

    CSS_PATH = "app.tcss"
    TITLE = "paperlab"
    COMMANDS = App.COMMANDS | {PaperlabCommands}
    MODES: ClassVar[dict[str, Any]] = {
        "library": LibraryScreen,
        "search": _lazy("paperlab.tui.screens.search", "SearchScreen"),
        "log": _lazy("paperlab.tui.screens.log", "LogScreen"),
        "topics": _lazy("paperlab.tui.screens.topics", "TopicsScreen"),
        "progress": _lazy("paperlab.tui.screens.progress", "ProgressScreen"),
        "annotations": _lazy("paperlab.tui.screens.annotations_browser", "AnnotationsScreen"),
    }
    DEFAULT_MODE = "library"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Save open notes and quit."),
        Binding(
            "question_mark",
            "help",
            "Help",
            id="app.help",
            tooltip="Show the keys of this screen and what each screen does.",
        ),
        Binding(
            "1",
            "switch_mode('library')",
            "Library",
            id="app.library",
            tooltip="Papers grouped by reading list and week.",
        ),
        Binding(
            "2",
            "switch_mode('search')",
            "Search",
            id="app.search",
            tooltip="Hybrid search over papers, notes, annotations and the log.",
        ),
        Binding(
            "3",
            "switch_mode('log')",
            "Log",
            id="app.log",
            tooltip="The research log (weeks 21-24).",
        ),
        Binding(
            "4",
            "switch_mode('topics')",
            "Topics",
            id="app.topics",
            tooltip="Roadmap topics (weeks 1-18) and what links to them.",
        ),
        Binding(
            "5",
            "switch_mode('progress')",
            "Progress",
            id="app.progress",
            tooltip="Hours per week against the 8 h plan, papers read per list.",
        ),
        Binding(
            "6",
            "switch_mode('annotations')",
            "Annotations",
            id="app.annotations",
            show=False,
            tooltip="Every paper's highlights, by kind and tag.",
        ),
        Binding(
            "ctrl+r",
            "refresh_library",
            "Refresh",
            id="app.refresh",
            show=False,
            tooltip="Reload everything from the library (after a fetch elsewhere).",
        ),
    ]

    @dataclass
    class LibraryChanged(Message):
        """Papers, notes, tags or the log changed (here or in another process)."""

    def __init__(
        self,
        store: Store | None = None,
        settings: Settings | None = None,
        *,
        load_model: bool = True,
        poll_interval: float | None = 5.0,
        idle_minutes: float = 5.0,
        today: Callable[[], date] | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings or load_settings()
        self.store = store or open_store(self.settings)
        self.load_model = load_model
        self.poll_interval = poll_interval
        self.idle_minutes = idle_minutes
        self.today = today or date.today
        self.embedder: Any = None
        self.paper_titles: list[tuple[str, str]] = []
        self.active_paper: str | None = None
        self.editors: set[Flushable] = set()
        self.library_changed: Signal[None] = Signal(self, "library-changed")
        self._signature: tuple[object, ...] | None = None

    def on_mount(self) -> None:
        if self.load_model:
            self.load_embedder()
        if self.poll_interval:
            self.set_interval(self.poll_interval, self.check_for_changes)

    # ------------------------------------------------------------------ workers

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="model",
        description="Loading the embedding model",
    )
    def load_embedder(self) -> None:
        from paperlab.search.embedder import load_embedder

        self.embedder = load_embedder(self.settings)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="poll",
        description="Checking the library for changes",
    )
    def check_for_changes(self) -> None:
        from paperlab.views import library_signature

        signature = library_signature(self.store)
        if self._signature is not None and signature != self._signature:
            self.call_from_thread(self.library_changed.publish, None)
        self._signature = signature

    def report_worker(self, event: Worker.StateChanged) -> None:
        """Turn a failed worker into a notification: one sentence and a hint."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        title = event.worker.description or "Background task"
        if isinstance(error, PaperlabError):
            message = error.message + (f"\n{error.hint}" if error.hint else "")
        else:
            message = f"{type(error).__name__}: {error}"
        self.notify(message, title=f"{title} failed", severity="error", timeout=8)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.report_worker(event)

    def on_paperlab_app_library_changed(self, _event: LibraryChanged) -> None:
        self.library_changed.publish(None)

    # ------------------------------------------------------------------ actions

    def action_refresh_library(self) -> None:
        self.library_changed.publish(None)
        self.notify("Reloaded from the library.", timeout=2)

    def action_help(self) -> None:
        rows = []
        seen: set[str] = set()
        for key, active in self.active_bindings.items():
            binding = active.binding
            if not binding.id or binding.system or binding.action in seen:
                continue
            seen.add(binding.action)
            rows.append(
                (
                    binding.key_display or self.get_key_display(binding) or key,
                    binding.description,
                    binding.tooltip,
                )
            )
        from paperlab.tui.screens.modals import HelpScreen

        self.push_screen(HelpScreen(rows))

    def action_tag_paper(self, paper_id: str) -> None:
        """Open the tag picker for one paper."""
        self._load_tags(paper_id)

    @work(
        thread=True, exclusive=True, exit_on_error=False, group="tags", description="Loading topics"
    )
    def _load_tags(self, paper_id: str) -> None:
        from paperlab.overviews import topics_overview
        from paperlab.tagging import paper_topics
        from paperlab.tui.screens.modals import TagPickerModal

        topics = [(t.slug, t.title, t.weeks) for t in topics_overview(self.store)]
        current = paper_topics(self.store, paper_id)

        def done(result: list[str] | None) -> None:
            if result is not None:
                self._apply_tags(paper_id, current, result)

        self.call_from_thread(self.push_screen, TagPickerModal(paper_id, topics, current), done)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="tags",
        description="Saving topic tags",
    )
    def _apply_tags(self, paper_id: str, before: list[str], after: list[str]) -> None:
        from paperlab.tagging import tag_paper, untag_paper

        added = [s for s in after if s not in before]
        removed = [s for s in before if s not in after]
        if added:
            tag_paper(self.store, paper_id, added)
        if removed:
            untag_paper(self.store, paper_id, removed)
        if added or removed:
            self.post_message(self.LibraryChanged())
            summary = ", ".join([f"+{s}" for s in added] + [f"-{s}" for s in removed])
            self.call_from_thread(self.notify, f"Tags of {paper_id}: {summary}", timeout=3)

    def open_reader(
        self, paper_id: str, page: int | None = None, highlight: str | None = None
    ) -> None:
        from paperlab.tui.screens.reader import ReaderScreen

        self.push_screen(ReaderScreen(paper_id, page=page, highlight=highlight))

    async def search_within(self, paper_id: str) -> None:
        """The search screen, its query starting with ``paper:ID`` (the reader's ``/``)."""
        from paperlab.tui.screens.search import SearchScreen

        await self.switch_mode("search")
        while not isinstance(self.screen, SearchScreen) and len(self.screen_stack) > 1:
            self.pop_screen()  # a reader opened from an earlier result
        if isinstance(self.screen, SearchScreen):
            self.screen.start_query(f"paper:{paper_id} ")

    def open_front_page(self, paper_id: str) -> None:
        """A paper's front page: abstract, why the lists say to read it, what it builds on."""
        from paperlab.tui.screens.front_page import FrontPageScreen

        self.push_screen(FrontPageScreen(paper_id))

    def open_notes(self, paper_id: str) -> None:
        from paperlab.tui.screens.notes import NotesScreen

        self.push_screen(NotesScreen(paper_id))

    def flush_editors(self) -> None:
        """Write every open note to the database now (quit, crash handlers)."""
        for editor in list(self.editors):
            editor.flush_now()

    async def action_quit(self) -> None:
        # ctrl+q is read before keys typed just ahead of it reach the editor:
        # let them land, so the flush saves every typed character.
        for editor in list(self.editors):
            await editor.settle()
        self.flush_editors()
        self.exit()

    def _fatal_error(self) -> None:
        # Even a crash must not lose a note: drafts are on disk, but try the DB too.
        try:
            self.flush_editors()
        finally:
            super()._fatal_error()


__all__ = ["PaperlabApp"]
