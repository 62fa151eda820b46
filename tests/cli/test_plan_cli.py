"""Tracks, the bare fetch that follows the chosen one, entries not on arXiv, and the plan.

Every test reads the fixture lists of tests/data/lists (PAPERLAB_LISTS_DIR),
never the shipped ones, and fetches from the fake arXiv on 127.0.0.1.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from paperlab.readinglists import LISTS_DIR_ENV, load_bundled_lists
from tests.fakearxiv import FakeArxiv, FakePaper, make_pdf, sample_paper
from tests.helpers import library_execute, run_cli

# Run on SQLite and on a lab database (PostgreSQL): see tests/conftest.py.
both_stores = pytest.mark.usefixtures("backend")

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "lists"
BASICS_IDS = ["1206.5533", "math/9404236", "1502.03167", "1803.09820"]
ALPHA_IDS = ["1409.0473", "1608.03983", "1706.05394", "1807.04162", "1910.10685"]
BETA_IDS = ["1301.5088", "1705.05363", "2004.13332", "2104.00008"]


@pytest.fixture
def lists_dir(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(LISTS_DIR_ENV, str(FIXTURES))
    return FIXTURES


@pytest.fixture
def week19_now(monkeypatch: pytest.MonkeyPatch) -> date:
    """The plan started this Monday: today is in week 19."""
    today = date.today()
    start = today - timedelta(days=today.weekday())
    monkeypatch.setenv("PAPERLAB_PLAN_START", start.isoformat())
    return start


def serve_fixture_papers(arxiv: FakeArxiv) -> None:
    """Every arXiv entry of the fixture lists, under the title its list gives."""
    for spec in load_bundled_lists():
        for entry in spec.arxiv_entries:
            assert entry.arxiv_id is not None
            if entry.arxiv_id.base not in arxiv.papers:
                arxiv.add(sample_paper(entry.arxiv_id.base, title=entry.title))


def asked_ids(arxiv: FakeArxiv) -> set[str]:
    asked: set[str] = set()
    for request in arxiv.requests("api"):
        asked.update(request.query.get("id_list", "").split(","))
    return asked - {""}


def db_rows(home: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(home / "paperlab.db") as conn:
        return conn.execute(sql).fetchall()


# ---------------------------------------------------------------- tracks


def test_topics_show_course_provider_and_project(
    lists_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    topics = {t["slug"]: t for t in json.loads(run_cli(capsys, "topics", "--json").out)}
    nlp = topics["nlp"]
    assert (nlp["course"], nlp["project"]) == ("Applied Text Mining in Python", "nb-text")
    assert nlp["outcomes"] == ["Train and evaluate a Naive Bayes text classifier"]
    assert nlp["note"].startswith("The roadmap names another course")
    text = run_cli(capsys, "topics").out
    assert "course: Applied Text Mining in Python (University of Michigan (Coursera))" in text
    assert "project: Naive Bayes text classifier" in text


def test_track_lists_the_tracks_with_what_they_build_on(
    lists_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "track", "--json")
    assert result.code == 0, result.err
    tracks = json.loads(result.out)
    assert [t["slug"] for t in tracks] == ["alpha", "beta"]
    alpha = tracks[0]
    assert alpha["builds_on"] == [
        "Keras CNN image classifier (project, weeks 5-6)",
        "Convolutional networks (weeks 5-6)",
    ]
    assert (alpha["core"], alpha["optional"], alpha["weeks"]) == (4, 1, [21, 22, 23, 24])
    assert not any(t["chosen"] for t in tracks)
    text = run_cli(capsys, "track")
    assert "No track chosen" in text.out and "paperlab track choose alpha" in text.out
    assert "builds on: Naive Bayes text classifier (project, weeks 7-8)" in text.out


@both_stores
def test_choose_and_clear_a_track(lists_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chosen = run_cli(capsys, "track", "choose", "beta")
    assert chosen.code == 0, chosen.err
    assert "Chosen track: beta" in chosen.out
    listed = json.loads(run_cli(capsys, "track", "--json").out)
    assert [t["slug"] for t in listed if t["chosen"]] == ["beta"]
    assert "* beta: Track: beta  (chosen)" in run_cli(capsys, "track").out
    again = run_cli(capsys, "track", "choose", "alpha")  # a new choice replaces the old
    assert again.code == 0
    assert [
        t["slug"] for t in json.loads(run_cli(capsys, "track", "--json").out) if t["chosen"]
    ] == ["alpha"]
    cleared = run_cli(capsys, "track", "clear")
    assert cleared.code == 0 and "'alpha' is no longer chosen" in cleared.out
    assert not any(t["chosen"] for t in json.loads(run_cli(capsys, "track", "--json").out))
    assert "No track was chosen" in run_cli(capsys, "track", "clear").out


def test_choosing_an_unknown_track_is_exit_2_with_a_suggestion(
    lists_dir: Path, paperlab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_cli(capsys, "track", "choose", "alpha")
    result = run_cli(capsys, "track", "choose", "alpah")
    assert result.code == 2
    assert "Error: There is no track named 'alpah'." in result.err
    assert "Did you mean 'alpha'?" in result.err and "Traceback" not in result.err
    # the earlier choice is kept
    assert db_rows(paperlab_home, "SELECT value FROM library_setting") == [("alpha",)]
    hostile = run_cli(capsys, "track", "choose", "\x1b[2J" + "x" * 100_000)
    assert hostile.code == 2 and "\x1b" not in hostile.err
    assert max(len(line) for line in hostile.err.splitlines()) < 300  # quoted, not echoed


# ---------------------------------------------------------------- bare fetch


def test_bare_fetch_without_a_track_fetches_every_track_and_says_how_to_choose(
    lists_dir: Path, fake_arxiv: FakeArxiv, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_fixture_papers(fake_arxiv)
    result = run_cli(capsys, "fetch", "--no-index")
    assert result.code == 0, result.err
    assert asked_ids(fake_arxiv) == set(BASICS_IDS + ALPHA_IDS + BETA_IDS)
    assert "No track chosen: fetched all 2 weeks 21-24 tracks (alpha, beta)" in result.err
    assert "paperlab track choose NAME" in result.err


def test_bare_fetch_with_a_chosen_track_fetches_weeks_19_20_and_that_track(
    lists_dir: Path,
    fake_arxiv: FakeArxiv,
    paperlab_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    serve_fixture_papers(fake_arxiv)
    assert run_cli(capsys, "track", "choose", "alpha").code == 0
    result = run_cli(capsys, "fetch", "--no-index", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["track"] == "alpha"
    assert report["lists"] == ["weeks-19-20-basics", "weeks-21-24-alpha"]
    assert asked_ids(fake_arxiv) == set(BASICS_IDS + ALPHA_IDS)
    stored = {str(r[0]) for r in db_rows(paperlab_home, "SELECT name FROM reading_list")}
    assert stored == {"weeks-19-20-basics", "weeks-21-24-alpha"}
    # what the plan needs is stored with the lists
    assert db_rows(
        paperlab_home,
        "SELECT track, hours_per_week, builds_on FROM reading_list WHERE name = "
        "'weeks-21-24-alpha'",
    ) == [("alpha", 2.5, '["keras-cnn", "cnn"]')]
    assert db_rows(
        paperlab_home,
        "SELECT core, pages, focus, prerequisites FROM reading_list_entry "
        "WHERE paper_id = '1206.5533'",
    ) == [(1, 12, "Sections 1-3", '["keshav-how-to-read", "keras-cnn"]')]
    assert db_rows(paperlab_home, "SELECT week, task FROM list_milestone ORDER BY week")[0] == (
        19,
        "Write the five Cs of the first paper.",
    )


@both_stores
def test_entries_not_on_arxiv_are_reported_once_with_their_link(
    lists_dir: Path, fake_arxiv: FakeArxiv, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_fixture_papers(fake_arxiv)
    result = run_cli(capsys, "fetch", "--no-index")
    assert result.code == 0, result.err
    assert "2 papers not on arXiv to get yourself" in result.err
    assert result.err.count("keshav-how-to-read: How to Read a Paper") == 1
    assert "https://doi.org/10.1145/1273445.1273458" in result.err
    assert "https://example.org/notes.html" in result.err
    assert "paperlab add FILE.pdf" in result.err
    # nothing was asked of a host paperlab may not contact
    assert all(r.path.startswith(("/api", "/pdf")) for r in fake_arxiv.requests())
    lists = {r["name"]: r for r in json.loads(run_cli(capsys, "lists", "--json").out)}
    basics = lists["weeks-19-20-basics"]
    assert (basics["papers"], basics["in_library"], basics["to_get_by_hand"]) == (5, 4, 1)
    assert (basics["track"], lists["weeks-21-24-alpha"]["track"]) == (None, "alpha")
    report = json.loads(run_cli(capsys, "fetch", "--no-index", "--json").out)
    assert [(e["key"], e["status"]) for e in report["not_on_arxiv"]] == [
        ("keshav-how-to-read", "get-yourself"),
        ("beta-web-notes", "get-yourself"),
    ]


@both_stores
def test_add_links_a_matching_pdf_to_its_entry(
    lists_dir: Path,
    fake_arxiv: FakeArxiv,
    tmp_path: Path,
    week19_now: date,
    capsys: pytest.CaptureFixture[str],
) -> None:
    serve_fixture_papers(fake_arxiv)
    assert run_cli(capsys, "fetch", "--no-index").code == 0
    pdf = tmp_path / "keshav.pdf"
    pdf.write_bytes(
        make_pdf(
            "How to Read a Paper",
            ["S. Keshav. ACM SIGCOMM CCR, DOI 10.1145/1273445.1273458. The three-pass method."],
        )
    )
    added = run_cli(capsys, "add", "--no-index", str(pdf))
    assert added.code == 0, added.err
    assert "linked to the reading-list entry 'keshav-how-to-read'" in added.out
    plan = json.loads(run_cli(capsys, "plan", "--week", "19", "--json").out)
    keshav = next(p for p in plan["core"] if p["key"] != "1206.5533" and p["pages"] == 2)
    assert keshav["paper_id"].startswith("local:") and keshav["state"] == "unread"
    assert keshav["url"] is None  # in the library: nothing to get by hand
    # the linked paper is on its list like any other
    listed = json.loads(run_cli(capsys, "list", "--list", "weeks-19-20-basics", "--json").out)
    assert keshav["paper_id"] in [row["id"] for row in listed]
    shown = run_cli(capsys, "show", keshav["paper_id"], "--json")
    assert shown.code == 0 and "weeks-19-20-basics" in shown.out
    again = run_cli(capsys, "fetch", "--no-index")
    assert "keshav-how-to-read" not in again.err  # linked: no longer to get by hand
    assert "1 paper not on arXiv to get yourself" in again.err


def test_an_entry_on_an_allowed_host_is_downloaded_and_linked(
    fake_arxiv: FakeArxiv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hosted = FakePaper(
        id="2301.00001",
        title="Hosted Lecture Notes on Reading",
        pdf_bytes=make_pdf("Hosted Lecture Notes on Reading", ["Notes without a stamp."]),
    )
    fake_arxiv.add(hosted)
    lists = tmp_path / "lists"
    lists.mkdir()
    shutil.copy(FIXTURES / "roadmap.toml", lists)
    (lists / "hosted.toml").write_text(
        'name = "hosted"\ntitle = "Hosted"\ndescription = "An entry on an allowed host."\n'
        'weeks = [19]\n\n[[paper]]\nkey = "hosted-notes"\n'
        'title = "Hosted Lecture Notes on Reading"\nauthors = ["A. Host"]\nyear = 2020\n'
        f'url = "{fake_arxiv.pdf_url("2301.00001")}"\nweek = 19\npages = 3\n'
        'why = "Served by a host paperlab may contact."\n',
        encoding="utf-8",
    )
    monkeypatch.setenv(LISTS_DIR_ENV, str(lists))
    result = run_cli(capsys, "fetch", "--no-index", "--json")
    assert result.code == 0, result.err
    (external,) = json.loads(result.out)["not_on_arxiv"]
    assert external["status"] == "downloaded" and external["paper_id"].startswith("local:")
    assert len(fake_arxiv.requests("pdf")) == 1
    plan = json.loads(run_cli(capsys, "plan", "--week", "19", "--json").out)
    assert plan["core"][0]["paper_id"] == external["paper_id"]
    again = json.loads(run_cli(capsys, "fetch", "--no-index", "--json").out)
    assert again["not_on_arxiv"] == [] and len(fake_arxiv.requests("pdf")) == 1


# ---------------------------------------------------------------- plan


@both_stores
def test_plan_week_19_in_order_with_state_pages_and_hours(
    lists_dir: Path,
    fake_arxiv: FakeArxiv,
    paperlab_home: Path,
    week19_now: date,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from paperlab.progress import record_reading
    from paperlab.store import open_store

    serve_fixture_papers(fake_arxiv)
    assert run_cli(capsys, "fetch", "--no-index").code == 0
    assert run_cli(capsys, "read", "1206.5533", "read").code == 0
    store = open_store()
    record_reading(store, "1206.5533", 50)
    record_reading(store, "math/9404236", 25)
    store.close()
    # as a failed fetch leaves it
    library_execute("UPDATE paper SET state = 'failed' WHERE id = '1502.03167'")

    plan = json.loads(run_cli(capsys, "plan", "--json").out)
    assert (plan["week"], plan["is_current"], plan["start"]) == (19, True, str(week19_now))
    assert plan["budget_hours"] == 4.0 and plan["spent_minutes"] == pytest.approx(75)
    core = [(p["key"], p["state"], p["pages"], p["core"]) for p in plan["core"]]
    assert core[0] == ("keshav-how-to-read", "missing", 2, True)
    assert core[1][1:] == ("read", 12, True) and core[2][1:] == ("unread", 15, True)
    assert plan["core_pages"] == 29
    training = plan["core"][1]
    assert training["minutes"] == pytest.approx(50) and training["focus"] == "Sections 1-3"
    assert training["builds_on"] == [
        "How to Read a Paper (earlier in the list)",
        "Keras CNN image classifier (project, weeks 5-6)",
    ]
    assert plan["next_paper"]["key"] == "keshav-how-to-read"
    assert plan["milestones"] == ["Write the five Cs of the first paper."]
    text = run_cli(capsys, "plan")
    assert text.code == 0
    assert "Reading: 1.2 h of 4 h; core pages 29 of 40" in text.out
    assert "Core (1 of 3 read)" in text.out and "50 min spent" in text.out
    assert "not on arXiv: get it from https://doi.org/10.1145/1273445.1273458" in text.out

    week20 = json.loads(run_cli(capsys, "plan", "--week", "20", "--json").out)
    assert [p["state"] for p in week20["failed"]] == ["failed"]
    assert week20["next_paper"]["key"] != week20["failed"][0]["key"]  # failed is not next
    assert "Failed (not counted as read" in run_cli(capsys, "plan", "--week", "20").out
    optional = week20["optional"][0]
    # no pages in the list: the fetched PDF's own count (the fake arXiv's have two)
    assert optional["core"] is False and optional["pages"] == 2


@both_stores
def test_plan_weeks_21_and_24_follow_the_chosen_track(
    lists_dir: Path, week19_now: date, capsys: pytest.CaptureFixture[str]
) -> None:
    unchosen = json.loads(run_cli(capsys, "plan", "--week", "21", "--json").out)
    assert unchosen["track"] is None and unchosen["core"] == [] and unchosen["lists"] == []
    assert "No track chosen for weeks 21-24" in run_cli(capsys, "plan", "--week", "21").out
    assert run_cli(capsys, "track", "choose", "alpha").code == 0
    week21 = json.loads(run_cli(capsys, "plan", "--week", "21", "--json").out)
    assert week21["track"] == "alpha" and week21["lists"] == ["weeks-21-24-alpha"]
    assert week21["is_current"] is False and week21["budget_hours"] == 2.5
    assert [p["key"] for p in week21["core"]] == ["1409.0473"]
    assert [p["key"] for p in week21["optional"]] == ["1608.03983"]
    assert week21["milestones"] == ["Scope the project: question, baseline, data, metric."]
    assert week21["start"] == str(week19_now + timedelta(days=14))
    week24 = json.loads(run_cli(capsys, "plan", "--week", "24", "--json").out)
    (last,) = week24["core"]
    assert last["builds_on"] == [
        "A Closer Look at Memorization in Deep Networks (earlier in the list)"
    ]
    assert week24["milestones"] == ["Write up the project."]
    assert week24["next_paper"]["key"] == "1910.10685"


@pytest.mark.parametrize("week", ["18", "25", "0"])
def test_a_week_outside_the_plan_is_exit_2(
    lists_dir: Path, paperlab_home: Path, week: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "plan", "--week", week)
    assert result.code == 2
    assert f"Week {week} is not a week of the plan." in result.err
    assert "weeks 19-24" in result.err and "Traceback" not in result.err
    assert not (paperlab_home / "paperlab.db").exists()  # refused before anything is written


def test_a_chosen_track_that_is_no_longer_offered(
    fake_arxiv: FakeArxiv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    week19_now: date,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lists = tmp_path / "lists"
    shutil.copytree(FIXTURES, lists)
    monkeypatch.setenv(LISTS_DIR_ENV, str(lists))
    assert run_cli(capsys, "track", "choose", "alpha").code == 0
    (lists / "weeks-21-24-alpha.toml").unlink()  # a later version of the lists drops it
    serve_fixture_papers(fake_arxiv)
    result = run_cli(capsys, "fetch", "--no-index")
    assert result.code == 0, result.err
    assert "The chosen track 'alpha' is no longer offered: fetched the track (beta)" in result.err
    assert asked_ids(fake_arxiv) == set(BASICS_IDS + BETA_IDS)
    week21 = run_cli(capsys, "plan", "--week", "21")
    assert week21.code == 0 and "track: alpha" in week21.out
    assert "has no list in the library" in week21.out


def test_fixture_lists_fetch_the_real_pdfs_and_count_their_pages(
    lists_dir: Path,
    fake_arxiv: FakeArxiv,
    shared_data: Path,
    week19_now: date,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The real PDFs of ../shared/data, old-style id included, under their real titles."""
    from tests.fakearxiv import catalogue_from_shared

    if not (shared_data / "pdfs" / "arxiv" / "manifest.tsv").is_file():
        pytest.skip("no PDF manifest in the shared data")
    fake_arxiv.add(*catalogue_from_shared(shared_data))
    result = run_cli(capsys, "fetch", "--no-index", "--json")
    assert result.code == 0, result.err
    papers = json.loads(result.out)["papers"]
    assert {p["paper_id"] for p in papers} == set(BASICS_IDS + ALPHA_IDS + BETA_IDS)
    assert {p["status"] for p in papers} == {"downloaded"}
    assert [p["warnings"] for p in papers if p["warnings"]] == []  # every title is arXiv's
    week20 = json.loads(run_cli(capsys, "plan", "--week", "20", "--json").out)
    (optional,) = week20["optional"]
    assert optional["pages"] == 21  # not in the list: the PDF's own page count
    week19 = json.loads(run_cli(capsys, "plan", "--week", "19", "--json").out)
    old = next(p for p in week19["core"] if p["paper_id"] == "math/9404236")
    assert (old["state"], old["pages"]) == ("unread", 15)  # the list's pages win


def test_lists_sharing_a_week_come_by_their_order_then_name(
    lists_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, week19_now: date,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    mine = tmp_path / "lists"
    shutil.copytree(lists_dir, mine)
    # Sorts after "weeks-19-20-basics" by name, but asks to come first.
    (mine / "weeks-19-20-zz-first.toml").write_text(
        'name = "weeks-19-20-zz-first"\ntitle = "First"\ndescription = "Read me first."\n'
        "weeks = [19, 20]\norder = 5\n\n"
        '[[milestone]]\nweek = 19\ntask = "Primer first."\n\n'
        '[[paper]]\nkey = "primer"\ntitle = "A Primer"\nauthors = ["A. Author"]\n'
        'year = 2020\ndoi = "10.1000/primer"\nweek = 19\npages = 3\nwhy = "Start here."\n',
        encoding="utf-8",
    )
    monkeypatch.setenv(LISTS_DIR_ENV, str(mine))

    plan = json.loads(run_cli(capsys, "plan", "--json").out)
    assert plan["lists"][:2] == ["weeks-19-20-zz-first", "weeks-19-20-basics"]
    assert plan["core"][0]["key"] == "primer" and plan["next_paper"]["key"] == "primer"
    assert plan["milestones"] == ["Primer first.", "Write the five Cs of the first paper."]


@both_stores
def test_next_names_the_track_only_in_the_track_weeks(
    lists_dir: Path, monkeypatch: pytest.MonkeyPatch, week19_now: date,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    assert run_cli(capsys, "track", "choose", "alpha").code == 0
    assert run_cli(capsys, "plan").code == 0  # records the lists, downloads nothing

    def first_reason() -> str:
        ranked = json.loads(run_cli(capsys, "next", "--json").out)
        return str(ranked[0]["reasons"][0])

    week19 = first_reason()
    assert "week 19" in week19 and "track" not in week19
    monkeypatch.setenv("PAPERLAB_PLAN_START", str(week19_now - timedelta(days=14)))
    week21 = first_reason()
    assert "week 21, track alpha" in week21


def test_plan_names_the_fetch_that_brings_its_missing_arxiv_papers(
    lists_dir: Path, fake_arxiv: FakeArxiv, week19_now: date,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    before = run_cli(capsys, "plan")  # records the lists, downloads nothing
    assert before.code == 0
    assert "To fetch: `paperlab fetch weeks-19-20-basics`" in before.out
    assert "arXiv papers of this week" in before.out
    assert json.loads(run_cli(capsys, "plan", "--json").out)["to_fetch"] == ["weeks-19-20-basics"]

    serve_fixture_papers(fake_arxiv)
    assert run_cli(capsys, "fetch", "--no-index", "weeks-19-20-basics").code == 0
    after = run_cli(capsys, "plan")
    assert "To fetch:" not in after.out  # only the entry not on arXiv is still missing
    assert json.loads(run_cli(capsys, "plan", "--json").out)["to_fetch"] == []
    assert "not on arXiv: get it from" in after.out
