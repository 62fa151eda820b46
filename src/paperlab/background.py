"""One function run on a thread, its result (or its exception) collected later.

For work that releases the GIL (a database query, BLAS, faiss) done beside
other such work in one command: lighter to start than an executor, which a
cold ``paperlab search`` would pay ~5 ms to import.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Background(Generic[T]):
    """Starts ``work()`` on a daemon thread at once."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._work = work
        self._result: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="paperlab-background", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._result = self._work()
        except BaseException as exc:  # handed to the caller of result()
            self._error = exc

    def wait(self) -> None:
        """Until the work has ended, whichever way."""
        self._thread.join()

    def result(self) -> T:
        """What ``work()`` returned; what it raised is raised here."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result  # type: ignore[return-value]


__all__ = ["Background"]
