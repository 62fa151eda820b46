"""Fixtures for the TUI tests: a deterministic library and an app factory."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from paperlab.settings import load_settings
from paperlab.store import Store, open_store
from tests.tui.library_fixture import PLAN_START, TODAY, build_library


@pytest.fixture(autouse=True)
def fixed_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Dates render in UTC and the plan starts on a fixed Monday."""
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("PAPERLAB_PLAN_START", PLAN_START.isoformat())
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def lab_store(paperlab_home: Path) -> Iterator[Store]:
    store = open_store()
    build_library(store)
    yield store
    store.close()


@pytest.fixture
def make_app(lab_store: Store) -> Callable[..., object]:
    """Build the app on the fixture library (no model, no polling, fixed today)."""
    from paperlab.tui.app import PaperlabApp

    def factory(**kwargs: object) -> PaperlabApp:
        options: dict[str, object] = {
            "load_model": False,
            "poll_interval": None,
            "today": lambda: TODAY,
        }
        options.update(kwargs)
        return PaperlabApp(store=lab_store, settings=load_settings(), **options)  # type: ignore[arg-type]

    return factory


@pytest.fixture
def anyio_backend() -> str:
    """Pilot tests run on asyncio through anyio's pytest plugin."""
    return "asyncio"
