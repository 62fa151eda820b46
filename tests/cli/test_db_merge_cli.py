"""``paperlab db copy`` merges: two personal libraries into one lab database, and back to a file.

The libraries number their notes, log entries and lists from 1 each, so their
ids collide; the copy matches rows by what they are and follows the links.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from paperlab.store import open_store
from paperlab.store.models import (
    Annotation,
    Embedding,
    ListMilestone,
    LogEntry,
    LogPaper,
    LogTopic,
    Note,
    NoteTopic,
    PaperTag,
    ReadingList,
    ReadingListEntry,
    Topic,
)
from tests.conftest import new_lab_database
from tests.helpers import library_rows, run_cli
from tests.unit.test_searching import PHOTOSYNTHESIS, TRANSFORMER, add_paper

ATTENTION, PLANTS, GRAPHS = "1706.03762", "2401.00002", "2402.00003"


def _at(minute: int) -> datetime:
    return datetime(2026, 3, 2, 9, minute, 30, 123456, tzinfo=UTC)


def _use(monkeypatch: pytest.MonkeyPatch, library: str | Path) -> None:
    """Point the commands at a library: a lab database URL or a SQLite home folder."""
    if isinstance(library, str):
        monkeypatch.setenv("PAPERLAB_DATABASE_URL", library)
    else:
        monkeypatch.delenv("PAPERLAB_DATABASE_URL", raising=False)
        monkeypatch.setenv("PAPERLAB_HOME", str(library))


def _note(session: object, paper: str, summary: str, topics: list[str]) -> None:
    note = Note(paper_id=paper, summary=summary)
    session.add(note)  # type: ignore[attr-defined]
    session.flush()  # type: ignore[attr-defined]
    for slug in topics:
        session.add(NoteTopic(note_id=note.id, topic_slug=slug))  # type: ignore[attr-defined]


def _log(session: object, minute: int, text: str, papers: list[str], topics: list[str]) -> None:
    entry = LogEntry(created_at=_at(minute), kind="idea", text=text)
    session.add(entry)  # type: ignore[attr-defined]
    session.flush()  # type: ignore[attr-defined]
    for paper in papers:
        session.add(LogPaper(log_id=entry.id, paper_id=paper))  # type: ignore[attr-defined]
    for slug in topics:
        session.add(LogTopic(log_id=entry.id, topic_slug=slug))  # type: ignore[attr-defined]


def _reading_list(session: object, name: str, papers: list[str], task: str) -> None:
    reading = ReadingList(name=name, title=name.title(), source_path=f"/install/{name}.toml")
    session.add(reading)  # type: ignore[attr-defined]
    session.flush()  # type: ignore[attr-defined]
    for position, paper in enumerate(papers):
        session.add(  # type: ignore[attr-defined]
            ReadingListEntry(list_id=reading.id, paper_id=paper, week=19, position=position)
        )
    session.add(ListMilestone(list_id=reading.id, position=0, week=19, task=task))  # type: ignore[attr-defined]


def _topics(session: object) -> None:
    for slug in ("attention", "plants"):
        session.add(Topic(slug=slug, title=slug.title()))  # type: ignore[attr-defined]


def _library_a(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, home)
    store = open_store()
    add_paper(store, ATTENTION, "Attention", [TRANSFORMER])
    add_paper(store, PLANTS, "Plants", [PHOTOSYNTHESIS])
    with store.write() as session:
        _topics(session)
        _reading_list(session, "core", [ATTENTION, PLANTS], "Summarise attention")
        _note(session, ATTENTION, "Attention replaces recurrence.", ["attention"])
        _note(session, PLANTS, "Light into sugar.", ["plants"])
        session.add(
            Annotation(paper_id=PLANTS, quote="glucose", comment="yield?", created_at=_at(1))
        )
        _log(session, 2, "Compare with an RNN baseline", [ATTENTION], ["attention"])
        session.add(PaperTag(paper_id=ATTENTION, tag="transformers"))
        session.add(Embedding(content_hash="h-a", model="m", dim=2, vector=b"\1" * 8))
    store.close()


def _library_b(home: Path, monkeypatch: pytest.MonkeyPatch, attention_note: str = "") -> None:
    """Another learner's: the same attention paper, a paper of its own, its own ids from 1."""
    _use(monkeypatch, home)
    store = open_store()
    add_paper(store, ATTENTION, "Attention", [TRANSFORMER])
    add_paper(store, GRAPHS, "Graphs", ["Graph neural networks pass messages along edges."])
    with store.write() as session:
        _topics(session)
        _reading_list(session, "graphs", [GRAPHS], "Build a GNN")  # id 1 here, 2 in the lab
        _reading_list(session, "core", [ATTENTION], "Summarise attention")
        if attention_note:
            _note(session, ATTENTION, attention_note, ["plants"])
        _note(session, GRAPHS, "Messages along edges.", ["attention", "plants"])
        session.add(Annotation(paper_id=ATTENTION, quote="attention", created_at=_at(3)))
        _log(session, 4, "Try message passing on citations", [GRAPHS, ATTENTION], ["plants"])
        _log(session, 5, "Read the GNN survey", [], [])
        session.add(PaperTag(paper_id=ATTENTION, tag="transformers"))
        session.add(Embedding(content_hash="h-b", model="m", dim=2, vector=b"\2" * 8))
        # The same text embedded on another machine: equal but for float rounding.
        session.add(Embedding(content_hash="h-a", model="m", dim=2, vector=b"\3" * 8))
    store.close()


def _content() -> dict[str, list[tuple[object, ...]]]:
    """The library as rows that name things, never ids: equal across libraries."""
    queries = {
        "papers": "SELECT id, title FROM paper ORDER BY id",
        "chunks": "SELECT paper_id, ordinal, text FROM chunk ORDER BY paper_id, ordinal",
        "note_topics": "SELECT n.paper_id, n.summary, t.topic_slug FROM note n "
        "LEFT JOIN note_topic t ON t.note_id = n.id ORDER BY n.paper_id, t.topic_slug",
        "annotations": "SELECT paper_id, quote, comment FROM annotation ORDER BY paper_id",
        "log_papers": "SELECT e.text, p.paper_id FROM log_entry e "
        "LEFT JOIN log_paper p ON p.log_id = e.id ORDER BY e.text, p.paper_id",
        "log_topics": "SELECT e.text, t.topic_slug FROM log_entry e "
        "JOIN log_topic t ON t.log_id = e.id ORDER BY e.text, t.topic_slug",
        "list_entries": "SELECT l.name, e.paper_id, e.position FROM reading_list l "
        "JOIN reading_list_entry e ON e.list_id = l.id ORDER BY l.name, e.position",
        "milestones": "SELECT l.name, m.task FROM reading_list l "
        "JOIN list_milestone m ON m.list_id = l.id ORDER BY l.name",
        "tags": "SELECT paper_id, tag FROM paper_tag ORDER BY paper_id, tag",
        "vectors": "SELECT content_hash, model FROM embedding ORDER BY content_hash",
    }
    return {name: library_rows(sql) for name, sql in queries.items()}


def _copy(capsys: pytest.CaptureFixture[str], to: str | Path) -> dict[str, object]:
    result = run_cli(capsys, "db", "copy", "--to", str(to), "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


@pytest.fixture(params=["postgresql", "sqlite"])
def lab(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """The library both are copied into: a lab database, or a SQLite file's folder."""
    if request.param == "postgresql":
        return new_lab_database(request.getfixturevalue("lab_server"))
    folder = tmp_path / "lab"
    folder.mkdir()
    return folder


def test_two_libraries_merge_into_one_lab_and_back(
    lab: str | Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _library_a(tmp_path / "a", monkeypatch)
    _library_b(tmp_path / "b", monkeypatch)

    _use(monkeypatch, tmp_path / "a")
    assert _copy(capsys, lab)["conflicts"] == 0
    _use(monkeypatch, tmp_path / "b")
    merged = _copy(capsys, lab)
    assert merged["conflicts"] == 0
    tables = merged["tables"]
    assert isinstance(tables, dict)
    # The shared paper, its chunk, topics, list and tag were there; the rest is new.
    assert tables["paper"]["present"] == 1 and tables["paper"]["copied"] == 1
    assert tables["chunk"] == {
        "source": 2, "copied": 1, "present": 1, "conflicts": 0, "conflict_keys": []
    }  # fmt: skip
    assert tables["reading_list"]["present"] == 1 and tables["reading_list"]["copied"] == 1
    assert tables["note"]["copied"] == 1 and tables["log_entry"]["copied"] == 2
    assert tables["embedding"]["present"] == 1 and tables["embedding"]["copied"] == 1

    _use(monkeypatch, lab)
    content = _content()
    assert content["papers"] == [(ATTENTION, "Attention"), (PLANTS, "Plants"), (GRAPHS, "Graphs")]
    assert content["note_topics"] == [
        (ATTENTION, "Attention replaces recurrence.", "attention"),
        (PLANTS, "Light into sugar.", "plants"),
        (GRAPHS, "Messages along edges.", "attention"),
        (GRAPHS, "Messages along edges.", "plants"),
    ]
    assert content["annotations"] == [(ATTENTION, "attention", ""), (PLANTS, "glucose", "yield?")]
    assert content["log_papers"] == [
        ("Compare with an RNN baseline", ATTENTION),
        ("Read the GNN survey", None),
        ("Try message passing on citations", ATTENTION),
        ("Try message passing on citations", GRAPHS),
    ]
    assert content["log_topics"] == [
        ("Compare with an RNN baseline", "attention"),
        ("Try message passing on citations", "plants"),
    ]
    assert content["list_entries"] == [
        ("core", ATTENTION, 0),
        ("core", PLANTS, 1),
        ("graphs", GRAPHS, 0),
    ]
    assert content["milestones"] == [("core", "Summarise attention"), ("graphs", "Build a GNN")]
    assert content["tags"] == [(ATTENTION, "transformers")]
    assert content["vectors"] == [("h-a", "m"), ("h-b", "m")]

    # Copying either again adds nothing.
    for home in ("a", "b"):
        _use(monkeypatch, tmp_path / home)
        again = _copy(capsys, lab)
        assert again["copied"] == 0 and again["conflicts"] == 0, home
    _use(monkeypatch, lab)
    assert _content() == content

    # The lab into a new SQLite file: the same library.
    back = tmp_path / "back"
    back.mkdir()
    assert _copy(capsys, back)["conflicts"] == 0
    _use(monkeypatch, back)
    assert _content() == content
    assert run_cli(capsys, "log", "add", "A new idea after the merge").code == 0

    # And into the first library's own file: it gains the second's work, nothing twice.
    _use(monkeypatch, lab)
    into_a = _copy(capsys, tmp_path / "a")
    assert into_a["conflicts"] == 0
    assert into_a["tables"]["note"]["copied"] == 1  # type: ignore[index]
    _use(monkeypatch, tmp_path / "a")
    assert _content() == content


def test_a_note_that_differs_is_a_conflict_reported_by_its_paper(
    lab_server: object,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    url = new_lab_database(lab_server)
    _library_a(tmp_path / "a", monkeypatch)
    _library_b(tmp_path / "b", monkeypatch, attention_note="Attention is a soft lookup.")
    _use(monkeypatch, tmp_path / "a")
    _copy(capsys, url)
    _use(monkeypatch, tmp_path / "b")
    report = _copy(capsys, url)
    tables = report["tables"]
    assert isinstance(tables, dict)
    assert tables["note"]["conflicts"] == 1
    assert tables["note"]["conflict_keys"] == [{"paper_id": ATTENTION, "owner": "tester"}]
    # The other learner's topic on that note stays out with it, reported by the note.
    assert tables["note_topic"]["conflict_keys"] == [
        {"note": {"paper_id": ATTENTION, "owner": "tester"}, "topic_slug": "plants"}
    ]
    assert report["conflicts"] == 2

    shown = run_cli(capsys, "db", "copy", "--to", url)
    assert shown.code == 0
    assert "note paper_id=1706.03762" in shown.out
    assert "note_topic note(paper_id=1706.03762 owner=tester) topic_slug=plants" in shown.out

    _use(monkeypatch, url)
    assert library_rows(
        "SELECT n.summary, t.topic_slug FROM note n JOIN note_topic t ON t.note_id = n.id "
        "WHERE n.paper_id = :p",
        {"p": ATTENTION},
    ) == [("Attention replaces recurrence.", "attention")]


def test_a_citation_key_taken_in_the_lab_gives_the_new_paper_the_next_free_one(
    lab: str | Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    for home, paper in (("a", ATTENTION), ("b", GRAPHS)):
        _use(monkeypatch, tmp_path / home)
        store = open_store()
        add_paper(store, paper, "Some title", [TRANSFORMER])
        with store.write() as session:
            session.exec(  # type: ignore[call-overload]
                text("UPDATE paper SET citation_key = 'smith2020' WHERE id = :p"),
                params={"p": paper},
            )
        store.close()
        report = _copy(capsys, lab)
    tables = report["tables"]
    assert isinstance(tables, dict)
    assert tables["paper"]["renamed"] == {"smith2020": "smith2020a"}
    _use(monkeypatch, lab)
    assert library_rows("SELECT id, citation_key FROM paper ORDER BY id") == [
        (ATTENTION, "smith2020"),
        (GRAPHS, "smith2020a"),
    ]
