"""Note drafts on disk, so no typed word is lost.

Every keystroke in the notes editor rewrites a small JSON draft in the cache
directory; the draft disappears once the database holds the same text. If the
app dies, or another process changed the note meanwhile, the draft is merged
with what the database holds when the note is opened again
(``notes.merge_note_fields``); a field both sides changed is put to the user.
The draft's ``base`` is what the database held when the typing began, so a
conflict that was not decided before quitting is offered again, not decided
silently.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class Draft:
    paper_id: str
    fields: dict[str, str]
    base: dict[str, str]
    written_at: datetime


class DraftStore:
    """Draft files under ``<cache_dir>/drafts``, one per paper."""

    def __init__(self, cache_dir: Path) -> None:
        self.dir = cache_dir / "drafts"

    def path(self, paper_id: str) -> Path:
        return self.dir / (re.sub(r"[^A-Za-z0-9._-]", "_", paper_id) + ".json")

    def write(self, paper_id: str, fields: Mapping[str, str], base: Mapping[str, str]) -> None:
        """Atomically replace the paper's draft."""
        self.dir.mkdir(parents=True, exist_ok=True)
        target = self.path(paper_id)
        tmp = target.with_suffix(".tmp")
        payload = {
            "paper_id": paper_id,
            "fields": dict(fields),
            "base": dict(base),
            "written_at": datetime.now(UTC).isoformat(),
        }
        tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, target)

    def read(self, paper_id: str) -> Draft | None:
        """The paper's draft, or None (an unreadable draft is kept aside, not deleted)."""
        target = self.path(paper_id)
        try:
            data = json.loads(target.read_text(encoding="utf-8"))
            return Draft(
                paper_id=str(data["paper_id"]),
                fields={str(k): str(v) for k, v in data["fields"].items()},
                base={str(k): str(v) for k, v in data.get("base", {}).items()},
                written_at=datetime.fromisoformat(data["written_at"]),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            target.replace(target.with_suffix(".damaged"))
            return None

    def discard(self, paper_id: str) -> None:
        self.path(paper_id).unlink(missing_ok=True)


__all__ = ["Draft", "DraftStore"]
