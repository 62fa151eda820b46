"""Counts in words: "1 paper", "2 papers", "1 entry", "3 entries".

Every message that counts something goes through :func:`counted`, so a count
of one never reads "1 papers".
"""

from __future__ import annotations

# Nouns whose plural is not the singular plus "s".
_IRREGULAR = {
    "entry": "entries",
    "query": "queries",
    "library": "libraries",
    "match": "matches",
}


def plural(noun: str) -> str:
    """The plural of one of paperlab's nouns (a few irregular ones are listed above)."""
    return _IRREGULAR.get(noun, noun + "s")


def counted(n: int, noun: str, many: str | None = None) -> str:
    """``n`` and ``noun``, the noun in the plural unless ``n`` is exactly one.

    ``many`` gives the plural where it is neither the noun plus "s" nor listed
    above.
    """
    return f"{n} {noun if n == 1 else (many or plural(noun))}"
