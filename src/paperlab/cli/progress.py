"""Progress display for long jobs: rich bars on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

import click

from paperlab.wording import counted


class PlainProgress:
    """One line per event on stderr: readable in logs, CI and pipes."""

    def __init__(self) -> None:
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def stage(self, name: str, total: int) -> None:
        self.totals[name] = total
        self.done.setdefault(name, 0)
        if total:
            click.echo(f"{name}: {counted(total, 'paper')}", err=True)

    def advance(self, name: str, paper_id: str, status: str) -> None:
        self.done[name] = self.done.get(name, 0) + 1
        total = self.totals.get(name, 0)
        count = f"[{self.done[name]}/{total}] " if total else ""
        click.echo(f"{name} {count}{paper_id}: {status}", err=True)

    def note(self, text: str) -> None:
        click.echo(text, err=True)


class RichProgress:
    """Bars per stage, drawn on stderr so stdout stays clean for data."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description:<9}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[last]}"),
            console=self.console,
            transient=False,
        )
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> RichProgress:
        self.progress.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.__exit__(exc_type, exc, tb)

    def stage(self, name: str, total: int) -> None:
        if name in self.tasks:
            self.progress.update(self.tasks[name], total=total)
        else:
            self.tasks[name] = self.progress.add_task(name, total=total, last="")

    def advance(self, name: str, paper_id: str, status: str) -> None:
        if name not in self.tasks:
            self.stage(name, 0)
        self.progress.update(self.tasks[name], advance=1, last=f"{paper_id} {status}")

    def note(self, text: str) -> None:
        self.progress.console.print(text)


def make_progress() -> PlainProgress | RichProgress:
    return RichProgress() if sys.stderr.isatty() else PlainProgress()
