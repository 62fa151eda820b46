"""The exception family every layer raises and every front end prints.

Each error carries one clear sentence (``message``) and, where we know one, a
``hint`` telling the user what to do next. Front ends print both to stderr and
exit non-zero; nothing below them formats errors for a terminal.
"""

from __future__ import annotations

# How much of the user's own text a message may quote: enough to recognise it,
# never enough to flood a terminal (a 100 KB id, a 200,000-element array).
QUOTE_LIMIT = 80


def clip(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip_path(path: object, limit: int = QUOTE_LIMIT) -> str:
    """A path cut to at most ``limit`` characters in its middle, never at its end.

    The file's name is what a reader needs to act on ("…/draft/review.tex is a
    FIFO"), so the cut keeps the name, as many trailing folders as fit in two
    thirds of the limit, and the path's start; a name too long for that keeps
    its own end.
    """
    text = str(path)
    if len(text) <= limit:
        return text
    cut = text.rfind("/", 0, len(text) - 1)
    if cut < 0 or len(text) - cut >= limit - 1:
        return "…" + text[len(text) - (limit - 1) :]
    budget = max(len(text) - cut, (limit - 1) * 2 // 3)
    while True:
        earlier = text.rfind("/", 0, cut)
        if earlier < 0 or len(text) - earlier > budget:
            break
        cut = earlier
    tail = text[cut:]
    return text[: limit - 1 - len(tail)] + "…" + tail


def shown(value: object, limit: int = QUOTE_LIMIT) -> str:
    """User input as a message quotes it: ``repr``'d and at most ``limit`` characters of it."""
    if isinstance(value, str):
        return repr(clip(value, limit))
    if isinstance(value, list | tuple):
        value = value[:limit]  # every item takes at least one character of the repr
    return clip(repr(value), limit)


class PaperlabError(Exception):
    """Base class: a problem the user can understand and act on."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(PaperlabError):
    """Bad input on the command line or in an API call."""

    exit_code = 2


class NotOwnerError(UsageError):
    """Editing or deleting another user's note, annotation or log entry."""


class InvalidIdError(UsageError):
    """Text that is not an arXiv identifier."""


class ReadingListError(PaperlabError):
    """A reading list or the roadmap file failed validation."""

    exit_code = 2  # a list is the user's input


class NotFoundError(PaperlabError):
    """A paper, note, topic or list that is not in the library."""


class StoreError(PaperlabError):
    """The database cannot be opened, migrated or written."""


class NetworkError(PaperlabError):
    """arXiv (or the configured mirror) could not be reached or answered badly."""

    def __init__(
        self, message: str, hint: str | None = None, *, url: str = "", retries: int = 0
    ) -> None:
        super().__init__(message, hint)
        self.url = url
        self.retries = retries


class DownloadError(NetworkError):
    """A PDF download failed or produced something that is not a complete PDF."""


class ExtractionError(PaperlabError):
    """A PDF could not be turned into text (encrypted, empty, scanned, corrupt)."""


class EmbeddingError(PaperlabError):
    """The embedding model could not be loaded or run."""
