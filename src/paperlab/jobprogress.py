"""What a long job tells its front end as it goes (fetch, add): stages and papers done.

The domain code calls these; the CLI draws them (bars on a terminal, a line
per event otherwise) and a library caller may pass nothing.
"""

from __future__ import annotations

from typing import Protocol


class JobProgress(Protocol):
    """What the front end shows while a job runs (no-ops are fine)."""

    def stage(self, name: str, total: int) -> None: ...

    def advance(self, name: str, paper_id: str, status: str) -> None: ...

    def note(self, text: str) -> None: ...


class Silent:
    """Progress that shows nothing."""

    def stage(self, name: str, total: int) -> None:
        pass

    def advance(self, name: str, paper_id: str, status: str) -> None:
        pass

    def note(self, text: str) -> None:
        pass
