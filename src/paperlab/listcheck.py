"""Checking a TOML file's tables with every problem kept, each at its line.

The reading lists and the roadmap are validated with these (see
:mod:`paperlab.readinglists`): a :class:`Checker` collects the problems of one
file, a :class:`Table` checks one table's keys and values and names it in
messages by where it is in the file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paperlab.errors import shown
from paperlab.tomlsource import ListValidationError, Problem, TomlLocator

MAX_WEEK = 52


def kind_of(value: object) -> str:
    """How a TOML value reads in a message."""
    if isinstance(value, str):
        return f"the string {value!r}" if 0 < len(value) <= 40 else "a string"
    names = ((bool, "a boolean"), (int, "an integer"), (float, "a float"), (list, "an array"))
    return next(
        (n for t, n in names if isinstance(value, t)),
        "a table" if isinstance(value, dict) else "a date/time",
    )


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def suggest(word: str, choices: Iterable[str]) -> list[str]:
    return difflib.get_close_matches(word, list(choices), n=3, cutoff=0.6)


EXAMPLES = {
    "name": 'name = "weeks-19-20-reading-papers"',
    "title": 'title = "Attention Is All You Need"',
    "description": 'description = "What this list is for."',
    "weeks": "weeks = [19, 20]",
    "week": "week = 19",
    "id": 'id = "1706.03762"',
    "why": 'why = "Why this paper is worth reading now."',
    "topics": 'topics = ["deep-learning", "nlp"]',
    "slug": 'slug = "deep-learning"',
    "resources": 'resources = ["3Blue1Brown, Essence of Linear Algebra"]',
    "paper": '[[paper]] followed by id = "1706.03762"',
    "topic": '[[topic]] followed by slug = "ml-intro"',
    "course": 'course = "Essence of Linear Algebra"',
    "provider": 'provider = "3Blue1Brown (YouTube)"',
    "outcomes": 'outcomes = ["Read a matrix as a linear map"]',
    "project": 'project = "naive-bayes-text"',
    "note": 'note = "The roadmap names the wrong course here; it is ..."',
    "key": 'key = "keshav-how-to-read"',
    "authors": 'authors = ["S. Keshav"]',
    "year": "year = 2007",
    "doi": 'doi = "10.1145/1273445.1273458"',
    "url": 'url = "https://arxiv.org/pdf/1706.03762"',
    "core": "core = false",
    "pages": "pages = 9",
    "focus": 'focus = "Sections 1-4"',
    "prerequisites": 'prerequisites = ["linear-algebra", "1409.0473"]',
    "hours_per_week": "hours_per_week = 2.5",
    "track": 'track = "nlp"',
    "builds_on": 'builds_on = ["naive-bayes-text"]',
    "task": 'task = "Scope the project: question, baseline, data, metric."',
    "milestone": '[[milestone]] followed by week = 21 and task = "..."',
}


def example(key: str) -> str:
    return EXAMPLES.get(key, f"{key} = ...")


class Checker:
    """Collects every problem of one file, each with its line."""

    def __init__(self, path: Path, locator: TomlLocator) -> None:
        self.path = path
        self.loc = locator
        self.problems: list[Problem] = []

    def add(self, line: int, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(line, f"{self.path}:{line}: {message}", hint, str(self.path)))

    def raise_if_any(self) -> None:
        if self.problems:
            raise ListValidationError(self.problems)

    def root(self, data: dict[str, Any], where: str) -> Table:
        if not data:
            self.add(
                1,
                f"the file is empty: {where} needs its keys and at least one entry.",
                "See reading_lists/README.md for the format.",
            )
            self.raise_if_any()
        return Table(self, data, where, None, 1)

    def tables(self, data: dict[str, Any], key: str) -> list[Table]:
        """Each ``[[key]]`` table with its place in the file."""
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
            # `[paper]` written for `[[paper]]` has a header line but no `paper =` line
            headers = [s for n, _a, s, _e in self.loc.sections if n == key]
            self.add(
                headers[0] if headers else self.loc.key_line(key),
                f"{key!r} must be an array of [[{key}]] tables, not {kind_of(value)}.",
                f"Start each entry with a [[{key}]] line.",
            )
            return []
        spans = self.loc.array_tables(key)
        if len(spans) != len(value):  # an inline array `paper = [{...}]`: point at its key
            line = self.loc.key_line(key)
            return [Table(self, t, f"the {key} entry at line {line}", None, line) for t in value]
        return [
            Table(self, t, f"the [[{key}]] at line {s}", (s, e), s)
            for t, (s, e) in zip(value, spans, strict=True)
        ]


@dataclass
class Table:
    """One TOML table under check: its values, its lines and how to name it."""

    check: Checker
    data: dict[str, Any]
    where: str
    span: tuple[int, int] | None
    header: int

    def line(self, key: str) -> int:
        return self.check.loc.key_line(key, self.span) if key in self.data else self.header

    def bad(self, key: str, message: str, hint: str) -> None:
        self.check.add(self.line(key), message, hint)

    def keys(self, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> bool:
        """Report unknown and missing keys; True when every required key is present."""
        allowed = required + optional
        explained: set[str] = set()  # a typo such as `titel` explains a missing `title`
        for key in self.data:
            if key not in allowed:
                close = suggest(key, allowed)
                explained.update(close)
                guess = f"Did you mean {close[0]!r}? " if close else ""
                self.bad(
                    key,
                    f"unknown key {shown(key)} in {self.where}.",
                    f"{guess}Allowed keys: {', '.join(allowed)}.",
                )
        missing = [k for k in required if k not in self.data]
        for key in missing:
            if key not in explained:
                self.check.add(
                    self.header,
                    f"{self.where} is missing the required key {key!r}.",
                    f"Add a line such as {example(key)}.",
                )
        return not missing

    def text(self, key: str) -> str | None:
        """A non-empty string, or None (reported unless the key is absent)."""
        if key not in self.data:
            return None  # keys() has reported it when it is required
        value = self.data[key]
        if isinstance(value, str) and value.strip():
            return value.strip()
        got = "an empty string" if isinstance(value, str) else kind_of(value)
        self.bad(
            key,
            f"{key!r} in {self.where} must be a non-empty string, not {got}.",
            f"Write it as {example(key)}.",
        )
        return None

    def weeks(self, key: str) -> tuple[int, ...] | None:
        """A non-empty array of distinct week numbers 1..52, or None."""
        if key not in self.data:
            return None
        value = self.data[key]
        if (
            isinstance(value, list)
            and value
            and all(is_int(w) and 1 <= w <= MAX_WEEK for w in value)
            and len(set(value)) == len(value)
        ):
            return tuple(value)
        got = kind_of(value)
        if isinstance(value, list):  # quote a little of it: it may hold 200,000 values
            got = shown(value) + (f" ({len(value)} values)" if len(value) > 8 else "")
        self.bad(
            key,
            f"{key!r} in {self.where} must be a non-empty array of distinct week numbers "
            f"from 1 to {MAX_WEEK}, not {got}.",
            f"Write it as {example('weeks')}.",
        )
        return None

    def flag(self, key: str, default: bool) -> bool | None:
        """A boolean (``default`` when absent), or None when it is not one."""
        if key not in self.data:
            return default
        value = self.data[key]
        if isinstance(value, bool):
            return value
        self.bad(
            key,
            f"{key!r} in {self.where} must be true or false, not {kind_of(value)}.",
            f"Write it without quotes, e.g. {example(key)}.",
        )
        return None

    def integer(self, key: str, low: int, high: int) -> int | None:
        """An integer from ``low`` to ``high``, or None (reported unless the key is absent)."""
        if key not in self.data:
            return None
        value = self.data[key]
        if is_int(value) and low <= value <= high:
            assert isinstance(value, int)
            return value
        got = kind_of(value) if not is_int(value) else shown(value)
        self.bad(
            key,
            f"{key!r} in {self.where} must be an integer from {low} to {high}, not {got}.",
            f"Write it without quotes, e.g. {example(key)}.",
        )
        return None

    def number(self, key: str, low: float, high: float) -> float | None:
        """A number (integer or float) above ``low`` and at most ``high``, or None."""
        if key not in self.data:
            return None
        value = self.data[key]
        if isinstance(value, int | float) and not isinstance(value, bool) and low < value <= high:
            return float(value)
        got = shown(value) if isinstance(value, int | float) else kind_of(value)
        self.bad(
            key,
            f"{key!r} in {self.where} must be a number above {low:g} and at most {high:g}, "
            f"not {got}.",
            f"Write it as {example(key)}.",
        )
        return None

    def slug(self, key: str, what: str, pattern: re.Pattern[str]) -> str | None:
        """A slug (lowercase letters, digits, hyphens), or None."""
        value = self.text(key)
        if value is not None and not pattern.fullmatch(value):
            self.bad(
                key,
                f"{what} {shown(value)} is not a slug.",
                "Use lowercase letters, digits and hyphens, e.g. 'linear-algebra'.",
            )
            return None
        return value

    def strings(self, key: str, *, empty_ok: bool) -> tuple[str, ...] | None:
        """An array of non-empty strings; an absent key reads as empty if ``empty_ok``."""
        if key not in self.data:
            return () if empty_ok else None
        value = self.data[key]
        ok = isinstance(value, list) and all(isinstance(s, str) and s.strip() for s in value)
        if not ok or not (value or empty_ok):
            what = "an array of non-empty strings" if empty_ok else "a non-empty array of strings"
            self.bad(
                key,
                f"{key!r} in {self.where} must be {what}, not {kind_of(value)}.",
                f"Write it as {example(key)}.",
            )
            return None
        return tuple(s.strip() for s in value)
