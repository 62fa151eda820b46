"""The exception family every layer raises and every front end prints.

Each error carries one clear sentence (``message``) and, where we know one, a
``hint`` telling the user what to do next. Front ends print both to stderr and
exit non-zero; nothing below them formats errors for a terminal.
"""

from __future__ import annotations


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


class InvalidIdError(UsageError):
    """Text that is not an arXiv identifier."""


class ReadingListError(PaperlabError):
    """A reading list or the roadmap file failed validation."""


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
