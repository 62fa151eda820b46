"""Two-way Obsidian: export notes, edit them as a user would, import, export again."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from paperlab.errors import UsageError
from paperlab.export import select_papers
from paperlab.export.vault import MARKER, export_vault
from paperlab.notes import save_note
from paperlab.store.models import Note, Paper, PaperReadingState, PaperTag
from paperlab.tagging import tag_paper
from paperlab.vaultimport import import_vault
from tests.helpers import library_execute, run_cli
from tests.unit.test_export_helpers import build_library

OBSIDIAN_FRONT = """---
id: 1706.03762
title: Attention Is All You Need
authors:
  - Ashish Vaswani
  - Noam Shazeer
  - Niki Parmar
year: 2017
tags:
  - nlp
  - transformers
citekey: vaswani2017attention
state: reading
aliases:
  - Attention Is All You Need
  - The Transformer paper
rating: 5
related:
  - "[[person2018graph]]"
---
"""


def _rows(store, sql: str) -> list[tuple]:
    """Rows of ``sql`` read from ``store`` (SQLite or a lab database)."""
    with store.connect() as conn:
        return conn.execute(sql).all()


def _library_rows(store) -> list[tuple]:
    """Everything an import may touch, to prove a dry run wrote nothing."""
    with store.connect() as conn:
        return [
            *conn.execute("SELECT * FROM note ORDER BY id"),
            *conn.execute("SELECT * FROM paper_tag ORDER BY paper_id, tag"),
            *conn.execute("SELECT * FROM paper_topic ORDER BY paper_id, topic_slug"),
            *conn.execute("SELECT id, reading_state FROM paper ORDER BY id"),
            *conn.execute("SELECT * FROM vault_note ORDER BY vault, paper_id"),
        ]


def _files(vault: Path) -> dict[str, bytes]:
    return {str(p.relative_to(vault)): p.read_bytes() for p in sorted(vault.rglob("*.md"))}


def _edit_as_obsidian_user(vault: Path) -> None:
    """Edits of fields, front matter (rewritten block-style, as Obsidian's
    property editor does) and free text, in the places a user would type."""
    path = vault / "vaswani2017attention.md"
    text = path.read_text(encoding="utf-8")
    front_end = text.index("\n---\n", 4) + 5
    text = OBSIDIAN_FRONT + text[front_end:]
    text = text.replace(
        "Replaces recurrence with self-attention for sequence transduction.",
        "Self-attention replaces recurrence; parallel training is the real win.",
    )
    text = text.replace(
        "- Multi-head attention\n", "- Multi-head attention\n- Positional encodings\n"
    )
    text = text.replace(
        "## Key contributions", "## Reading plan\n\nReread section 3.2.\n\n## Key contributions"
    )
    text = text.replace(
        "## Annotations",
        "## Notes\n\nTry it on [[person2018graph|graphs]].\n\n### Later\n\nCompare with GAT.\n\n"
        "## Annotations",
    )
    text = text.replace(
        "<https://arxiv.org/abs/1706.03762>\n",
        "<https://arxiv.org/abs/1706.03762>\nRead on the train, 3 May.\n",
    )
    text += "Vault-only thoughts below the marker.\n"
    path.write_text(text, encoding="utf-8")
    gcn = vault / "person2017semisupervised.md"
    gcn.write_text(
        gcn.read_text(encoding="utf-8").replace("Transductive only.", "Transductive; no batching."),
        encoding="utf-8",
    )


def library_state(store, paper_id):
    with store.read() as s:
        row = s.get(PaperReadingState, (paper_id, "tester"))
        return row.state if row is not None else "unread"


def test_round_trip_every_edit_once_on_both_sides(any_store, tmp_path):
    store = any_store  # on SQLite and on a lab database
    build_library(store)
    vault = tmp_path / "vault"
    export_vault(store, select_papers(store), vault)
    _edit_as_obsidian_user(vault)
    # Meanwhile in the library: a field the vault left alone, and one it edited too.
    save_note(store, "1706.03762", {"results": "28.4 BLEU; 41.8 on English-to-French."})
    save_note(store, "1609.02907", {"limitations": "Needs the whole graph in memory."})

    before_rows, before_files = _library_rows(store), _files(vault)
    preview = import_vault(store, vault, dry_run=True)
    assert _library_rows(store) == before_rows and _files(vault) == before_files
    changed = {(c.file, c.field) for c in preview.changes}
    assert changed == {
        ("vaswani2017attention.md", "summary"),
        ("vaswani2017attention.md", "contributions"),
        ("vaswani2017attention.md", "body"),
        ("vaswani2017attention.md", "state"),
        ("vaswani2017attention.md", "tags"),
    }
    assert [(c.file, c.field) for c in preview.conflicts] == [
        ("person2017semisupervised.md", "limitations")
    ]

    report = import_vault(store, vault)
    assert {(c.file, c.field) for c in report.changes} == changed
    assert [c.field for c in report.conflicts] == ["limitations"]
    assert report.notes == []  # front matter rewritten block-style is not a metadata edit
    assert _files(vault) == before_files  # an import never writes the vault
    with store.read() as s:
        note = s.get(Note, 1)
        paper = s.get(Paper, "1706.03762")
        tags = list(s.exec(select(PaperTag.tag).where(PaperTag.paper_id == "1706.03762")))
    assert note.summary == "Self-attention replaces recurrence; parallel training is the real win."
    assert note.contributions.endswith("- Multi-head attention\n- Positional encodings")
    assert note.results == "28.4 BLEU; 41.8 on English-to-French."  # the library's edit stays
    # Text under a heading of the user's own and in the header joins the free notes.
    assert note.body == (
        "## Reading plan\n\nReread section 3.2.\n\nRead on the train, 3 May.\n\n"
        "Try it on [[person2018graph|graphs]].\n\n### Later\n\nCompare with GAT."
    )
    assert "Vault-only thoughts" not in note.body
    assert library_state(store, paper.id) == "reading"  # the user's own state
    assert "transformers" in tags
    ((limitations,),) = _rows(store, "SELECT limitations FROM note WHERE paper_id = '1609.02907'")
    assert limitations == "Needs the whole graph in memory."  # a conflict is not overwritten

    again = export_vault(store, select_papers(store), vault)
    assert (
        again.conflicts == [("person2017semisupervised.md", ["limitations"])] and not again.pending
    )
    text = (vault / "vaswani2017attention.md").read_text(encoding="utf-8")
    for edit in (
        "Self-attention replaces recurrence; parallel training is the real win.",
        "- Positional encodings",
        "28.4 BLEU; 41.8 on English-to-French.",
        "Read on the train, 3 May.",
        "Reread section 3.2.",
        "Try it on [[person2018graph|graphs]].",
        "Vault-only thoughts below the marker.",
    ):
        assert text.count(edit) == 1, edit
    assert "Replaces recurrence" not in text
    assert 'tags: ["nlp", "transformers"]' in text and 'state: "reading"' in text
    # What the user added to the front matter stays: properties verbatim, aliases kept.
    assert 'aliases: ["Attention Is All You Need", "The Transformer paper"]' in text
    assert 'rating: 5\nrelated:\n  - "[[person2018graph]]"\n---\n' in text
    assert text.count(MARKER) == 1 and text.count("## Notes") == 1
    # The conflicting field keeps the vault's text in the vault, the library's in the library.
    assert "Transductive; no batching." in (vault / "person2017semisupervised.md").read_text()

    quiet = import_vault(store, vault)  # nothing new: nothing to do, nothing doubled
    assert quiet.changes == [] and [c.field for c in quiet.conflicts] == ["limitations"]

    settled = import_vault(store, vault, prefer="library")
    assert settled.changes == []
    export_vault(store, select_papers(store), vault)
    gcn_text = (vault / "person2017semisupervised.md").read_text(encoding="utf-8")
    assert "Needs the whole graph in memory." in gcn_text and "no batching" not in gcn_text
    assert import_vault(store, vault).conflicts == []


def test_export_keeps_vault_edits_not_yet_imported(store, tmp_path):
    build_library(store)
    vault = tmp_path / "vault"
    export_vault(store, select_papers(store), vault)
    path = vault / "vaswani2017attention.md"
    path.write_text(
        path.read_text().replace("Quadratic cost in sequence length.", "Quadratic memory."),
        encoding="utf-8",
    )
    tag_paper(store, "1706.03762", ["attention"])  # a library change the export must write
    result = export_vault(store, select_papers(store), vault)
    assert result.pending == [("vaswani2017attention.md", ["limitations"])]
    text = path.read_text(encoding="utf-8")
    assert "Quadratic memory." in text and "Quadratic cost" not in text
    assert 'tags: ["nlp", "attention"]' in text
    report = import_vault(store, vault)
    assert [(c.field, c.vault) for c in report.changes] == [("limitations", "Quadratic memory.")]


def test_every_file_that_cannot_be_imported_gets_one_line(store, tmp_path):
    build_library(store)
    vault = tmp_path / "vault"
    export_vault(store, select_papers(store), vault)
    (vault / "journal.md").write_text("# My journal\n\nNo front matter here.\n")
    (vault / "broken.md").write_text('---\nid: "1706.03762\ntitle: [oops\n---\n\ntext\n')
    gat = vault / "person2018graph.md"  # an exported note whose front matter got broken
    gat.write_text(gat.read_text().replace("---\n\n# Graph", "\n# Graph", 1))
    (vault / "stranger.md").write_text('---\nid: "9999.99999"\n---\n\n## Summary\n\nHi\n')
    (vault / "person2015playing.md").rename(vault / "atari.md")
    (vault / "person2016proximal.md").unlink()
    copy = (vault / "vaswani2017attention.md").read_text()
    (vault / "attention copy.md").write_text(copy)
    (vault / ".obsidian").mkdir()
    (vault / ".obsidian" / "workspace.md").write_text("app state")
    before = _library_rows(store)
    report = import_vault(store, vault)
    lines = {(n.file, n.kind) for n in report.notes}
    assert lines == {
        ("journal.md", "unknown"),
        ("broken.md", "broken"),
        ("person2018graph.md", "broken"),  # broken, and not also called deleted
        ("stranger.md", "not-in-library"),
        ("person2015playing.md", "renamed"),
        ("person2016proximal.md", "deleted"),
        ("attention copy.md", "duplicate"),
    }
    messages = {n.file: n.message for n in report.notes}
    assert "renamed to atari.md" in messages["person2015playing.md"]
    assert "line" in messages["broken.md"]
    assert "whose note is vaswani2017attention.md" in messages["attention copy.md"]
    assert report.changes == [] and report.conflicts == []
    after = _library_rows(store)
    moved = [row for row in after if row not in before]
    assert [(row[1], row[2]) for row in moved] == [("1312.5602", "atari.md")]  # follows it
    assert next(row for row in before if row not in after)[2] == "person2015playing.md"
    # The next export writes the renamed note under its new name, and the deleted one anew.
    broken_text = gat.read_text()
    result = export_vault(store, select_papers(store), vault)
    assert [name for name, _why in result.skipped] == ["person2018graph.md"]
    assert gat.read_text() == broken_text  # never rewritten over what the user typed
    assert (vault / "atari.md").is_file() and not (vault / "person2015playing.md").exists()
    assert (vault / "person2016proximal.md").is_file()


def test_bad_vaults_are_usage_errors(store, tmp_path):
    build_library(store)
    with pytest.raises(UsageError, match="does not exist"):
        import_vault(store, tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "idea.md").write_text("just a note\n")
    with pytest.raises(UsageError, match="No note exported by paperlab") as info:
        import_vault(store, tmp_path / "plain")
    assert info.value.hint and "paperlab export notes" in info.value.hint


def test_import_notes_command(any_store, tmp_path, capsys):
    store = any_store  # on SQLite and on a lab database
    build_library(store)
    vault = tmp_path / "vault"
    export_vault(store, select_papers(store), vault)
    _edit_as_obsidian_user(vault)
    dry = run_cli(capsys, "import", "notes", "--from", "obsidian", str(vault), "--dry-run")
    assert dry.code == 0
    assert (
        "vaswani2017attention.md:\n  Summary:\n"
        "    - Replaces recurrence with self-attention for sequence transduction.\n"
        "    + Self-attention replaces recurrence; parallel training is the real win.\n"
        "  Key contributions:\n    + - Positional encodings\n"
    ) in dry.out
    assert "  state: read -> reading\n  tags: nlp -> nlp, transformers\n" in dry.out
    assert "Nothing was written (--dry-run)." in dry.out
    assert "Conflict" not in dry.err  # the library did not change: no conflict
    done = run_cli(capsys, "import", "notes", str(vault), "--json")
    assert done.code == 0
    import json

    data = json.loads(done.out)
    assert data["dry_run"] is False and len(data["changes"]) == 6
    bad = run_cli(capsys, "import", "notes", str(tmp_path / "nowhere"))
    assert bad.code == 2 and "Error: The vault" in bad.err and "Hint:" in bad.err
    other = run_cli(capsys, "import", "notes", "--from", "zotero", str(vault))
    assert other.code == 2


def test_export_notes_command_names_kept_edits(store, tmp_path, capsys):
    build_library(store)
    vault = tmp_path / "vault"
    assert run_cli(capsys, "export", "notes", str(vault)).code == 0
    path = vault / "vaswani2017attention.md"
    path.write_text(path.read_text().replace("Quadratic cost", "Linear cost"), encoding="utf-8")
    save_note(store, "1706.03762", {"limitations": "Quadratic in memory too."})
    again = run_cli(capsys, "export", "notes", str(vault))
    assert again.code == 0
    assert "vaswani2017attention.md: limitations changed in the vault and in the library" in (
        again.err
    )
    assert "Linear cost" in path.read_text(encoding="utf-8")


def test_tags_and_state_edits_are_checked(any_store, tmp_path):
    store = any_store  # on SQLite and on a lab database
    build_library(store)
    vault = tmp_path / "vault"
    export_vault(store, select_papers(store), vault)
    path = vault / "vaswani2017attention.md"
    text = path.read_text(encoding="utf-8")
    text = text.replace('tags: ["nlp"]', "tags: gans, Bad_Tag").replace(
        'state: "read"', "state: finished"
    )
    path.write_text(text, encoding="utf-8")
    report = import_vault(store, vault)
    assert [(c.field, c.library, c.vault) for c in report.changes] == [("tags", ["nlp"], ["gans"])]
    messages = [n.message for n in report.notes]
    assert any("'finished' is not a reading state" in m for m in messages)
    assert any("Bad_Tag" in m and "capital" in m for m in messages)
    with store.read() as s:
        paper = s.get(Paper, "1706.03762")
        assert s.get(PaperReadingState, ("1706.03762", "tester")).state == "read"
        assert list(s.exec(select(PaperTag.tag).where(PaperTag.paper_id == paper.id))) == ["gans"]
    # the topic link went with the tag
    assert _rows(store, "SELECT * FROM paper_topic WHERE paper_id = '1706.03762'") == []
    again = import_vault(store, vault)  # the refused values are reported again, not forgotten
    assert again.changes == [] and len(again.notes) == 2


def test_a_vault_without_export_records(any_store, tmp_path):
    store = any_store  # on SQLite and on a lab database
    build_library(store)
    vault = tmp_path / "vault"
    export_vault(store, select_papers(store), vault)
    library_execute("DELETE FROM vault_note")
    path = vault / "vaswani2017attention.md"
    text = path.read_text(encoding="utf-8").replace(
        "## Annotations", "## Relevance to my project\n\nBaseline encoder.\n\n## Annotations"
    )
    path.write_text(text.replace("Quadratic cost", "Cubic cost"), encoding="utf-8")
    report = import_vault(store, vault)
    # An empty library field takes the vault's text; any other difference is a conflict.
    assert [(c.field, c.vault) for c in report.changes] == [("relevance", "Baseline encoder.")]
    assert [c.field for c in report.conflicts] == ["limitations"]
    assert _rows(store, "SELECT relevance, limitations FROM note WHERE id = 1") == [
        ("Baseline encoder.", "Quadratic cost in sequence length.")
    ]


def test_annotation_comments_round_trip(any_store, tmp_path):
    store = any_store  # on SQLite and on a lab database
    from paperlab.annotations import update_annotation
    from paperlab.store.models import Annotation

    build_library(store)
    vault = tmp_path / "vault"
    export_vault(store, select_papers(store), vault)
    path = vault / "vaswani2017attention.md"
    text = path.read_text(encoding="utf-8")
    text = text.replace("The core claim & 100%", "The core claim; compare section 3.2.")
    text = text.replace(
        "> complex recurrent networks\n> — p. 1\n",
        "> complex recurrent networks\n> — p. 1\n\nWhat recurrence cost them.\n",
    )
    text = text.replace("\nlost\n", "\nnowhere to be found\n")
    path.write_text(text, encoding="utf-8")
    with store.read() as s:
        ids = {a.quote: a.id for a in s.exec(select(Annotation))}
    # The library edits the same comment differently: a conflict on that one only.
    update_annotation(store, ids["text that is nowhere in the PDF"], comment="gone from the PDF")

    report = import_vault(store, vault)
    assert sorted((c.field, c.vault) for c in report.changes) == [
        ("comment:1", "What recurrence cost them."),
        ("comment:2", "The core claim; compare section 3.2."),
    ]
    assert [(c.field, c.library, c.vault) for c in report.conflicts] == [
        ("comment:0", "gone from the PDF", "nowhere to be found")
    ]
    with store.read() as s:
        comments = {a.quote: a.comment for a in s.exec(select(Annotation))}
        note = s.get(Note, 1)
    assert comments == {
        "based solely on attention mechanisms": "The core claim; compare section 3.2.",
        "complex recurrent networks": "What recurrence cost them.",
        "text that is nowhere in the PDF": "gone from the PDF",
    }
    assert note.body == ""  # comments went to their annotations, not into the free notes

    again = export_vault(store, select_papers(store), vault)
    assert again.conflicts == [("vaswani2017attention.md", ["comment:0"])]
    text = path.read_text(encoding="utf-8")
    assert text.count("What recurrence cost them.") == 1
    assert text.count("The core claim; compare section 3.2.") == 1
    assert "nowhere to be found" in text and "gone from the PDF" not in text  # vault's kept
    assert import_vault(store, vault).changes == []


def test_a_kind_on_the_page_line_still_round_trips(store, tmp_path):
    from paperlab.annotations import update_annotation
    from paperlab.store.models import Annotation

    build_library(store)
    with store.read() as s:
        ids = {a.quote: a.id for a in s.exec(select(Annotation))}
    update_annotation(store, ids["complex recurrent networks"], kind="question")
    vault = tmp_path / "vault"
    export_vault(store, select_papers(store), vault)
    path = vault / "vaswani2017attention.md"
    text = path.read_text(encoding="utf-8")
    page_line = "> complex recurrent networks\n> — p. 1 · Question\n"
    assert page_line in text
    path.write_text(text.replace(page_line, page_line + "\nWhy not recurrence?\n"), "utf-8")

    report = import_vault(store, vault)
    assert [(c.field, c.vault) for c in report.changes] == [("comment:1", "Why not recurrence?")]
    with store.read() as s:
        stored = s.get(Annotation, ids["complex recurrent networks"])
    assert (stored.comment, stored.kind) == ("Why not recurrence?", "question")
    assert import_vault(store, vault).changes == []
