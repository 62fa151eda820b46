"""`paperlab` / `paperlab tui` without a terminal: help or one clear sentence, never a hang."""

from __future__ import annotations

from tests.helpers import run_process


def test_bare_paperlab_without_a_terminal_prints_help() -> None:
    result = run_process(timeout=30)
    assert result.code == 0
    assert "Usage: paperlab" in result.out and "fetch" in result.out


def test_tui_without_a_terminal_is_a_usage_error() -> None:
    result = run_process("tui", timeout=30)
    assert result.code == 2
    assert result.err.startswith("Error: The lab bench needs an interactive terminal.")
    assert "Traceback" not in result.err
