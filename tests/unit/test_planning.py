"""The reading-plan migration and the planning service on a real library file."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from paperlab.errors import UsageError
from paperlab.loading import load_lists_into
from paperlab.planning import chosen_track, current_week, week_plan
from paperlab.readinglists import bundled_roadmap_and_lists
from paperlab.store import Store, migrations, open_store
from paperlab.tracks import choose_track, clear_track, list_tracks
from tests.helpers import use_fixture_lists


def test_the_migration_keeps_lists_and_adds_the_plan_columns(
    paperlab_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library made before the plan: its lists and entries read with the format's defaults."""
    every = list(migrations.MIGRATIONS)
    mine = next(i for i, m in enumerate(every) if m.__name__.endswith("_reading_plan"))
    monkeypatch.setattr(migrations, "MIGRATIONS", every[:mine])
    open_store().close()
    db = paperlab_home / "paperlab.db"
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO paper (id, added_at, updated_at) VALUES ('1706.03762', 'x', 'x')")
        conn.execute(
            "INSERT INTO reading_list (id, name, title, weeks, loaded_at) "
            "VALUES (1, 'old-list', 'Old', '[19]', 'x')"
        )
        conn.execute(
            "INSERT INTO reading_list_entry (list_id, paper_id, week, why) "
            "VALUES (1, '1706.03762', 19, 'kept')"
        )
    monkeypatch.setattr(migrations, "MIGRATIONS", every)
    store = open_store()
    store.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute(
            "SELECT hours_per_week, track, builds_on FROM reading_list"
        ).fetchall() == [(4.0, None, "[]")]
        assert conn.execute(
            "SELECT why, core, pages, focus, prerequisites FROM reading_list_entry"
        ).fetchall() == [("kept", 1, None, None, "[]")]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"list_milestone", "list_external_entry", "library_setting"} <= tables


@pytest.fixture
def planned(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    use_fixture_lists(monkeypatch)
    roadmap, specs = bundled_roadmap_and_lists()
    load_lists_into(store, roadmap, specs)
    return store


def test_current_week_counts_from_the_plan_start_and_is_clamped(
    planned: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERLAB_PLAN_START", "2026-03-02")
    start = date(2026, 3, 2)
    assert current_week(planned, start - timedelta(days=3)) == 19  # before the plan
    assert current_week(planned, start + timedelta(days=6)) == 19
    assert current_week(planned, start + timedelta(days=7)) == 20
    assert current_week(planned, start + timedelta(days=7 * 3 + 2)) == 22
    assert current_week(planned, start + timedelta(days=400)) == 24  # after it
    before = week_plan(planned, today=start - timedelta(days=3))
    assert before.week == 19 and not before.is_current  # the plan has not started yet
    plan = week_plan(planned, 22, today=start + timedelta(days=7 * 3))
    assert plan.is_current and plan.start == start + timedelta(days=21)
    assert plan.end == plan.start + timedelta(days=6)


def test_the_chosen_track_decides_weeks_21_to_24(planned: Store) -> None:
    assert chosen_track(planned) is None and week_plan(planned, 22).core == ()
    choose_track(planned, "beta")
    assert chosen_track(planned) == "beta"
    plan = week_plan(planned, 22)
    assert plan.track == "beta" and [p.key for p in plan.core] == ["1301.5088"]
    assert plan.budget_hours == 2.5 and plan.core_pages == 2
    assert [t.slug for t in list_tracks(planned) if t.chosen] == ["beta"]
    assert clear_track(planned) == "beta" and chosen_track(planned) is None
    with pytest.raises(UsageError, match="no track named 'zeta'") as info:
        choose_track(planned, "zeta")
    assert info.value.exit_code == 2


def test_week_19_before_any_fetch_shows_every_paper_missing(planned: Store) -> None:
    plan = week_plan(planned, 19)
    assert [p.state for p in plan.core] == ["missing"] * 3
    assert plan.next_paper is not None and plan.next_paper.key == "keshav-how-to-read"
    assert plan.next_paper.url == "https://doi.org/10.1145/1273445.1273458"
    assert plan.core[2].builds_on == ("Calculus (weeks 3-4)",)
