"""What the user typed -> a paper id, topic, tag or list, or one clear not-found error.

Every command that takes a paper, topic, tag or list goes through here, so a
name that is not in the library is reported the same way (with a close guess
when there is one) whichever command or front end met it. Reads use plain
sqlite3 (``Store.connect()``): the read-only commands resolve names without
loading the ORM, and the services that write (``library``) share the
not-found messages so their path says the same thing.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from paperlab.errors import NotFoundError, clip, shown
from paperlab.ids import ID_HINT, try_parse_arxiv_id

if TYPE_CHECKING:
    from paperlab.store.reader import ReadConnection

# --------------------------------------------------------------------------- not found


def paper_not_found(text: str, citation_keys: Callable[[], Iterable[str | None]]) -> NotFoundError:
    """The error for a paper that is not in the library (with a guess when one is close)."""
    parsed = try_parse_arxiv_id(text)
    if parsed is None and not text.startswith("local:"):
        keys = [k for k in citation_keys() if k]
        close = difflib.get_close_matches(text, keys, n=1)
        hint = f"Did you mean {close[0]}?" if close else ID_HINT
        return NotFoundError(f"No paper {shown(text)} in the library.", hint=hint)
    name = str(parsed) if parsed is not None else clip(text.strip())
    return NotFoundError(
        f"Paper {name} is not in the library.",
        hint=f"Fetch it first: paperlab fetch {name}",
    )


def topic_not_found(slug: str, slugs: list[str]) -> NotFoundError:
    close = difflib.get_close_matches(slug, slugs, n=3)
    hint = f"Did you mean {', '.join(close)}?" if close else "See `paperlab topics`."
    if not slugs:
        hint = "Load the roadmap first: paperlab fetch (or paperlab lists)."
    return NotFoundError(f"No topic {shown(slug)}.", hint=hint)


def list_not_found(name: str, names: list[str]) -> NotFoundError:
    close = difflib.get_close_matches(name, names, n=3)
    hint = f"Did you mean {', '.join(close)}?" if close else "See `paperlab lists`."
    return NotFoundError(f"No reading list {shown(name)} in the library.", hint=hint)


# --------------------------------------------------------------------------- lookup


def find_paper_id(conn: ReadConnection, text: str) -> str | None:
    """The id of the paper named by an arXiv id (any spelling), a local id or a citation key."""
    text = text.strip()
    parsed = try_parse_arxiv_id(text)
    exists = "SELECT id FROM paper WHERE id = :v"
    if parsed is not None:
        return conn.execute(exists, {"v": parsed.base}).scalar()
    found = conn.execute(exists, {"v": text}).scalar()
    if found is None:
        found = conn.execute("SELECT id FROM paper WHERE citation_key = :v", {"v": text}).scalar()
    if found is None:  # a key the paper had before a rekey still names it
        found = conn.execute(
            "SELECT paper_id FROM citation_alias WHERE key = :v", {"v": text}
        ).scalar()
    return found


def resolve_paper_id(conn: ReadConnection, text: str) -> str:
    """Like find_paper_id, but a clear NotFoundError (with a guess) when absent."""
    found = find_paper_id(conn, text)
    if found is not None:
        return found
    raise paper_not_found(
        text, lambda: [r[0] for r in conn.execute("SELECT citation_key FROM paper")]
    )


def require_topic(conn: ReadConnection, slug: str) -> str:
    if conn.execute("SELECT 1 FROM topic WHERE slug = :s", {"s": slug}).first():
        return slug
    raise topic_not_found(slug, [r[0] for r in conn.execute("SELECT slug FROM topic")])


def require_tag(conn: ReadConnection, tag: str) -> str:
    """``tag`` when some paper has it; otherwise NotFoundError with a guess."""
    if conn.execute("SELECT 1 FROM paper_tag WHERE tag = :t LIMIT 1", {"t": tag}).first():
        return tag
    names = [r[0] for r in conn.execute("SELECT DISTINCT tag FROM paper_tag")]
    close = difflib.get_close_matches(tag, names, n=3)
    hint = f"Did you mean {', '.join(close)}?" if close else "See the tags in use: paperlab tags"
    raise NotFoundError(f"No paper is tagged {shown(tag)}.", hint=hint)


def require_list(conn: ReadConnection, name: str) -> int:
    """The id of the reading list called ``name``."""
    found = conn.execute("SELECT id FROM reading_list WHERE name = :n", {"n": name}).scalar()
    if found is not None:
        return int(found)
    raise list_not_found(name, [r[0] for r in conn.execute("SELECT name FROM reading_list")])


__all__ = [
    "find_paper_id",
    "list_not_found",
    "paper_not_found",
    "require_list",
    "require_tag",
    "require_topic",
    "resolve_paper_id",
    "topic_not_found",
]
