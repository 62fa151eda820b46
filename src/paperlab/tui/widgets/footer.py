"""The key footer: the screen's keys on one line, drawn by one widget.

Textual's Footer makes a widget per key (sixteen on the library screen), and
each is styled anew whenever the footer is rebuilt: that was ~0.14 s of a
1.2 s launch on a slow CPU, and again on every screen switch and resize.
This footer draws the same line (`` key description `` per key, the command
palette's key on the right) as one text, so a rebuild is one repaint. It is
redrawn only when the keys it would show differ from those it shows: screens
ask for a refresh on focus changes, resizes and state changes that usually
leave the keys as they were. A click on a key presses it, as in Textual's
footer; the hovered key is highlighted and its tooltip shown.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

# The command palette's key is set apart from the others by a bar, as Textual does.
PALETTE_BAR = "▏"


@dataclass(frozen=True, slots=True)
class FooterItem:
    """One key as the footer shows it, with the cells it takes (``start``..``end``)."""

    key: str
    key_display: str
    description: str
    action: str
    enabled: bool
    tooltip: str
    start: int
    end: int
    palette: bool = False

    @property
    def label(self) -> tuple[str, str]:
        """The key's two parts as drawn: `` key `` and ``description `` (the
        palette's key comes right after its bar: ``key`` and `` description ``)."""
        if self.palette:
            return self.key_display, f" {self.description} "
        return f" {self.key_display} ", f"{self.description} " if self.description else ""


class KeysFooter(Widget, can_focus=False):
    """The screen's shown keys (``Binding.show``) on one line at the bottom."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "keys-footer--key",
        "keys-footer--description",
        "keys-footer--hover",
        "keys-footer--bar",
    }
    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        height: 1;
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        text-overflow: clip;
        .keys-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .keys-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .keys-footer--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
        .keys-footer--bar {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self, *, show_command_palette: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show_command_palette = show_command_palette
        self._items: tuple[FooterItem, ...] = ()
        self._hover: FooterItem | None = None
        self._update_pending = False

    # -- what is shown ----------------------------------------------------------

    @property
    def items(self) -> tuple[FooterItem, ...]:
        """The keys drawn now, left to right, the palette's key last."""
        return self._items

    def _keys_to_show(self) -> list[tuple[Binding, bool, str, bool]]:
        """(binding, enabled, tooltip, is the palette's) for each key to show."""
        shown: list[tuple[Binding, bool, str, bool]] = []
        seen: set[str] = set()
        palette = None
        active = self.screen.active_bindings
        for key, (_node, binding, enabled, tooltip) in active.items():
            if self.show_command_palette and key == self.app.COMMAND_PALETTE_BINDING:
                if self.app.ENABLE_COMMAND_PALETTE:
                    palette = (binding, enabled, binding.tooltip or binding.description, True)
                continue
            # One key per action, as Textual's footer shows it (the first bound).
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                shown.append((binding, enabled, tooltip, False))
        if palette is not None:
            shown.append(palette)
        return shown

    def _lay_out(self, width: int) -> tuple[FooterItem, ...]:
        items: list[FooterItem] = []
        x = 0
        for binding, enabled, tooltip, palette in self._keys_to_show():
            item = FooterItem(
                key=binding.key,
                key_display=binding.key_display or self.app.get_key_display(binding),
                description=binding.description,
                action=binding.action,
                enabled=enabled,
                tooltip=tooltip,
                start=0,
                end=0,
                palette=palette,
            )
            cells = sum(map(len, item.label))
            if palette:
                # Docked right, after a bar; dropped where the keys leave no room.
                start = width - cells
                if start - len(PALETTE_BAR) < x:
                    continue
                items.append(replace(item, start=start, end=width))
            else:
                items.append(replace(item, start=x, end=x + cells))
                x += cells
        return tuple(items)

    def bindings_changed(self, screen: Screen[object]) -> None:
        if not screen.app.app_focus or self._update_pending:
            return
        if self.is_attached and screen is self.screen:
            self._update_pending = True  # one update per burst of refreshes
            self.call_after_refresh(self._update_if_changed)

    def _update_if_changed(self) -> None:
        self._update_pending = False
        if not self.is_attached:
            return
        items = self._lay_out(self.size.width or self.app.size.width)
        if items != self._items:
            self.show_items(items)

    def show_items(self, items: tuple[FooterItem, ...]) -> None:
        """Draw ``items`` from now on (only called when they differ from those drawn)."""
        self._items = items
        self._hover = None
        self.refresh()

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def on_resize(self) -> None:
        self._update_if_changed()

    # -- drawing -----------------------------------------------------------------

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keys-footer--key")
        description_style = self.get_component_rich_style("keys-footer--description")
        hover_style = self.get_component_rich_style("keys-footer--hover")
        bar_style = self.get_component_rich_style("keys-footer--bar")
        line = Text(no_wrap=True, overflow="crop", end="")
        for item in self._items:
            if item.palette:
                line.append(" " * (item.start - len(PALETTE_BAR) - len(line)))
                line.append(PALETTE_BAR, bar_style)
            key, description = item.label
            start = len(line)
            line.append(key, key_style)
            line.append(description, description_style)
            if item is self._hover:
                line.stylize(hover_style, start, len(line))
            if not item.enabled:
                line.stylize("dim", start, len(line))
        return line

    # -- the mouse ---------------------------------------------------------------

    def item_at(self, x: int) -> FooterItem | None:
        """The key drawn at cell ``x`` of the footer, if any."""
        return next((item for item in self._items if item.start <= x < item.end), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        item = self.item_at(event.x)
        if item is not self._hover:
            self._hover = item
            self.tooltip = (item.tooltip or item.description) if item is not None else None
            self.refresh()

    def on_leave(self, _event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        item = self.item_at(event.x)
        if item is None:
            return
        if item.enabled:
            self.app.simulate_key(item.key)
        else:
            self.app.bell()


__all__ = ["FooterItem", "KeysFooter"]
