"""Search as you type: hybrid search in a worker, results open where they were found.

Filter terms among the words (``paper:ID``, ``list:NAME``, ``tag:TAG``,
``state:STATE``, ``topic:SLUG``; ``paperlab.searchterms``) search within the
papers they choose; the reader's ``/`` starts a search with ``paper:`` filled in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from paperlab.tui.screens.base import PaperlabScreen
from paperlab.tui.widgets.footer import KeysFooter
from paperlab.wording import counted

DEBOUNCE = 0.3
KIND_STYLE = {"passage": "cyan", "note": "green", "annotation": "yellow", "log": "magenta"}


class SearchScreen(PaperlabScreen):
    """Hybrid (semantic + lexical) search over passages, notes, annotations and the log."""

    AUTO_FOCUS = "#query"
    SUB_TITLE = "Search"

    # Escape is a way out one step at a time, and the footer says where it
    # leads: from the query to the results, from the results out of search.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "leave_query",
            "Results",
            id="search.leave-query",
            tooltip="Leave the query for the results (digits and letters are commands there).",
        ),
        Binding(
            "escape",
            "leave",
            "Library",
            id="search.leave",
            tooltip="Leave search for the library.",
        ),
        Binding(
            "i",
            "front_page",
            "About",
            id="search.about",
            tooltip="The front page of the result's paper: abstract, why read it, your note.",
        ),
        Binding(
            "slash",
            "focus_query",
            "Query",
            id="search.query",
            tooltip="Back to the query box.",
        ),
        Binding(
            "down",
            "focus_results",
            "Results",
            id="search.results",
            show=False,
            tooltip="Move to the results.",
        ),
    ]

    @dataclass
    class ResultOpened(Message):
        """A search result was opened."""

        kind: str
        paper_id: str | None
        page: int | None

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[Any] = []
        self._timer: Timer | None = None
        self.last_query = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(
            placeholder="Search papers, notes, annotations and the log… (paper:ID list:NAME "
            "tag:TAG state:read narrow it)",
            id="query",
            # Coming back to the query must not make the next key replace it.
            select_on_focus=False,
        )
        yield OptionList(id="results")
        yield Static("Type to search.", id="search-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#query", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Footers ask while switching here, before the query box may exist yet.
        box = self.query("#query").results(Input)
        in_query = any(widget.has_focus for widget in box)
        if action == "leave_query":
            return in_query
        if action in ("leave", "focus_query", "front_page"):
            return not in_query
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def action_focus_query(self) -> None:
        self.query_one("#query", Input).focus()

    def start_query(self, text: str) -> None:
        """Put ``text`` in the query box, the cursor after it, ready to type on."""
        box = self.query_one("#query", Input)
        box.value = text
        box.cursor_position = len(text)
        box.focus()

    def action_leave_query(self) -> None:
        self.action_focus_results()

    def action_leave(self) -> None:
        self.app.switch_mode("library")

    def action_focus_results(self) -> None:
        self.query_one("#results", OptionList).focus()

    @on(Input.Changed, "#query")
    def _changed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        query = event.value.strip()
        if not query:
            self.show_hits("", [])
            return
        self._timer = self.set_timer(DEBOUNCE, lambda: self.run_search(query))

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._timer is not None:
            self._timer.stop()
        if event.value.strip() and event.value.strip() != self.last_query:
            self.run_search(event.value.strip())
        self.action_focus_results()

    @work(thread=True, exclusive=True, exit_on_error=False, group="search", description="Searching")
    def run_search(self, query: str) -> None:
        from paperlab.errors import PaperlabError
        from paperlab.searching import search
        from paperlab.searchterms import split_terms

        terms = split_terms(query)
        within = f" {terms.describe()}" if terms.limited else ""
        self.app.call_from_thread(self._status, f"Searching “{terms.query}”{within}…")
        # Until the model has loaded, search lexically rather than wait ~7 s for it.
        embedder = self.lab.embedder
        info: dict[str, Any] = {}
        try:
            papers = terms.chosen_papers(self.lab.store)
            if not terms.query:
                problem = f"Type what to search for{within}."
            elif papers == []:
                problem = terms.none_chosen()
            else:
                problem = ""
                hits = search(
                    self.lab.store,
                    self.lab.settings,
                    terms.query,
                    k=20,
                    topic=terms.topic,
                    papers=papers,
                    embedder=embedder,
                    mode="hybrid" if embedder is not None else "lexical",
                    info=info,
                )
        except PaperlabError as exc:  # a name typed among the words that the library lacks
            problem = " ".join(part for part in (exc.message, exc.hint) if part)
        if problem:
            self.app.call_from_thread(self.show_hits, query, [], problem=problem)
            return
        self.app.call_from_thread(
            self.show_hits, query, hits, info.get("unrelated"), words=terms.query, within=within
        )

    def _status(self, text: str) -> None:
        self.query_one("#search-status", Static).update(text)

    def show_hits(
        self,
        query: str,
        hits: list[Any],
        unrelated: float | None = None,
        *,
        words: str | None = None,
        within: str = "",
        problem: str = "",
    ) -> None:
        """Show ``hits`` for the text ``query`` (its search ``words``, the filters ``within``
        in words), or the ``problem`` that kept the search from running."""
        # A thread worker cannot be interrupted: an older, slower search may
        # finish after a newer one. Only the query in the box is shown.
        if query != self.query_one("#query", Input).value.strip():
            return
        self.last_query = query
        self.hits = hits
        results = self.query_one("#results", OptionList)
        results.clear_options()
        for i, hit in enumerate(hits):
            results.add_option(Option(render_hit(hit), id=str(i)))
        words = query if words is None else words
        if problem:
            self._status(problem)
        elif query and unrelated is not None:
            self._status(
                f"No results for “{words}”: no text contains these words, and none is close"
                f" in meaning (best similarity {unrelated:.2f})."
            )
        elif query:
            mode = "" if self.lab.embedder is not None else " (model still loading: lexical)"
            self._status(f"{counted(len(hits), 'result')} for “{words}”{within}{mode}")
        else:
            self._status("Type to search.")
        if hits:
            results.highlighted = 0

    @on(OptionList.OptionSelected, "#results")
    def _open(self, event: OptionList.OptionSelected) -> None:
        hit = self.hits[int(event.option.id or 0)]
        kind = getattr(hit, "kind", "passage")
        paper_id = getattr(hit, "paper_id", None)
        page = getattr(hit, "page", None)
        self.post_message(self.ResultOpened(kind, paper_id, page))
        if kind == "log":
            self.app.switch_mode("log")
        elif kind == "note" and paper_id:
            self.lab.open_notes(paper_id)
        elif paper_id:
            self.lab.open_reader(paper_id, page=page, highlight=getattr(hit, "text", None))

    def action_front_page(self) -> None:
        index = self.query_one("#results", OptionList).highlighted
        paper_id = getattr(self.hits[index], "paper_id", None) if index is not None else None
        if paper_id:
            self.lab.open_front_page(paper_id)
        else:
            self.notify("Highlight a result from a paper first.", timeout=3)


def render_hit(hit: Any) -> Text:
    """Two lines: kind, title, page and section; then the snippet."""
    kind = getattr(hit, "kind", "passage")
    text = Text()
    text.append(f"{kind:<11}", style=f"bold {KIND_STYLE.get(kind, '')}")
    text.append(getattr(hit, "title", "") or getattr(hit, "paper_id", "") or "", style="bold")
    page = getattr(hit, "page", None)
    if page:
        text.append(f"  p.{page}", style="dim")
    section = getattr(hit, "section", None)
    if section:
        text.append(f"  § {section}", style="dim italic")
    snippet = " ".join((getattr(hit, "snippet", "") or getattr(hit, "text", "")).split())
    if len(snippet) > 160:
        snippet = snippet[:160] + "…"
    text.append("\n")  # no indent: wrapped lines would carry it mid-line
    # The service marks query terms as «term».
    for i, part in enumerate(_MARKED.split(snippet)):
        text.append(part, style="bold reverse" if i % 2 else "")
    return text


_MARKED = re.compile(r"«(.*?)»")


__all__ = ["SearchScreen", "render_hit"]
