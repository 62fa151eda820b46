"""A labelled horizontal bar: deterministic to render, unlike an animated progress bar."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

FULL = "█"
PARTIALS = " ▏▎▍▌▋▊▉"


def bar_text(fraction: float, width: int) -> str:
    """``width`` cells of block characters filled to ``fraction`` (eighths precision)."""
    fraction = max(0.0, min(1.0, fraction))
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    text = FULL * full + (PARTIALS[part] if part and full < width else "")
    return text.ljust(width)


class Bar(Widget):
    """``label  ████▌      suffix``, the bar filling the space in between."""

    DEFAULT_CSS = """
    Bar { height: 1; width: 1fr; }
    """

    value: reactive[float] = reactive(0.0)

    def __init__(
        self,
        label: str,
        value: float,
        total: float,
        suffix: str = "",
        *,
        label_width: int = 28,
        highlight: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.label = label
        self.total = total
        self.suffix = suffix
        self.label_width = label_width
        self.highlight = highlight
        self.set_reactive(Bar.value, value)

    @property
    def fraction(self) -> float:
        return self.value / self.total if self.total else 0.0

    def render(self) -> Text:
        suffix = self.suffix  # spaces kept: padded suffixes line the bars up
        # On a narrow terminal the label gives way first, then the bar (to 4 cells).
        room = self.size.width - len(suffix) - 2
        label_width = max(12, min(self.label_width, room - 10))
        label = self.label
        if len(label) > label_width:
            label = label[: label_width - 1] + "…"
        width = max(4, room - label_width)
        text = Text(label.ljust(label_width) + " ", style="bold" if self.highlight else "")
        done = self.fraction >= 1.0
        text.append(bar_text(self.fraction, width), style="green" if done else "cyan")
        text.append(" " + suffix, style="bold yellow" if self.highlight else "")
        return text


__all__ = ["Bar", "bar_text"]
