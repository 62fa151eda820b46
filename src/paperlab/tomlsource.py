"""TOML files with line numbers for every problem, not only syntax errors.

tomllib reports a line only for syntax errors; ``TomlLocator`` finds the line
of a table header or key in the raw text so semantic errors (an unknown
topic, a duplicate id) can name ``<file>:<line>`` too.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paperlab.errors import ReadingListError, clip
from paperlab.wording import counted


@dataclass(frozen=True)
class Problem:
    """One validation problem: ``message`` already starts with ``<file>:<line>:``."""

    line: int
    message: str
    hint: str | None
    file: str = ""  # the path as given, to count the files a report covers


class ListValidationError(ReadingListError):
    """One or more files with problems, every one of them kept in ``problems``.

    One problem reads as before: its sentence is the message. Several (from
    one file or many) make a summary message, and ``details`` lists each one
    with its hint, bounded so a file with thousands of mistakes cannot flood a
    terminal; the front end prints them between the message and the hint.
    """

    MAX_SHOWN = 25  # problems printed, two lines each: at most ~50 lines

    def __init__(self, problems: list[Problem], *, ordered: bool = False) -> None:
        # Within a file, problems read top to bottom; across files (``ordered``)
        # the caller has already put them in the order the files were given.
        listed = list(problems) if ordered else sorted(problems, key=lambda p: p.line)
        first = listed[0]
        if len(listed) == 1:
            super().__init__(first.message, first.hint)
        else:
            files = len({p.file for p in listed})
            where = "one file" if files == 1 else f"{files} files"
            super().__init__(
                f"{len(listed)} problems in {where}; nothing was written.",
                "Fix each one and run the command again.",
            )
        self.problems = tuple(listed)

    @property
    def details(self) -> tuple[str, ...]:
        """Each problem and its hint as lines to print, at most ``MAX_SHOWN`` problems."""
        if len(self.problems) < 2:
            return ()
        lines: list[str] = []
        for problem in self.problems[: self.MAX_SHOWN]:
            lines.append("  " + clip(problem.message, 300))
            if problem.hint:
                lines.append("    " + clip(problem.hint, 300))
        if (more := len(self.problems) - self.MAX_SHOWN) > 0:
            lines.append(f"  …and {counted(more, 'more problem')}.")
        return tuple(lines)


class TomlLocator:
    """Finds the line of a table header or key in the raw TOML text."""

    _HEADER = re.compile(r"^\s*(\[\[|\[)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(?:#.*)?$")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        # (name, is_array, first line, last line), 1-based; the root has name "".
        self.sections: list[tuple[str, bool, int, int]] = []
        self._in_string: set[int] = set()
        start, name, array = 1, "", False
        open_quote: str | None = None
        for number, line in enumerate(self.lines, start=1):
            if open_quote is not None:
                self._in_string.add(number)
                if line.count(open_quote) % 2 == 1:
                    open_quote = None
                continue
            m = self._HEADER.match(line)
            if m:
                self.sections.append((name, array, start, number - 1))
                start, name, array = number, m[2].strip().strip("\"'"), m[1] == "[["
                continue
            for quote in ('"""', "'''"):
                if line.count(quote) % 2 == 1:
                    open_quote = quote
                    break
        self.sections.append((name, array, start, len(self.lines)))

    def array_tables(self, name: str) -> list[tuple[int, int]]:
        """(first, last) line of every ``[[name]]`` table, in file order."""
        return [(s, e) for n, a, s, e in self.sections if a and n == name]

    def key_line(self, key: str, span: tuple[int, int] | None = None) -> int:
        """The line of ``key = ...`` within ``span`` (default: the root table)."""
        if span is None:
            span = next((s, e) for n, _a, s, e in self.sections if n == "")
        pattern = re.compile(
            rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*="
        )
        for number in range(span[0], span[1] + 1):
            if number not in self._in_string and pattern.match(self.lines[number - 1]):
                return number
        return max(span[0], 1)


def fail_at(path: Path, line: int, message: str, hint: str) -> ListValidationError:
    return ListValidationError([Problem(line, f"{path}:{line}: {message}", hint, str(path))])


def read_toml(path: Path) -> tuple[dict[str, Any], TomlLocator]:
    """Decode and parse ``path``; raise a ReadingListError naming the bad line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReadingListError(
            f"{path}: cannot read the file ({exc.strerror or exc}).",
            hint="Check the path, or give the name of a bundled list.",
        ) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - raw.rfind(b"\n", 0, exc.start)
        bad = raw[exc.start : exc.start + 1].hex()
        message = f"the file is not valid UTF-8 (byte 0x{bad} at column {column})."
        raise fail_at(path, line, message, "Save the file as UTF-8 text.") from exc
    text = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(text)
    except RecursionError:
        # tomllib parses nested arrays and inline tables recursively; thousands
        # of levels exhaust Python's stack long before they mean anything.
        line, depth = deepest_nesting(text)
        raise fail_at(
            path,
            line,
            f"invalid TOML: arrays or inline tables are nested {depth} levels deep here.",
            'No value in a list nests deeper than an array of strings, e.g. topics = ["nlp"].',
        ) from None
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's TOMLDecodeError carries the position only in its message.
        detail = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", detail)
        line, where = (int(m[1]), f" (column {m[2]})") if m else (text.count("\n") or 1, "")
        detail = re.sub(r"\s*\(at (?:line \d+, column \d+|end of document)\)", "", detail)
        hint = 'Check the quotes, brackets and "=" there, e.g. title = "Attention Is All You Need".'
        raise fail_at(path, line, f"invalid TOML: {detail}{where}.", hint) from exc
    return data, TomlLocator(text)


def deepest_nesting(text: str) -> tuple[int, int]:
    """(line, depth) where ``[``/``{`` nesting first reaches its maximum, strings skipped.

    Only used to point at the place once tomllib has given up, so it skips
    strings and comments the way TOML writes them but does not validate.
    """
    depth = best = 0
    line = best_line = 1
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\n":
            line += 1
        elif char == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif char in "\"'":
            triple = text.startswith(char * 3, i)
            close = char * 3 if triple else char
            j = i + len(close)
            while j < n and not text.startswith(close, j):
                if char == '"' and text[j] == "\\":
                    j += 1  # an escaped character, perhaps a quote
                elif text[j] == "\n" and not triple:
                    break  # an unclosed one-line string ends at the line end
                j += 1
            line += text.count("\n", i, j)
            i = j + len(close) if text.startswith(close, j) else j
            continue
        elif char in "[{":
            depth += 1
            if depth > best:
                best, best_line = depth, line
        elif char in "]}":
            depth = max(depth - 1, 0)
        i += 1
    return best_line, best
