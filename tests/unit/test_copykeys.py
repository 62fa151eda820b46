"""How ``db copy`` tells rows apart across libraries (copykeys.py)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table
from sqlmodel import SQLModel

import paperlab.store.models  # noqa: F401  (registers the tables)
from paperlab.copykeys import SURROGATE_IDENTITY, TablePlan, copy_plans


def _plans() -> dict[str, TablePlan]:
    return {p.name: p for p in copy_plans(list(SQLModel.metadata.sorted_tables))}


def test_every_table_with_ids_of_its_own_is_matched_by_a_natural_identity() -> None:
    plans = _plans()
    surrogates = {name for name, plan in plans.items() if plan.surrogate}
    assert surrogates == set(SURROGATE_IDENTITY)
    assert plans["note"].identity == ("paper_id", "owner")
    assert plans["annotation"].identity[:2] == ("paper_id", "owner")
    assert plans["note_topic"].remapped == {"note_id": "note"}
    assert plans["reading_list_entry"].remapped == {"list_id": "reading_list"}
    assert plans["paper"].identity == ("id",)
    assert "added_at" not in plans["paper"].compared


def test_a_notes_owner_joins_its_identity_once_the_column_exists() -> None:
    meta = MetaData()
    Table("paper", meta, Column("id", String, primary_key=True))
    note = Table(
        "note",
        meta,
        Column("id", Integer, primary_key=True),
        Column("paper_id", String, ForeignKey("paper.id")),
        Column("owner", String),
        Column("summary", String),
    )
    (_, plan) = copy_plans([meta.tables["paper"], note])
    assert plan.identity == ("paper_id", "owner")
    assert plan.compared == ("paper_id", "owner", "summary")


def test_a_table_with_ids_and_no_listed_identity_is_matched_by_its_content() -> None:
    meta = MetaData()
    table = Table("scribble", meta, Column("id", Integer, primary_key=True), Column("text", String))
    (plan,) = copy_plans([table])
    assert plan.surrogate and plan.identity == ("text",)
