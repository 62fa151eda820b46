"""Two users on one library (PAPERLAB_USER): owners, sharing, per-user state.

Alice and Bob share a library (SQLite here, a lab database on PostgreSQL):
what one keeps private the other never sees (show, listings, search, exports);
what is shared is visible and marked with its owner; only its owner edits it;
reading states and reading time are each user's own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from paperlab.store import Store
from paperlab.store.models import Page, Paper
from tests.helpers import library_rows, run_cli

pytestmark = pytest.mark.usefixtures("backend")

SGDR = "1608.03983"
ADAM = "1412.6980"
PAGE1 = "Restart techniques are common in gradient-free optimization to deal with multimodal."
PAGE2 = "We propose a simple warm restart technique for stochastic gradient descent."


@pytest.fixture
def library(any_store: Store) -> Store:
    with any_store.write() as session:
        session.add(Paper(id=SGDR, title="SGDR: Warm Restarts", state="extracted"))
        session.add(Paper(id=ADAM, title="Adam", state="extracted"))
        session.flush()
        session.add(Page(paper_id=SGDR, number=1, text=PAGE1))
        session.add(Page(paper_id=SGDR, number=2, text=PAGE2))
        session.add(Page(paper_id=ADAM, number=1, text=PAGE2))
    return any_store


class Users:
    """Switches PAPERLAB_USER between commands, as two people at two terminals."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
        self.monkeypatch = monkeypatch
        self.capsys = capsys

    def run(self, user: str, *argv: str) -> tuple[int, str, str]:
        self.monkeypatch.setenv("PAPERLAB_USER", user)
        result = run_cli(self.capsys, *argv)
        return result.code, result.out, result.err

    def json(self, user: str, *argv: str) -> Any:
        code, out, err = self.run(user, *argv, "--json")
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def users(
    library: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Users:
    return Users(monkeypatch, capsys)


def _alice_writes(users: Users) -> dict[str, int]:
    """Alice's private note, highlight and log entry on SGDR; shared ones on Adam."""
    ids: dict[str, int] = {}
    assert users.run("alice", "note", SGDR, "--set", "summary=private zebrafish idea")[0] == 0
    code, _, err = users.run("alice", "note", ADAM, "--set", "summary=shared okapi", "--shared")
    assert code == 0, err
    ids["private_ann"] = users.json("alice", "annotate", SGDR, "--quote", "warm restart")["id"]
    ids["shared_ann"] = users.json(
        "alice", "annotate", ADAM, "--quote", "warm restart", "--comment", "see", "--shared"
    )["id"]
    ids["private_log"] = users.json("alice", "log", "add", "private", "zebrafish", "plan")["id"]
    ids["shared_log"] = users.json(
        "alice", "log", "add", "shared", "okapi", "plan", "--paper", ADAM, "--shared"
    )["id"]
    return ids


def test_private_items_are_invisible_and_shared_ones_carry_their_owner(users: Users) -> None:
    ids = _alice_writes(users)
    # Bob sees nothing of Alice's private note, highlight or log entry.
    shown = users.json("bob", "show", SGDR)
    assert shown["has_note"] is False
    assert (shown["annotations"], shown["log_entries"], shown["shared_notes"]) == (0, 0, [])
    assert users.json("bob", "note", SGDR)["summary"] == ""
    assert users.json("bob", "annotations", SGDR) == []
    # ... but her shared ones, marked as hers.
    [passage] = users.json("bob", "annotations")
    assert (passage["id"], passage["owner"], passage["shared"]) == (
        ids["shared_ann"],
        "alice",
        True,
    )
    [entry] = users.json("bob", "log", "list")
    assert (entry["id"], entry["owner"], entry["shared"]) == (ids["shared_log"], "alice", True)
    adam = users.json("bob", "show", ADAM)
    assert [(n["owner"], n["summary"]) for n in adam["shared_notes"]] == [("alice", "shared okapi")]
    assert (adam["has_note"], adam["annotations"], adam["log_entries"]) == (False, 1, 1)
    code, out, _ = users.run("bob", "show", ADAM)
    assert code == 0 and "[alice] shared note: shared okapi" in out
    code, out, _ = users.run("bob", "annotations")
    assert "[alice]" in out and "warm restart" in out
    code, out, _ = users.run("bob", "log", "list")
    assert "[alice]" in out and "okapi" in out and "zebrafish" not in out
    # Alice sees all of hers, the shared ones marked as shared, none as someone else's.
    code, out, _ = users.run("alice", "log", "list")
    assert "zebrafish" in out and "(shared) [idea]  shared okapi" in out and "[alice]" not in out
    mine = users.json("alice", "note", ADAM)
    assert (mine["owner"], mine["shared"]) == ("alice", True)


def test_search_never_finds_another_users_private_items(users: Users) -> None:
    from paperlab.embedding import small_items
    from paperlab.searching import search
    from paperlab.settings import load_settings
    from paperlab.store import open_store

    _alice_writes(users)
    users.monkeypatch.setenv("PAPERLAB_USER", "bob")
    settings = load_settings()
    store = open_store(settings)
    try:
        hits = search(store, settings, "zebrafish", scope="all", mode="lexical")
        assert hits == []  # alice's private note and log entry: not bob's to find
        found = {
            (h.kind, h.text.split("\n")[0])
            for h in search(store, settings, "okapi", mode="lexical")
        }
        assert ("note", "shared okapi") in found and ("log", "shared okapi plan") in found
        owners = {h.kind: h.owner for h in search(store, settings, "okapi", mode="lexical")}
        assert owners == {"note": "alice", "log": "alice"}
        # Nothing private of alice's is embedded into what bob's index holds.
        with store.connect() as conn:
            texts = [item.text for item in small_items(conn)]
        assert texts and not any("zebrafish" in t for t in texts)
        users.monkeypatch.setenv("PAPERLAB_USER", "alice")
        hits = search(store, settings, "zebrafish", mode="lexical")
        assert {h.kind for h in hits} == {"note", "log"}
    finally:
        store.close()


def test_exports_leave_out_another_users_private_items(users: Users, tmp_path: Path) -> None:
    _alice_writes(users)
    code, _, err = users.run("bob", "export", "notes", str(tmp_path / "bob"))
    assert code == 0, err
    vault = "\n".join(p.read_text(encoding="utf-8") for p in (tmp_path / "bob").rglob("*.md"))
    assert "zebrafish" not in vault and "shared okapi" not in vault  # his vault holds his notes
    code, _, err = users.run("alice", "export", "notes", str(tmp_path / "alice"))
    assert code == 0, err
    vault = "\n".join(p.read_text(encoding="utf-8") for p in (tmp_path / "alice").rglob("*.md"))
    assert "private zebrafish idea" in vault and "shared okapi" in vault


def test_editing_another_users_item_is_refused(users: Users) -> None:
    ids = _alice_writes(users)
    code, _, err = users.run("bob", "annotations", ADAM, "--delete", str(ids["shared_ann"]))
    assert code == 2 and "alice's" in err and "Hint:" in err
    code, _, err = users.run("bob", "log", "edit", str(ids["shared_log"]), "bob was here")
    assert code == 2 and "alice's" in err
    code, _, err = users.run("bob", "log", "rm", str(ids["shared_log"]))
    assert code == 2 and "alice's" in err
    # A private one is not even there for him.
    code, _, err = users.run("bob", "log", "edit", str(ids["private_log"]), "x")
    assert code != 0 and "There is no log entry" in err
    # Bob's note on the paper is his own; Alice's stays as she wrote it.
    assert users.run("bob", "note", ADAM, "--set", "summary=bob's own")[0] == 0
    assert users.json("alice", "note", ADAM)["summary"] == "shared okapi"
    assert users.json("bob", "note", ADAM)["summary"] == "bob's own"
    rows = library_rows(
        "SELECT owner, summary FROM note WHERE paper_id = :p ORDER BY owner", {"p": ADAM}
    )
    assert rows == [("alice", "shared okapi"), ("bob", "bob's own")]
    # Alice unshares her entry: Bob no longer sees it.
    assert users.run("alice", "log", "edit", str(ids["shared_log"]), "--private")[0] == 0
    assert users.json("bob", "log", "list") == []
    assert users.run("alice", "note", ADAM, "--private")[0] == 0
    assert users.json("bob", "show", ADAM)["shared_notes"] == []


def test_reading_states_and_time_are_per_user(users: Users, library: Store) -> None:
    from paperlab.progress import plan_progress, record_reading

    assert users.run("alice", "read", SGDR, "read")[0] == 0
    assert users.run("bob", "read", SGDR, "skimming")[0] == 0
    assert [r["id"] for r in users.json("alice", "list", "--state", "read")] == [SGDR]
    assert users.json("bob", "list", "--state", "read") == []
    assert users.json("bob", "show", SGDR)["reading_state"] == "skimming"
    assert users.json("carol", "show", SGDR)["reading_state"] == "unread"
    users.monkeypatch.setenv("PAPERLAB_USER", "alice")
    record_reading(library, SGDR, 90)
    assert plan_progress(library).hours_by_paper == {SGDR: 1.5}
    users.monkeypatch.setenv("PAPERLAB_USER", "bob")
    assert plan_progress(library).hours_by_paper == {}


def test_a_bad_user_name_is_one_sentence(users: Users) -> None:
    code, out, err = users.run("alice smith", "list")
    assert code == 2 and out == ""
    assert err.startswith("Error: PAPERLAB_USER='alice smith' is not a user name.")
    assert "Hint:" in err and "Traceback" not in err


def test_the_readers_place_is_per_user(users: Users, library: Store) -> None:
    from paperlab.readingposition import ReadingPosition, load_position, save_position

    users.monkeypatch.setenv("PAPERLAB_USER", "alice")
    save_position(library, ReadingPosition(SGDR, page=2, scroll_y=5, cursor=40))
    assert load_position(library, SGDR) is not None
    users.monkeypatch.setenv("PAPERLAB_USER", "bob")
    assert load_position(library, SGDR) is None
    save_position(library, ReadingPosition(SGDR, page=1))
    users.monkeypatch.setenv("PAPERLAB_USER", "alice")
    place = load_position(library, SGDR)
    assert place is not None and (place.page, place.scroll_y, place.cursor) == (2, 5, 40)
