"""The hand-made gold set of reference lists (tests/data/refs_gold) and how it is scored.

Each ``<arxiv id>.tsv`` lists one PDF's entries in printed order: year (``-``
when none is printed), the arXiv id when one is printed, the library paper
(among the shared PDFs) it cites, and the title. Parsed entries are aligned
to gold entries by the gold title appearing in the parsed entry's raw text
(letters and digits only, so hyphenation, ligatures and line breaks do not
matter); each gold entry aligns at most once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

GOLD_DIR = Path(__file__).resolve().parent / "data" / "refs_gold"
TITLE_OK = 0.9  # a parsed title this close to the gold one counts as right


@dataclass(frozen=True)
class GoldEntry:
    year: int | None
    arxiv_id: str | None
    resolves: str | None
    title: str


def held_out(gold_dir: Path = GOLD_DIR) -> set[str]:
    """Gold lists written after the parser was tuned (their header says "Held out")."""
    return {
        path.stem.replace("_", "/")
        for path in gold_dir.glob("*.tsv")
        if "Held out" in path.read_text(encoding="utf-8").splitlines()[0]
    }


def load_gold(gold_dir: Path = GOLD_DIR) -> dict[str, list[GoldEntry]]:
    """arXiv id (as in the shared PDFs' manifest, without version) -> its gold entries."""
    gold: dict[str, list[GoldEntry]] = {}
    for path in sorted(gold_dir.glob("*.tsv")):
        entries = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#") or line.startswith("year\t"):
                continue
            year, arxiv_id, resolves, title = line.split("\t")
            entries.append(
                GoldEntry(
                    int(year) if year != "-" else None,
                    arxiv_id if arxiv_id != "-" else None,
                    resolves if resolves != "-" else None,
                    title,
                )
            )
        gold[path.stem.replace("_", "/")] = entries
    return gold


@dataclass
class Counts:
    """True positives, predictions and gold items, for one field."""

    correct: int = 0
    predicted: int = 0
    expected: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 1.0

    def add(self, other: Counts) -> None:
        self.correct += other.correct
        self.predicted += other.predicted
        self.expected += other.expected


@dataclass
class Score:
    entries: Counts = field(default_factory=Counts)
    title: Counts = field(default_factory=Counts)
    year: Counts = field(default_factory=Counts)
    arxiv_id: Counts = field(default_factory=Counts)
    resolution: Counts = field(default_factory=Counts)

    def add(self, other: Score) -> None:
        for name in ("entries", "title", "year", "arxiv_id", "resolution"):
            getattr(self, name).add(getattr(other, name))


@dataclass(frozen=True)
class Parsed:
    """What a parser said about one entry, and the library paper it resolved to."""

    raw: str
    title: str | None
    year: int | None
    arxiv_id: str | None
    resolves: str | None


def _key(text: str | None) -> str:
    from paperlab.refmatch import title_key

    return title_key(text)


def align(parsed: list[Parsed], gold: list[GoldEntry]) -> list[tuple[Parsed, GoldEntry | None]]:
    """Pair each parsed entry with the gold entry whose title its raw text holds."""
    used: set[int] = set()
    pairs: list[tuple[Parsed, GoldEntry | None]] = []
    keys = [_key(g.title) for g in gold]
    for item in parsed:
        raw = _key(item.raw)
        match = next(
            (i for i, key in enumerate(keys) if i not in used and key and key in raw), None
        )
        if match is not None:
            used.add(match)
        pairs.append((item, gold[match] if match is not None else None))
    return pairs


def score(parsed: list[Parsed], gold: list[GoldEntry]) -> Score:
    """Precision and recall counts of one PDF's parse against its gold list."""
    result = Score()
    pairs = align(parsed, gold)
    result.entries = Counts(sum(1 for _, g in pairs if g), len(parsed), len(gold))
    result.title.expected = len(gold)
    result.year.expected = sum(1 for g in gold if g.year)
    result.arxiv_id.expected = sum(1 for g in gold if g.arxiv_id)
    result.resolution.expected = sum(1 for g in gold if g.resolves)
    for item, truth in pairs:
        result.title.predicted += item.title is not None
        result.year.predicted += item.year is not None
        result.arxiv_id.predicted += item.arxiv_id is not None
        result.resolution.predicted += item.resolves is not None
        if truth is None:
            continue
        if item.title and _close(item.title, truth.title):
            result.title.correct += 1
        if item.year is not None and item.year == truth.year:
            result.year.correct += 1
        if item.arxiv_id and item.arxiv_id == truth.arxiv_id:
            result.arxiv_id.correct += 1
        if item.resolves and item.resolves == truth.resolves:
            result.resolution.correct += 1
    return result


def _close(a: str, b: str) -> bool:
    ka, kb = _key(a), _key(b)
    return ka == kb or SequenceMatcher(None, ka, kb, autojunk=False).ratio() >= TITLE_OK


def score_all(
    gold: dict[str, list[GoldEntry]], parse: Callable[[str], Iterable[Parsed]]
) -> dict[str, Score]:
    """Each gold PDF's score; ``parse(arxiv_id)`` gives that PDF's parsed entries."""
    return {arxiv_id: score(list(parse(arxiv_id)), entries) for arxiv_id, entries in gold.items()}
