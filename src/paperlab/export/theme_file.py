"""``themes.toml``: the user's say over how the review groups and names papers.

The first review export into a folder writes the themes it found there; the
user renames a theme, moves a paper's key to another one, or adds a theme,
and every later export keeps that grouping. Papers the file does not name
are grouped automatically as before. An unknown key is reported, not fatal:
a paper removed from the library must not stop the draft.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from paperlab.errors import UsageError

THEMES_FILE = "themes.toml"

_HEADER = """\
# Themes of the review draft in this folder.
# Rename a theme, move a paper (its citation key or arXiv id) to another
# theme, or add a [[theme]]: the next `paperlab export review` keeps this
# grouping. Papers not named here are grouped automatically; delete this
# file to regroup everything.
"""


@dataclass(frozen=True)
class UserTheme:
    name: str
    papers: list[str]  # as the user wrote them: keys or ids


@dataclass
class ThemeFile:
    themes: list[UserTheme] = field(default_factory=list)
    path: Path | None = None


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c >= " " or c == "\t" else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


def read_theme_file(path: Path) -> ThemeFile:
    """The themes in ``path`` (none when it does not exist)."""
    path = Path(path)
    if not path.is_file():
        return ThemeFile(path=path)
    hint = f"Fix {path.name} (see the comment at its top), or delete it to regroup."
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: not valid TOML ({error}).", hint=hint) from None
    raw = data.get("theme", [])
    if not isinstance(raw, list):
        raise UsageError(f"{path}: `theme` must be a list of [[theme]] tables.", hint=hint)
    themes: list[UserTheme] = []
    for number, table in enumerate(raw, start=1):
        name = table.get("name") if isinstance(table, dict) else None
        papers = table.get("papers", []) if isinstance(table, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise UsageError(f"{path}: theme {number} has no name.", hint=hint)
        if not isinstance(papers, list) or not all(isinstance(p, str) for p in papers):
            raise UsageError(
                f"{path}: the papers of theme {name!r} must be a list of keys.", hint=hint
            )
        themes.append(UserTheme(name=" ".join(name.split()), papers=[p.strip() for p in papers]))
    return ThemeFile(themes=themes, path=path)


def theme_file_text(themes: Sequence[tuple[str, Sequence[str]]], titles: Mapping[str, str]) -> str:
    """``themes.toml`` for (name, citation keys) pairs; ``titles`` by key become comments."""
    out = [_HEADER]
    for name, keys in themes:
        out += ["[[theme]]", f"name = {_toml_string(name)}", "papers = ["]
        for key in keys:
            title = " ".join(titles.get(key, "").split())[:70]
            comment = f"  # {title}" if title else ""
            out.append(f"  {_toml_string(key)},{comment}")
        out += ["]", ""]
    return "\n".join(out)


__all__ = ["THEMES_FILE", "ThemeFile", "UserTheme", "read_theme_file", "theme_file_text"]
