"""The comparison fields of a note: problem, method, data, results, limitations.

A note has fields for method, results and limitations; the problem and the
data are read from what the user wrote, never guessed from other fields:

- a ``Problem:`` / ``Data:`` line, or a ``## Problem`` / ``## Data`` section,
  anywhere in the note says it outright;
- otherwise the problem is the note's summary (what the paper sets out to
  do), and the data is the clause of the *method* field that names a data
  set ("trained on WMT 2014 English-German data"). Results text is never
  taken for data: a result names a benchmark only to report a number on it.

A field the note leaves empty stays empty, and the draft says it is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from paperlab.store.models import Note

FIELDS = ("problem", "method", "data", "results", "limitations")
FIELD_TITLES = {
    "problem": "Problem",
    "method": "Method",
    "data": "Data",
    "results": "Results",
    "limitations": "Limitations",
}
_LABELS = {
    "problem": r"problem|research problem|problem statement|goal",
    "data": r"data|data ?sets?|corpus|corpora|benchmarks?",
}
# Words that name data: "data", "data set", "corpus", "benchmark", or a name
# such as CIFAR-10, WMT, ImageNet or MuJoCo.
_DATA_NAME = re.compile(
    r"\b(?:data|data ?sets?|corpus|corpora|benchmarks?)\b"
    r"|\b[A-Z][A-Za-z]*-?\d+[A-Za-z0-9-]*\b|\b[A-Z]{2,}\b|\b[A-Z][a-z]+[A-Z][A-Za-z]*\b"
)
# Where a clause turns to the data: "trained on", "evaluated on", a bare "on".
_DATA_CUE = re.compile(
    r"\b(?:trained|evaluated|tested|benchmarked|fine-tuned|experiments?)\s+(?:on|with|using)\s+"
    r"|\bon\s+"
)
# Where the data's name ends: "CIFAR-10 with wide residual networks".
_DATA_END = re.compile(r"\s+(?:with|using|by|for|to|via|and then)\s+")


@dataclass(frozen=True)
class NoteFields:
    problem: str
    method: str
    data: str
    results: str
    limitations: str

    def get(self, name: str) -> str:
        return str(getattr(self, name))


def _labelled(note: Note, field: str) -> str:
    """Text the user labelled ``field`` in any part of the note, or ''."""
    label = _LABELS[field]
    texts = [note.body, note.method, note.summary, note.results, note.contributions]
    for text in texts:
        section = re.search(
            rf"^\s{{0,3}}#{{1,6}}\s*(?:{label})\s*:?\s*#*\s*$\n(.*?)(?=^\s{{0,3}}#{{1,6}}\s|\Z)",
            text,
            flags=re.I | re.M | re.S,
        )
        if section and section.group(1).strip():
            # A labelled line ("Data: ...") inside the section starts another field.
            any_label = "|".join(_LABELS.values())
            text_of = re.split(
                rf"^\s*(?:[-*+]\s*)?(?:{any_label})\s*:", section.group(1), flags=re.I | re.M
            )
            if text_of[0].strip():
                return text_of[0].strip()
        line = re.search(rf"^\s*(?:[-*+]\s*)?(?:{label})\s*:\s*(.+)$", text, flags=re.I | re.M)
        if line and line.group(1).strip():
            return line.group(1).strip()
    return ""


def _sentences(text: str) -> list[str]:
    text = " ".join(text.split())
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def data_phrase(note: Note) -> str:
    """The data set the method field names ("trained on X", "evaluated on X"), or ''."""
    for sentence in _sentences(note.method):
        for clause in re.split(r"[,;:]\s+", sentence.rstrip(".")):
            cues = list(_DATA_CUE.finditer(clause))
            for cue in cues:
                tail = _DATA_END.split(clause[cue.end() :], maxsplit=1)[0].strip()
                if _DATA_NAME.search(tail):
                    return tail
    return ""


def note_fields(note: Note | None) -> NoteFields:
    """The five comparison fields of ``note`` (empty strings where the note has nothing)."""
    if note is None:
        return NoteFields("", "", "", "", "")
    return NoteFields(
        problem=_labelled(note, "problem") or note.summary.strip(),
        method=note.method.strip(),
        data=_labelled(note, "data") or data_phrase(note),
        results=note.results.strip(),
        limitations=note.limitations.strip(),
    )


def question_items(text: str) -> list[str]:
    """Open questions from a note's questions field: one per line or bullet."""
    items = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s*", "", line).strip()
        if line:
            items.append(line)
    return items


def body_text(body: str) -> str:
    """A note's free text without its Markdown headings (sections the draft already has)."""
    lines = [ln for ln in body.splitlines() if not re.match(r"^\s{0,3}#{1,6}\s", ln)]
    return "\n".join(lines).strip()


__all__ = [
    "FIELDS",
    "FIELD_TITLES",
    "NoteFields",
    "body_text",
    "data_phrase",
    "note_fields",
    "question_items",
]
