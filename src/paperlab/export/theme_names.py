"""Names for themes, in the words the user's own notes use.

A candidate name is a phrase of one to three content words that occurs in
what the user wrote about a paper (note fields, the body's headings,
annotation comments) or in its title; the paper's topic titles and free tags
are candidates too, as hints. A phrase scores by how many of the theme's
papers share it times how rare it is in the rest of the reading (a smoothed
idf), with headings, multi-word phrases and the user's own words weighing
more than titles. The best phrase names the theme; a second one that scores
nearly as well and does not repeat it joins with "and".
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from paperlab.export.stopwords import STOP_WORDS

if TYPE_CHECKING:
    import numpy as np

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*")
_BREAK = re.compile(r"[.,;:!?()\[\]{}\"“”‘’/|=<>*_#`~]|\s[-–—]\s|\n")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.M)

# Where a phrase comes from, and how much that counts for naming.
WEIGHTS = {"heading": 3.0, "hint": 2.0, "note": 1.5, "title": 1.0}
# A second phrase joins the name when it scores at least this share of the best.
SECOND_SHARE = 0.6


@dataclass
class PaperWords:
    """The text of one paper that can name its theme, by where it comes from."""

    note: str = ""  # note fields, body and annotation comments
    headings: list[str] = field(default_factory=list)
    title: str = ""
    hints: list[str] = field(default_factory=list)  # topic titles and free tags


def tokens(text: str) -> list[str]:
    """Lower-case content words of ``text`` (stop words and math dropped)."""
    text = re.sub(r"\$[^$]*\$", " ", text)
    words = [w.lower() for w in _WORD.findall(text)]
    return [w for w in words if w not in STOP_WORDS and len(w) > 2]


def key_terms(
    docs: Sequence[str], groups: Sequence[Sequence[int]], top: int = 3
) -> list[list[str]]:
    """The ``top`` tf-idf terms of each group of documents (indexes into ``docs``)."""
    tokenised = [tokens(d) for d in docs]
    df: Counter[str] = Counter()
    for toks in tokenised:
        df.update(set(toks))
    n = max(len(docs), 1)
    out: list[list[str]] = []
    for group in groups:
        scores: dict[str, float] = {}
        for i in group:
            counts = Counter(tokenised[i])
            total = sum(counts.values()) or 1
            for term, c in counts.items():
                weight = (c / total) * (math.log((1 + n) / (1 + df[term])) + 1)
                scores[term] = scores.get(term, 0.0) + weight
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        out.append([t for t, _ in ranked[:top]])
    return out


def phrases(text: str, max_words: int = 3) -> dict[str, str]:
    """Phrases of 1..``max_words`` content words in ``text``: lower-case -> surface form.

    Phrases never cross punctuation or a stop word, which keeps them to the
    noun-phrase-like runs a heading or note is made of ("clipped surrogate
    objective", "warm restarts").
    """
    text = re.sub(r"\$[^$]*\$", " ", text)
    text = re.sub(r"https?://\S+", " ", text)
    out: dict[str, str] = {}
    for segment in _BREAK.split(text):
        run: list[str] = []
        for word in [*_WORD.findall(segment), ""]:
            if word and word.lower() not in STOP_WORDS and not word.isdigit():
                run.append(word)
                continue
            for size in range(1, max_words + 1):
                for i in range(len(run) - size + 1):
                    words = run[i : i + size]
                    if size == 1 and len(words[0]) < 3:
                        continue
                    surface = " ".join(words)
                    out.setdefault(surface.lower(), surface)
            run = []
    return out


def _paper_phrases(words: PaperWords) -> dict[str, tuple[float, str]]:
    """Each phrase of one paper with its best source weight and surface form."""
    found: dict[str, tuple[float, str]] = {}

    def add(text: str, weight: float, max_words: int = 3) -> None:
        for low, surface in phrases(text, max_words).items():
            if found.get(low, (0.0, ""))[0] < weight:
                found[low] = (weight, surface)

    add(words.title, WEIGHTS["title"])
    add(words.note, WEIGHTS["note"])
    for heading in words.headings:
        add(heading, WEIGHTS["heading"])
    for hint in words.hints:
        low = " ".join(hint.replace("-", " ").split()).lower()
        if low and found.get(low, (0.0, ""))[0] < WEIGHTS["hint"]:
            found[low] = (WEIGHTS["hint"], _hint_surface(hint))
    return found


def _hint_surface(hint: str) -> str:
    """How a tag reads in a name: "rl" -> "RL" (short tags are acronyms), "deep-rl" -> "deep rl"."""
    if hint.islower() and hint.isalpha() and len(hint) <= 3:
        return hint.upper()
    return hint.replace("-", " ") if hint.islower() else hint


def _covers(a: str, b: str) -> bool:
    """Whether one phrase repeats the other's words."""
    wa, wb = set(a.split()), set(b.split())
    return bool(wa & wb)


def _capitalised(surface: str) -> str:
    return surface[:1].upper() + surface[1:] if surface[:1].islower() else surface


def name_groups(
    words: Mapping[str, PaperWords], groups: Sequence[Sequence[str]]
) -> list[tuple[str, list[str]]]:
    """A name and its ranked phrases for each group of paper ids.

    Names are unique: a group whose best phrase another group already took
    is named by its next one.
    """
    per_paper = {pid: _paper_phrases(w) for pid, w in words.items()}
    df: Counter[str] = Counter()
    for found in per_paper.values():
        df.update(found.keys())
    n = max(len(per_paper), 1)
    ranked_groups: list[list[tuple[float, str, str]]] = []
    for group in groups:
        size = max(len(group), 1)
        scores: dict[str, float] = {}
        surfaces: dict[str, Counter[str]] = {}
        for pid in group:
            for low, (weight, surface) in per_paper.get(pid, {}).items():
                scores[low] = scores.get(low, 0.0) + weight
                surfaces.setdefault(low, Counter())[surface] += 1
        ranked: list[tuple[float, str, str]] = []
        for low, total in scores.items():
            share = sum(1 for pid in group if low in per_paper.get(pid, {})) / size
            outside = df[low] - share * size
            idf = math.log((1 + n) / (1 + outside)) + 0.1
            length = 1.0 + 0.35 * (len(low.split()) - 1)
            # Shared by the group's papers, rare outside it, several words long.
            score = (total / size) * share * idf * length
            ranked.append((score, low, surfaces[low].most_common(1)[0][0]))
        ranked.sort(key=lambda r: (-r[0], r[1]))
        ranked_groups.append(ranked)
    taken: set[str] = set()
    out: list[tuple[str, list[str]]] = []
    for ranked in ranked_groups:
        choices = [r for r in ranked if r[1] not in taken] or ranked
        if not choices:
            out.append(("Other reading", []))
            continue
        best = choices[0]
        name = _capitalised(best[2])
        for score, low, surface in choices[1:6]:
            # Only a phrase of its own ("warm restarts"), not one more loose word.
            multiword = len(low.split()) > 1
            if multiword and score >= SECOND_SHARE * best[0] and not _covers(low, best[1]):
                name = f"{name} and {surface}"
                break
        taken.add(best[1])
        out.append((name, [r[2] for r in ranked[:8]]))
    return out


def shared_phrase_vectors(words: Mapping[str, PaperWords]) -> dict[str, np.ndarray]:
    """A unit tf-idf vector per paper over the phrases of the user's words that papers share.

    Only phrases of one or two words found in at least two papers' notes,
    headings or annotation comments count: they are what ties the user's
    reading together ("policy gradient", "warm restarts"). A paper sharing
    none gets no vector.
    """
    import numpy as np

    docs = {
        pid: set(phrases(joined([w.note, *w.headings]), max_words=2)) for pid, w in words.items()
    }
    df: Counter[str] = Counter(p for found in docs.values() for p in found)
    vocab = sorted(p for p, count in df.items() if count >= 2)
    index = {p: i for i, p in enumerate(vocab)}
    n = len(docs)
    out: dict[str, np.ndarray] = {}
    for pid, found in docs.items():
        vector = np.zeros(len(vocab), dtype=np.float32)
        for phrase in found:
            if phrase in index:
                vector[index[phrase]] = math.log(n / df[phrase]) + 0.01
        norm = float(np.linalg.norm(vector))
        if norm > 0:
            out[pid] = vector / norm
    return out


def headings(text: str) -> list[str]:
    """Markdown headings in a note's free text."""
    return [m.group(1) for m in _HEADING.finditer(text)]


def joined(parts: Iterable[str]) -> str:
    return "\n".join(p for p in parts if p and p.strip())


__all__ = [
    "PaperWords",
    "headings",
    "joined",
    "key_terms",
    "name_groups",
    "phrases",
    "shared_phrase_vectors",
    "tokens",
]
