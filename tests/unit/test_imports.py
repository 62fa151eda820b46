"""Start-up stays light: commands that don't embed never import the heavy stack.

Read-only commands on a library that is up to date read through plain sqlite3:
they load no ORM (SQLModel, pydantic), not even SQLAlchemy, and nothing of
the search stack except in ``paperlab search`` itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_fast_embedder import export_home, exported  # noqa: F401  (fixtures)
from tests.unit.test_searching import (
    GRADIENT,
    PHOTOSYNTHESIS,
    TRANSFORMER,
    add_paper,
    counting,  # noqa: F401  (fixtures)
    real_embedder,  # noqa: F401
)

HEAVY = ("torch", "sentence_transformers", "faiss", "textual", "transformers")

PROBE = """
import json, sys
from paperlab.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r}))
print("\\n" + json.dumps(loaded))
"""


def loaded_after(argv: list[str]) -> list[str]:
    code = PROBE.format(argv=argv, heavy=HEAVY)
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    return list(json.loads(proc.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["list"],
        ["list", "--json"],
        ["topics", "--json"],
        ["lists"],
        ["show", "1706.03762"],
        ["log", "list"],
        ["fetch", "not-an-id"],
        ["index", "status"],
        ["track"],
        ["plan", "--json"],
    ],
)
def test_commands_that_do_not_embed_import_no_heavy_module(argv: list[str]) -> None:
    assert loaded_after(argv) == []


def test_core_imports_load_no_front_end() -> None:
    code = (
        "import sys, paperlab.library, paperlab.store, paperlab.fetching, paperlab.searching,"
        " paperlab.notes, paperlab.annotations, paperlab.researchlog, paperlab.indexing,"
        " paperlab.annotation_views, paperlab.log_views,"
        " paperlab.planning, paperlab.tracks, paperlab.externals, paperlab.externalfetch,"
        " paperlab.fetchtargets\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('click', 'rich', 'textual', 'torch', 'sentence_transformers')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert proc.stdout.strip() == "[]"


ORM = ("sqlmodel", "pydantic", "sqlalchemy")
SEARCH_STACK = ("numpy", "faiss", "onnxruntime", "tokenizers")

READ_PROBE = """
import json, sys
from paperlab.cli import main
code = 0
try:
    main({argv!r})
except SystemExit as exc:
    code = exc.code
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set({watched!r}))
print("\\n" + json.dumps({{"code": code, "loaded": loaded}}))
"""


def run_read_command(argv: list[str], watched: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
    """Run ``paperlab ARGV`` in a fresh process: its output and what it imported."""
    proc = subprocess.run(
        [sys.executable, "-c", READ_PROBE.format(argv=argv, watched=watched)],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    *output, last = proc.stdout.strip().splitlines()
    return "\n".join(output), {**json.loads(last), "stderr": proc.stderr}


@pytest.fixture
def populated(store: Any, counting: Any, exported: Any) -> Path:  # noqa: F811
    """A migrated, indexed library with topics, a list, a note, an annotation and a log entry."""
    from paperlab.indexing import index_pending
    from paperlab.notes import save_note
    from paperlab.overviews import ensure_roadmap
    from paperlab.researchlog import add_entry
    from paperlab.settings import load_settings
    from paperlab.store.models import Annotation, Page, ReadingList, ReadingListEntry

    add_paper(store, "2401.00001", "Attention models", [TRANSFORMER, GRADIENT])
    add_paper(store, "2401.00002", "Plant biology", [PHOTOSYNTHESIS])
    ensure_roadmap(store)
    with store.write() as session:
        session.add(ReadingList(name="mine", title="My list"))
        session.flush()
        session.add(ReadingListEntry(list_id=1, paper_id="2401.00001", week=19))
        session.add(Page(paper_id="2401.00002", number=1, text=PHOTOSYNTHESIS))
        session.add(Annotation(paper_id="2401.00002", quote="chloroplasts", page=1))
    save_note(store, "2401.00001", {"summary": "Attention is what it needs."})
    add_entry(store, "Compare 2401.00001 with a recurrent baseline", kind="idea")
    index_pending(store, load_settings(), embedder=counting)
    return Path(store.path)


@pytest.mark.parametrize(
    ("argv", "expect"),
    [
        (["list", "--json"], "Attention models"),
        (["list", "--list", "mine", "--state", "indexed"], "Attention models"),
        (["show", "2401.00002"], "Plant biology"),
        (["show", "2401.00001", "--json"], "2401.00001"),
        (["topics", "--json"], "deep-learning"),
        (["lists"], "mine"),
        (["tags", "--json"], "[]"),
        (["annotations", "2401.00002"], "chloroplasts"),
        (["annotations", "2401.00002", "--json"], "chloroplasts"),
        (["log", "list"], "recurrent baseline"),
        (["log", "list", "--paper", "2401.00001", "--json"], "recurrent baseline"),
    ],
)
def test_read_commands_load_no_orm_and_no_search_stack(
    populated: Path, argv: list[str], expect: str
) -> None:
    out, run = run_read_command(argv, (*ORM, *SEARCH_STACK, *HEAVY))
    assert run["code"] in (0, None), run["stderr"]
    assert expect in out
    assert run["loaded"] == []


def test_search_loads_numpy_and_faiss_but_no_orm(populated: Path, auto_backend: None) -> None:
    # The query is embedded in numpy (its ASCII tokens in Python): neither
    # ONNX Runtime nor the Rust tokenizer loads.
    out, run = run_read_command(
        ["search", "chloroplasts and sunlight", "--json"], (*ORM, *SEARCH_STACK, *HEAVY)
    )
    assert run["code"] in (0, None), run["stderr"]
    hits = json.loads(out)
    assert hits[0]["paper_id"] == "2401.00002" and hits[0]["dense_rank"] is not None
    assert run["loaded"] == ["faiss", "numpy"]
    # Other text takes the model's Rust tokenizer, still without ONNX Runtime.
    out, run = run_read_command(
        ["search", "chloroplastes et lumière", "--json"], (*ORM, *SEARCH_STACK, *HEAVY)
    )
    assert run["code"] in (0, None), run["stderr"]
    assert run["loaded"] == ["faiss", "numpy", "tokenizers"]


def test_a_library_that_needs_migrating_still_opens(paperlab_home: Path) -> None:
    # No library yet: the first command creates and migrates it (that path may
    # load SQLAlchemy), and says the library is empty.
    out, run = run_read_command(["list", "--json"], ORM)
    assert run["code"] in (0, None), run["stderr"]
    assert json.loads(out) == []
    assert (paperlab_home / "paperlab.db").is_file()
