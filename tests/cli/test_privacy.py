"""paperlab writes only in its library and talks only to the arXiv API host.

Real commands in real processes, with ``HOME`` pointing at an empty
directory: a fetch that downloads, extracts and embeds (loading ONNX Runtime
and torch), then a search. Under ``strace`` every file opened for writing and
every socket connection is checked; without strace the empty ``HOME`` is
still checked.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fakearxiv import FakeArxiv, make_pdf, sample_paper
from tests.helpers import paperlab_command

pytestmark = pytest.mark.slow

WORDS = (
    "Warm restarts of the learning rate let stochastic gradient descent escape "
    "sharp minima; we anneal the rate with a cosine schedule and restart it. "
)
# Opened for writing: O_WRONLY, O_RDWR, O_CREAT or O_TRUNC in strace's openat flags.
_WRITE_FLAGS = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC")
_OPENAT = re.compile(r'openat\([^,]+, "([^"]+)", ([A-Z_|]+)')
_CONNECT = re.compile(r"connect\(\d+, \{sa_family=(AF_\w+), ([^}]*)\}")
# Paths a process may open for writing without writing anything of the user's.
_HARMLESS = ("/dev/", "/proc/", "/sys/")
# libuuid's clock state for time-based UUIDs (onnx names scratch files with
# uuid1 while the model is exported): the system's, shared by every program
# that makes such a UUID, and it holds no data of the user's.
_SYSTEM_STATE = ("/var/lib/libuuid/clock.txt",)


def _environment(tmp_path: Path, api_url: str, home: Path) -> dict[str, str]:
    user_home = tmp_path / "user-home"
    user_home.mkdir()
    temp = tmp_path / "tmpdir"
    temp.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        # The test runner's own caches and the telemetry opt-out are not ours to rely on.
        if not key.startswith(("XDG_", "ORT_", "HF_", "TRANSFORMERS_", "MPLCONFIGDIR"))
    }
    env.update(
        HOME=str(user_home),
        TMPDIR=str(temp),
        PAPERLAB_HOME=str(home),
        PAPERLAB_ARXIV_API_URL=api_url,
        PAPERLAB_ARXIV_DELAY="0",
    )
    return env


def _working_strace() -> str | None:
    """strace, if installed and allowed to trace here (containers may forbid ptrace)."""
    strace = shutil.which("strace")
    if strace is None:
        return None
    probe = subprocess.run([strace, "-f", "-qq", "-o", os.devnull, "true"], capture_output=True)
    return strace if probe.returncode == 0 else None


def _run(args: list[str], env: dict[str, str], trace: Path | None) -> None:
    command = paperlab_command(*args)
    if trace is not None:
        command = ["strace", "-f", "-qq", "-e", "trace=openat,connect", "-o", str(trace), *command]
    proc = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
    )
    assert proc.returncode == 0, proc.stderr


def _violations(trace: Path, home: Path, api_port: int) -> tuple[list[str], list[str]]:
    writes: list[str] = []
    connections: list[str] = []
    for line in trace.read_text(encoding="utf-8", errors="replace").splitlines():
        if (opened := _OPENAT.search(line)) and _WRITE_FLAGS.search(opened.group(2)):
            path = os.path.realpath(opened.group(1))
            if path.startswith(_HARMLESS) or path in _SYSTEM_STATE:
                continue
            if not Path(path).is_relative_to(home):
                writes.append(path)
        elif connected := _CONNECT.search(line):
            family, address = connected.groups()
            to_api = f"sin_port=htons({api_port})" in address and "127.0.0.1" in address
            if family == "AF_INET" and to_api:
                continue
            # Local IPC (e.g. libuuid's uuidd) reaches no host; name lookups
            # go through nscd's socket or to port 53, and are flagged.
            if family == "AF_UNIX" and "nscd" not in address:
                continue
            connections.append(f"{family} {address}")
    return sorted(set(writes)), connections


def test_commands_write_only_in_the_library_and_contact_only_the_api_host(
    fake_arxiv: FakeArxiv, tmp_path: Path
) -> None:
    pages = [WORDS * 12 for _ in range(6)]  # enough chunks to take the bulk embedding path
    paper = sample_paper("2101.00001", title="Warm Restarts for Gradient Descent")
    paper.pdf_bytes = make_pdf(paper.title, pages, "arXiv:2101.00001v1 [cs.LG] 2 Jan 2021")
    fake_arxiv.add(paper)
    home = (tmp_path / "library").resolve()
    env = _environment(tmp_path, fake_arxiv.api_url, home)
    strace = _working_strace()
    traces: list[Path] = []
    for step, args in enumerate((["fetch", "2101.00001"], ["search", "cosine restarts"])):
        trace = tmp_path / f"trace-{step}.txt" if strace else None
        _run(args, env, trace)
        if trace is not None:
            traces.append(trace)

    user_home = Path(env["HOME"])
    assert sorted(str(p.relative_to(user_home)) for p in user_home.rglob("*")) == []
    assert sorted(str(p) for p in Path(env["TMPDIR"]).rglob("*")) == []
    if not traces:
        pytest.skip("strace is missing or may not trace here: only HOME and TMPDIR were checked")
    port = int(fake_arxiv.api_url.split(":")[2].split("/")[0])
    for trace in traces:
        writes, connections = _violations(trace, home, port)
        assert writes == [], f"{trace.name}: written outside the library: {writes}"
        assert connections == [], f"{trace.name}: contacted other hosts: {connections}"
