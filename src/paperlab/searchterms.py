"""What a search is limited to, as typed into a search box or given as options.

The lab bench's search box takes filter terms among the words, as its library
filter takes ``state:``: ``paper:ID`` (repeatable), ``list:NAME``, ``tag:TAG``,
``state:STATE`` (repeatable) and ``topic:SLUG``. `paperlab search` takes them
in its query too, and as options. Both say what they searched within in the
same words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from paperlab.catalog import READING_STATES, STATES, chosen_paper_ids
from paperlab.errors import UsageError

if TYPE_CHECKING:
    from paperlab.store import Store

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

    def chosen_papers(self, store: Store) -> list[str] | None:
        """The ids of the papers these terms choose; None when no term chooses papers
        (a topic narrows the search by itself, not through papers)."""
        return chosen_paper_ids(
            store, ids=self.papers, list_name=self.list_name, tag=self.tag, states=self.states
        )

    def none_chosen(self) -> str:
        """What is said when the papers chosen are none."""
        chosen = describe_choice(self.papers, self.list_name, self.tag, self.states)
        return f"No papers {chosen}; nothing was searched."


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
        states=tuple(
            dict.fromkeys(state for typed in found.get("state", []) for state in _states(typed))
        ),
        topic=last("topic"),
    )


def with_options(
    terms: SearchTerms,
    *,
    papers: Sequence[str] = (),
    list_name: str | None = None,
    tag: str | None = None,
    states: Sequence[str] = (),
    topic: str | None = None,
) -> SearchTerms:
    """``terms`` narrowed further by command-line options (repeatable ones add up).

    A list, tag or topic given both ways and differently is a UsageError.
    """

    def one(what: str, key: str, typed: str | None, option: str | None) -> str | None:
        if typed is not None and option is not None and typed != option:
            raise UsageError(
                f"Two {what} are given: {key}:{typed} and --{key} {option}.",
                hint=f"Give one, as --{key} or as {key}: in the query.",
            )
        return typed if option is None else option

    return SearchTerms(
        query=terms.query,
        papers=tuple(dict.fromkeys([*terms.papers, *papers])),
        list_name=one("reading lists", "list", terms.list_name, list_name),
        tag=one("tags", "tag", terms.tag, tag),
        states=tuple(dict.fromkeys([*terms.states, *states])),
        topic=one("topics", "topic", terms.topic, topic),
    )


def _states(typed: str) -> list[str]:
    """The states ``state:typed`` means, as in the library's filter: a whole name that
    state alone, the start of names every state it starts (an unknown one as typed)."""
    typed = typed.lower()
    if typed in STATES:
        return [typed]
    return [state for state in STATES if state.startswith(typed)] or [typed]


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


__all__ = ["SearchTerms", "describe_choice", "split_terms", "with_options"]
