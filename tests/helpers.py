"""Small helpers for tests that drive the real command line."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    """Run ``paperlab ARGS`` in-process through the real entry point."""
    from paperlab.cli import main

    capsys.readouterr()
    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)


def paperlab_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "paperlab", *args]


# The real command line with the API limiter's turns logged to the file in argv[1].
_LOGGING_TURNS = """
import logging, sys
logging.basicConfig(filename=sys.argv.pop(1), level=logging.DEBUG, format="%(name)s %(message)s")
from paperlab.cli import main
main()
"""
_TURN = "paperlab.sources.ratelimit turn on {stamp} taken at "


def paperlab_command_logging_turns(log: Path, *args: str) -> list[str]:
    """``paperlab ARGS`` in a process of its own that records each API turn it takes
    (see ``api_turns``): what the limiter decided, free of scheduling delays."""
    return [sys.executable, "-c", _LOGGING_TURNS, str(log), *args]


def api_turns(text: str, stamp: str = "arxiv-api.last") -> list[float]:
    """The API turn times in a log written as ``paperlab_command_logging_turns`` sets
    up (``stamp``: the limiter's stamp file name; PDF downloads keep another)."""
    prefix = _TURN.format(stamp=stamp)
    return [
        float(line[len(prefix) :].split()[0])
        for line in text.splitlines()
        if line.startswith(prefix)
    ]


def run_process(
    *args: str, timeout: float = 120, env: dict[str, str] | None = None, cwd: Path | None = None
) -> CliResult:
    """Run ``paperlab ARGS`` as a separate process (the environment is inherited)."""
    proc = subprocess.run(
        paperlab_command(*args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        cwd=cwd,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


ROADMAP_TOPICS = ("deep-learning", "optimization")


def write_list(path: Path, name: str, entries: list[tuple[str, str]], topic: str) -> Path:
    """A small valid reading list over ``entries`` of (id, title)."""
    lines = [
        f'name = "{name}"',
        f'title = "Test list {name}"',
        'description = "Generated for a test."',
        "weeks = [19, 20]",
        "",
    ]
    for arxiv_id, title in entries:
        lines += [
            "[[paper]]",
            f'id = "{arxiv_id}"',
            f'title = "{title}"',
            "week = 19",
            f'topics = ["{topic}"]',
            'why = "Because the test needs it."',
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# Reading lists the tests own: a small roadmap, a weeks 19-20 list and two tracks.
FIXTURE_LISTS = Path(__file__).resolve().parent / "data" / "lists"


def use_fixture_lists(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make the fixture lists stand in for the bundled ones (bare fetch, track, plan)."""
    from paperlab.readinglists import LISTS_DIR_ENV

    monkeypatch.setenv(LISTS_DIR_ENV, str(FIXTURE_LISTS))
    return FIXTURE_LISTS


def bundled_arxiv_ids() -> list[str]:
    """The arXiv ids of the lists a bare fetch reads (every track: none chosen), in order."""
    from paperlab.readinglists import load_bundled_lists

    ids: list[str] = []
    for spec in load_bundled_lists():
        ids += [e.ref for e in spec.arxiv_entries if e.ref not in ids]
    return ids


def library_rows(sql: str, params: dict[str, object] | None = None) -> list[tuple[object, ...]]:
    """Rows of ``sql`` (``:name`` parameters) read from the library the environment names.

    SQLite in PAPERLAB_HOME, or the lab database of PAPERLAB_DATABASE_URL: the
    CLI tests that run on both stores check what was stored through this.
    """
    from paperlab.store import open_store

    store = open_store()
    try:
        with store.connect() as conn:
            return [tuple(row) for row in conn.execute(sql, params or {}).all()]
    finally:
        store.close()


def library_execute(sql: str, params: dict[str, object] | None = None) -> None:
    """Run one write statement (``:name`` parameters) in the library the environment names.

    For a test that sets up a state no command leaves (a failed fetch), on either store.
    """
    from sqlalchemy import text

    from paperlab.store import open_store

    store = open_store()
    try:
        with store.write() as session:
            session.connection().execute(text(sql), params or {})
    finally:
        store.close()


def viewer_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str = "zathura", *, alone: bool = False
) -> Path:
    """A PDF viewer called ``name``, first on PATH, that writes down what it was
    asked to open (no desktop viewer runs here); returns the file it writes.

    ``alone``: nothing else on PATH, so no system viewer can be found instead.
    """
    bin_dir = tmp_path / f"bin-{name}"
    bin_dir.mkdir()
    record = tmp_path / f"{name}-asked.txt"
    script = bin_dir / name
    # Written whole, then renamed: a test waiting for the file never reads half of it.
    script.write_text(f'#!/bin/sh\necho "$@" > {record}.part && /bin/mv {record}.part {record}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    path = [str(bin_dir)] if alone else [str(bin_dir), "/usr/bin", "/bin"]
    monkeypatch.setenv("PATH", os.pathsep.join(path))
    return record


def imported_sgdr(tmp_path: Path, capsys: pytest.CaptureFixture[str], pages: list[str]) -> int:
    """A generated PDF stamped as arXiv 1608.03983 (one page per text), imported
    offline with `paperlab add --no-index` and extracted; returns its page count."""
    from paperlab.pipeline import extract_paper
    from paperlab.settings import load_settings
    from paperlab.store import open_store
    from tests.fakearxiv import make_pdf

    pdf = tmp_path / "sgdr.pdf"
    pdf.write_bytes(make_pdf("SGDR: Warm Restarts", pages, stamp="arXiv:1608.03983v1 [cs.LG]"))
    added = run_cli(capsys, "add", "--no-index", str(pdf))
    assert added.code == 0, added.err
    store = open_store()
    try:
        return extract_paper(store, load_settings(), "1608.03983").pages
    finally:
        store.close()
