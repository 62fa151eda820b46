"""Free tags beside roadmap topics, through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paperlab.store import Store
from paperlab.store.models import Paper
from tests.helpers import library_rows, run_cli

SGDR = "1608.03983"
ADAM = "1412.6980"

# Each test runs on SQLite and on a lab database on PostgreSQL.
pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
def library(store: Store) -> Store:
    with store.write() as session:
        session.add(Paper(id=SGDR, title="SGDR: Warm Restarts", citation_key="loshchilov2016sgdr"))
        session.add(Paper(id=ADAM, title="Adam", citation_key="kingma2014adam"))
    return store


def rows(store: Store, sql: str) -> list[tuple[object, ...]]:
    return library_rows(sql)


def test_a_free_tag_is_kept_beside_topics(
    library: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "tag", SGDR, "gans", "deep-learning", "#project/baseline")
    assert result.code == 0, result.err
    assert result.out.strip() == (f"{SGDR} topics: deep-learning; tags: gans, project/baseline")
    assert rows(library, "SELECT topic_slug FROM paper_topic") == [("deep-learning",)]
    assert rows(library, "SELECT tag FROM paper_tag ORDER BY tag") == [
        ("gans",),
        ("project/baseline",),
    ]
    run_cli(capsys, "tag", ADAM, "gans")

    listed = run_cli(capsys, "list", "--tag", "gans", "--json")
    assert listed.code == 0, listed.err
    papers = json.loads(listed.out)
    assert sorted(p["id"] for p in papers) == [ADAM, SGDR]
    sgdr = next(p for p in papers if p["id"] == SGDR)
    assert sgdr["tags"] == ["gans", "project/baseline"] and sgdr["topics"] == ["deep-learning"]

    plain = run_cli(capsys, "list", "--tag", "project/baseline")
    assert plain.out.count("\n") == 1 and "[deep-learning, #gans, #project/baseline]" in plain.out
    # --tag takes a roadmap topic too, as `paperlab tag` does
    by_topic = run_cli(capsys, "list", "--tag", "deep-learning", "--json")
    assert [p["id"] for p in json.loads(by_topic.out)] == [SGDR]

    tags = run_cli(capsys, "tags", "--json")
    assert json.loads(tags.out) == [
        {"tag": "gans", "papers": 2},
        {"tag": "project/baseline", "papers": 1},
    ]
    plain_tags = run_cli(capsys, "tags")
    assert plain_tags.out.splitlines() == [
        "gans              2 papers",
        "project/baseline  1 paper",
    ]

    shown = run_cli(capsys, "show", SGDR)
    assert "tags: gans, project/baseline" in shown.out
    assert json.loads(run_cli(capsys, "show", SGDR, "--json").out)["tags"] == [
        "gans",
        "project/baseline",
    ]


def test_untag_removes_a_topic_or_a_tag(library: Store, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "tag", SGDR, "gans", "nlp", "vision")
    result = run_cli(capsys, "untag", SGDR, "gans", "nlp", "never-there")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"{SGDR} was not tagged with never-there.",
        f"{SGDR} topics: none; tags: vision",
    ]
    assert rows(library, "SELECT COUNT(*) FROM paper_topic") == [(0,)]
    assert run_cli(capsys, "tags", "--json").out.strip() != "[]"


@pytest.mark.parametrize(
    ("bad", "phrase"),
    [
        ("GANs", "capital letters"),
        ("has space", "characters a tag cannot have"),
        ("x" * 41, "41 characters long"),
        ("1984", "has no letter"),
        ("a//b", "empty part"),
        ("#", "is empty"),
    ],
)
def test_a_bad_tag_is_one_sentence_and_writes_nothing(
    library: Store, capsys: pytest.CaptureFixture[str], bad: str, phrase: str
) -> None:
    result = run_cli(capsys, "tag", SGDR, "gans", bad)
    assert result.code == 2, result.err
    lines = result.err.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Error: Tag ") and phrase in lines[0]
    assert lines[1].startswith("Hint: ") and "lowercase" in lines[1]
    assert rows(library, "SELECT COUNT(*) FROM paper_tag") == [(0,)]


def test_a_near_miss_of_a_topic_is_pointed_out(
    library: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "tag", SGDR, "deep-learnin")
    assert result.code == 0
    assert "deep-learnin is a free tag, not the roadmap topic deep-learning" in result.err
    assert result.out.strip() == f"{SGDR} topics: none; tags: deep-learnin"


def test_filtering_by_an_unused_tag_guesses(
    library: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    run_cli(capsys, "tag", SGDR, "gans")
    result = run_cli(capsys, "list", "--tag", "gan")
    assert result.code == 1
    assert "No paper is tagged 'gan'." in result.err and "Did you mean gans?" in result.err
    empty = run_cli(capsys, "tags")
    assert empty.code == 0 and empty.out.startswith("gans")


def test_no_tags_yet(library: Store, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "tags")
    assert result.code == 0 and result.out == ""
    assert "No free tags yet" in result.err
    assert json.loads(run_cli(capsys, "tags", "--json").out) == []


def test_the_vault_carries_free_tags_as_obsidian_tags(
    library: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_cli(capsys, "tag", SGDR, "deep-learning", "gans", "project/baseline")
    vault = tmp_path / "vault"
    result = run_cli(capsys, "export", "notes", str(vault), "--paper", SGDR)
    assert result.code == 0, result.err
    (note,) = [p for p in vault.glob("*.md")]
    front = note.read_text(encoding="utf-8").split("---")[1]
    assert 'tags: ["deep-learning", "gans", "project/baseline"]' in front
