"""`paperlab tui`: open the terminal lab bench (also what plain `paperlab` does)."""

from __future__ import annotations

import click


@click.command("tui")
@click.option(
    "--no-model",
    is_flag=True,
    help="Do not load the embedding model (search falls back to lexical).",
)
def tui(no_model: bool) -> None:
    """Open the terminal lab bench: library, reader, notes, search, log, topics, progress."""
    import sys

    from paperlab.errors import UsageError

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "The lab bench needs an interactive terminal.",
            hint="In scripts use `paperlab list`, `paperlab search` and the other commands.",
        )
    # Textual is imported here only, so other commands never pay for it.
    from paperlab.tui.app import PaperlabApp

    PaperlabApp(load_model=not no_model).run()
