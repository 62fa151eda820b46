"""A read-only library (a mounted snapshot): reading works, writing fails with one sentence.

Root ignores file modes, so "read-only" is made real two ways, each skipped
with its reason when this machine cannot do it:

- ``mount``: a read-only bind mount over the data dir in a private mount
  namespace (``unshare -m``), the command run as root;
- ``nobody``: the data dir ``chmod -R a-w`` and the command run as user
  nobody (``setpriv --reuid=65534``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from paperlab.search.embedder import bundled_model_path
from paperlab.search.onnx_export import export_dir
from paperlab.settings import Settings
from tests.helpers import CliResult, run_process
from tests.unit.test_doctor import NOTE, build_library
from tests.unit.test_fast_embedder import export_home  # noqa: F401  (fixture)
from tests.unit.test_searching import counting, real_embedder  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow
NOBODY = 65534
QUERY = "snapshot ensembles one training run"
_MOUNT_SCRIPT = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" && shift && exec "$@"'


def _command(mode: str, home: Path, args: tuple[str, ...]) -> list[str]:
    paperlab = [sys.executable, "-m", "paperlab", *args]
    if mode == "mount":
        unshare = ["unshare", "-m", "--propagation", "private", "sh", "-c", _MOUNT_SCRIPT, "sh"]
        return [*unshare, str(home), *paperlab]
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *paperlab]


def _user_environment(user_home: Path) -> dict[str, str]:
    # A user's shell, not this test process: loading settings here pointed
    # torch's kernel cache into the library, and a variable the user set
    # themselves would stand.
    env = {k: v for k, v in os.environ.items() if k != "TORCHINDUCTOR_CACHE_DIR"}
    return {**env, "HOME": str(user_home)}


class ReadOnly:
    """Runs paperlab commands against a library this process cannot write."""

    def __init__(self, mode: str, home: Path, user_home: Path) -> None:
        self.mode, self.home, self.user_home = mode, home, user_home

    def run(self, *args: str) -> CliResult:
        proc = subprocess.run(
            _command(self.mode, self.home, args),
            capture_output=True,
            text=True,
            timeout=180,
            env=_user_environment(self.user_home),
            stdin=subprocess.DEVNULL,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)


def _tree(home: Path) -> dict[str, str]:
    """Every file under ``home`` with a hash of its bytes."""
    return {
        str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(home.rglob("*"))
        if p.is_file()
    }


def _set_writable(root: Path, writable: bool) -> None:
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        bits = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
        path.chmod((mode | stat.S_IWUSR) if writable else (mode & ~bits))


def _probe(mode: str, home: Path, user_home: Path) -> str | None:
    """Why ``mode`` cannot make ``home`` read-only here (None when it can)."""
    if os.geteuid() != 0:
        return "the tests make the library read-only as root (mount or setpriv)"
    tool = "unshare" if mode == "mount" else "setpriv"
    if shutil.which(tool) is None:
        return f"{tool} is not installed"
    # paperlab.cli, not just paperlab: the CLI's own dependencies must import too.
    code = f"import paperlab.cli, os; print(os.access({str(home)!r}, os.W_OK))"
    check = [sys.executable, "-c", code]
    argv = _command(mode, home, ())[:-3] + check if mode == "mount" else None
    if mode == "nobody":
        argv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *check]
    assert argv is not None
    try:
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "HOME": str(user_home)},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{tool} failed: {exc}"
    if proc.returncode != 0 or proc.stdout.strip() != "False":
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1][:200]
        return f"{tool} could not run this Python's paperlab on a read-only library: {last}"
    return None


@pytest.fixture(scope="module")
def built_library() -> Iterator[dict[str, Path]]:
    """Where this module's indexed library is kept once the first test has built it."""
    made: dict[str, Path] = {}
    yield made
    if "root" in made:
        _set_writable(made["root"], True)
        shutil.rmtree(made["root"], ignore_errors=True)


def _readable_folder() -> Path:
    """A fresh folder any user can read (pytest's tmp is root-only)."""
    root = Path(tempfile.mkdtemp(prefix="paperlab-ro-", dir="/tmp"))
    root.chmod(0o755)
    return root


def _build(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], embedder: Any, export: Settings
) -> None:
    """Two indexed papers, a note, an annotation, a log entry, the query export and a faiss file."""
    settings = build_library(tmp_path, capsys, embedder)
    # The query embedder's ONNX export, as real files in the library's cache
    # (hard links to this session's export: a symlink into pytest's folder
    # would not be readable by nobody).
    target = export_dir(settings, settings.embed_model, bundled_model_path())
    source = export_dir(export, settings.embed_model, bundled_model_path())
    shutil.copytree(source, target, copy_function=os.link)
    warm = run_process("search", "--json", QUERY)  # notes embedded, faiss file saved
    assert warm.code == 0, warm.err
    assert settings.home == home


def _copy_library(source: Path, target: Path) -> None:
    """One test's copy of the library (it may make it read-only); the ONNX export is linked."""
    export = source / "cache" / "onnx"

    def copy(src: str, dst: str) -> None:
        if Path(src).is_relative_to(export):
            os.link(src, dst)
        else:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=copy)


@pytest.fixture
def snapshot_library(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    counting: Any,  # noqa: F811
    export_home: tuple[Settings, str],  # noqa: F811
    built_library: dict[str, Path],
) -> Iterator[Path]:
    """An indexed library of this test's own, in a folder any user can read.

    Extracting, embedding and the warm search take seconds, so the library
    is built once per module and each test gets a fresh copy of it.
    """
    if "home" not in built_library:
        built_library["root"] = _readable_folder()
        built_library["home"] = built_library["root"] / "home"
        monkeypatch.setenv("PAPERLAB_HOME", str(built_library["home"]))
        _build(built_library["home"], tmp_path, capsys, counting, export_home[0])
    root = _readable_folder()
    home = root / "home"
    _copy_library(built_library["home"], home)
    monkeypatch.setenv("PAPERLAB_HOME", str(home))
    (root / "user").mkdir()
    (root / "user").chmod(0o777)
    yield home
    _set_writable(root, True)
    shutil.rmtree(root, ignore_errors=True)


def _read_only(mode: str, home: Path) -> ReadOnly:
    if mode == "nobody":
        _set_writable(home, False)
    why = _probe(mode, home, home.parent / "user")
    if why:
        pytest.skip(why)
    return ReadOnly(mode, home, home.parent / "user")


@pytest.fixture(params=["mount", "nobody"])
def readonly(request: pytest.FixtureRequest, snapshot_library: Path) -> Iterator[ReadOnly]:
    yield _read_only(str(request.param), snapshot_library)


@pytest.fixture(params=["mount", "nobody"])
def readonly_without_export(
    request: pytest.FixtureRequest, snapshot_library: Path
) -> Iterator[ReadOnly]:
    """A read-only library whose cache lacks the model's ONNX export."""
    shutil.rmtree(snapshot_library / "cache" / "onnx")
    yield _read_only(str(request.param), snapshot_library)


def test_search_without_an_export_does_not_try_to_make_one(
    readonly_without_export: ReadOnly,
    auto_backend: None,  # a forced ONNX backend would say it cannot export
) -> None:
    before = _tree(readonly_without_export.home)
    found = readonly_without_export.run("search", "--json", "-k", "3", QUERY)
    assert found.code == 0, found.err
    assert json.loads(found.out)[0]["paper_id"] == "1704.00109"
    # Queries run in numpy from the packaged weights: nothing to export, no note.
    assert found.err == ""
    assert _tree(readonly_without_export.home) == before


def test_list_show_search_doctor_and_backup_work_without_writing(readonly: ReadOnly) -> None:
    before = _tree(readonly.home)

    listed = readonly.run("list", "--json")
    assert listed.code == 0, listed.err
    assert {p["id"] for p in json.loads(listed.out)} == {"1608.03983", "1704.00109"}
    shown = readonly.run("show", "--json", "1608.03983")
    assert shown.code == 0, shown.err
    assert json.loads(shown.out)["id"] == "1608.03983"
    found = readonly.run("search", "--json", "-k", "3", QUERY)
    assert found.code == 0, found.err
    assert json.loads(found.out)[0]["paper_id"] == "1704.00109"
    notes = readonly.run("search", "--json", "--in", "notes", "sharp minima")
    assert notes.code == 0, notes.err
    assert any(NOTE in hit["text"] for hit in json.loads(notes.out))

    checked = readonly.run("doctor", "--json")
    assert checked.code == 0, checked.err
    fulltext = next(f for f in json.loads(checked.out)["findings"] if f["check"] == "fulltext")
    assert fulltext["skipped"] is True
    copy = readonly.home.parent / "user" / "copy.db"
    backed = readonly.run("backup", str(copy))
    assert backed.code == 0, backed.err
    assert copy.stat().st_size > 0

    assert _tree(readonly.home) == before  # not a byte written, no -wal, no -shm


@pytest.mark.parametrize(
    "args",
    [
        ("read", "1608.03983", "reading"),
        ("note", "1608.03983", "--set", "summary=changed"),
        ("log", "add", "a new idea"),
        ("annotate", "1608.03983", "--quote", "warm restarts", "--comment", "x"),
        ("index", "rebuild"),
        ("doctor", "--repair"),
        ("backup",),
    ],
    ids=lambda args: "-".join(args[:2]),
)
def test_write_commands_fail_with_one_sentence(readonly: ReadOnly, args: tuple[str, ...]) -> None:
    before = _tree(readonly.home)
    result = readonly.run(*args)
    assert result.code != 0, result
    lines = result.err.strip().splitlines()
    assert lines and lines[0].startswith("Error: "), result.err
    assert len(lines) <= 2 and "Traceback" not in result.err
    assert (
        "read-only" in result.err or "ermission denied" in result.err or "Read-only" in result.err
    )
    assert _tree(readonly.home) == before
