"""Structured notes per paper, saved as you type and never lost.

Every change rewrites a draft file at once; the database save follows after a
short pause, on leaving the screen and on quitting. Saves pass the note's
``updated_at`` as seen here, and the screen re-reads the note whenever the
app's change check sees the library move: a field changed only elsewhere is
reloaded (with a notice), a field changed only here is kept, and a field
changed on both sides is put to the user side by side (``NoteConflictModal``).
Until the user decides, that field is neither saved nor merged: the draft
keeps the text typed here, with the stored text it started from, so the same
question comes back after a restart.

Focus stays in the text boxes: the form itself cannot take focus, and tab
moves between boxes the moment it is read, so no typed letter is ever taken
for a command.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
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
from textual.widgets import Header, Label, Static, TextArea

from paperlab.errors import PaperlabError
from paperlab.notes import ALL_FIELDS, FIELD_TITLES, note_fields
from paperlab.store.models import Note
from paperlab.tui.drafts import DraftStore
from paperlab.tui.notestate import NoteState
from paperlab.tui.screens.base import PaperlabScreen
from paperlab.tui.screens.modals import FOCUS_KEYS, NoteConflictModal
from paperlab.tui.widgets.footer import KeysFooter

SAVE_DELAY = 0.8
# The side-by-side choice opens only after this long without typing: its
# one-letter keys (m, t, b) must not catch letters meant for the note.
ASK_AFTER_IDLE = 1.5


class NotesScreen(PaperlabScreen):
    """The note of one paper: seven structured fields and a free Markdown body."""

    AUTO_FOCUS = "#note-summary"
    SUB_TITLE = "Notes"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "back",
            "Save & back",
            id="notes.back",
            tooltip="Save and go back to the previous screen.",
        ),
        Binding("ctrl+s", "save", "Save", id="notes.save", tooltip="Save the note now."),
        Binding(
            "ctrl+r",
            "resolve",
            "Resolve",
            id="notes.resolve",
            tooltip="Choose between your text and the text saved elsewhere.",
        ),
        Binding("ctrl+t", "tags", "Tags", id="notes.tags", tooltip="Pick this paper's topics."),
        Binding(
            "ctrl+o", "reader", "Read", id="notes.reader", tooltip="Open the paper in the reader."
        ),
        *FOCUS_KEYS,
    ]

    @dataclass
    class NoteSaved(Message):
        """The note was written to the database."""

        paper_id: str
        updated_at: datetime

    def __init__(self, paper_id: str) -> None:
        super().__init__()
        self.paper_id = paper_id
        self.state = NoteState()
        self.loaded = False
        self._loading = False
        self._saving = False
        self._save_again = False
        self._check_again = False
        self._inflight: dict[str, str] | None = None
        self._asking = False
        self._ask_on_resume = False
        self._last_typed = 0.0
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
        # The form scrolls with the focused box; it must not take focus itself,
        # or letters typed after a tab past the last box would become commands.
        with VerticalScroll(id="notes-form", can_focus=False):
            for name in ALL_FIELDS:
                yield Label(FIELD_TITLES.get(name, name.title()), classes="field-title")
                yield TextArea(
                    "",
                    id=f"note-{name}",
                    soft_wrap=True,
                    classes="note-body" if name == "body" else "note-field",
                )
        yield Static("", id="notes-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.lab.editors.add(self)
        self.lab.library_changed.subscribe(self, lambda _: self.check_note())
        self.query_one("#note-summary", TextArea).focus()
        self.load()

    def on_screen_resume(self) -> None:
        self.lab.active_paper = self.paper_id
        if self._ask_on_resume:
            self._ask_on_resume = False
            self._ask_when_idle()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resolve":
            return bool(self.state.conflicts)
        return True

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

    def _write_draft(self, fields: dict[str, str]) -> None:
        self.drafts.write(self.paper_id, fields, self.state.base)

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
        draft = self.drafts.read(self.paper_id)
        typed = self.current()  # keys that beat the load are kept, not overwritten
        if draft is not None:
            ours, base = draft.fields, draft.base
        elif any(typed.values()):
            ours, base = typed, note_fields(None)
        else:
            ours, base = theirs, theirs
        merge = self.state.take(ours, theirs, note.updated_at if note else None, base=base)
        self._fill(merge.fields)
        self.loaded = True
        if merge.fields != theirs:
            self._write_draft(merge.fields)
            self.notify("Restored text that had not reached the library yet.", timeout=5)
            self._status("Restored unsaved text from a draft; saving…", "yellow")
            self.schedule_save()  # what does not wait for a choice
            if self.state.conflicts:
                self._ask()
        else:
            if draft is not None:
                self.drafts.discard(self.paper_id)
            self._status("Saved" if note else "New note")

    # ------------------------------------------------------------------ changes elsewhere

    def check_note(self) -> None:
        """The library changed: re-read this note (in a worker)."""
        if self.loaded:
            self._read_note()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="notes-check",
        description="Checking the note",
    )
    def _read_note(self) -> None:
        from paperlab.notes import get_note

        note = get_note(self.lab.store, self.paper_id)
        self.app.call_from_thread(self._seen, note)

    def _seen(self, note: Note | None) -> None:
        if self._saving:
            # Our own save may be landing: look again once it has.
            self._check_again = True
            return
        if note is None or not self.state.is_news(note.updated_at):
            return  # unchanged, or a read older than our last save
        self._take_theirs(note)

    def _take_theirs(self, note: Note | None) -> None:
        """Merge the stored note into the editor; put fields both sides changed to the user."""
        theirs = note_fields(note)
        if self._inflight is not None and theirs == self._inflight:
            return  # what we are saving ourselves
        merge = self.state.take(self.current(), theirs, note.updated_at if note else None)
        self._fill(merge.fields)
        reloaded = [n for n in merge.theirs_changed if n not in merge.conflicts]
        if merge.fields != theirs:
            self._write_draft(merge.fields)
        if reloaded:
            names = ", ".join(FIELD_TITLES[n] for n in reloaded)
            self.notify(
                f"The note was changed elsewhere; reloaded: {names}.",
                title="Note reloaded",
                timeout=6,
            )
        if self.state.conflicts:
            self._status(
                "Changed here and elsewhere: ctrl+r to choose (your text is kept).", "bold yellow"
            )
            self.refresh_bindings()
            self._ask_when_idle()
        elif merge.fields != theirs:
            self._status("Reloaded changes made elsewhere; saving yours…", "yellow")
            self.schedule_save()
        else:
            self.drafts.discard(self.paper_id)
            self._status("Reloaded: changed elsewhere" if reloaded else "Saved")

    def _ask_when_idle(self) -> None:
        """Open the choice once typing has paused (ctrl+r opens it at once)."""
        waited = time.monotonic() - self._last_typed
        if waited >= ASK_AFTER_IDLE:
            self._ask()
        else:
            self.set_timer(ASK_AFTER_IDLE - waited, self._ask_when_idle)

    def _ask(self) -> None:
        """Show the side-by-side choice for the fields both sides changed."""
        if self._asking or not self.state.conflicts:
            return
        if not self.is_active:
            self._ask_on_resume = True  # not over the reader or another dialog
            return
        self._asking = True
        asked = dict(self.state.conflicts)

        def decided(choices: dict[str, str] | None) -> None:
            self._asking = False
            if choices is None:
                self._status(
                    "Not decided: your text stays unsaved in a draft; ctrl+r to choose.",
                    "bold yellow",
                )
                return
            self.resolve(asked, choices)

        self.app.push_screen(NoteConflictModal(asked, FIELD_TITLES), decided)

    def resolve(self, asked: dict[str, tuple[str, str]], choices: dict[str, str]) -> None:
        """Apply the user's choice per field and save."""
        fields = self.state.resolve(self.current(), asked, choices)
        self._fill(fields)
        self._write_draft(fields)
        self.refresh_bindings()
        self.notify("Saving your choice.", timeout=3)
        self._status("Unsaved changes…", "yellow")
        if self.state.conflicts:
            self._ask()
        else:
            self.action_save()  # a choice made is saved at once

    def action_resolve(self) -> None:
        self._ask()

    # ------------------------------------------------------------------ saving

    @on(TextArea.Changed)
    def _changed(self, _event: TextArea.Changed) -> None:
        if self._loading or not self.loaded:
            return
        fields = self.current()
        if fields == self._last_seen:
            return
        self._last_seen = fields
        self._last_typed = time.monotonic()
        # The draft is written before anything else can go wrong.
        self._write_draft(fields)
        if self.state.conflicts:
            self._status("Changed here and elsewhere: ctrl+r to choose.", "bold yellow")
        else:
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
        changed = self.state.unsaved(fields)
        if not changed:
            if not self.state.conflicts:
                self.drafts.discard(self.paper_id)
                self._status("Saved")
            return
        self._saving = True
        self._inflight = {**self.state.base, **changed}
        self.save(fields, changed, dict(self.state.base))

    @work(
        thread=True,
        exclusive=False,
        exit_on_error=False,
        group="notes-save",
        description="Saving the note",
    )
    def save(self, fields: dict[str, str], changed: dict[str, str], base: dict[str, str]) -> None:
        from paperlab.notes import ConflictError, get_note, save_note

        try:
            try:
                # Merged field by field under a row lock with what was saved
                # meanwhile (another machine); a field both changed is a conflict.
                note = save_note(self.lab.store, self.paper_id, changed, base=base)
            except ConflictError:
                theirs = get_note(self.lab.store, self.paper_id)
                self.app.call_from_thread(self._conflict, theirs)
                return
            self.app.call_from_thread(self._saved, note, changed)
        finally:
            self.app.call_from_thread(self._save_finished)

    def _save_finished(self) -> None:
        self._saving = False
        self._inflight = None
        if self._check_again:
            self._check_again = False
            self.check_note()
        if self._save_again:
            self._save_again = False
            self.action_save()

    def _saved(self, note: Note, changed: dict[str, str]) -> None:
        stored = note_fields(note)
        news = any(
            stored[name] != self.state.base.get(name, "")
            for name in stored
            if name not in changed and name not in self.state.conflicts
        )
        self.state.saved(changed, note.updated_at)
        if news:
            # The save kept fields another writer changed meanwhile: show them.
            self._take_theirs(note)
        elif not self.state.unsaved(self.current()) and not self.state.conflicts:
            self.drafts.discard(self.paper_id)
            self._status("Saved")
        self.post_message(self.NoteSaved(self.paper_id, note.updated_at))

    def _conflict(self, theirs: Note | None) -> None:
        """The note changed elsewhere between two checks: merge as a reload would."""
        self._inflight = None
        self._take_theirs(theirs)
        if not self.state.conflicts:
            self._save_again = True

    async def settle(self) -> None:
        """Let keys already typed reach the text boxes (before a quit reads them)."""
        waits = []
        for area in self.query(TextArea):
            done = asyncio.Event()
            if area.call_later(done.set):
                waits.append(done.wait())
        if waits:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*waits), timeout=1.0)

    def flush_now(self) -> None:
        """Save synchronously (leaving the screen, quitting).

        The draft is written first and stays whenever anything is left unsaved:
        a failed save, or a field waiting for the user's choice.
        """
        if not self.loaded:
            return
        from paperlab.notes import ConflictError, get_note, save_note

        fields = self.current()
        if fields != self.state.base:
            self._write_draft(fields)
        for _attempt in range(3):
            changed = self.state.unsaved(fields)
            if not changed:
                break
            try:
                note = save_note(self.lab.store, self.paper_id, changed, base=self.state.base)
            except ConflictError:
                theirs = get_note(self.lab.store, self.paper_id)
                if self._inflight is not None and note_fields(theirs) == self._inflight:
                    # Our own autosave landed while we were quitting.
                    self.state.saved(self._inflight, theirs.updated_at if theirs else None)
                    self._inflight = None
                    continue
                self._take_theirs(theirs)
                fields = self.current()
                continue
            except Exception as error:  # whatever failed, the draft keeps the text
                message = error.message if isinstance(error, PaperlabError) else str(error)
                self.notify(f"{message} Your text is kept in a draft.", severity="error")
                return
            self.state.saved(changed, note.updated_at)
        if fields == self.state.base and not self.state.conflicts:
            self.drafts.discard(self.paper_id)
        elif self.state.conflicts:
            names = ", ".join(FIELD_TITLES[n] for n in self.state.conflicts)
            self.notify(
                f"Your text of {names} is kept in a draft; you will be asked again "
                "when you open this note.",
                severity="warning",
                timeout=6,
            )

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
