"""Find in the reader: every match of the words typed, in page order, and which one is shown."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class FindResults:
    """The matches of the last find as (page, start, end); ``index`` is the one shown."""

    query: str = ""
    matches: list[tuple[int, int, int]] = field(default_factory=list)
    index: int = -1

    def search(self, pages: dict[int, str], query: str, from_page: int) -> bool:
        """Find ``query`` (its words, any spacing, any case); show the first match
        at or after ``from_page``. False when nothing matches."""
        self.query = " ".join(query.split())
        self.matches = []
        self.index = -1
        words = query.split()
        if not words:
            return False
        pattern = re.compile(r"\s+".join(re.escape(w) for w in words), re.IGNORECASE)
        for number, text in sorted(pages.items()):
            self.matches += [(number, m.start(), m.end()) for m in pattern.finditer(text)]
        if not self.matches:
            return False
        later = [i for i, (page, _, _) in enumerate(self.matches) if page >= from_page]
        self.index = later[0] if later else 0
        return True

    def step(self, delta: int) -> tuple[int, int, int] | None:
        """Move to the next (1) or previous (-1) match, wrapping around."""
        if not self.matches:
            return None
        self.index = (self.index + delta) % len(self.matches)
        return self.matches[self.index]

    @property
    def current(self) -> tuple[int, int, int] | None:
        return self.matches[self.index] if 0 <= self.index < len(self.matches) else None

    def clear(self) -> None:
        self.query = ""
        self.matches = []
        self.index = -1

    def label(self) -> str:
        """``match i of N`` for the status line."""
        if not self.matches:
            return ""
        return f"“{self.query}”: match {self.index + 1} of {len(self.matches)}"


__all__ = ["FindResults"]
