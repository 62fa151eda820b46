"""Fixtures every test shares: a temp library, the shared data, a CLI runner."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from paperlab.store import Store

# The fake arXiv server and its `fake_arxiv` fixture.
pytest_plugins = ["tests.fakearxiv"]

REPO = Path(__file__).resolve().parents[1]
# Every test runs as one named user, not the login name, the same on every machine;
# set here too so that fixtures built once per module or session (before the
# per-test fixture below) write as that user.
TEST_USER = "tester"
os.environ["PAPERLAB_USER"] = TEST_USER
SHARED_DATA = Path(os.environ.get("PAPERLAB_SHARED_DATA", REPO.parent / "shared" / "data"))


# The whole suite runs in parallel (pytest-xdist, `-n auto` in pyproject.toml),
# one worker per core, but each worker holds its own models and test servers (up
# to WORKER_MEMORY at its peak), so a machine with many cores and little memory
# gets fewer workers, and never more than MAX_WORKERS. Tests named on the
# command line run in this process: starting workers would take longer than
# most of them (`-n 2` asks for workers anyway).
MAX_WORKERS = 4
WORKER_MEMORY = 6 * 2**30


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    if config.args_source != pytest.Config.ArgsSource.TESTPATHS:
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(cores or 1, MAX_WORKERS, max(1, _available_memory() // WORKER_MEMORY))
    return workers if workers > 1 else 0  # one worker: run in this process


def _available_memory() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return WORKER_MEMORY * MAX_WORKERS  # unknown: let the core count decide


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Collect the session's garbage once, after its fixtures are gone, then freeze the heap.

    At exit pytest walks the whole heap five times more, for garbage whose
    finalisers raise. A process that held the models has ~1.3M objects left,
    at 2-5 s a walk, and pytest-xdist interrupts (SIGINT) a worker still busy
    5 s after it was told to stop. This one walk still runs those finalisers
    (pytest reports what they raise); freezing what survives it leaves the
    five later walks only what is made after this point.
    """
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def paperlab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every test at its own empty library and away from the real arXiv."""
    home = tmp_path / "home"
    monkeypatch.setenv("PAPERLAB_HOME", str(home))
    # Nothing listens on port 9 (discard): a test that forgets the fake server
    # fails fast instead of reaching the internet.
    monkeypatch.setenv("PAPERLAB_ARXIV_API_URL", "http://127.0.0.1:9/api/query")
    monkeypatch.setenv("PAPERLAB_ARXIV_DELAY", "0")
    # Retries keep their count but not their patience: tests stay fast.
    monkeypatch.setenv("PAPERLAB_HTTP_BACKOFF", "0.05")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.delenv("PAPERLAB_EMBED_MODEL", raising=False)
    monkeypatch.delenv("PAPERLAB_DATABASE_URL", raising=False)  # SQLite unless a test says
    monkeypatch.setenv("PAPERLAB_USER", TEST_USER)
    return home


@pytest.fixture(scope="session")
def reading_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """tests/reading_library.py's library, built once per session; tests only read it."""
    if not (SHARED_DATA / "pdfs" / "arxiv" / "manifest.tsv").is_file():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    from tests.reading_library import build_reading_library

    store = build_reading_library(tmp_path_factory.mktemp("reading-home"), SHARED_DATA)
    yield store
    store.close()


@pytest.fixture
def reading_home(reading_library: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    """The reading library as the current PAPERLAB_HOME (for load_settings and the CLI)."""
    from tests.reading_library import QUIET_ENV

    monkeypatch.setenv("PAPERLAB_HOME", str(reading_library.path.parent))
    for name, value in QUIET_ENV.items():
        monkeypatch.setenv(name, value)
    return reading_library


@pytest.fixture
def auto_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests of the default embedding routing: ignore a PAPERLAB_EMBED_BACKEND
    that forces one path for the rest of the suite."""
    monkeypatch.delenv("PAPERLAB_EMBED_BACKEND", raising=False)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data when present; tests that need it skip cleanly otherwise."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def store(paperlab_home: Path) -> Iterator[object]:
    from paperlab.store import open_store

    s = open_store()
    yield s
    s.close()


# --------------------------------------------------------------------------- both stores


@pytest.fixture(scope="session")
def lab_server() -> Iterator[object]:
    """One real PostgreSQL server for the session (tests/pgserver.py), or a skip saying why."""
    pytest.importorskip("psycopg", reason="psycopg is not installed")
    from tests.pgserver import running_server

    with running_server() as lab:
        yield lab


_LAB_DATABASES = iter(range(1_000_000))


def new_lab_database(lab: object) -> str:
    """The URL of a new, empty database on ``lab`` (one per test: tests never share data)."""
    name = f"paperlab_{os.getpid()}_{next(_LAB_DATABASES)}"
    return lab.database_url(name)  # type: ignore[attr-defined, no-any-return]


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test on each store: SQLite in PAPERLAB_HOME, then a lab database on PostgreSQL.

    The PostgreSQL half skips, with the reason, only when no server can be started.
    """
    if request.param == "postgresql":
        lab = request.getfixturevalue("lab_server")
        monkeypatch.setenv("PAPERLAB_DATABASE_URL", new_lab_database(lab))
    else:
        monkeypatch.delenv("PAPERLAB_DATABASE_URL", raising=False)
    return str(request.param)


@pytest.fixture
def any_store(backend: str, paperlab_home: Path) -> Iterator[object]:
    """An opened store of each kind (see ``backend``)."""
    from paperlab.store import open_store

    s = open_store()
    yield s
    s.close()
