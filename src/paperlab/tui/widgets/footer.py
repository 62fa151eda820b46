"""The key footer, rebuilt only when the keys it shows change.

Textual's Footer rebuilds its keys (one widget each, every one styled anew)
whenever the screen says its bindings may have changed: at launch that was
three rebuilds of the same sixteen keys, 60-100 ms each on a slow CPU, all
before the library could answer a key. Screens ask for that refresh on focus
changes, resizes and state changes that usually leave the shown keys as they
were, so this footer compares what it would show with what it shows and
rebuilds only on a difference (and at most once per refresh burst).
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeysFooter(Footer):
    """A Footer that skips rebuilds which would show the same keys."""

    _shown: object = None
    _rebuild_pending = False

    def shown_keys(self) -> object:
        """Everything the footer's compose reads, as one comparable value."""
        keys = tuple(
            (
                binding.key,
                binding.key_display,
                binding.description,
                binding.action,
                binding.show,
                binding.group,
                enabled,
                tooltip,
            )
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
        )
        return (keys, self.compact, self.show_command_palette, self.combine_groups)

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or self._rebuild_pending:
            return
        if self.is_attached and screen is self.screen:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild_if_changed)

    async def _rebuild_if_changed(self) -> None:
        self._rebuild_pending = False
        if not self.is_attached:
            return
        shown = self.shown_keys()
        if shown == self._shown:
            return
        self._shown = shown
        await self.recompose()
