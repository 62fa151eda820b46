"""Where paperlab keeps its data and how the environment configures it.

Everything is read from the environment at call time (not import time), so
tests and scripts can point ``PAPERLAB_HOME`` elsewhere per process.
"""

from __future__ import annotations

import getpass
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from paperlab.errors import UsageError

DEFAULT_ARXIV_API_URL = "https://export.arxiv.org/api/query"
DEFAULT_ARXIV_DELAY = 3.0
DEFAULT_EMBED_MODEL = "all-MiniLM-L6-v2"
DEFAULT_HTTP_TIMEOUT = 30.0
# The overall time for one API request or one PDF download, retries included,
# is this many times PAPERLAB_HTTP_TIMEOUT unless PAPERLAB_HTTP_DEADLINE says.
DEADLINE_PER_TIMEOUT = 10
DEFAULT_MAX_PDF_MB = 200.0
DEFAULT_MAX_API_MB = 50.0
MB = 1024 * 1024

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
    http_deadline: float = DEFAULT_HTTP_TIMEOUT * DEADLINE_PER_TIMEOUT
    max_pdf_bytes: int = int(DEFAULT_MAX_PDF_MB * MB)
    max_api_bytes: int = int(DEFAULT_MAX_API_MB * MB)
    # A lab library on PostgreSQL (``postgresql+psycopg://...``); None: SQLite in home.
    database_url: str | None = None
    # Who owns what this process writes (notes, annotations, log, reading state).
    user: str = "me"
    # Processes extracting PDFs ahead of the one being stored; 0: in this process.
    extract_workers: int = 0

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


def shown_env(raw: str) -> str:
    """An environment value quoted for a message, cut short when long."""
    return repr(raw if len(raw) <= 60 else raw[:60] + "...")


def _number_env(name: str, default: float, low: float, high: float, unit: str = "seconds") -> float:
    """A finite number from ``low`` to ``high`` (inclusive), or a UsageError naming ``name``."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    hint = f"Set {name} to {unit} from {low:g} to {high:g}, e.g. {default:g}, or unset it."
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{name}={shown_env(raw)} is not a number.", hint=hint) from None
    if not math.isfinite(value):
        raise UsageError(f"{name}={shown_env(raw)} is not a finite number.", hint=hint)
    if not low <= value <= high:
        raise UsageError(f"{name}={shown_env(raw)} is out of range.", hint=hint)
    return value


def _int_env(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    hint = f"Set {name} to a whole number from {low} to {high}, e.g. {default}, or unset it."
    try:
        value = int(raw.strip())
    except ValueError:
        raise UsageError(f"{name}={shown_env(raw)} is not a whole number.", hint=hint) from None
    if not low <= value <= high:
        raise UsageError(f"{name}={shown_env(raw)} is out of range.", hint=hint)
    return value


def _api_url_env() -> str:
    raw = os.environ.get("PAPERLAB_ARXIV_API_URL") or DEFAULT_ARXIV_API_URL
    try:
        parts = urlsplit(raw)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a bad IPv6 literal or port
        ok = False
    # The allowed download hosts derive from this URL: it must name its host plainly.
    if not ok or "@" in parts.netloc or any(c == "\\" or not c.isprintable() for c in raw):
        raise UsageError(
            f"PAPERLAB_ARXIV_API_URL={shown_env(raw)} is not a plain http(s) URL.",
            hint=f"Set PAPERLAB_ARXIV_API_URL to a URL such as {DEFAULT_ARXIV_API_URL},"
            " or unset it.",
        )
    return raw


DATABASE_URL_EXAMPLE = "postgresql+psycopg://alice@labserver/paperlab"
_PG_SCHEMES = ("postgresql+psycopg", "postgresql", "postgres")


def _database_url_env() -> str | None:
    """PAPERLAB_DATABASE_URL as a SQLAlchemy psycopg URL, or None for the SQLite default."""
    raw = os.environ.get("PAPERLAB_DATABASE_URL", "").strip()
    return parse_database_url(raw, "PAPERLAB_DATABASE_URL") if raw else None


def is_database_url(raw: str) -> bool:
    """Does ``raw`` look meant as a PostgreSQL URL (rather than a file path)?"""
    return raw.split("://", 1)[0] in _PG_SCHEMES


def parse_database_url(raw: str, name: str) -> str:
    """``raw`` as a ``postgresql+psycopg://`` URL, or a UsageError naming ``name``."""
    hint = f"Set {name} to a URL such as {DATABASE_URL_EXAMPLE}" + (
        ", or unset it to use the SQLite library in PAPERLAB_HOME." if "_" in name else "."
    )
    try:
        parts = urlsplit(raw)
        port_ok = parts.port != 0
    except ValueError:  # a bad port or IPv6 literal
        port_ok = False
        parts = urlsplit("")
    if parts.scheme not in _PG_SCHEMES or not port_ok:
        raise UsageError(
            f"{name}={shown_env(_without_password(raw))} is not a PostgreSQL URL.", hint=hint
        )
    if not parts.path.strip("/") or "/" in parts.path.strip("/"):
        shown = shown_env(_without_password(raw))
        raise UsageError(f"{name}={shown} names no database.", hint=hint)
    # psycopg 3 is the one driver paperlab uses, whatever the URL's scheme said.
    return "postgresql+psycopg" + raw[len(parts.scheme) :]


def _without_password(url: str) -> str:
    """``url`` safe to print: a password in it is replaced by ***."""
    return re.sub(r"(//[^/:@]*):[^/@]*@", r"\1:***@", url)


# A user name: what a lab's members are told apart by, shown as ``[alice]``.
_USER_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
FALLBACK_USER = "me"


def _login_name() -> str:
    """The login name, or "me" where there is none (or it is not a usable name)."""
    try:
        name = getpass.getuser()
    except Exception:  # no passwd entry, no LOGNAME/USER: getuser raises OSError or KeyError
        return FALLBACK_USER
    return name if _USER_NAME.fullmatch(name) else FALLBACK_USER


def current_user() -> str:
    """PAPERLAB_USER, else the login name: the owner of everything this process writes.

    Read at call time like every setting, so a test (or a script) can act as
    several users in one process. A bad value is a UsageError (exit 2).
    """
    raw = os.environ.get("PAPERLAB_USER")
    if raw is None or raw.strip() == "":
        return _login_name()
    if not _USER_NAME.fullmatch(raw):
        raise UsageError(
            f"PAPERLAB_USER={shown_env(raw)} is not a user name.",
            hint="Set PAPERLAB_USER to 1-64 letters, digits or . _ - @ (e.g. alice), "
            "or unset it to use your login name.",
        )
    return raw


def default_home() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("paperlab", appauthor=False))


# Libraries that keep caches of their own, and the folder under the library's
# cache each one gets: paperlab writes only in its library, not in /tmp or ~.
# (torch's kernel cache is made when the bf16 encoder loads, in the temp dir.)
_THIRD_PARTY_CACHES = {"TORCHINDUCTOR_CACHE_DIR": "torchinductor"}
# Set by the user before paperlab started: their choice stands.
_CACHES_SET_BY_USER = frozenset(name for name in _THIRD_PARTY_CACHES if name in os.environ)


def _confine_caches(cache_dir: Path) -> None:
    for name, folder in _THIRD_PARTY_CACHES.items():
        if name not in _CACHES_SET_BY_USER:
            os.environ[name] = str(_cache_folder(cache_dir / folder))


def _cache_folder(target: Path) -> Path:
    """``target``, or in a read-only library the nearest folder above it that exists.

    torch makes its kernel cache folder when it is imported, and the import
    fails where the folder cannot be made. An existing folder is taken as it
    is, and a read-only library never compiles kernels, so nothing is written.
    """
    if target.exists() or can_write_under(target):
        return target
    return next((folder for folder in target.parents if folder.exists()), target)


def can_write_under(path: Path) -> bool:
    """Whether ``path`` (or the nearest folder above it that exists) takes new files."""
    for folder in (path, *path.parents):
        if folder.exists():
            return os.access(folder, os.W_OK)
    return False


def usable_cores() -> int:
    """Cores this process may run on (affinity-aware), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def default_extract_workers() -> int:
    """One extraction process per core, up to 4; none (extract in-process) on one core.

    More would wait on the one process that stores the results: storing a
    paper takes about a third as long as extracting it.
    """
    cores = usable_cores()
    return min(cores, 4) if cores > 1 else 0


def load_settings() -> Settings:
    """Read the configuration from the environment.

    Also points third-party caches into the library (see _THIRD_PARTY_CACHES).
    """
    home_env = os.environ.get("PAPERLAB_HOME")
    home = Path(home_env).expanduser() if home_env else default_home()
    _confine_caches(home / "cache")
    timeout = _number_env("PAPERLAB_HTTP_TIMEOUT", DEFAULT_HTTP_TIMEOUT, 0.05, 600)
    return Settings(
        home=home,
        arxiv_api_url=_api_url_env(),
        arxiv_delay=_number_env("PAPERLAB_ARXIV_DELAY", DEFAULT_ARXIV_DELAY, 0, 3600),
        database_url=_database_url_env(),
        user=current_user(),
        embed_model=os.environ.get("PAPERLAB_EMBED_MODEL") or DEFAULT_EMBED_MODEL,
        http_timeout=timeout,
        http_retries=_int_env("PAPERLAB_HTTP_RETRIES", 3, 0, 10),
        http_backoff=_number_env("PAPERLAB_HTTP_BACKOFF", 2.0, 0, 600),
        http_deadline=_number_env(
            "PAPERLAB_HTTP_DEADLINE", timeout * DEADLINE_PER_TIMEOUT, 0.1, 86400
        ),
        max_pdf_bytes=int(
            _number_env("PAPERLAB_MAX_PDF_MB", DEFAULT_MAX_PDF_MB, 0.001, 100_000, "megabytes") * MB
        ),
        max_api_bytes=int(
            _number_env("PAPERLAB_MAX_API_MB", DEFAULT_MAX_API_MB, 0.001, 10_000, "megabytes") * MB
        ),
        extract_workers=_int_env("PAPERLAB_EXTRACT_WORKERS", default_extract_workers(), 0, 64),
    )


def new_file_mode() -> int:
    """The mode ``open()`` would give a new file under the current umask.

    Files made with ``mkstemp`` (for atomic writes) start private (0600); the
    library's files are ordinary files, readable as the folder is, so that a
    read-only snapshot or a colleague can use them. Reading the umask means
    setting it, so it is set back at once.
    """
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


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
