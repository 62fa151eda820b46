"""What the reader's side pane shows: outline entries and highlights with their kind and tags."""

from __future__ import annotations

from rich.text import Text

from paperlab.annotation_views import AnnotationView, annotation_tags
from paperlab.tui.widgets.page_view import KIND_COLORS
from paperlab.views import OutlineEntry, owner_label

# A short badge per kind, so the kind reads without colour too.
KIND_BADGES: dict[str, str] = {
    "highlight": "▌",
    "question": "?",
    "key-claim": "!",
    "to-cite": "❞",
}
QUOTE_CHARS = 48


def kind_badge(kind: str) -> Text:
    """The kind's badge on its colour (used by the side pane and the browser)."""
    color = KIND_COLORS.get(kind, KIND_COLORS["highlight"])
    return Text(f"{KIND_BADGES.get(kind, '▌')}", style=f"bold #ffffff on {color}")


def outline_label(entry: OutlineEntry) -> str:
    return f"p.{entry.page:<3} {entry.section}"


def highlight_label(annotation: AnnotationView, quote_chars: int = QUOTE_CHARS) -> Text:
    """Badge, page, the quote's start, the comment and ``#tags``."""
    quote = " ".join(annotation.quote.split())
    page = annotation.page if annotation.page is not None else "?"
    label = kind_badge(annotation.kind)
    label.append(f" p.{page:<3} ", style="dim")
    owner = owner_label(annotation.owner, annotation.shared)
    if owner:
        label.append(owner, style="bold blue")
    cut = quote[:quote_chars] + ("…" if len(quote) > quote_chars else "")
    label.append(f"“{cut}”")
    if annotation.kind != "highlight":
        label.append(f" {annotation.kind}", style=f"bold {KIND_COLORS[annotation.kind]}")
    if annotation.comment:
        label.append(f" {annotation.comment}", style="italic")
    tags = annotation_tags(annotation)
    if tags:
        label.append(" " + " ".join(f"#{t}" for t in tags), style="bold cyan")
    return label


__all__ = ["KIND_BADGES", "highlight_label", "kind_badge", "outline_label"]
