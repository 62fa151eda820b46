"""Hostile input through the real command line: one bounded sentence, exit 2, nothing stored.

Each test feeds `paperlab` something a careless or malicious list, argument or
note can carry (absurd nesting, huge ids, non-ASCII digits, a list that takes a
bundled list's name, terminal escapes) and checks what the user sees.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from paperlab.errors import ReadingListError
from paperlab.ids import find_id_in_text, try_parse_arxiv_id
from paperlab.indexing import index_pending
from paperlab.loading import load_lists_into
from paperlab.readinglists import bundled_list_paths, load_bundled_lists, load_roadmap
from paperlab.settings import load_settings
from paperlab.store import Store
from paperlab.store.models import Annotation, Paper
from tests.fakearxiv import FakeArxiv
from tests.helpers import CliResult, run_cli, use_fixture_lists, write_list
from tests.unit.test_fast_embedder import export_home, exported  # noqa: F401  (fixtures)
from tests.unit.test_searching import (
    TRANSFORMER,
    add_paper,
    counting,  # noqa: F401  (fixtures)
    real_embedder,  # noqa: F401
)

# A message may quote ~80 characters of the input; with "Error: ", a file name,
# a line number and a hint the whole report stays well under this.
BOUND = 600
HEADER = 'name = "{name}"\ntitle = "T"\ndescription = "D"\n'
PAPER = '[[paper]]\nid = "{id}"\ntitle = "A paper"\nweek = 19\nwhy = "Because."\n'


def rows(home: Path, sql: str) -> list[tuple[object, ...]]:
    db = home / "paperlab.db"
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def assert_bad_input(result: CliResult, *phrases: str) -> None:
    """Exit 2, one `Error:` line and one `Hint:` line, bounded, no traceback."""
    assert result.code == 2, result.err[:BOUND]
    assert len(result.err) < BOUND, result.err[:BOUND]
    lines = result.err.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Error: ") and lines[1].startswith("Hint: ")
    assert "Unexpected" not in result.err and "Traceback" not in result.err
    for phrase in phrases:
        assert phrase in result.err


# --------------------------------------------------------------------------- reading lists


def test_absurdly_nested_array_is_a_sentence_not_a_recursion_error(
    tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    depth = 100_000
    listing = tmp_path / "deep.toml"
    listing.write_text(
        HEADER.format(name="deep") + "weeks = " + "[" * depth + "]" * depth + "\n",
        encoding="utf-8",
    )
    result = run_cli(capsys, "fetch", "--no-index", str(listing))
    assert_bad_input(result, f"{listing}:4:", "nested")
    assert rows(paperlab_home, "SELECT COUNT(*) FROM paper") in ([], [(0,)])


def test_nesting_inside_an_inline_table_is_found_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = tmp_path / "tables.toml"
    listing.write_text(
        HEADER.format(name="tables") + "\n\nextra = " + "{a = " * 50_000 + "1" + "}" * 50_000,
        encoding="utf-8",
    )
    assert_bad_input(run_cli(capsys, "fetch", str(listing)), f"{listing}:6:", "nested")


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path: Path) -> None:
    from paperlab.readinglists import load_reading_list

    title = "[" * 3000 + "{" * 3000
    listing = tmp_path / "strings.toml"
    listing.write_text(
        f'name = "strings"\ntitle = \'{title}\'\ndescription = "D"\nweeks = [19]\n'
        + PAPER.format(id="1706.03762"),
        encoding="utf-8",
    )
    assert load_reading_list(listing).title == title


def test_huge_id_in_a_list_is_quoted_briefly(
    tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = tmp_path / "huge.toml"
    listing.write_text(
        HEADER.format(name="huge") + "weeks = [19]\n" + PAPER.format(id="x" * 100_000),
        encoding="utf-8",
    )
    result = run_cli(capsys, "fetch", "--no-index", str(listing))
    assert_bad_input(result, f"{listing}:6:", "is not an arXiv id", "…")
    assert rows(paperlab_home, "SELECT COUNT(*) FROM paper") in ([], [(0,)])


def test_huge_key_and_huge_name_are_quoted_briefly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = tmp_path / "keys.toml"
    listing.write_text(
        HEADER.format(name="N" * 100_000)
        + "weeks = [19]\n"
        + PAPER.format(id="1706.03762")
        + "k" * 100_000
        + " = 1\n",
        encoding="utf-8",
    )
    result = run_cli(capsys, "fetch", str(listing))
    # two problems, each quoted briefly: the summary, each problem with its hint, the hint
    assert result.code == 2 and len(result.err) < 2 * BOUND, result.err[: 2 * BOUND]
    lines = result.err.splitlines()
    assert lines[0] == "Error: 2 problems in one file; nothing was written."
    assert lines[1].startswith(f"  {listing}:1:") and "is not a slug" in lines[1]
    assert "…" in lines[1] and "…" in lines[3]
    assert len(lines) == 6 and lines[-1].startswith("Hint: ")


def test_huge_weeks_array_is_summarised_not_echoed(
    tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = tmp_path / "weeks.toml"
    listing.write_text(
        HEADER.format(name="weeks")
        + "weeks = ["
        + ", ".join(["19"] * 200_000)
        + "]\n"
        + PAPER.format(id="1706.03762"),
        encoding="utf-8",
    )
    result = run_cli(capsys, "fetch", "--no-index", str(listing))
    assert_bad_input(result, f"{listing}:4:", "200000 values", "…")
    assert rows(paperlab_home, "SELECT COUNT(*) FROM paper") in ([], [(0,)])


def test_huge_id_or_list_name_on_the_command_line(
    fake_arxiv: FakeArxiv, capsys: pytest.CaptureFixture[str]
) -> None:
    # 100 KB: longer than any file name, so asking "is it a list file?" must not fail.
    assert_bad_input(run_cli(capsys, "fetch", "9" * 100_000), "is not an arXiv identifier", "…")
    assert_bad_input(run_cli(capsys, "fetch", "x" * 100_000 + ".toml"), "…")
    assert fake_arxiv.requests() == []


def test_huge_unknown_paper_is_quoted_briefly(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (
        ("show", "q" * 100_000),
        ("list", "--topic", "t" * 100_000),
        ("list", "--list", "l" * 100_000),
    ):
        result = run_cli(capsys, *argv)
        assert result.code != 0 and "…" in result.err
        assert len(result.err) < BOUND and "Traceback" not in result.err


# --------------------------------------------------------------------------- ids are ASCII

FULL_WIDTH = "１７０６.０３７６２"  # what an IME types for 1706.03762


@pytest.mark.parametrize(
    "text",
    [
        FULL_WIDTH,
        "1706.0376２",
        "1706.03762v２",
        "٠٧٠٦.٠٣٧٦٢",  # Arabic-Indic digits
        "hep-th/９９０１００１",
        "https://arxiv.org/abs/１７０６.０３７６２",
        "arXiv:१७०६.०३७६२",  # Devanagari digits
    ],
)
def test_non_ascii_digits_are_not_an_id(text: str) -> None:
    assert try_parse_arxiv_id(text) is None
    found = find_id_in_text(f"see arXiv:{text} for details")
    assert found is None or str(found).isascii()  # at most the ASCII id before a stray digit


def test_full_width_id_makes_no_phantom_paper(
    fake_arxiv: FakeArxiv, tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_bad_input(run_cli(capsys, "fetch", "--no-index", FULL_WIDTH), "not an arXiv")
    listing = tmp_path / "wide.toml"
    listing.write_text(
        HEADER.format(name="wide") + "weeks = [19]\n" + PAPER.format(id=FULL_WIDTH),
        encoding="utf-8",
    )
    assert_bad_input(run_cli(capsys, "fetch", "--no-index", str(listing)), f"{listing}:6:")
    assert fake_arxiv.requests() == []
    assert rows(paperlab_home, "SELECT COUNT(*) FROM paper") in ([], [(0,)])


# --------------------------------------------------------------------------- list names


def test_user_list_cannot_take_a_bundled_lists_name(
    fake_arxiv: FakeArxiv,
    store: Store,
    tmp_path: Path,
    paperlab_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_fixture_lists(monkeypatch)
    roadmap = load_roadmap()
    load_lists_into(store, roadmap, load_bundled_lists(roadmap))
    bundled = bundled_list_paths()[0].stem
    entries_sql = (
        "SELECT e.paper_id, e.position, e.why FROM reading_list_entry e JOIN reading_list l "
        f"ON l.id = e.list_id WHERE l.name = '{bundled}' ORDER BY e.position"
    )
    before = rows(paperlab_home, entries_sql)
    assert len(before) > 1
    listing = write_list(tmp_path / "mine.toml", bundled, [("2101.00001", "Mine")], "deep-learning")

    result = run_cli(capsys, "fetch", "--no-index", str(listing))

    assert_bad_input(result, f"{listing}:1:", f"'{bundled}'", "bundled", "own name")
    assert fake_arxiv.requests() == []
    assert rows(paperlab_home, entries_sql) == before
    assert rows(paperlab_home, "SELECT id FROM paper WHERE id = '2101.00001'") == []


def test_bundled_list_by_its_own_path_is_still_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperlab.readinglists import load_reading_list

    use_fixture_lists(monkeypatch)
    path = bundled_list_paths()[0]
    assert load_reading_list(path).name == path.stem
    # Another spelling of the same file (a symlink to it) is the bundled list itself.
    link = tmp_path / "link.toml"
    link.symlink_to(path)
    assert load_reading_list(link).name == path.stem
    # A copy elsewhere is a user list, and must be renamed.
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    with pytest.raises(ReadingListError, match="belongs to a bundled list") as info:
        load_reading_list(copy)
    assert info.value.exit_code == 2 and "own name" in (info.value.hint or "")


# --------------------------------------------------------------------------- terminal output

ESCAPES = "\x1b[2J\x1b]0;pwned\x07\x1b[31mred\x1b[0m\rX\x08\x9b1m\x7f"


@pytest.fixture
def hostile_library(store: Store) -> Store:
    with store.write() as session:
        session.add(
            Paper(
                id="1608.03983",
                title=f"SGDR{ESCAPES}",
                abstract=f"An abstract{ESCAPES}",
                state="extracted",
            )
        )
        session.flush()
        session.add(
            Annotation(
                paper_id="1608.03983",
                quote=f"warm {ESCAPES}restarts",
                comment=f"line one{ESCAPES}\n\tline two",
                page=1,
                prefix="",
                suffix="",
            )
        )
    return store


def _no_controls(text: str, *, multiline: bool) -> None:
    allowed = {"\n", "\t"} if multiline else {"\n"}
    bad = [c for c in text if (ord(c) < 32 and c not in allowed) or 0x7F <= ord(c) <= 0x9F]
    assert bad == [], repr(text)
    assert "[2J" not in text and "pwned" not in text and "[31m" not in text


def test_terminal_escapes_are_stripped_from_plain_output(
    hostile_library: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = run_cli(capsys, "note", "1608.03983", "--set", f"summary=Sum{ESCAPES}\n\tmore")
    assert saved.code == 0, saved.err
    _no_controls(saved.out, multiline=False)
    note = run_cli(capsys, "note", "1608.03983", "--print")
    assert note.code == 0 and "Sum" in note.out and "\n\tmore" in note.out
    _no_controls(note.out, multiline=True)
    anns = run_cli(capsys, "annotations", "1608.03983")
    assert anns.code == 0 and "line one" in anns.out and "line two" in anns.out
    _no_controls(anns.out, multiline=True)
    for argv in (("list",), ("show", "1608.03983")):
        shown = run_cli(capsys, *argv)
        assert shown.code == 0 and "SGDR" in shown.out
        _no_controls(shown.out, multiline=False)
    added = run_cli(capsys, "log", "add", f"Try{ESCAPES}", "--paper", "1608.03983")
    assert added.code == 0
    logged = run_cli(capsys, "log", "list")
    assert logged.code == 0 and "Try" in logged.out
    _no_controls(logged.out, multiline=False)


def test_json_output_keeps_the_text_escaped(
    hostile_library: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "show", "1608.03983", "--json")
    assert result.code == 0
    assert "\x1b" not in result.out  # JSON writes control characters as \u001b
    assert json.loads(result.out)["title"] == f"SGDR{ESCAPES}"


def test_search_results_are_stripped_plain_and_rich(
    store: Store,
    counting: Any,  # noqa: F811
    exported: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_paper(store, "2401.00001", f"Attention{ESCAPES} models", [f"{TRANSFORMER}{ESCAPES}"])
    index_pending(store, load_settings(), embedder=counting)
    plain = run_cli(capsys, "search", "attention", "transformer")
    assert plain.code == 0 and "Attention" in plain.out, plain.err
    _no_controls(plain.out, multiline=False)
    # The styled path, as on a terminal (rich itself adds no styles to a pipe).
    monkeypatch.setattr("paperlab.cli.search.stdout_is_terminal", lambda: True)
    rich = run_cli(capsys, "search", "attention", "transformer", "--by-paper")
    assert rich.code == 0 and "Attention" in rich.out, rich.err
    _no_controls(rich.out, multiline=False)
