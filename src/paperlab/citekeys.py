"""Citation keys: readable (author, year, title word), unique and stable.

A key is made once, when a paper first gets metadata, and stored; new arXiv
versions and re-exports reuse it, so a draft citing ``vaswani2017attention``
never breaks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

_STOPWORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "of",
        "on",
        "in",
        "for",
        "to",
        "and",
        "or",
        "with",
        "without",
        "from",
        "by",
        "at",
        "via",
        "is",
        "are",
        "be",
        "as",
        "its",
        "towards",
        "toward",
        "into",
        "using",
        "over",
        "under",
        "what",
        "when",
        "why",
        "how",
        "do",
        "does",
        "can",
        "we",
        "our",
    }
)


def _ascii_word(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^a-z0-9]", "", decomposed.encode("ascii", "ignore").decode().lower())


def _last_name(author: str) -> str:
    author = author.strip()
    if "," in author:  # "Last, First"
        return author.split(",", 1)[0]
    parts = author.split()
    return parts[-1] if parts else ""


def base_key(authors: list[str], year: int | None, title: str) -> str:
    """``author year titleword``, ASCII lowercase, e.g. ``loshchilov2016sgdr``."""
    author = _ascii_word(_last_name(authors[0])) if authors else ""
    word = ""
    for token in re.findall(r"[\w'-]+", title):
        candidate = _ascii_word(token)
        if candidate and candidate not in _STOPWORDS and not candidate.isdigit():
            word = candidate
            break
    key = f"{author or 'anon'}{year or ''}{word}"
    return key or "paper"


def unique_key(base: str, taken: Callable[[str], bool]) -> str:
    """``base``, or ``base`` + a, b, c... for the first one not taken."""
    if not taken(base):
        return base
    for i in range(1, 10_000):
        suffix = ""
        n = i
        while n:
            n, rem = divmod(n - 1, 26)
            suffix = chr(ord("a") + rem) + suffix
        if not taken(base + suffix):
            return base + suffix
    raise RuntimeError("no free citation key")  # unreachable in practice
