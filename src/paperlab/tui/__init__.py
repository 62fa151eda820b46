"""The paperlab terminal lab bench (Textual). Import it only from front ends."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paperlab.tui.app import PaperlabApp

__all__ = ["PaperlabApp"]


def __getattr__(name: str) -> object:
    if name == "PaperlabApp":
        from paperlab.tui.app import PaperlabApp

        return PaperlabApp
    raise AttributeError(name)
