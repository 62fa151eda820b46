"""Annotating in the reader: select a paragraph or sentence, annotate it, change a
highlight's kind. ``ReaderScreen`` provides the page, the list and the status line."""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.message import Message
from textual.widgets import OptionList

from paperlab.annotation_views import HIGHLIGHT_KINDS, AnnotationView
from paperlab.tui.screens.modals import AnnotateModal, AnnotationInput
from paperlab.tui.screens.reader_time import ReadingTimeScreen
from paperlab.tui.widgets.page_view import Mark, PageView


class AnnotatingScreen(ReadingTimeScreen):
    """The reader's annotating half; the page and side pane are the subclass's."""

    page: int
    pages: dict[int, str]
    annotations: list[AnnotationView]

    @dataclass
    class AnnotationAdded(Message):
        """An annotation was saved for the paper being read."""

        paper_id: str
        annotation_id: int | None

    def _set_annotations(self, annotations: list[AnnotationView]) -> None:
        raise NotImplementedError

    def _marks(self, number: int) -> list[Mark]:
        raise NotImplementedError

    def _status(self, extra: str = "") -> None:
        raise NotImplementedError

    def action_select_paragraph(self) -> None:
        self.query_one(PageView).select_paragraph()

    def action_select_sentence(self) -> None:
        self.query_one(PageView).select_sentence()

    def action_annotate(self) -> None:
        view = self.query_one(PageView)
        span = view.selected_span() if self.pages else None
        if span is None:
            self.notify(
                "Select a passage first: shift+arrows, a mouse drag, "
                "p (paragraph) or s (sentence).",
                severity="warning",
                timeout=4,
            )
            return
        quote = view.text[span[0] : span[1]]
        page = self.page
        start = span[0]

        def save(result: AnnotationInput | None) -> None:
            if result is not None:
                self.save_annotation(quote, page, result, start)

        self.app.push_screen(AnnotateModal(quote, page), save)

    @work(
        thread=True,
        exclusive=False,
        exit_on_error=False,
        group="reader-write",
        description="Saving the annotation",
    )
    def save_annotation(
        self, quote: str, page: int, result: AnnotationInput, start: int | None = None
    ) -> None:
        from paperlab.annotations import add_annotation, list_annotations

        store = self.lab.store
        # A tag that names a kind (question, key-claim, to-cite) sets the kind instead.
        kinds = [t.lower() for t in result.tags if t.lower() in HIGHLIGHT_KINDS]
        tags = [t for t in result.tags if t.lower() not in HIGHLIGHT_KINDS]
        # The selection's offset says which occurrence of a repeated passage it is.
        added = add_annotation(
            store,
            self.paper_id,
            quote,
            page=page,
            comment=result.comment,
            tags=tags,
            near=start,
            kind=kinds[-1] if kinds else "highlight",
        )
        annotations = list_annotations(store, self.paper_id)
        self.app.call_from_thread(self._annotations_changed, annotations, "annotation saved")
        self.post_message(self.AnnotationAdded(self.paper_id, added.id))

    def _annotations_changed(self, annotations: list[AnnotationView], note: str) -> None:
        self._set_annotations(annotations)
        self.query_one(PageView).set_marks(self._marks(self.page))
        self._status(note)

    def _target_annotation(self) -> AnnotationView | None:
        """The highlight in the list when it has focus, else the one under the cursor."""
        listing = self.query_one("#annotation-list", OptionList)
        if listing.has_focus and listing.highlighted is not None and self.annotations:
            return self.annotations[listing.highlighted]
        view = self.query_one(PageView)
        at = view.index_of(view.cursor_location)
        for a in self.annotations:
            start, end = a.char_start, a.char_end
            if a.page == self.page and start is not None and end is not None and start <= at <= end:
                return a
        return None

    def action_cycle_kind(self) -> None:
        target = self._target_annotation()
        if target is None:
            self.notify(
                "Put the cursor on a highlight, or pick one in the list (h), to change its kind.",
                timeout=4,
            )
            return
        kinds = list(HIGHLIGHT_KINDS)
        kind = (
            kinds[(kinds.index(target.kind) + 1) % len(kinds)] if target.kind in kinds else kinds[0]
        )
        self.set_kind(target.id, kind)

    @work(
        thread=True,
        exclusive=False,
        exit_on_error=False,
        group="reader-write",
        description="Changing the highlight's kind",
    )
    def set_kind(self, annotation_id: int, kind: str) -> None:
        from paperlab.annotations import list_annotations, update_annotation

        store = self.lab.store
        update_annotation(store, annotation_id, kind=kind)
        annotations = list_annotations(store, self.paper_id)
        self.app.call_from_thread(self._annotations_changed, annotations, f"now a {kind}")


__all__ = ["AnnotatingScreen"]
