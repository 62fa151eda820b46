"""Where paperlab keeps its data and how the environment configures it.

Everything is read from the environment at call time (not import time), so
tests and scripts can point ``PAPERLAB_HOME`` elsewhere per process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from paperlab.errors import UsageError

DEFAULT_ARXIV_API_URL = "https://export.arxiv.org/api/query"
DEFAULT_ARXIV_DELAY = 3.0
DEFAULT_EMBED_MODEL = "all-MiniLM-L6-v2"

# Hosts a PDF may be downloaded from (besides the configured API host): a
# metadata feed must not be able to make us fetch arbitrary URLs.
ARXIV_PDF_HOSTS = frozenset({"arxiv.org", "export.arxiv.org", "www.arxiv.org", "ar5iv.org"})


@dataclass(frozen=True)
class Settings:
    """Resolved configuration for one process."""

    home: Path
    arxiv_api_url: str
    arxiv_delay: float
    embed_model: str
    http_timeout: float
    http_retries: int = 3
    http_backoff: float = 2.0

    @property
    def db_path(self) -> Path:
        return self.home / "paperlab.db"

    @property
    def pdf_dir(self) -> Path:
        return self.home / "pdfs"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def rate_limit_file(self) -> Path:
        return self.home / "arxiv-api.last"


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(
            f"{name}={raw!r} is not a number.", hint=f"Set {name} to seconds, e.g. {default:g}."
        ) from None
    if value < 0:
        raise UsageError(f"{name}={raw!r} is negative.", hint=f"Set {name} to 0 or more seconds.")
    return value


def default_home() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("paperlab", appauthor=False))


def load_settings() -> Settings:
    """Read the configuration from the environment."""
    home_env = os.environ.get("PAPERLAB_HOME")
    home = Path(home_env).expanduser() if home_env else default_home()
    return Settings(
        home=home,
        arxiv_api_url=os.environ.get("PAPERLAB_ARXIV_API_URL") or DEFAULT_ARXIV_API_URL,
        arxiv_delay=_float_env("PAPERLAB_ARXIV_DELAY", DEFAULT_ARXIV_DELAY),
        embed_model=os.environ.get("PAPERLAB_EMBED_MODEL") or DEFAULT_EMBED_MODEL,
        http_timeout=_float_env("PAPERLAB_HTTP_TIMEOUT", 30.0),
        http_retries=int(_float_env("PAPERLAB_HTTP_RETRIES", 3)),
        http_backoff=_float_env("PAPERLAB_HTTP_BACKOFF", 2.0),
    )


def ensure_home(settings: Settings) -> None:
    """Create the data directories, with a clear error when that is impossible."""
    from paperlab.errors import StoreError

    try:
        for path in (settings.home, settings.pdf_dir, settings.index_dir, settings.cache_dir):
            path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"Cannot create the data directory {settings.home}: {exc.strerror}.",
            hint="Set PAPERLAB_HOME to a writable directory.",
        ) from None
