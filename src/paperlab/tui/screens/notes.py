"""Structured notes per paper, saved as you type and never lost.

Every change rewrites a draft file at once; the database save follows after a
short pause, on leaving the screen and on quitting. Saves pass the note's
``updated_at`` as seen here: when another process changed the note meanwhile,
the two versions are merged field by field (see ``drafts.merge3``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Footer, Header, Label, Static, TextArea

from paperlab.errors import PaperlabError
from paperlab.notes import ALL_FIELDS, FIELD_TITLES, note_fields
from paperlab.store.models import Note
from paperlab.tui.drafts import DraftStore, merge3
from paperlab.tui.screens.base import PaperlabScreen

SAVE_DELAY = 0.8


class NotesScreen(PaperlabScreen):
    """The note of one paper: seven structured fields and a free Markdown body."""

    AUTO_FOCUS = "#note-summary"
    SUB_TITLE = "Notes"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "back",
            "Back",
            id="notes.back",
            tooltip="Save and go back to the previous screen.",
        ),
        Binding("ctrl+s", "save", "Save", id="notes.save", tooltip="Save the note now."),
        Binding("ctrl+t", "tags", "Tags", id="notes.tags", tooltip="Pick this paper's topics."),
        Binding(
            "ctrl+o", "reader", "Read", id="notes.reader", tooltip="Open the paper in the reader."
        ),
    ]

    @dataclass
    class NoteSaved(Message):
        """The note was written to the database."""

        paper_id: str
        updated_at: datetime

    def __init__(self, paper_id: str) -> None:
        super().__init__()
        self.paper_id = paper_id
        self.base: dict[str, str] = note_fields(None)
        self.expected: datetime | None = None
        self.loaded = False
        self._loading = False
        self._saving = False
        self._save_again = False
        self._timer: Timer | None = None
        self._last_seen: dict[str, str] = {}
        self._drafts: DraftStore | None = None

    @property
    def drafts(self) -> DraftStore:
        if self._drafts is None:
            self._drafts = DraftStore(self.lab.settings.cache_dir)
        return self._drafts

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="notes-title")
        with VerticalScroll(id="notes-form"):
            for name in ALL_FIELDS:
                yield Label(FIELD_TITLES.get(name, name.title()), classes="field-title")
                yield TextArea(
                    "",
                    id=f"note-{name}",
                    soft_wrap=True,
                    classes="note-body" if name == "body" else "note-field",
                )
        yield Static("", id="notes-status")
        yield Footer()

    def on_mount(self) -> None:
        self.lab.editors.add(self)
        self.query_one("#note-summary", TextArea).focus()
        self.load()

    def on_screen_resume(self) -> None:
        self.lab.active_paper = self.paper_id

    # ------------------------------------------------------------------ fields

    def current(self) -> dict[str, str]:
        return {name: self.query_one(f"#note-{name}", TextArea).text for name in ALL_FIELDS}

    def _fill(self, fields: dict[str, str]) -> None:
        self._loading = True
        try:
            for name in ALL_FIELDS:
                area = self.query_one(f"#note-{name}", TextArea)
                if area.text != fields.get(name, ""):
                    area.load_text(fields.get(name, ""))
            # load_text posts Changed later; this tells those echoes from typing.
            self._last_seen = self.current()
        finally:
            self._loading = False

    def _status(self, text: str, style: str = "dim") -> None:
        self.query_one("#notes-status", Static).update(Text(text, style=style))

    # ------------------------------------------------------------------ loading

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="notes-load",
        description="Opening the note",
    )
    def load(self) -> None:
        from paperlab.notes import get_note
        from paperlab.views import load_paper

        paper = load_paper(self.lab.store, self.paper_id)
        if paper is None:
            raise PaperlabError(f"Paper {self.paper_id} is not in the library.")
        note = get_note(self.lab.store, self.paper_id)
        self.app.call_from_thread(self._loaded, paper.title, note)

    def _loaded(self, title: str, note: Note | None) -> None:
        self.query_one("#notes-title", Static).update(
            Text.assemble(("Notes: ", "dim"), (title, "bold"), ("  " + self.paper_id, "dim"))
        )
        theirs = note_fields(note)
        self.base = theirs
        self.expected = note.updated_at if note else None
        draft = self.drafts.read(self.paper_id)
        shown = theirs
        if draft is not None:
            shown = merge3(draft.base, draft.fields, theirs)
        self._fill(shown)
        self.loaded = True
        if shown != theirs:
            self.drafts.write(self.paper_id, shown, self.base)
            self.notify("Restored text that had not reached the library yet.", timeout=5)
            self._status("Restored unsaved text from a draft; saving…", "yellow")
            self.schedule_save()
        else:
            if draft is not None:
                self.drafts.discard(self.paper_id)
            self._status("Saved" if note else "New note")

    # ------------------------------------------------------------------ saving

    @on(TextArea.Changed)
    def _changed(self, _event: TextArea.Changed) -> None:
        if self._loading or not self.loaded:
            return
        fields = self.current()
        if fields == self._last_seen:
            return
        self._last_seen = fields
        # The draft is written before anything else can go wrong.
        self.drafts.write(self.paper_id, fields, self.base)
        self._status("Unsaved changes…", "yellow")
        self.schedule_save()

    def schedule_save(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(SAVE_DELAY, self.action_save)

    def action_save(self) -> None:
        if not self.loaded:
            return
        if self._saving:
            self._save_again = True
            return
        fields = self.current()
        changed = {k: v for k, v in fields.items() if v != self.base.get(k, "")}
        if not changed:
            self.drafts.discard(self.paper_id)
            self._status("Saved")
            return
        self._saving = True
        self.save(fields, changed, self.expected)

    @work(
        thread=True,
        exclusive=False,
        exit_on_error=False,
        group="notes-save",
        description="Saving the note",
    )
    def save(
        self, fields: dict[str, str], changed: dict[str, str], expected: datetime | None
    ) -> None:
        from paperlab.notes import ConflictError, get_note, save_note

        try:
            try:
                note = save_note(
                    self.lab.store, self.paper_id, changed, expected_updated_at=expected
                )
            except ConflictError:
                theirs = get_note(self.lab.store, self.paper_id)
                self.app.call_from_thread(self._conflict, theirs)
                return
            self.app.call_from_thread(self._saved, note, fields)
        finally:
            self.app.call_from_thread(self._save_finished)

    def _save_finished(self) -> None:
        self._saving = False
        if self._save_again:
            self._save_again = False
            self.action_save()

    def _saved(self, note: Note, fields: dict[str, str]) -> None:
        self.base = fields
        self.expected = note.updated_at
        if self.current() == fields:
            self.drafts.discard(self.paper_id)
            self._status("Saved")
        self.post_message(self.NoteSaved(self.paper_id, note.updated_at))

    def _conflict(self, theirs: Note | None) -> None:
        """The note changed elsewhere: merge, keep both where both changed, save again."""
        their_fields = note_fields(theirs)
        merged = merge3(self.base, self.current(), their_fields)
        self.base = their_fields
        self.expected = theirs.updated_at if theirs else None
        self._fill(merged)
        self.drafts.write(self.paper_id, merged, self.base)
        self.notify(
            "The note was changed elsewhere; both versions were merged.",
            severity="warning",
            timeout=6,
        )
        self._save_again = True

    def flush_now(self) -> None:
        """Save synchronously (leaving the screen, quitting). The draft stays on failure."""
        if not self.loaded:
            return
        from paperlab.notes import ConflictError, get_note, save_note

        fields = self.current()
        for _attempt in range(3):
            changed = {k: v for k, v in fields.items() if v != self.base.get(k, "")}
            if not changed:
                self.drafts.discard(self.paper_id)
                return
            try:
                note = save_note(
                    self.lab.store, self.paper_id, changed, expected_updated_at=self.expected
                )
            except ConflictError:
                theirs = get_note(self.lab.store, self.paper_id)
                fields = merge3(self.base, fields, note_fields(theirs))
                self.base = note_fields(theirs)
                self.expected = theirs.updated_at if theirs else None
                self.drafts.write(self.paper_id, fields, self.base)
                continue
            except PaperlabError as error:
                self.notify(f"{error.message} Your text is kept in a draft.", severity="error")
                return
            self.base, self.expected = fields, note.updated_at
            self.drafts.discard(self.paper_id)
            return

    # ------------------------------------------------------------------ navigation

    def action_back(self) -> None:
        self.flush_now()
        self.dismiss()

    def on_unmount(self) -> None:
        self.lab.editors.discard(self)

    def action_tags(self) -> None:
        self.lab.action_tag_paper(self.paper_id)

    def action_reader(self) -> None:
        self.lab.open_reader(self.paper_id)


__all__ = ["NotesScreen"]
