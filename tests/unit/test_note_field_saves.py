"""Per-field saves: a note saved against the text its writer last read (``base``).

Fields only the caller changed are written, fields only someone else changed
since are kept, and a field both changed differently is a ConflictError that
writes nothing. Two processes saving different fields of one note at once
(two machines of the same user) both land.
"""

from __future__ import annotations

import multiprocessing
import os

import pytest

from paperlab.notes import ConflictError, get_note, note_fields, save_note
from paperlab.store import Store, open_store
from paperlab.store.models import Paper

PAPER = "1608.03983"
ROUNDS = 40

pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
def library(any_store: Store) -> Store:
    with any_store.write() as session:
        session.add(Paper(id=PAPER, title="SGDR"))
    save_note(any_store, PAPER, {"summary": "s0", "method": "m0", "results": "r0"})
    return any_store


def test_a_field_changed_elsewhere_is_kept_and_the_callers_is_written(library: Store) -> None:
    base = note_fields(get_note(library, PAPER))
    save_note(library, PAPER, {"results": "from the other machine"})  # meanwhile
    saved = save_note(library, PAPER, {**base, "summary": "mine"}, base=base)
    assert (saved.summary, saved.method, saved.results) == ("mine", "m0", "from the other machine")


def test_a_field_both_changed_is_a_conflict_that_writes_nothing(library: Store) -> None:
    base = note_fields(get_note(library, PAPER))
    save_note(library, PAPER, {"summary": "theirs"})
    with pytest.raises(ConflictError, match="Summary") as caught:
        save_note(library, PAPER, {"summary": "mine", "method": "mine too"}, base=base)
    assert caught.value.fields == ("summary",)
    note = get_note(library, PAPER)
    assert note is not None and (note.summary, note.method) == ("theirs", "m0")
    # The same text on both sides is no conflict.
    assert save_note(library, PAPER, {"summary": "theirs"}, base=base).summary == "theirs"


def test_sharing_is_kept_by_saves_that_do_not_name_it(library: Store) -> None:
    assert save_note(library, PAPER, {}, shared=True).shared is True
    assert save_note(library, PAPER, {"summary": "more"}).shared is True
    assert save_note(library, PAPER, {}, shared=False).shared is False


def _saver(env: dict[str, str], field: str, start: object) -> None:
    """Save ``field`` ROUNDS times, each time against the note as last read.

    Every field is passed, as the editor passes the whole note: the other
    process's field goes in with its (possibly stale) base text, which must
    not overwrite what that process saved meanwhile.
    """
    os.environ.update(env)
    store = open_store()
    start.wait()  # type: ignore[attr-defined]
    for i in range(ROUNDS):
        base = note_fields(get_note(store, PAPER))
        save_note(store, PAPER, {**base, field: f"{field} {i}"}, base=base)
    store.close()


def test_two_processes_saving_different_fields_both_land(library: Store) -> None:
    env = {k: v for k, v in os.environ.items() if k.startswith("PAPERLAB_")}
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(2)
    procs = [ctx.Process(target=_saver, args=(env, f, start)) for f in ("summary", "method")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
    assert [p.exitcode for p in procs] == [0, 0]  # no conflict, no error: different fields
    note = get_note(library, PAPER)
    last = ROUNDS - 1
    assert note is not None
    assert (note.summary, note.method, note.results) == (f"summary {last}", f"method {last}", "r0")
