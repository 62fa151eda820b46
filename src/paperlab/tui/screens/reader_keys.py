"""The reader's keys, in footer order: what a reading session uses most comes first
(a narrow footer keeps escape, help and quit, then these from the top)."""

from __future__ import annotations

from textual.binding import Binding, BindingType


def _key(key: str, action: str, description: str, tooltip: str, display: str = "") -> Binding:
    return Binding(
        key,
        action,
        description,
        id=f"reader.{action.split('(')[0]}",
        tooltip=tooltip,
        key_display=display or None,
    )


READER_BINDINGS: list[BindingType] = [
    _key("escape", "back", "Back", "Close find, leave a list, clear the find, then the reader."),
    _key("right_square_bracket", "page(1)", "Next", "Go to the next page.", "]"),
    _key("left_square_bracket", "page(-1)", "Prev", "Go to the previous page.", "["),
    _key("f", "find", "Find", "Find text in the whole paper."),
    _key(
        "a",
        "annotate",
        "Annotate",
        "Annotate the selected passage with a comment and tags "
        "(a tag question, key-claim or to-cite sets its kind).",
    ),
    _key("n", "find_step(1)", "Next match", "Go to the next match of the last find."),
    _key("N", "find_step(-1)", "Prev match", "Go to the previous match of the last find.", "N"),
    _key("p", "select_paragraph", "Paragraph", "Select the paragraph around the cursor."),
    _key("s", "select_sentence", "Sentence", "Select the sentence around the cursor."),
    _key("h", "highlights", "Highlights", "Move to the highlights list (enter jumps to one)."),
    _key(
        "k",
        "cycle_kind",
        "Kind",
        "Change the kind of the highlight under the cursor or in the list: "
        "highlight, question, key-claim, to-cite.",
    ),
    _key("b", "toggle_side", "Sidebar", "Hide or show the outline and highlights pane."),
    _key("o", "outline", "Outline", "Move to the section outline (enter jumps to it)."),
    _key("g", "goto", "Go to page", "Jump to a page number."),
    _key("e", "notes", "Notes", "Open this paper's note."),
    _key("t", "tags", "Tags", "Pick this paper's topics."),
    _key("m", "mark", "Mark", "Cycle the reading state: unread, skimming, reading, read."),
    _key("x", "open_pdf", "PDF", "Open the PDF in the system viewer at this page."),
    _key(
        "slash",
        "search_paper",
        "Search paper",
        "Search this paper, your notes and highlights on it by words and meaning.",
        "/",
    ),
]

__all__ = ["READER_BINDINGS"]
