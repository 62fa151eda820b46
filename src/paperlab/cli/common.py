"""Helpers shared by the command modules: store access, JSON and terminal output."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from paperlab.settings import Settings, load_settings
from paperlab.store import Store, open_store


def get_store(settings: Settings | None = None) -> Store:
    return open_store(settings or load_settings())


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
