"""`paperlab index`: extract and embed papers already in the library; status; rebuild."""

from __future__ import annotations

import json
from pathlib import Path

import pymupdf
import pytest

from tests.fakearxiv import make_pdf
from tests.helpers import run_cli

BODY = ["1 Introduction\nSnapshot ensembles reuse one training run. " * 30]

# Each test runs on SQLite and on a lab database on PostgreSQL.
pytestmark = pytest.mark.usefixtures("backend")


@pytest.mark.slow
def test_index_extracts_embeds_reports_failures_and_rebuilds(
    tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.pdf"
    good.write_bytes(make_pdf("Snapshots", BODY, stamp="arXiv:1704.00109v1 [cs.LG] 1 Apr 2017"))
    scanned = tmp_path / "scanned.pdf"
    doc = pymupdf.open()
    doc.new_page().draw_rect(pymupdf.Rect(50, 50, 200, 200), fill=(0, 0, 0))  # no text at all
    doc.save(scanned)
    assert run_cli(capsys, "add", "--no-index", str(good), str(scanned)).code == 0
    before = json.loads(run_cli(capsys, "index", "status", "--json").out)
    assert before["chunks"] == 0

    result = run_cli(capsys, "index")
    assert result.code == 1  # the scanned PDF failed, the other was indexed
    assert "no text layer" in result.err and "1 of 2 papers extracted" in result.err
    assert "Hint: Run OCR on it first" in result.err
    status = json.loads(run_cli(capsys, "index", "status", "--json").out)
    assert status["chunks"] > 0 and status["chunks_embedded"] == status["chunks"]
    # A lab server with pgvector serves dense search itself: no local faiss cache.
    on_server = status["dense_path"] == "pgvector"
    assert status["faiss_state"] == ("missing" if on_server else "fresh")
    listed = {p["id"]: p for p in json.loads(run_cli(capsys, "list", "--json").out)}
    assert listed["1704.00109"]["state"] == "indexed"
    assert [p["state"] for i, p in listed.items() if i.startswith("local:")] == ["failed"]

    if not on_server:
        faiss_file = Path(status["faiss_file"])
        faiss_file.write_bytes(b"corrupt")
        state = json.loads(run_cli(capsys, "index", "status", "--json").out)["faiss_state"]
        assert state != "fresh"
    assert run_cli(capsys, "index", "rebuild").code == 0
    status = json.loads(run_cli(capsys, "index", "status", "--json").out)
    assert status["faiss_state"] == ("missing" if on_server else "fresh")
    hits = json.loads(run_cli(capsys, "search", "--json", "ensembles from one run").out)
    assert hits[0]["paper_id"] == "1704.00109"


def test_index_of_an_unknown_paper_is_one_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "index", "1706.03762")
    assert result.code == 1
    assert "not in the library" in result.err and "Traceback" not in result.err


def test_status_reads_as_sentences(
    tmp_path: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = tmp_path / "snapshots.pdf"
    pdf.write_bytes(make_pdf("Snapshots", BODY, stamp="arXiv:1704.00109v1 [cs.LG] 1 Apr 2017"))
    assert run_cli(capsys, "add", str(pdf)).code == 0
    note = run_cli(capsys, "note", "1704.00109", "--set", "summary=One run, many models.")
    assert note.code == 0
    status = json.loads(run_cli(capsys, "index", "status", "--json").out)

    lines = run_cli(capsys, "index", "status").out.splitlines()
    assert len(lines) == 5 and not any("{" in line or "_" in line.split(":")[0] for line in lines)
    model, papers, passages, writing, vectors = lines
    plan = status["embedding"]
    assert model.startswith("Model: all-MiniLM-L6-v2. Indexing ")
    assert plan["bulk"] in model and f"(CPU class {plan['cpu_class']})" in model
    # Until the library has its ONNX export, the path that stands in is named too.
    assert plan["bulk_before_export"] is None or plan["bulk_before_export"] in model
    assert papers == "Papers: 1 indexed."
    assert passages == f"Passages: {status['chunks']} of {status['chunks']} embedded."
    assert writing == (
        "Your writing: 1 note, 0 annotations, 0 log entries; 1 text not embedded yet"
        " (the next search or `paperlab index` embeds them)."
    )
    if status["dense_path"] == "pgvector":
        assert vectors == "Vector index: pgvector on the lab server."
    else:
        assert vectors == f"Vector index: faiss, fresh ({status['faiss_file']})."

    assert run_cli(capsys, "search", "many models").code == 0  # embeds the note
    writing = run_cli(capsys, "index", "status").out.splitlines()[3]
    assert writing == "Your writing: 1 note, 0 annotations, 0 log entries; all embedded."


def test_an_unknown_embedding_backend_is_bad_input(
    tmp_path: Path,
    paperlab_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pdf = tmp_path / "snapshots.pdf"
    pdf.write_bytes(make_pdf("Snapshots", BODY, stamp="arXiv:1704.00109v1 [cs.LG] 1 Apr 2017"))
    assert run_cli(capsys, "add", str(pdf)).code == 0
    monkeypatch.setenv("PAPERLAB_EMBED_BACKEND", "gpu-magic")
    for argv in (("index", "status"), ("search", "snapshot ensembles")):
        result = run_cli(capsys, *argv)
        assert result.code == 2, argv
        assert "PAPERLAB_EMBED_BACKEND='gpu-magic' is not a known backend." in result.err
        assert "Hint: Set it to one of auto" in result.err and "Traceback" not in result.err
