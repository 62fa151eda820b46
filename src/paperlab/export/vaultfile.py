"""Reading a vault note back: the fields a paper's file holds, and how two sides merge.

``export notes`` writes each paper's file as front matter, a header (title,
authors, link, topics), one ``## Heading`` section per note field and the
annotations, then the marker line and the user's own part. This module reads
that generated part back into the same fields the library keeps (the note's
sections, the free tags and the reading state), and decides field by field,
against the values of the last export (the *base*), which side changed:

* only the vault: the vault's text goes to the library;
* only the library: the library's text goes to the vault on the next export;
* both, differently: a conflict, reported and left alone on both sides.

Text the user typed where no field lives (under a heading of their own, in
the header, among the annotations) is never dropped: it joins the free notes
(``body``). Comparisons are made between values as this parser reads them,
so what the exporter writes and what it reads back always compare equal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from paperlab.errors import clip
from paperlab.store.values import NOTE_FIELD_TITLES

# The note's fields in the order the file shows them, with their headings.
FIELD_TITLES: dict[str, str] = NOTE_FIELD_TITLES
NOTE_KEYS: tuple[str, ...] = tuple(FIELD_TITLES)
# Values compared as one text each; tags merge as a set (see merge_fields).
SCALAR_KEYS: tuple[str, ...] = (*NOTE_KEYS, "state")
# Front matter the library owns (arXiv metadata, the key): shown, never imported.
METADATA_KEYS: tuple[str, ...] = ("title", "authors", "year", "citekey")
ANNOTATIONS_TITLE = "Annotations"

_HEADING = re.compile(r"^ {0,3}##[ \t]+(?P<title>.*?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_BY_TITLE = {title.lower(): name for name, title in FIELD_TITLES.items()} | {
    name: name for name in FIELD_TITLES
}


class FrontMatterError(ValueError):
    """The file's front matter cannot be read: one sentence saying where."""


@dataclass
class NoteFile:
    """One vault file's generated part, as read back."""

    front: dict[str, Any]  # the front matter (all scalars as text)
    header: list[str]  # lines between the front matter and the first section
    sections: dict[str, str]  # note field -> text
    extra: list[str]  # text under headings that name no field, heading included
    annotations: list[str]  # lines of the Annotations section
    has_marker: bool
    annotation_text: list[str] = field(default_factory=list)  # the same, blank lines kept

    @property
    def paper_id(self) -> str | None:
        value = self.front.get("id")
        return value.strip() or None if isinstance(value, str) else None

    def blocks(self) -> list[tuple[str, str]] | None:
        """(quote with its page line, comment) of each annotation; None if not that shape."""
        out: list[tuple[str, str]] = []
        lines, i = self.annotation_text, 0
        while i < len(lines):
            if not lines[i].strip():
                i += 1
                continue
            if not lines[i].startswith(">"):
                return None  # text before a quote: not a block the export wrote
            quote = []
            while i < len(lines) and lines[i].startswith(">"):
                quote.append(lines[i][1:].strip())
                i += 1
            comment = []
            while i < len(lines) and not lines[i].startswith(">"):
                comment.append(lines[i])
                i += 1
            if len(quote) < 2 or not quote[-1].startswith("— "):
                return None
            out.append(("\n".join(quote), _clean(comment)))
        return out

    def values(
        self, base: Mapping[str, Any] | None = None, *, comments: bool = False
    ) -> dict[str, Any]:
        """The fields as the library keeps them: note sections, tags and state.

        With ``base`` (the last export's values), lines the user added to the
        header or the annotations, which hold no field, are kept in ``body``.
        With ``comments`` (the annotations line up with the library's, see
        ``read_values``), each annotation's comment is a field of its own
        (``comment:0``, ...) instead.
        """
        stray = [*self.extra]
        blocks = self.blocks() if comments else None
        if base is not None:
            stray += added_lines(self.header, base.get("_header", []))
            if blocks is None:
                stray += added_lines(self.annotations, base.get("_annotations", []))
        values: dict[str, Any] = {name: self.sections.get(name, "") for name in NOTE_KEYS}
        loose = _clean(stray)
        if loose:
            values["body"] = f"{loose}\n\n{values['body']}" if values["body"] else loose
        values["tags"] = tag_list(self.front.get("tags"))
        state = self.front.get("state")
        values["state"] = state.strip() if isinstance(state, str) else ""
        for i, (_quote, comment) in enumerate(blocks or []):
            values[f"comment:{i}"] = comment
        return values

    def metadata(self) -> dict[str, Any]:
        return {key: self.front.get(key) for key in METADATA_KEYS}

    def layout(self) -> dict[str, Any]:
        """What a base records besides the fields: the generated lines holding none."""
        blocks = self.blocks()
        return {
            "_header": self.header,
            "_annotations": self.annotations,
            "_quotes": [quote for quote, _ in blocks] if blocks is not None else None,
            "_meta": self.metadata(),
        }


def read_values(
    vault: NoteFile, library: NoteFile, base: Mapping[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(vault values, library values) ready for ``merge_fields``.

    Annotation comments are compared one by one only when the annotations
    line up on every side (same quotes, same order, in the file, the library
    and the base): otherwise the file's lines among them are treated as text
    of the user's own and kept in the free notes.
    """
    lib_blocks, file_blocks = library.blocks(), vault.blocks()
    quotes = [q for q, _ in lib_blocks] if lib_blocks is not None else None
    aligned = (
        quotes is not None
        and file_blocks is not None
        and [q for q, _ in file_blocks] == quotes
        and (base is None or base.get("_quotes") == quotes)
    )
    return vault.values(base, comments=aligned), library.values(comments=aligned)


def split_marker(text: str, marker: str) -> tuple[str, str | None]:
    """(generated part, user part) of a file; no marker line: the whole file, None."""
    offset = 0
    for line in text.splitlines(keepends=True):
        if line.strip() == marker:
            return text[:offset], text[offset + len(line) :]
        offset += len(line)
    return text, None


def read_front_matter(text: str) -> tuple[dict[str, Any], list[str]]:
    """(front matter, remaining lines); a file without front matter gives ``{}``."""
    import yaml

    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, lines
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise FrontMatterError("its front matter has no closing '---' line")
    try:
        # BaseLoader keeps every scalar as text: an unquoted id such as
        # 1706.03760 must not become the float 1706.0376.
        front = yaml.load("\n".join(lines[1:end]), Loader=yaml.BaseLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "is not valid YAML"
        raise FrontMatterError(f"its front matter{where} {clip(str(problem), 60)}") from None
    if front is None:
        front = {}
    if not isinstance(front, dict):
        raise FrontMatterError("its front matter is not a set of 'key: value' lines")
    return front, lines[end + 1 :]


# The front-matter keys the export writes; any other is the user's and is kept.
OWN_KEYS: tuple[str, ...] = (
    "id",
    "title",
    "authors",
    "year",
    "tags",
    "citekey",
    "state",
    "aliases",
)
_KEY_LINE = re.compile(r"^(?P<key>[^\s#:][^:]*):(\s|$)")


@dataclass
class UserFrontMatter:
    """What the user added to a file's front matter: kept by the next export."""

    lines: list[str] = field(default_factory=list)  # their own properties, verbatim
    aliases: list[str] = field(default_factory=list)  # aliases besides the title


def user_front_matter(text: str, marker: str) -> UserFrontMatter:
    """Properties and aliases the user added in Obsidian (``rating: 5``, a second alias).

    Unreadable front matter gives nothing: the caller decides what to do with
    such a file.
    """
    generated, _ = split_marker(text, marker)
    try:
        front, _rest = read_front_matter(generated)
    except FrontMatterError:
        return UserFrontMatter()
    lines = generated.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out = UserFrontMatter()
    if front:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
        keep = False
        for line in lines[1:end]:
            key = _KEY_LINE.match(line)
            if key is not None:
                keep = key["key"].strip() not in OWN_KEYS
            if keep:
                out.lines.append(line.rstrip())
    title = front.get("title")
    for alias in tag_list(front.get("aliases")) if isinstance(front.get("aliases"), list) else []:
        if alias != title and alias not in out.aliases:
            out.aliases.append(alias)
    return out


def parse_note(text: str, marker: str) -> NoteFile:
    """Read a paper's file (generated part only; the user's part is the vault's own)."""
    generated, user = split_marker(text, marker)
    front, lines = read_front_matter(generated)
    header: list[str] = []
    sections: dict[str, list[str]] = {}
    extra: list[str] = []
    annotations: list[str] = []
    current = header
    in_fence = False
    in_body = False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading is not None:
            title = " ".join(heading["title"].strip().rstrip(":").split()).lower()
            if title == ANNOTATIONS_TITLE.lower():
                current, in_body = annotations, False
                continue
            if not in_body:  # after the Notes heading, headings are the body's own
                name = _BY_TITLE.get(title)
                if name is not None:
                    current = sections.setdefault(name, [])
                    if name == "body":
                        in_body = True
                    elif current:  # a field given twice keeps both texts
                        current.append("")
                    continue
                current = extra
                extra.append(line)
                continue
        current.append(line)
    return NoteFile(
        front=front,
        header=_lines(header),
        sections={name: _clean(block) for name, block in sections.items()},
        extra=extra,
        annotations=_lines(annotations),
        has_marker=user is not None,
        annotation_text=[line.rstrip() for line in annotations],
    )


def tag_list(value: Any) -> list[str]:
    """Obsidian's tags in any spelling it writes: a list, or one text of several."""
    items: Iterable[Any]
    if isinstance(value, list):
        items = value
    elif isinstance(value, str):
        items = re.split(r"[,\s]+", value)
    else:
        return []
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            tag = item.strip().removeprefix("#").strip()
            if tag and tag not in out:
                out.append(tag)
    return out


def added_lines(now: Sequence[str], before: Sequence[str]) -> list[str]:
    """Lines of ``now`` that ``before`` did not have (each old line matches once)."""
    left: dict[str, int] = {}
    for line in before:
        left[line] = left.get(line, 0) + 1
    out = []
    for line in now:
        if left.get(line, 0) > 0:
            left[line] -= 1
        elif line.strip():
            out.append(line)
    return out


def _lines(block: list[str]) -> list[str]:
    return [line.rstrip() for line in block if line.strip()]


def _clean(lines: Sequence[str]) -> str:
    """A section's text without surrounding blank lines or trailing spaces."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(line.rstrip() for line in lines[start:end])


@dataclass
class FieldMerge:
    """What a three-way comparison of one paper's fields decided."""

    to_library: dict[str, str] = field(default_factory=dict)  # vault edits for the library
    keep_in_vault: dict[str, Any] = field(default_factory=dict)  # file text an export keeps
    conflicts: list[str] = field(default_factory=list)  # fields changed on both sides
    tags_added: list[str] = field(default_factory=list)
    tags_removed: list[str] = field(default_factory=list)
    agreed: list[str] = field(default_factory=list)  # both sides made the same edit

    @property
    def changes_library(self) -> bool:
        return bool(self.to_library or self.tags_added or self.tags_removed)


def merge_fields(
    base: Mapping[str, Any] | None, vault: Mapping[str, Any], library: Mapping[str, Any]
) -> FieldMerge:
    """Field by field: which side changed since ``base``, and what goes where.

    Without a base (a vault written before paperlab kept one) nobody can tell
    which side changed: a field the library leaves empty takes the vault's
    text, equal fields agree, and any other difference is a conflict.
    """
    out = FieldMerge()
    comments = sorted(
        (k for k in {*vault, *library} if k.startswith("comment:")), key=lambda k: int(k[8:])
    )
    for key in (*SCALAR_KEYS, *comments):
        v, d = vault.get(key, ""), library.get(key, "")
        if v == d:
            if base is not None and base.get(key, "") != v:
                out.agreed.append(key)
            continue
        if base is None:
            if not d.strip():
                out.to_library[key] = v
            elif v.strip():
                out.conflicts.append(key)
            continue
        b = base.get(key, "")
        if v == b:
            continue  # only the library changed: the next export writes it
        if d == b:
            out.to_library[key] = v
            out.keep_in_vault[key] = v
        else:
            out.conflicts.append(key)
            out.keep_in_vault[key] = v
    v_tags, d_tags = vault.get("tags", []), library.get("tags", [])
    b_tags = base.get("tags", []) if base is not None else d_tags
    out.tags_added = [t for t in v_tags if t not in b_tags and t not in d_tags]
    out.tags_removed = [t for t in b_tags if t not in v_tags and t in d_tags]
    if out.tags_added or out.tags_removed:
        out.keep_in_vault["tags"] = [t for t in d_tags if t not in out.tags_removed] + [
            t for t in out.tags_added
        ]
    return out


__all__ = [
    "FIELD_TITLES",
    "NOTE_KEYS",
    "OWN_KEYS",
    "SCALAR_KEYS",
    "FieldMerge",
    "FrontMatterError",
    "NoteFile",
    "UserFrontMatter",
    "added_lines",
    "merge_fields",
    "parse_note",
    "read_front_matter",
    "read_values",
    "split_marker",
    "tag_list",
    "user_front_matter",
]
