"""`paperlab search`: JSON shape, terminal output, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner

from paperlab.cli import main
from paperlab.cli.search import search as search_command
from paperlab.indexing import index_pending
from paperlab.settings import load_settings
from tests.unit.test_fast_embedder import export_home, exported  # noqa: F401  (fixtures)
from tests.unit.test_searching import (
    CENTRAL_BANK,
    GRADIENT,
    PHOTOSYNTHESIS,
    TRANSFORMER,
    add_paper,
    counting,  # noqa: F401  (fixtures)
    real_embedder,  # noqa: F401
)

# Each test runs on SQLite and on a lab database on PostgreSQL.
pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
def library(store: Any, counting: Any, exported: Any) -> Any:  # noqa: F811
    add_paper(store, "2401.00001", "Attention models", [TRANSFORMER, GRADIENT])
    add_paper(store, "2401.00002", "Plant biology", [PHOTOSYNTHESIS, CENTRAL_BANK])
    index_pending(store, load_settings(), embedder=counting)
    return store


def test_json_output_shape(library: Any) -> None:
    result = CliRunner().invoke(search_command, ["chloroplasts", "-k", "2", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert isinstance(data, list) and len(data) == 2
    for item in data:
        assert {"kind", "paper_id", "title", "page", "section", "text", "score"} <= set(item)
    assert data[0]["paper_id"] == "2401.00002"
    assert data[0]["kind"] == "passage" and data[0]["page"] == 1
    assert "«chloroplasts»" in data[0]["snippet"]


def test_plain_output_and_options(library: Any) -> None:
    result = CliRunner().invoke(
        search_command, ["interest", "rates", "--in", "papers", "--by-paper", "-k", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "Plant biology" in result.output
    assert "2401.00002" in result.output and "p. 2" in result.output
    assert "«interest» «rates»" in result.output
    assert "\x1b[" not in result.output  # no styles when not a terminal


def test_empty_query_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["search", "  "])
    assert exit_info.value.code == 2
    assert "query is empty" in capsys.readouterr().err


def test_empty_library_message(store: Any, capsys: pytest.CaptureFixture[str]) -> None:
    main(["search", "anything"])
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "library is empty" in captured.err and "paperlab fetch" in captured.err
    main(["search", "anything", "--json"])
    assert json.loads(capsys.readouterr().out) == []


def test_unknown_topic_is_reported(library: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["search", "x", "--topic", "nope"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "no topic 'nope'" in err and "Traceback" not in err


def test_subprocess_json(library: Any) -> None:
    env = dict(os.environ)
    out = subprocess.run(
        [sys.executable, "-m", "paperlab", "search", "gradient descent", "--json", "-k", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    [hit] = json.loads(out.stdout)
    assert hit["text"] == GRADIENT
    assert "Loading weights" not in out.stderr


COLD_PROBE = """
import json, sys
from paperlab.cli import main
try:
    main(["search", "--json", "-k", "2", {query!r}])
except SystemExit as exc:
    assert not exc.code, exc.code
# Only what a query needs: no torch stack, no ONNX Runtime (the query runs in
# numpy) and no ORM (plain SQLAlchemy connections).
heavy = ("torch", "sentence_transformers", "transformers", "sqlmodel", "pydantic", "onnxruntime")
print("\\n" + json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set(heavy))))
"""


def test_cold_search_imports_no_torch_and_no_orm(library: Any, auto_backend: None) -> None:
    """A real `paperlab search --json` in a fresh process, with or without an ONNX export."""
    proc = subprocess.run(
        [sys.executable, "-c", COLD_PROBE.format(query="chloroplasts and sunlight")],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert json.loads(lines[-1]) == []
    hits = json.loads("\n".join(lines[:-1]))
    assert hits[0]["paper_id"] == "2401.00002" and hits[0]["dense_rank"] is not None
    assert proc.stderr == ""


def test_by_paper_json_is_one_record_per_paper(library: Any) -> None:
    """--by-paper --json groups as the plain output does: papers, their passages inside."""
    with library.write() as session:
        from paperlab.store.models import Paper

        paper = session.get(Paper, "2401.00002")
        assert paper is not None
        paper.citation_key = "plant2024"
    result = CliRunner().invoke(
        search_command, ["interest rates chloroplasts", "--by-paper", "-k", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [record["paper_id"] for record in data] == ["2401.00002", "2401.00001"]
    plant = data[0]
    assert plant["title"] == "Plant biology" and plant["citekey"] == "plant2024"
    assert data[1]["citekey"] is None
    assert 1 <= len(plant["passages"]) <= 3
    assert {p["paper_id"] for p in plant["passages"]} == {"2401.00002"}
    assert plant["score"] == max(p["score"] for p in plant["passages"])
    assert {p["page"] for p in plant["passages"]} == {1, 2}
    flat = CliRunner().invoke(
        search_command, ["interest rates chloroplasts", "--by-paper", "-k", "2"]
    )
    assert flat.output.count("Plant biology") == 1  # the plain output groups the same way
    # Papers are numbered 1, 2, ... as the papers they are, not by their first passage's rank.
    numbered = [
        line.split(".", 1)[0].strip() for line in flat.output.splitlines() if line[:4].strip()
    ]
    assert numbered == ["1", "2"], flat.output


def test_a_query_nothing_matches_or_comes_close_to_finds_nothing(library: Any) -> None:
    """Gibberish or an unrelated subject matches no word and no text is close in
    meaning: no hits, and the reason, instead of the least far texts as results."""
    for query in ("xyzzyplugh", "recipe for a chocolate cake"):
        result = CliRunner().invoke(search_command, [query, "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == []
        assert "none is close in meaning" in result.stderr  # the reason, off stdout
        grouped = CliRunner().invoke(search_command, [query, "--by-paper", "--json"])
        assert json.loads(grouped.stdout) == [] and "none is close" in grouped.stderr
        said = CliRunner().invoke(search_command, [query])
        assert said.exit_code == 0 and said.stdout == ""
        assert f"No matches for {query!r}: no text contains these words" in said.stderr
        assert "best similarity 0." in said.stderr
    # Related in meaning with no word in common is still found by meaning.
    close = json.loads(
        CliRunner().invoke(search_command, ["how leaves make sugar", "--json"]).stdout
    )
    assert close and close[0]["paper_id"] == "2401.00002"
    assert all(hit["lexical_rank"] is None for hit in close)
