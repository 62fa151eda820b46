"""What a search is limited to, as typed into a search box or given as options.

The lab bench's search box takes filter terms among the words, as its library
filter takes ``state:``: ``paper:ID`` (repeatable), ``list:NAME``, ``tag:TAG``,
``state:STATE`` (repeatable) and ``topic:SLUG``. `paperlab search` takes the
same as options. Both say what they searched within in the same words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from paperlab.catalog import READING_STATES

# A filter term: a known key, a colon and a value, standing as a word of its own
# ("arXiv:1706.03762" or "see:this" stay words of the query).
_TERM = re.compile(r"(?<!\S)(paper|list|tag|state|topic):(\S*)", re.IGNORECASE)


@dataclass(frozen=True)
class SearchTerms:
    """A search box's text split into the query and the filters typed among it."""

    query: str
    papers: tuple[str, ...] = ()
    list_name: str | None = None
    tag: str | None = None
    states: tuple[str, ...] = ()
    topic: str | None = None

    @property
    def limited(self) -> bool:
        return bool(
            self.papers or self.list_name or self.tag or self.states or self.topic is not None
        )

    def describe(self) -> str:
        return describe_choice(self.papers, self.list_name, self.tag, self.states, self.topic)


def split_terms(text: str) -> SearchTerms:
    """The query words of ``text`` and its filter terms; a term still without a
    value (``paper:`` while it is being typed) is dropped from both."""
    found: dict[str, list[str]] = {}

    def take(match: re.Match[str]) -> str:
        key, value = match.group(1).lower(), match.group(2)
        if value:
            found.setdefault(key, []).append(value)
        return " "

    query = " ".join(_TERM.sub(take, text).split())

    def last(key: str) -> str | None:
        values = found.get(key)
        return values[-1] if values else None

    return SearchTerms(
        query=query,
        papers=tuple(dict.fromkeys(found.get("paper", []))),
        list_name=last("list"),
        tag=last("tag"),
        states=tuple(dict.fromkeys(s.lower() for s in found.get("state", []))),
        topic=last("topic"),
    )


def describe_choice(
    papers: Sequence[str] = (),
    list_name: str | None = None,
    tag: str | None = None,
    states: Sequence[str] = (),
    topic: str | None = None,
) -> str:
    """The filters as words: "in list this-week with reading state read"."""
    parts = []
    if list_name is not None:
        parts.append(f"in list {list_name}")
    if tag is not None:
        parts.append(f"tagged {tag}")
    if topic is not None:
        parts.append(f"on topic {topic}")
    reading = [s for s in states if s in READING_STATES]
    pipeline = [s for s in states if s not in READING_STATES]
    if reading:
        parts.append(f"with reading state {' or '.join(reading)}")
    if pipeline:
        parts.append(f"in state {' or '.join(pipeline)}")
    if papers:
        parts.append(f"among {', '.join(papers)}")
    return " ".join(parts)


__all__ = ["SearchTerms", "describe_choice", "split_terms"]
