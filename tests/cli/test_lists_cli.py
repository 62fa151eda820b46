"""Reading lists through the real CLI: every problem at once, and a user list's weeks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakearxiv import FakeArxiv, sample_paper
from tests.helpers import run_cli, write_list

HEAD = """name = "{name}"
title = "Mine"
description = "A list with mistakes."
weeks = [22]
"""

PAPER = """
[[paper]]
id = "{id}"
title = "A paper"
why = "Because."
week = {week}
topics = [{topics}]
"""


def paper(arxiv_id: str, week: int = 22, topics: str = '"deep-learning"') -> str:
    return PAPER.format(id=arxiv_id, week=week, topics=topics)


def test_fetch_reports_every_problem_of_every_list_and_writes_nothing(
    tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = tmp_path / "first.toml"
    first.write_text(
        HEAD.format(name="first")
        + paper("1706.03762", topics='"nope"')
        + paper("banana")
        + paper("1706.03762v2", week=30),
        encoding="utf-8",
    )
    second = tmp_path / "second.toml"
    second.write_text(
        HEAD.format(name="second") + paper("1608.03983").replace("title =", "titel ="),
        encoding="utf-8",
    )

    result = run_cli(capsys, "fetch", str(first), str(second))

    assert result.code == 2, result.err
    assert "Error: 5 problems in 2 files; nothing was written." in result.err
    for place in (f"{first}:11:", f"{first}:14:", f"{first}:21:", f"{first}:24:", f"{second}:8:"):
        assert f"  {place} " in result.err, place
    # the problems read in the order the files were given, each file top to bottom
    assert result.err.index(f"{first}:24:") < result.err.index(f"{second}:8:")
    assert "Did you mean 'title'?" in result.err
    assert "Traceback" not in result.err
    assert not (paperlab_home / "paperlab.db").exists()


def test_a_file_full_of_problems_is_reported_bounded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = tmp_path / "many.toml"
    listing.write_text(
        HEAD.format(name="many") + "".join(paper(f"bad-{i}") for i in range(200)),
        encoding="utf-8",
    )

    result = run_cli(capsys, "fetch", str(listing))

    assert result.code == 2
    assert "Error: 200 problems in one file; nothing was written." in result.err
    assert "…and 175 more problems." in result.err
    assert len(result.err.splitlines()) <= 55


def test_one_problem_reads_as_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = tmp_path / "one.toml"
    listing.write_text(HEAD.format(name="one") + paper("banana"), encoding="utf-8")

    result = run_cli(capsys, "fetch", str(listing))

    assert result.code == 2
    assert result.err.startswith(f"Error: {listing}:7: 'banana' in the [[paper]] at line 6")
    assert len(result.err.splitlines()) == 2  # the sentence and its hint


def test_user_list_keeps_its_weeks(
    fake_arxiv: FakeArxiv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_arxiv.add(sample_paper("1608.03983", title="SGDR"))
    listing = write_list(tmp_path / "mine.toml", "mine", [("1608.03983", "SGDR")], "deep-learning")
    listing.write_text(listing.read_text().replace("weeks = [19, 20]", "weeks = [19, 22]"))
    assert run_cli(capsys, "fetch", "--no-index", str(listing)).code == 0

    as_json = run_cli(capsys, "lists", "--json")
    mine = next(r for r in json.loads(as_json.out) if r["name"] == "mine")
    assert mine["weeks"] == [19, 22]
    assert not mine["bundled"]

    plain = run_cli(capsys, "lists")
    line = next(x for x in plain.out.splitlines() if x.startswith("mine"))
    assert "weeks -" not in line and "22" in line
