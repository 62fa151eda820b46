"""Storage: SQLModel tables on SQLite (or a lab PostgreSQL), the engine and migrations."""

from __future__ import annotations

from paperlab.settings import Settings, ensure_home, load_settings
from paperlab.store.backup import is_writable
from paperlab.store.engine import Store


def open_store(settings: Settings | None = None) -> Store:
    """Open (creating and migrating when needed) the library of ``settings``."""
    settings = settings or load_settings()
    if settings.database_url:
        from paperlab.store.pgengine import PgStore  # psycopg loads only for a lab library

        store = PgStore(settings.database_url, home=settings.home)
        ensure_home(settings)  # the PDF and index caches stay local; made once the server answered
        return store
    if settings.db_path.exists() and not is_writable(settings.db_path):
        return Store(settings.db_path, readonly=True)  # nothing to create in a snapshot
    ensure_home(settings)
    return Store(settings.db_path)


__all__ = ["Store", "open_store"]
