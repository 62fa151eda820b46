"""The TUI's pure parts and the progress service, without an app."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from paperlab.errors import NotFoundError, UsageError
from paperlab.notes import keep_both, merge_note_fields
from paperlab.progress import plan_progress, plan_start, record_reading
from paperlab.store import Store
from paperlab.tui.clock import ActivityClock
from paperlab.tui.drafts import DraftStore
from paperlab.tui.widgets.bars import bar_text
from tests.tui.library_fixture import PLAN_START, TODAY


def test_merge_keeps_every_side_and_leaves_conflicts_to_the_user() -> None:
    base = {"summary": "a", "method": "m", "results": "r"}
    ours = {"summary": "a+", "method": "m", "results": "mine"}
    theirs = {"summary": "a", "method": "m2", "results": "theirs"}
    merge = merge_note_fields(base, ours, theirs)
    assert merge.fields["summary"] == "a+"
    assert merge.fields["method"] == "m2"
    # Both changed: the field keeps ours (no marker, no concatenation) and is asked about.
    assert merge.fields["results"] == "mine"
    assert merge.conflicts == {"results": ("mine", "theirs")}
    assert merge.theirs_changed == ("method", "results")
    assert keep_both("mine\n", "theirs") == "mine\n\ntheirs"
    assert keep_both("", "theirs") == "theirs"


def test_drafts_round_trip_and_damage(tmp_path: Path) -> None:
    drafts = DraftStore(tmp_path)
    drafts.write("hep-th/9901001", {"summary": "x"}, {"summary": ""})
    draft = drafts.read("hep-th/9901001")
    assert draft is not None and draft.fields == {"summary": "x"}
    assert drafts.path("hep-th/9901001").name == "hep-th_9901001.json"
    drafts.path("hep-th/9901001").write_text("{broken")
    assert drafts.read("hep-th/9901001") is None
    assert drafts.path("hep-th/9901001").with_suffix(".damaged").exists()  # kept aside


def test_activity_clock_stops_when_idle() -> None:
    now = [0.0]
    clock = ActivityClock(idle_limit=300, now=lambda: now[0])
    now[0] = 120
    clock.touch()
    now[0] = 3600  # an hour away from the keyboard
    assert clock.take_minutes() == pytest.approx((120 + 300) / 60)
    now[0] = 3660
    clock.touch()
    assert clock.take_minutes() == 0.0  # idle time before the key press is not counted
    now[0] = 3720
    assert clock.take_minutes() == pytest.approx(1.0)


def test_bar_text_fills_by_eighths() -> None:
    assert bar_text(0.0, 4) == "    "
    assert bar_text(1.0, 4) == "████"
    assert bar_text(0.5, 4) == "██  "
    assert bar_text(0.0625, 4) == "▎   "
    assert bar_text(2.0, 3) == "███"


def test_plan_progress_counts_weeks_and_lists(lab_store: Store) -> None:
    plan = plan_progress(lab_store, today=TODAY)
    assert plan.start == PLAN_START
    hours = {w.week: w.hours for w in plan.weeks}
    assert hours[19] == pytest.approx((90 + 120 + 60) / 60)
    assert hours[20] == pytest.approx((240 + 200) / 60)
    assert hours[21] == 0
    assert plan.current_week == 20
    by_name = {item.name: item for item in plan.lists}
    assert by_name["weeks-21-24-project"].read == 1
    assert by_name["weeks-21-24-project"].total == 2
    assert by_name["weeks-19-20-reading-papers"].reading == 1


def test_the_progress_screen_shows_this_weeks_plan(lab_store: Store) -> None:
    from paperlab.planning import week_plan
    from paperlab.tui.screens.progress import render_week_head, week_options

    week = week_plan(lab_store, today=TODAY)
    assert (week.week, week.is_current, week.start) == (20, True, date(2025, 3, 10))
    assert [p.paper_id for p in week.core] == ["1706.03762", "1512.03385"]
    assert week.spent_minutes == pytest.approx(240 + 200)
    head = render_week_head(week, TODAY).plain
    assert head.startswith("This week: week 20 (Mar 10 – Mar 16) · 7 h 20 min read of 4 h planned")
    assert head.endswith("Next: Attention Is All You Need  key0 · reading")
    options, papers = week_options(week)
    shown = [str(option.prompt).replace("\u00a0", " ") for option in options]
    assert shown[0] == "Core"
    assert shown[1].startswith("▸ 1. reading   Attention Is All You Need")
    assert papers["Core-1"].paper_id == "1706.03762"


def test_record_reading_validates(lab_store: Store) -> None:
    with pytest.raises(UsageError):
        record_reading(lab_store, "1706.03762", 0)
    with pytest.raises(NotFoundError):
        record_reading(lab_store, "9999.99999", 5)
    row = record_reading(lab_store, "key0", 30, started_at=datetime(2025, 3, 18, 10, tzinfo=UTC))
    assert row.paper_id == "1706.03762"
    assert {w.week: w.hours for w in plan_progress(lab_store).weeks}[21] == 0.5


def test_plan_start_from_env_and_default(lab_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERLAB_PLAN_START", "not a date")
    with pytest.raises(UsageError):
        plan_start(lab_store)
    monkeypatch.delenv("PAPERLAB_PLAN_START")
    # The earliest reading session (Monday 2025-03-03) starts week 19.
    assert plan_start(lab_store) == date(2025, 3, 3)


def test_core_imports_load_no_textual() -> None:
    code = (
        "import sys, paperlab.library, paperlab.store, paperlab.cli, paperlab.progress;"
        "import paperlab.cli.tui;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'textual'"
        " or m.startswith('paperlab.tui'));"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_cli_registers_tui_command() -> None:
    from paperlab.cli import COMMANDS, cli

    assert COMMANDS["tui"][:2] == ("tui", "tui")
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["tui", "--help"])
    assert result.exit_code == 0 and "--no-model" in result.output
