"""Where the reader left each paper: page, first visible line and cursor offset.

One row per paper and user in ``reading_position`` (migrations 11 and 12),
replaced on every save, so reopening a paper in the reader brings the learner back to the place
they stopped rather than to page 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from paperlab.store.values import me, parse_datetime

if TYPE_CHECKING:
    from datetime import datetime

    from paperlab.store import Store


@dataclass(frozen=True)
class ReadingPosition:
    paper_id: str
    page: int
    scroll_y: int = 0  # the first visible line of the page view (wrapped lines)
    cursor: int = 0  # character offset of the cursor in the page text
    updated_at: datetime | None = None


def load_position(store: Store, paper_id: str) -> ReadingPosition | None:
    """The current user's saved position in ``paper_id`` (plain sqlite3), or None."""
    with store.connect() as conn:
        row = conn.execute(
            "SELECT page, scroll_y, cursor, updated_at FROM reading_position "
            "WHERE paper_id = :p AND owner = :me",
            {"p": paper_id, **me()},
        ).first()
    if row is None:
        return None
    page, scroll_y, cursor, updated = row
    return ReadingPosition(paper_id, int(page), int(scroll_y), int(cursor), parse_datetime(updated))


def save_position(store: Store, position: ReadingPosition) -> None:
    """Remember ``position`` for its paper and the current user (one row each, replaced)."""
    from paperlab.settings import current_user
    from paperlab.store.models import ReadingPosition as Row
    from paperlab.store.models import utcnow

    user = current_user()
    with store.write() as session:
        key = (position.paper_id, user)
        row = session.get(Row, key, with_for_update=True) or Row(
            paper_id=position.paper_id, owner=user, page=1
        )
        row.page = max(1, position.page)
        row.scroll_y = max(0, position.scroll_y)
        row.cursor = max(0, position.cursor)
        row.updated_at = utcnow()
        session.add(row)


__all__ = ["ReadingPosition", "load_position", "save_position"]
