"""The notes service: saving, conflicts, Markdown round trips, topic links."""

from __future__ import annotations

import string
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperlab.errors import NotFoundError, UsageError
from paperlab.notes import (
    ALL_FIELDS,
    FIELD_TITLES,
    NOTE_FIELDS,
    ConflictError,
    get_note,
    link_note_topics,
    note_fields,
    note_from_markdown,
    note_text_for_index,
    note_to_json,
    note_to_markdown,
    note_topics,
    save_note,
)
from paperlab.store import Store, open_store
from paperlab.store.models import Note, Paper, Topic

PAPER = "1608.03983"
TITLE = "SGDR: Stochastic Gradient Descent with Warm Restarts"


@pytest.fixture
def library(store: Store) -> Store:
    with store.write() as session:
        session.add(Paper(id=PAPER, title=TITLE, state="extracted", citation_key="loshchilov2016"))
        session.add(Topic(slug="deep-learning", title="Deep learning", weeks="[12, 13]"))
        session.add(Topic(slug="optimisation", title="Optimisation", weeks="[5]"))
    return store


def paper_row(store: Store) -> Paper:
    with store.read() as session:
        paper = session.get(Paper, PAPER)
        assert paper is not None
        return paper


# --------------------------------------------------------------------------- saving


def test_fields_and_titles_cover_every_note_column() -> None:
    assert NOTE_FIELDS == (
        "summary",
        "contributions",
        "method",
        "results",
        "limitations",
        "questions",
        "relevance",
    )
    assert ALL_FIELDS[-1] == "body"
    assert set(FIELD_TITLES) == set(ALL_FIELDS)
    assert FIELD_TITLES["relevance"] == "Relevance to my project"
    assert all(hasattr(Note, name) for name in ALL_FIELDS)


def test_save_creates_then_updates_only_the_given_fields(library: Store) -> None:
    assert get_note(library, PAPER) is None
    first = save_note(library, PAPER, {"summary": "Restarts help.", "method": "Cosine decay."})
    assert first.id is not None
    second = save_note(library, "arXiv:1608.03983v5", {"method": "Cosine annealing."})
    assert second.id == first.id
    stored = get_note(library, "loshchilov2016")  # the citation key names it too
    assert stored is not None
    assert stored.summary == "Restarts help."
    assert stored.method == "Cosine annealing."
    assert stored.results == ""
    assert stored.updated_at >= first.updated_at


def test_saved_note_survives_reopening_the_library(library: Store) -> None:
    save_note(library, PAPER, {"body": "## My own heading\n\nkept"})
    library.close()
    reopened = open_store()
    try:
        note = get_note(reopened, PAPER)
        assert note is not None
        assert note.body == "## My own heading\n\nkept"
    finally:
        reopened.close()


def test_unknown_field_is_refused_with_a_guess(library: Store) -> None:
    with pytest.raises(UsageError) as info:
        save_note(library, PAPER, {"sumary": "x"})
    assert "sumary" in info.value.message
    assert info.value.hint is not None and "summary" in info.value.hint
    assert get_note(library, PAPER) is None


def test_unknown_paper_is_not_found(library: Store) -> None:
    with pytest.raises(NotFoundError):
        save_note(library, "1706.03762", {"summary": "x"})


def test_saving_identical_text_keeps_updated_at(library: Store) -> None:
    first = save_note(library, PAPER, {"summary": "same"})
    again = save_note(library, PAPER, {"summary": "same"})
    assert again.updated_at == first.updated_at


def test_stale_expected_updated_at_raises_conflict_and_keeps_text(library: Store) -> None:
    opened = save_note(library, PAPER, {"summary": "v1"})
    # Someone else (another process, the TUI) saves in between.
    save_note(library, PAPER, {"summary": "v2 from elsewhere"})
    with pytest.raises(ConflictError) as info:
        save_note(library, PAPER, {"summary": "v3"}, expected_updated_at=opened.updated_at)
    assert info.value.hint
    note = get_note(library, PAPER)
    assert note is not None and note.summary == "v2 from elsewhere"


def test_current_expected_updated_at_saves(library: Store) -> None:
    save_note(library, PAPER, {"summary": "v1"})
    current = get_note(library, PAPER)
    assert current is not None
    saved = save_note(library, PAPER, {"summary": "v2"}, expected_updated_at=current.updated_at)
    assert saved.summary == "v2"
    # A naive copy of the same UTC instant is the same stamp, not a conflict.
    naive = saved.updated_at.replace(tzinfo=None)
    assert save_note(library, PAPER, {"summary": "v3"}, expected_updated_at=naive).summary == "v3"
    with pytest.raises(ConflictError):
        save_note(
            library,
            PAPER,
            {"summary": "v4"},
            expected_updated_at=saved.updated_at - timedelta(seconds=1),
        )


def test_note_json_has_empty_fields_without_a_note(library: Store) -> None:
    data = note_to_json(paper_row(library), None)
    assert data["paper_id"] == PAPER
    assert all(data[name] == "" for name in ALL_FIELDS)
    assert data["updated_at"] is None


def test_saved_text_is_in_the_fulltext_index(library: Store) -> None:
    with library.read() as session:
        conn = session.connection()
        if (
            conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name='note_fts'").first()
            is None
        ):
            pytest.skip("this schema has no note_fts table")

    def hits(word: str) -> list[int]:
        with library.read() as session:
            rows = session.connection().exec_driver_sql(
                "SELECT rowid FROM note_fts WHERE note_fts MATCH ?", (word,)
            )
            return [int(r[0]) for r in rows]

    note = save_note(library, PAPER, {"summary": "cosine annealing"})
    assert hits("annealing") == [note.id]
    save_note(library, PAPER, {"summary": "snapshot ensembles"})
    assert hits("annealing") == []
    assert hits("ensembles") == [note.id]


# --------------------------------------------------------------------------- markdown


def test_markdown_has_a_title_line_and_one_heading_per_field(library: Store) -> None:
    note = save_note(library, PAPER, {"summary": "S", "body": "B"})
    text = note_to_markdown(paper_row(library), note)
    lines = text.splitlines()
    assert lines[0] == f"# {TITLE} ({PAPER})"
    headings = [line[3:] for line in lines if line.startswith("## ")]
    assert headings == [FIELD_TITLES[name] for name in ALL_FIELDS]
    assert text.rstrip().endswith("B")


def test_markdown_round_trip(library: Store) -> None:
    fields = {
        "summary": "Warm restarts.\nTwo lines.",
        "contributions": "- SGDR\n- snapshot ensembles",
        "questions": "Why cosine?",
        "body": "Free text\n\n## A heading of my own\n\n```\n## not a heading\n```",
    }
    note = save_note(library, PAPER, fields)
    parsed = note_from_markdown(note_to_markdown(paper_row(library), note))
    assert parsed == note_fields(note)


def test_markdown_without_a_note_parses_to_empty_fields(library: Store) -> None:
    parsed = note_from_markdown(note_to_markdown(paper_row(library), None))
    assert parsed == dict.fromkeys(ALL_FIELDS, "")


def test_parser_tolerates_spacing_case_and_colons() -> None:
    text = (
        "\n\n#  Some title (1608.03983)\n"
        "##summary\n"  # not a heading in Markdown: needs a space
        "##   SUMMARY:   \n\n\n   indented first line\nsecond  \n\n\n"
        "## key contributions\nC\n"
        "## Relevance\nR\n"
    )
    parsed = note_from_markdown(text)
    assert parsed["summary"] == "   indented first line\nsecond"
    assert parsed["contributions"] == "C"
    assert parsed["relevance"] == "R"
    assert parsed["body"] == "##summary"


def test_text_that_cannot_be_placed_goes_to_the_body() -> None:
    text = (
        "A thought typed above every heading.\n\n"
        "## Summary\nS\n\n"
        "## Related work\nCompare with Adam.\n\n"
        "## Notes\nThe body."
    )
    parsed = note_from_markdown(text)
    assert parsed["summary"] == "S"
    body = parsed["body"]
    assert "A thought typed above every heading." in body
    assert "## Related work\nCompare with Adam." in body
    assert body.endswith("The body.")


def test_a_users_own_first_heading_is_kept() -> None:
    parsed = note_from_markdown("# My big idea\n\nsomething")
    assert parsed["body"] == "# My big idea\n\nsomething"


def test_repeated_field_keeps_both_texts() -> None:
    parsed = note_from_markdown("## Method\nfirst\n## Results\nr\n## Method\nsecond\n")
    assert parsed["method"] == "first\n\nsecond"
    assert parsed["results"] == "r"


def test_heading_inside_a_code_fence_is_text() -> None:
    parsed = note_from_markdown("## Method\n```md\n## Results\n```\n")
    assert parsed["method"] == "```md\n## Results\n```"
    assert parsed["results"] == ""


_SAFE = string.ascii_letters + string.digits + " .,;:()*-'\"\n"


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(ALL_FIELDS),
        st.text(alphabet=_SAFE, max_size=80).map(str.strip),
    )
)
def test_round_trip_property(values: dict[str, str]) -> None:
    fields = dict.fromkeys(ALL_FIELDS, "")
    fields.update(values)
    note = Note(paper_id=PAPER)
    for name, value in fields.items():
        setattr(note, name, value)
    paper = Paper(id=PAPER, title="T")
    assert note_from_markdown(note_to_markdown(paper, note)) == fields


def test_text_for_index_names_each_filled_field(library: Store) -> None:
    note = save_note(library, PAPER, {"summary": "Restarts", "relevance": "My LR schedule"})
    text = note_text_for_index(note)
    assert "Summary: Restarts" in text
    assert "Relevance to my project: My LR schedule" in text
    assert "Method" not in text


# --------------------------------------------------------------------------- topics


def test_link_note_topics_creates_the_note_and_validates_slugs(library: Store) -> None:
    assert link_note_topics(library, PAPER, ["optimisation"]) == ["optimisation"]
    assert get_note(library, PAPER) is not None
    assert link_note_topics(library, PAPER, ["deep-learning", "optimisation"]) == [
        "deep-learning",
        "optimisation",
    ]
    with pytest.raises(NotFoundError) as info:
        link_note_topics(library, PAPER, ["deep-learnin"])
    assert info.value.hint is not None and "deep-learning" in info.value.hint
    assert note_topics(library, PAPER) == ["deep-learning", "optimisation"]
