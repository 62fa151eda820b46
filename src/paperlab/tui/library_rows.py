"""The library screen's rows: the filter's terms, what each paper is matched
against, the orders within a group, and the table rows themselves.

They are plain functions of a ``LibraryItem`` with no screen state: the
cheap per-keystroke work the screen's docstring relies on, kept apart from
its layout, keys and loading so each module reads as one job.
"""

from __future__ import annotations

from rich.text import Text

from paperlab.catalog import PIPELINE_STATES, READING_STATES
from paperlab.tui.widgets.virtual_table import TableRow
from paperlab.views import LibraryItem
from paperlab.wording import counted

STATE_PREFIX = "state:"
ALL_STATES = tuple(dict.fromkeys(READING_STATES + PIPELINE_STATES))
READING_STYLE = {"unread": "dim", "skimming": "yellow", "reading": "cyan", "read": "green"}
PIPELINE_STYLE = {"failed": "bold red", "indexed": "green", "queued": "dim"}
# Joins a row key's parts (group, then paper id): the ASCII unit separator,
# not a character titles and list names are written with.
SEP = "\x1f"


_STYLED: dict[tuple[str, str], Text] = {}


def _styled(value: str, styles: dict[str, str]) -> Text | str:
    """A state word in its colour; the few distinct Text objects are shared."""
    style = styles.get(value)
    if not style:
        return value
    return _STYLED.setdefault((value, style), Text(value, style=style))


def split_terms(text: str) -> tuple[list[str], set[str]]:
    """The filter's words, and the states asked for with ``state:NAME`` terms.

    A state term names a reading or pipeline state, so ``state:reading`` finds
    papers being read and not the list "Reading and understanding research
    papers". A whole name matches only that state (``state:read`` is not
    ``reading``); the start of one matches every state it starts, so the rows
    follow as the name is typed (``state:fail``). A name no state has is kept
    as it is: it matches no paper, and the status line lists the states.
    Several state terms keep papers in any of them.
    """
    words: list[str] = []
    states: set[str] = set()
    for term in text.lower().split():
        if not term.startswith(STATE_PREFIX):
            words.append(term)
            continue
        value = term[len(STATE_PREFIX) :]
        if not value:
            continue  # "state:" alone: the name is still to come
        if value in ALL_STATES:
            states.add(value)
        else:
            states |= {s for s in ALL_STATES if s.startswith(value)} or {value}
    return words, states


def matches(item: LibraryItem, text: str) -> bool:
    """Every word appears in the paper's title, id, year, topics, tags, states, list
    or authors, and its reading or pipeline state is one of the ``state:`` terms."""
    words, states = split_terms(text)
    hay = haystack(item)
    if states and not states & {item.paper.reading_state, item.paper.state}:
        return False
    return all(word in hay for word in words)


def haystack(item: LibraryItem) -> str:
    """What the filter looks in, lower-cased."""
    row = item.paper
    return " ".join(
        [
            row.title,
            row.id,
            str(row.year or ""),
            " ".join(row.labels),  # topics and '#tags', so 'gans' and '#gans' both match
            row.reading_state,
            row.state,
            item.list_title,
            item.list_name or "",
            " ".join(row.authors),
            row.citation_key or "",
        ]
    ).lower()


def sort_key(mode: str, item: LibraryItem) -> tuple[object, ...]:
    row = item.paper
    if mode == "title":
        return (row.title.lower(),)
    if mode == "year":
        return (-(row.year or 0), row.title.lower())
    if mode == "reading state":
        return (
            READING_STATES.index(row.reading_state) if row.reading_state in READING_STATES else 9,
            row.title.lower(),
        )
    return (item.position,)


def heading_row(key: str, first: LibraryItem, count: int, folded: bool) -> TableRow:
    """A group's heading: one cell across the table, whichever columns are shown."""
    text = Text(f"{'▸' if folded else '▾'} {first.list_title}", style="bold magenta")
    if first.week is not None:
        text.append(f" · week {first.week}", style="bold magenta")
    text.append(f" · {counted(count, 'paper')}", style="dim")
    return TableRow(key, (text,))


def paper_row(item: LibraryItem) -> TableRow:
    row = item.paper
    return TableRow(
        f"{item.group}{SEP}{row.id}",
        (
            "  " + row.title,
            str(row.year or ""),
            ", ".join(row.labels),
            _styled(row.reading_state, READING_STYLE),
            _styled(row.state, PIPELINE_STYLE),
            row.id,
        ),
    )


__all__ = [
    "ALL_STATES",
    "SEP",
    "haystack",
    "heading_row",
    "matches",
    "paper_row",
    "sort_key",
    "split_terms",
]
