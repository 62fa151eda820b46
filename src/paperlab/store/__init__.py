"""Storage: SQLModel tables on SQLite, the engine and numbered migrations."""

from __future__ import annotations

from paperlab.settings import Settings, ensure_home, load_settings
from paperlab.store.engine import Store


def open_store(settings: Settings | None = None) -> Store:
    """Open (creating and migrating when needed) the library of ``settings``."""
    settings = settings or load_settings()
    ensure_home(settings)
    return Store(settings.db_path)


__all__ = ["Store", "open_store"]
