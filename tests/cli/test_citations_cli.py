"""`paperlab refs`, `cited-by`, `next` and `graph` on three fetched papers that cite each other.

The papers come from the fake arXiv on 127.0.0.1 as generated PDFs with
known reference lists; fetch extracts and embeds them with the real model.
"""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.fakearxiv import FakeArxiv, sample_paper
from tests.helpers import run_cli
from tests.refpdfs import paper_with_references

# Run on SQLite and on a lab database (PostgreSQL): see tests/conftest.py.
both_stores = pytest.mark.usefixtures("backend")

A = ("2001.00001", "Gradient Noise in Deep Networks")
B = ("2002.00002", "Warm Restarts Revisited")
C = ("2003.00003", "Curvature of Loss Landscapes")
ADAM = "1412.6980"

REFERENCES = {
    # A cites an arXiv paper outside the library.
    A: [
        "[1] D. Kingma and J. Ba. Adam: A method for stochastic optimization. "
        f"arXiv preprint arXiv:{ADAM}, 2014.",
        "[2] Y. Bengio. Practical recommendations for gradient-based training. 2012.",
    ],
    # B cites A by its arXiv id and C by its title alone.
    B: [
        f"[1] A. Lovelace and A. Turing. Gradient noise in deep networks. arXiv:{A[0]}, 2020.",
        "[2] A. Lovelace and A. Turing. Curvature of loss landscapes. In Proc. of Things, 2020.",
    ],
    # C cites A by title only, with a hyphen the line broke, and Adam again.
    C: [
        "Lovelace, Ada and Turing, Alan. Gradient noise in deep net- works. Preprint, 2020.",
        f"Kingma, Diederik and Ba, Jimmy. Adam: A method for stochastic optimization. "
        f"arXiv:{ADAM}, 2014.",
    ],
}


@pytest.fixture
def library(fake_arxiv: FakeArxiv, paperlab_home: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    for arxiv_id, title in (A, B, C):
        body = f"This paper, {title}, studies optimisation of deep networks. " * 20
        pdf = paper_with_references(
            title, body, REFERENCES[(arxiv_id, title)], f"arXiv:{arxiv_id}v1 [cs.LG] 2 Jan 2020"
        )
        fake_arxiv.add(sample_paper(arxiv_id, title=title, pdf_bytes=pdf))
    result = run_cli(capsys, "fetch", A[0], B[0], C[0])
    assert result.code == 0, result.err
    return paperlab_home


@both_stores
def test_refs_cited_by_and_next_say_who_cites_whom(
    library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refs = run_cli(capsys, "refs", B[0], "--json")
    assert refs.code == 0, refs.err
    entries = json.loads(refs.out)
    assert [e["paper_id"] for e in entries] == [A[0], C[0]]
    assert [e["resolved_by"] for e in entries] == ["arxiv-id", "title+author"]

    plain = run_cli(capsys, "refs", A[0])
    assert plain.code == 0, plain.err
    assert f"paperlab fetch {ADAM}" in plain.out

    cited = run_cli(capsys, "cited-by", A[0], "--json")
    assert cited.code == 0, cited.err
    assert [c["paper_id"] for c in json.loads(cited.out)] == [B[0], C[0]]
    assert "Gradient noise" in run_cli(capsys, "cited-by", A[0]).out
    # A cited arXiv paper the library lacks: who cites it.
    adam = run_cli(capsys, "cited-by", ADAM, "--json")
    assert adam.code == 0, adam.err
    assert [c["paper_id"] for c in json.loads(adam.out)] == [A[0], C[0]]

    # The learner reads B and writes a note on it: what B cites moves up.
    assert run_cli(capsys, "read", B[0], "read").code == 0
    noted = run_cli(
        capsys,
        "note",
        B[0],
        "--set",
        "summary=Gradient noise in deep networks decides when warm restarts help.",
    )
    assert noted.code == 0, noted.err
    ranked = run_cli(capsys, "next", "--json", "-k", "5")
    assert ranked.code == 0, ranked.err
    items = {i["paper_id"]: i for i in json.loads(ranked.out)}
    assert B[0] not in items  # read already
    top = json.loads(ranked.out)[0]
    assert top["paper_id"] in (A[0], C[0])
    assert any(f"{B[1]} (read, noted)" in r for r in items[A[0]]["reasons"])
    assert items[A[0]]["in_library"] is True and "not yet read" in items[A[0]]["reasons"]
    # The note is about gradient noise: A is the paper closest to it.
    assert any(r.startswith("close to your note “Gradient noise") for r in items[A[0]]["reasons"])
    adam = items[ADAM]
    assert adam["in_library"] is False
    assert adam["next_step"] == f"paperlab fetch {ADAM}"
    assert "cited by 2 papers in your library" in adam["reasons"]

    words = run_cli(capsys, "next", "-k", "5")
    assert words.code == 0, words.err
    assert "cited by papers you read or noted" in words.out
    assert f"next: paperlab fetch {ADAM}" in words.out


@both_stores
def test_graph_is_written_as_graphml_and_json(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "graph.graphml"
    result = run_cli(capsys, "graph", "--out", str(out))
    assert result.code == 0, result.err
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    root = ET.parse(out).getroot()
    edges = {(e.get("source"), e.get("target")) for e in root.iterfind(".//g:edge", ns)}
    assert edges == {(B[0], A[0]), (B[0], C[0]), (C[0], A[0]), (A[0], ADAM), (C[0], ADAM)}

    as_json = tmp_path / "graph.json"
    assert run_cli(capsys, "graph", "--out", str(as_json), "--format", "json").code == 0
    data = json.loads(as_json.read_text(encoding="utf-8"))
    outside = [n for n in data["nodes"] if not n["in_library"]]
    assert [n["id"] for n in outside] == [ADAM]


def test_re_extraction_replaces_the_reference_rows(
    library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = library / "paperlab.db"
    with sqlite3.connect(db) as conn:
        before = conn.execute(
            "SELECT paper_id, version, ordinal, title FROM paper_reference ORDER BY 1, 3"
        ).fetchall()
    assert len(before) == 6 and {r[1] for r in before} == {1}
    result = run_cli(capsys, "index", "--force", A[0])
    assert result.code == 0, result.err
    with sqlite3.connect(db) as conn:
        after = conn.execute(
            "SELECT paper_id, version, ordinal, title FROM paper_reference ORDER BY 1, 3"
        ).fetchall()
    assert after == before


def test_unknown_paper_is_one_sentence(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("refs", "cited-by"):
        result = run_cli(capsys, command, "9999.99999")
        assert result.code != 0
        assert "Traceback" not in result.err and result.err.startswith("Error:")
    bad_k = run_cli(capsys, "next", "-k", "0")
    assert bad_k.code == 2 and "Hint:" in bad_k.err


def _this_weeks_plan(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    papers: list[tuple[tuple[str, str], int, list[str]]],
    *header: str,
) -> Path:
    """A reading list whose week 19 is this week: each paper ((id, title), week, lines)."""
    today = date.today()
    monkeypatch.setenv("PAPERLAB_PLAN_START", (today - timedelta(days=today.weekday())).isoformat())
    lines = [
        f'name = "{name}"',
        f'title = "{name.title()}"',
        'description = "Week 19 of a test plan."',
        "weeks = [19, 20]",
        *header,
    ]
    for (arxiv_id, title), week, extra in papers:
        lines += ["", "[[paper]]", f'id = "{arxiv_id}"', f'title = "{title}"', f"week = {week}"]
        lines += ['topics = ["deep-learning"]', *extra]
    listing = tmp_path / f"{name}.toml"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return listing


@both_stores
def test_next_puts_this_weeks_core_paper_first_and_says_what_to_read_first(
    fake_arxiv: FakeArxiv,
    paperlab_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for arxiv_id, title in (A, B, C):
        body = f"This paper, {title}, studies optimisation of deep networks. " * 20
        pdf = paper_with_references(title, body, REFERENCES[(arxiv_id, title)])
        fake_arxiv.add(sample_paper(arxiv_id, title=title, pdf_bytes=pdf))
    listing = _this_weeks_plan(
        tmp_path,
        monkeypatch,
        "optimisation-plan",
        [
            (A, 19, ["core = false", 'why = "Background."']),
            (
                C,
                19,
                ['focus = "Section 2"', f'prerequisites = ["{A[0]}"]', 'why = "The main reading."'],
            ),
            (B, 20, ['why = "Next week."']),
        ],
        "hours_per_week = 3",
    )
    fetched = run_cli(capsys, "fetch", str(listing))
    assert fetched.code == 0, fetched.err

    ranked = run_cli(capsys, "next", "--json")
    assert ranked.code == 0, ranked.err
    items = json.loads(ranked.out)
    assert [i["paper_id"] for i in items[:2]] == [C[0], A[0]]  # core before optional
    core, optional = items[0]["reasons"], items[1]["reasons"]
    assert core[0] == (
        "core paper of week 19 in this week's plan (optimisation-plan); focus: Section 2"
    )
    assert f"read first: {A[1]}" in core
    assert optional[0] == "optional paper of week 19 in this week's plan (optimisation-plan)"

    assert run_cli(capsys, "read", A[0], "read").code == 0
    after = json.loads(run_cli(capsys, "next", "--json").out)
    assert after[0]["paper_id"] == C[0]
    assert f"prerequisites met: you have read {A[1]}" in after[0]["reasons"]
    assert A[0] not in [i["paper_id"] for i in after]


@both_stores
def test_resolve_online_asks_arxiv_in_batches_and_remembers(
    library: Path, fake_arxiv: FakeArxiv, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_arxiv.add(sample_paper(ADAM, title="Adam: A Method for Stochastic Optimization"))
    fake_arxiv.clear_log()
    result = run_cli(capsys, "refs", A[0], "--resolve-online", "--json")
    assert result.code == 0, result.err
    assert "arXiv confirmed 1 of 2 entries (2 request(s))." in result.err
    asked = [r.query for r in fake_arxiv.requests("api")]
    assert asked[0].get("id_list") == ADAM and "search_query" in asked[1]
    entries = json.loads(result.out)
    assert entries[0]["online_title"] == "Adam: A Method for Stochastic Optimization"
    assert entries[1]["candidate_id"] is None  # arXiv had no such title

    fake_arxiv.clear_log()
    again = run_cli(capsys, "refs", A[0], "--resolve-online")
    assert again.code == 0, again.err
    assert fake_arxiv.requests("api") == []  # each entry is asked once


def test_next_on_an_empty_library_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "next")
    assert result.code == 0
    assert "Nothing to suggest" in result.err and "Hint:" in result.err


PROBE = """
import json, sys
from paperlab.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
print("\\n" + json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & {watched!r})))
"""


@pytest.mark.parametrize("argv", [["refs", A[0], "--json"], ["cited-by", A[0]]])
def test_refs_and_cited_by_load_no_orm_and_no_search_stack(library: Path, argv: list[str]) -> None:
    import subprocess
    import sys

    watched = {"sqlmodel", "pydantic", "sqlalchemy", "numpy", "faiss", "torch", "pymupdf"}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv, watched=watched)],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=True,
    )
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


@both_stores
def test_next_says_what_to_do_about_a_paper_whose_fetch_failed(
    fake_arxiv: FakeArxiv,
    paperlab_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A core paper arXiv does not have is still worth reading, but `next` must not
    send the learner to a paper with no PDF as if it were on the shelf."""
    fake_arxiv.add(sample_paper(A[0], title=A[1]))
    resnet = ("1512.03385", "Deep Residual Learning for Image Recognition")
    listing = _this_weeks_plan(
        tmp_path,
        monkeypatch,
        "gaps",
        [(resnet, 19, ['why = "Core."']), (A, 19, ['why = "Core too."'])],
    )
    assert run_cli(capsys, "fetch", str(listing)).code == 1  # arXiv lacks 1512.03385

    items = {i["paper_id"]: i for i in json.loads(run_cli(capsys, "next", "--json").out)}
    missing, present = items["1512.03385"], items[A[0]]
    assert missing["in_library"] is True
    assert missing["reasons"][0].startswith("arXiv does not list 1512.03385")
    assert missing["next_step"] == "with a PDF of it: paperlab add FILE.pdf"
    assert not any("arXiv does not list" in r for r in present["reasons"])
    assert present["next_step"] is None
    text = run_cli(capsys, "next").out
    assert "next: with a PDF of it: paperlab add FILE.pdf" in text
