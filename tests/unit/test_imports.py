"""Start-up stays light: commands that don't embed never import the heavy stack."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

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
    ],
)
def test_commands_that_do_not_embed_import_no_heavy_module(argv: list[str]) -> None:
    assert loaded_after(argv) == []


def test_core_imports_load_no_front_end() -> None:
    code = (
        "import sys, paperlab.library, paperlab.store, paperlab.fetching, paperlab.searching,"
        " paperlab.notes, paperlab.annotations, paperlab.researchlog, paperlab.indexing\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('click', 'rich', 'textual', 'torch', 'sentence_transformers')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert proc.stdout.strip() == "[]"
