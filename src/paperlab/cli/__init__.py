"""The ``paperlab`` command line: parse, call a service, print.

Commands live one per module and are imported only when invoked, so
``paperlab --help`` and ``paperlab list`` start without loading torch, faiss
or PyMuPDF. Every PaperlabError becomes one sentence and a hint on stderr.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any

import click

from paperlab import __version__
from paperlab.errors import PaperlabError, clip

# command name -> (module under paperlab.cli, attribute, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "fetch": ("fetch", "fetch", "Fetch arXiv papers from reading lists, ids or URLs."),
    "add": ("add", "add", "Import local PDF files into the library."),
    "sync": ("sync", "sync", "Put the library's PDFs on this machine, verified by sha256."),
    "remove": (
        "remove",
        "remove",
        "Remove papers from the library (asks first if you wrote on them).",
    ),
    "list": ("browse", "list_papers", "List papers in the library."),
    "show": ("browse", "show", "Show one paper's metadata, state and links."),
    "open": (
        "openpdf",
        "open_command",
        "Open a paper's PDF in the system viewer, where you left off.",
    ),
    "topics": ("browse", "topics", "List roadmap topics with their weeks and papers."),
    "lists": ("browse", "lists", "Show the bundled and loaded reading lists."),
    "index": ("index", "index", "Extract and index papers for search; status; rebuild."),
    "search": ("search", "search", "Hybrid search over papers, notes, annotations and log."),
    "note": ("notes", "note", "Edit or print a paper's structured note."),
    "annotate": ("notes", "annotate", "Anchor an annotation to a quote in a paper."),
    "annotations": ("notes", "annotations", "List a paper's annotations."),
    "log": ("researchlog", "log", "The research project's log."),
    "tag": ("tags", "tag", "Tag a paper with roadmap topics or free tags."),
    "untag": ("tags", "untag", "Remove roadmap topics or free tags from a paper."),
    "tags": ("tags", "tags", "List the free tags in use, with paper counts."),
    "read": ("tags", "set_reading_state", "Set a paper's reading state."),
    "rekey": ("rekey", "rekey", "Change a paper's citation key; the old one stays valid."),
    "export": ("export", "export", "Export a review draft, BibTeX, CSL-JSON, notes, PDFs, maps."),
    "doctor": ("doctor", "doctor", "Check the library for damage; --repair rebuilds it."),
    "backup": ("backup", "backup", "Copy the library database to a backup file."),
    "tui": ("tui", "tui", "Open the terminal lab bench."),
    "track": ("track", "track", "List the weeks 21-24 tracks; choose the one to follow."),
    "plan": ("plan", "plan", "This week's reading plan: core and optional papers, hours."),
    "refs": ("citations", "refs", "A paper's references, resolved to library papers."),
    "cited-by": ("citations", "cited_by", "Library papers that cite a paper."),
    "graph": ("citations", "graph", "Write the library's citation graph (GraphML or JSON)."),
    "next": ("nextread", "next_papers", "What to read next, ranked, with reasons."),
    "import": ("importnotes", "import_group", "Import notes edited elsewhere (Obsidian)."),
    "db": ("db", "db", "Lab database operations: copy a library between stores."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if self._available(name)]

    def _available(self, name: str) -> bool:
        module, _, _ = COMMANDS[name]
        return importlib.util.find_spec(f"paperlab.cli.{module}") is not None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS or not self._available(cmd_name):
            return None
        module, attr, _ = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(f"paperlab.cli.{module}"), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Help text comes from the table, so listing commands imports nothing.
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, invoke_without_command=True)
@click.version_option(__version__, prog_name="paperlab")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """paperlab: read, annotate and search research papers.

    With no command, opens the terminal lab bench (same as `paperlab tui`).
    """
    if ctx.invoked_subcommand is None:
        command = cli.get_command(ctx, "tui")
        if command is None or not (sys.stdin.isatty() and sys.stdout.isatty()):
            click.echo(ctx.get_help())
            return
        ctx.invoke(command)


def report_error(error: PaperlabError) -> None:
    from paperlab.cli.common import terminal_text

    # Messages quote user input briefly; this bound is the backstop for one
    # that does not (an OS error naming a 100 KB "file name", say).
    click.echo(f"Error: {terminal_text(clip(error.message, 500))}", err=True)
    # An error that gathers several problems (every mistake in the reading
    # lists given) lists them, already bounded, between message and hint.
    for line in getattr(error, "details", ()):
        click.echo(terminal_text(clip(line, 500)), err=True)
    if error.hint:
        click.echo(f"Hint: {terminal_text(clip(error.hint, 500))}", err=True)


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    try:
        return cli.main(args=argv, prog_name="paperlab", standalone_mode=False)
    except PaperlabError as error:
        report_error(error)
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        click.echo(
            "Interrupted: work done so far is saved; run the command again to resume.", err=True
        )
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except OSError as error:
        # A full disk or a vanished directory: the library itself is safe
        # (every write is a transaction or an atomic rename).
        report_error(
            PaperlabError(
                f"{error.strerror or error}"
                + (f": {error.filename}" if getattr(error, "filename", None) else "")
                + ".",
                hint="Check free disk space and permissions, then run the command again.",
            )
        )
        sys.exit(1)
    except Exception as error:
        if os.environ.get("PAPERLAB_DEBUG"):
            raise
        report_error(
            PaperlabError(
                f"Unexpected {type(error).__name__}: {error}",
                hint="This is a bug in paperlab; PAPERLAB_DEBUG=1 shows the traceback.",
            )
        )
        sys.exit(70)
