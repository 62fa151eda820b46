"""Plain-text helpers both review renderers share: sentences, dates, log labels."""

from __future__ import annotations

import re

from paperlab.export.latex import normalise_space

KIND_LABELS = {
    "question": "Question",
    "idea": "Aim",
    "decision": "Decision",
    "experiment": "Experiment",
    "result": "Result",
    "todo": "To do",
}
# A sentence ends at . ! or ? followed by space and a capital, digit or quote;
# "e.g. this" and "Fig. 3" stay whole.
_SENTENCE_END = re.compile(
    r"(?<![A-Z]\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<=[.!?])\s+(?=[A-Z0-9\"'(\[“])"
)


def field_sentences(text: str) -> list[str]:
    """The sentences of a note field, bullets and lines read as sentences of their own.

    Each comes back ending in a full stop (or its own ! ? …), ready for a
    citation to go before that stop.
    """
    out: list[str] = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", line).strip()
        if not line:
            continue
        for sentence in _SENTENCE_END.split(normalise_space(line)):
            sentence = sentence.strip()
            if sentence:
                out.append(sentence if sentence.endswith((".", "!", "?", "…")) else sentence + ".")
    return out


def split_end(sentence: str) -> tuple[str, str]:
    """``sentence`` without its final punctuation, and that punctuation."""
    if sentence.endswith((".", "!", "?", "…")):
        return sentence[:-1].rstrip(), sentence[-1]
    return sentence, "."


__all__ = ["KIND_LABELS", "field_sentences", "split_end"]
