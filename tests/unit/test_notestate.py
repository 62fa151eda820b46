"""The notes editor's bookkeeping: what is unsaved, what is news, what the user chose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from paperlab.notes import note_fields
from paperlab.tui.notestate import NoteState, utc_stamp

T0 = datetime(2025, 3, 5, 12, 0)  # naive UTC, as stored


def fields(**values: str) -> dict[str, str]:
    return {**note_fields(None), **values}


def test_stamps_compare_as_utc_and_old_reads_are_not_news() -> None:
    state = NoteState(expected=utc_stamp(T0))
    assert utc_stamp(T0) == T0.replace(tzinfo=UTC)
    assert not state.is_news(T0)  # what we know
    assert not state.is_news(T0 - timedelta(seconds=1))  # a read from before our save
    assert state.is_news(T0 + timedelta(microseconds=1))
    assert not state.is_news(None)
    assert NoteState().is_news(T0)


def test_a_conflict_keeps_its_base_and_is_not_saved_until_chosen() -> None:
    state = NoteState(base=fields(summary="start", method="m"), expected=utc_stamp(T0))
    ours = fields(summary="mine", method="m", questions="why?")
    theirs = fields(summary="theirs", method="m2")
    later = T0 + timedelta(seconds=5)
    merge = state.take(ours, theirs, later)
    assert merge.conflicts == {"summary": ("mine", "theirs")}
    assert merge.fields["method"] == "m2" and merge.fields["summary"] == "mine"
    assert state.base["summary"] == "start"  # still what both started from
    assert state.base["method"] == "m2" and state.expected == utc_stamp(later)
    assert state.unsaved(merge.fields) == {"questions": "why?"}
    resolved = state.resolve(merge.fields, dict(state.conflicts), {"summary": "both"})
    assert resolved["summary"] == "mine\n\ntheirs"
    assert state.conflicts == {} and state.base["summary"] == "theirs"
    assert state.unsaved(resolved) == {"summary": "mine\n\ntheirs", "questions": "why?"}


def test_a_choice_about_text_that_changed_again_is_asked_anew() -> None:
    state = NoteState(base=fields(summary="start"))
    state.take(fields(summary="mine"), fields(summary="theirs"), T0)
    asked = dict(state.conflicts)
    state.take(fields(summary="mine"), fields(summary="theirs, edited"), T0 + timedelta(1))
    kept = state.resolve(fields(summary="mine"), asked, {"summary": "theirs"})
    assert kept["summary"] == "mine"
    assert state.conflicts == {"summary": ("mine", "theirs, edited")}
