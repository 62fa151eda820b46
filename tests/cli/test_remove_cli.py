"""`paperlab remove` end to end: the real CLI, a real SQLite file, the fake arXiv."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

import pytest

from tests.fakearxiv import FakeArxiv, sample_paper
from tests.helpers import (
    bundled_arxiv_ids,
    library_rows,
    paperlab_command,
    run_cli,
    use_fixture_lists,
)

# Each test runs on SQLite and on a lab database on PostgreSQL.
pytestmark = pytest.mark.usefixtures("backend")


def db_rows(home: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    """Rows of ``sql`` (at most one ``?``) from the library under test, SQLite or PostgreSQL."""
    return library_rows(sql.replace("?", ":a"), {"a": args[0]} if args else None)


def count(home: Path, table: str, paper_id: str) -> int:
    found = library_rows(f"SELECT COUNT(*) FROM {table} WHERE paper_id = :p", {"p": paper_id})
    return int(str(found[0][0]))


@pytest.fixture(autouse=True)
def fixture_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bare fetches read the tests' own lists, not the shipped ones."""
    use_fixture_lists(monkeypatch)


def test_remove_takes_everything_and_a_bare_fetch_keeps_it_out(
    fake_arxiv: FakeArxiv, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = bundled_arxiv_ids()
    fake_arxiv.add(*(sample_paper(i, title=f"Paper {i}") for i in ids))
    assert run_cli(capsys, "fetch", "--no-index").code == 0
    victim, other = ids[0], ids[1]
    indexed = run_cli(capsys, "fetch", victim, other)  # extracts and embeds these two
    assert indexed.code == 0, indexed.err
    assert count(paperlab_home, "chunk", victim) > 0
    hits = json.loads(run_cli(capsys, "search", "--json", "--by-paper", "paper text").out)
    assert victim in json.dumps(hits)  # the faiss file now holds the victim's passages
    pdf = paperlab_home / str(
        db_rows(paperlab_home, "SELECT pdf_path FROM paper WHERE id=?", victim)[0][0]
    )
    assert pdf.is_file() and count(paperlab_home, "reading_list_entry", victim) == 1
    vectors_before = int(db_rows(paperlab_home, "SELECT COUNT(*) FROM embedding")[0][0])

    removed = run_cli(capsys, "remove", "--json", victim)
    assert removed.code == 0, removed.err
    (record,) = json.loads(removed.out)
    assert record["id"] == victim and record["pdfs_removed"] == 1
    assert record["chunks_removed"] > 0 and record["vectors_removed"] > 0 and record["lists"]
    assert not pdf.exists()
    assert db_rows(paperlab_home, "SELECT id FROM paper WHERE id = ?", victim) == []
    for table in ("chunk", "page", "reading_list_entry", "paper_topic", "paper_version"):
        assert count(paperlab_home, table, victim) == 0, table
    after = int(db_rows(paperlab_home, "SELECT COUNT(*) FROM embedding")[0][0])
    assert after == vectors_before - record["vectors_removed"]
    # Search follows (the change counters mark the faiss file stale), and the
    # library holds no leftover file, row or vector.
    hits = json.loads(run_cli(capsys, "search", "--json", "--by-paper", "paper text").out)
    assert victim not in json.dumps(hits) and other in json.dumps(hits)
    if not os.environ.get("PAPERLAB_DATABASE_URL"):  # doctor checks SQLite files only
        doctor = run_cli(capsys, "doctor", "--json")
        assert doctor.code == 0, doctor.out

    # A bare fetch does not bring it back...
    fake_arxiv.clear_log()
    bare = run_cli(capsys, "fetch", "--no-index")
    assert bare.code == 0, bare.err
    assert db_rows(paperlab_home, "SELECT id FROM paper WHERE id = ?", victim) == []
    assert all(victim not in r.query.get("id_list", "") for r in fake_arxiv.requests("api"))
    # ...naming it does, and then the bundled list takes it back too.
    back = run_cli(capsys, "fetch", "--no-index", victim)
    assert back.code == 0, back.err
    assert db_rows(paperlab_home, "SELECT state FROM paper WHERE id = ?", victim) == [("fetched",)]
    assert db_rows(paperlab_home, "SELECT * FROM removed_paper") == []
    assert run_cli(capsys, "fetch", "--no-index").code == 0
    assert count(paperlab_home, "reading_list_entry", victim) == 1


def test_a_paper_with_notes_needs_force(
    fake_arxiv: FakeArxiv, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_arxiv.add(sample_paper("1608.03983", title="SGDR"), sample_paper("1502.03167"))
    assert run_cli(capsys, "fetch", "--no-index", "1608.03983", "1502.03167").code == 0
    assert run_cli(capsys, "note", "1608.03983", "--set", "summary=warm restarts").code == 0
    logged = run_cli(capsys, "log", "add", "Try SGDR", "--paper", "1608.03983")
    assert logged.code == 0, logged.err

    refused = run_cli(capsys, "remove", "1502.03167", "1608.03983")  # stdin is no terminal
    assert refused.code == 2
    assert "1608.03983 (1 note, 1 log link)" in refused.err and "--force" in refused.err
    assert "Traceback" not in refused.err
    assert db_rows(paperlab_home, "SELECT COUNT(*) FROM paper") == [(2,)]
    assert (paperlab_home / "pdfs" / "1608.03983v1.pdf").is_file()

    forced = run_cli(capsys, "remove", "--force", "--json", "1502.03167", "1608.03983")
    assert forced.code == 0, forced.err
    records = {r["id"]: r for r in json.loads(forced.out)}
    assert records["1608.03983"]["notes"] == 1 and records["1608.03983"]["log_links"] == 1
    assert records["1502.03167"]["notes"] == 0
    assert db_rows(paperlab_home, "SELECT COUNT(*) FROM paper") == [(0,)]
    assert db_rows(paperlab_home, "SELECT COUNT(*) FROM note") == [(0,)]
    # The log entry is the user's own record of the project: it stays.
    assert db_rows(paperlab_home, "SELECT text FROM log_entry") == [("Try SGDR",)]
    assert db_rows(paperlab_home, "SELECT COUNT(*) FROM log_paper") == [(0,)]
    assert not list((paperlab_home / "pdfs").glob("*.pdf"))


def test_an_unknown_id_removes_nothing(
    fake_arxiv: FakeArxiv, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_arxiv.add(sample_paper("1608.03983"))
    assert run_cli(capsys, "fetch", "--no-index", "1608.03983").code == 0
    result = run_cli(capsys, "remove", "1608.03983", "1706.03762")
    assert result.code == 1
    assert "not in the library" in result.err and "Traceback" not in result.err
    assert db_rows(paperlab_home, "SELECT id FROM paper") == [("1608.03983",)]
    plain = run_cli(capsys, "remove", "arXiv:1608.03983v1")
    assert plain.code == 0 and "removed 1608.03983" in plain.err


def _remove_at_a_terminal(paper_id: str, answer: str) -> tuple[int, str]:
    """`paperlab remove ID` with stdin on a pseudo-terminal, typing ``answer``."""
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.Popen(
            paperlab_command("remove", paper_id),
            stdin=secondary,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(os.environ),
        )
        os.close(secondary)
        os.write(primary, answer.encode() + b"\n")
        _, err = proc.communicate(timeout=120)
    finally:
        os.close(primary)
    return proc.returncode, err.decode()


def test_at_a_terminal_remove_asks_first(
    fake_arxiv: FakeArxiv, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_arxiv.add(sample_paper("1608.03983", title="SGDR"))
    assert run_cli(capsys, "fetch", "--no-index", "1608.03983").code == 0
    assert run_cli(capsys, "note", "1608.03983", "--set", "summary=warm restarts").code == 0

    code, err = _remove_at_a_terminal("1608.03983", "n")
    assert code == 1 and "1608.03983 (1 note)" in err and "Nothing removed." in err
    assert db_rows(paperlab_home, "SELECT COUNT(*) FROM note") == [(1,)]

    code, err = _remove_at_a_terminal("1608.03983", "y")
    assert code == 0, err
    assert "removed 1608.03983" in err
    assert db_rows(paperlab_home, "SELECT COUNT(*) FROM paper") == [(0,)]
    assert db_rows(paperlab_home, "SELECT COUNT(*) FROM note") == [(0,)]


def test_other_members_work_is_never_removed_unasked(
    fake_arxiv: FakeArxiv,
    paperlab_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A library two people share: removing a paper deleted the other member's
    # private notes too, with a message calling them "your own work".
    fake_arxiv.add(sample_paper("1608.03983", title="SGDR"))
    assert run_cli(capsys, "fetch", "--no-index", "1608.03983").code == 0
    monkeypatch.setenv("PAPERLAB_USER", "ana")
    assert run_cli(capsys, "note", "1608.03983", "--set", "summary=hers").code == 0
    assert run_cli(capsys, "log", "add", "Read SGDR", "--paper", "1608.03983").code == 0
    monkeypatch.setenv("PAPERLAB_USER", "bo")
    assert run_cli(capsys, "note", "1608.03983", "--set", "summary=his").code == 0

    for flags in ((), ("--force",)):
        refused = run_cli(capsys, "remove", *flags, "1608.03983")
        assert refused.code == 2, refused.err
        assert "other members' work" in refused.err and "ana" in refused.err
        assert "--others" in refused.err and "Traceback" not in refused.err
        assert db_rows(paperlab_home, "SELECT COUNT(*) FROM note") == [(2,)]
        assert db_rows(paperlab_home, "SELECT COUNT(*) FROM paper") == [(1,)]

    removed = run_cli(capsys, "remove", "--force", "--others", "--json", "1608.03983")
    assert removed.code == 0, removed.err
    record = json.loads(removed.out)[0]
    assert record["notes"] == 2
    assert record["others"]["members"] == ["ana"] and record["others"]["notes"] == 1
    assert record["others"]["log_links"] == 1 and record["log_links"] == 1
    # Her log entry is her record of the project: it stays, as one's own does.
    assert db_rows(paperlab_home, "SELECT text FROM log_entry") == [("Read SGDR",)]
    assert db_rows(paperlab_home, "SELECT COUNT(*) FROM note") == [(0,)]
    assert db_rows(paperlab_home, "SELECT COUNT(*) FROM paper") == [(0,)]
