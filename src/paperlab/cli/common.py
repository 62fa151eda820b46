"""Helpers shared by the command modules: store access, JSON and terminal output."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import Any

import click

from paperlab import jsontext
from paperlab.settings import Settings, load_settings
from paperlab.store import Store, open_store


def get_store(settings: Settings | None = None) -> Store:
    return open_store(settings or load_settings())


def refuse_lab_library(settings: Settings, command: str, instead: str) -> None:
    """Stop ``command``, which works on a SQLite file, when the library is on PostgreSQL."""
    from paperlab.errors import UsageError

    if settings.database_url:
        raise UsageError(
            f"paperlab {command} works on a SQLite library, and PAPERLAB_DATABASE_URL "
            "puts this one on PostgreSQL.",
            hint=instead,
        )


def print_json(value: Any) -> None:
    click.echo(jsontext.dumps(value))


# What a terminal would act on rather than print: escape sequences (CSI: colours,
# cursor moves, clearing the screen; OSC and other strings: window titles,
# hyperlinks), then any C0/C1 control character or DEL left over.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b[\]PX^_][^\x07\x1b\n]*(?:\x07|\x1b\\)?"  # OSC, DCS, SOS, PM, APC
    r"|\x1b[^\n]?"  # any other escape
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but \t and \n
_LINE_BREAKS = re.compile(r"[\t\n]")


def terminal_text(text: str, *, multiline: bool = False) -> str:
    """``text`` safe to print on a terminal: escape sequences and control characters removed.

    Titles, notes, annotations and log entries come from arXiv, PDFs and the
    user's own files; printed raw, an escape in them could recolour or clear
    the terminal, retitle the window or hide text. Multi-line output keeps its
    newlines and tabs; a single line gets spaces instead, so nothing can fake
    a row of its own. JSON output needs none of this: it escapes them itself.
    """
    text = _CONTROLS.sub("", _ESCAPES.sub("", text))
    return text if multiline else _LINE_BREAKS.sub(" ", text)


def echo_hints(hints: Iterable[str | None]) -> None:
    """Each distinct hint once on stderr, in order: ten encrypted PDFs need one hint."""
    for hint in dict.fromkeys(h for h in hints if h):
        click.echo(f"Hint: {terminal_text(hint)}", err=True)


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")


def state_option(help: str) -> Any:
    """``--state`` (repeatable): a pipeline or reading state, as `list` and `search` take it."""
    from paperlab.catalog import STATES

    return click.option("--state", "states", multiple=True, type=click.Choice(STATES), help=help)


def owner_mark(owner: str, shared: bool) -> str:
    """How a listing marks whose an item is (``views.owner_label``)."""
    from paperlab.views import owner_label

    return owner_label(owner, shared)


def sharing_option(noun: str) -> Any:
    """``--shared/--private``: whether the library's other users see the item (None: as is)."""
    return click.option(
        "--shared/--private",
        "shared",
        default=None,
        help=f"Let the library's other users see this {noun} (--private: only you).",
    )
