"""What the notes editor knows about the stored note, apart from the widgets.

``base`` is the text the library holds as far as the editor knows, except for
fields in conflict: those keep the text both sides started from until the
user decides, so a draft written meanwhile still says "both changed this"
after a restart. ``expected`` is the stored ``updated_at`` the next save
passes, so a change made elsewhere is refused instead of overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from paperlab.notes import ALL_FIELDS, NoteMerge, keep_both, merge_note_fields, note_fields


def utc_stamp(value: datetime | None) -> datetime | None:
    """Stored stamps are naive UTC; compare them as aware ones."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass
class NoteState:
    base: dict[str, str] = field(default_factory=lambda: note_fields(None))
    expected: datetime | None = None
    conflicts: dict[str, tuple[str, str]] = field(default_factory=dict)

    def unsaved(self, fields: Mapping[str, str]) -> dict[str, str]:
        """Fields to write: changed here and not waiting for the user's choice."""
        return {
            k: v for k, v in fields.items() if v != self.base.get(k, "") and k not in self.conflicts
        }

    def is_news(self, stamp: datetime | None) -> bool:
        """Whether a note read with this ``updated_at`` is newer than what we know."""
        stamp = utc_stamp(stamp)
        return stamp is not None and (self.expected is None or stamp > self.expected)

    def take(
        self,
        ours: Mapping[str, str],
        theirs: Mapping[str, str],
        stamp: datetime | None,
        *,
        base: Mapping[str, str] | None = None,
    ) -> NoteMerge:
        """Merge the stored note ``theirs`` (saved at ``stamp``) with the editor's text."""
        start = dict(base) if base is not None else self.base
        merge = merge_note_fields(start, ours, theirs)
        self.expected = utc_stamp(stamp)
        self.base = {
            name: start.get(name, "") if name in merge.conflicts else theirs.get(name, "")
            for name in ALL_FIELDS
        }
        self.conflicts = dict(merge.conflicts)
        return merge

    def saved(self, changed: Mapping[str, str], stamp: datetime | None) -> None:
        self.base.update(changed)
        self.expected = utc_stamp(stamp)

    def resolve(
        self,
        fields: Mapping[str, str],
        asked: Mapping[str, tuple[str, str]],
        choices: Mapping[str, str],
    ) -> dict[str, str]:
        """The editor's fields after the user's choices ("mine", "theirs", "both").

        A field whose stored text changed again since it was asked stays in
        conflict (it will be asked anew).
        """
        result = dict(fields)
        for name, choice in choices.items():
            if name not in asked or self.conflicts.get(name, ("", None))[1] != asked[name][1]:
                continue
            theirs = asked[name][1]
            mine = result[name]
            if choice == "mine":
                result[name] = mine
            elif choice == "theirs":
                result[name] = theirs
            elif choice == "both":
                result[name] = keep_both(mine, theirs)
            else:
                continue
            self.base[name] = theirs
            del self.conflicts[name]
        return result


__all__ = ["NoteState", "utc_stamp"]
