"""Highlight kinds: ``annotate --kind`` stores one, ``annotations --kind/--tag`` filter,
and ``annotations`` without an id lists every paper's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paperlab.pipeline import extract_paper
from paperlab.settings import load_settings
from paperlab.store import open_store
from tests.fakearxiv import make_pdf
from tests.helpers import run_cli

PAPER = "1608.03983"
PAGES = [
    "1 Introduction\nRestart techniques are common in gradient-free optimization. "
    "Warm restarts make the schedule anytime.",
    "2 Method\nWe propose a simple warm restart technique for stochastic gradient descent.",
]


@pytest.fixture
def paper(tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]) -> str:
    pdf = tmp_path / "sgdr.pdf"
    pdf.write_bytes(make_pdf("SGDR: Warm Restarts", PAGES, stamp="arXiv:1608.03983v1 [cs.LG]"))
    assert run_cli(capsys, "add", "--no-index", str(pdf)).code == 0
    store = open_store()
    try:
        assert extract_paper(store, load_settings(), PAPER).pages == 2
    finally:
        store.close()
    return PAPER


def listed(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict]:
    result = run_cli(capsys, "annotations", *args, "--json")
    assert result.code == 0, result.err
    data: list[dict] = json.loads(result.out)
    return data


def test_kinds_are_stored_and_filtered(paper: str, capsys: pytest.CaptureFixture[str]) -> None:
    made = run_cli(
        capsys, "annotate", paper, "--quote", "Warm restarts make", "--kind", "question", "--json"
    )
    assert made.code == 0, made.err
    assert json.loads(made.out)["kind"] == "question"
    # A prefix names a kind; the default is a plain highlight.
    claim = run_cli(
        capsys, "annotate", paper, "--quote", "We propose", "--kind", "key", "--tag", "method"
    )
    assert claim.code == 0, claim.err
    assert run_cli(capsys, "annotate", paper, "--quote", "Restart techniques").code == 0
    kinds = [a["kind"] for a in listed(capsys, paper)]
    assert kinds == ["highlight", "question", "key-claim"]
    assert [a["quote"] for a in listed(capsys, paper, "--kind", "question")] == [
        "Warm restarts make"
    ]
    assert [a["kind"] for a in listed(capsys, paper, "--tag", "METHOD")] == ["key-claim"]
    text = run_cli(capsys, "annotations", paper, "--kind", "key-claim")
    assert "key-claim" in text.out and "We propose" in text.out and "Warm" not in text.out


def test_without_an_id_every_paper_is_listed(
    paper: str, capsys: pytest.CaptureFixture[str]
) -> None:
    made = run_cli(capsys, "annotate", paper, "--quote", "We propose", "--kind", "to-cite")
    assert made.code == 0, made.err
    everything = listed(capsys)
    assert [(a["paper_id"], a["kind"]) for a in everything] == [(paper, "to-cite")]
    assert everything[0]["title"].startswith("SGDR")
    assert listed(capsys, "--kind", "question") == []
    text = run_cli(capsys, "annotations", "--kind", "to-cite")
    assert text.code == 0 and "SGDR" in text.out and "to-cite" in text.out


def test_an_unknown_kind_is_one_sentence(paper: str, capsys: pytest.CaptureFixture[str]) -> None:
    bad = run_cli(capsys, "annotate", paper, "--quote", "We propose", "--kind", "questoin")
    assert bad.code == 2
    assert bad.err.startswith("Error: Unknown highlight kind 'questoin'.")
    assert "Did you mean question?" in bad.err and "Traceback" not in bad.err
    assert listed(capsys, paper) == []
    bad = run_cli(capsys, "annotations", "--kind", "nope")
    assert bad.code == 2 and "Kinds: highlight, question, key-claim, to-cite." in bad.err
