"""Themes: how papers are grouped, how groups are named, the themes.toml file."""

from __future__ import annotations

import numpy as np
import pytest

from paperlab.errors import UsageError
from paperlab.export.clusters import best_clustering, silhouette
from paperlab.export.theme_file import read_theme_file, theme_file_text
from paperlab.export.theme_names import PaperWords, name_groups, phrases, shared_phrase_vectors
from paperlab.export.themes import reading_themes
from tests.unit.test_export_helpers import build_library


def _blobs(sizes: list[int], dim: int = 12, spread: float = 0.05) -> np.ndarray:
    rng = np.random.default_rng(3)
    rows = []
    for axis, size in enumerate(sizes):
        centre = np.zeros(dim)
        centre[axis] = 1.0
        for _ in range(size):
            v = centre + rng.normal(0, spread, dim)
            rows.append(v / np.linalg.norm(v))
    return np.array(rows, dtype=np.float32)


def test_k_is_chosen_by_silhouette():
    three = _blobs([3, 3, 4])
    labels = best_clustering(three)
    assert len(set(labels)) == 3
    assert labels[:3] == [labels[0]] * 3 and labels[6:] == [labels[6]] * 4
    assert silhouette(three, labels) > 0.5
    assert best_clustering(three) == labels  # the same every time
    noise = np.random.default_rng(1).normal(0, 1, (10, 12)).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    assert set(best_clustering(noise)) == {0}  # no real groups: one theme
    assert best_clustering(three[:3]) == [0, 0, 0]  # too few papers to split


def test_names_come_from_what_the_notes_share():
    words = {
        "ppo": PaperWords(
            note="Clipped surrogate objective for policy gradient updates.",
            headings=["Policy gradient with trust regions"],
            title="Proximal Policy Optimization Algorithms",
            hints=["Calculus"],
        ),
        "trpo": PaperWords(
            note="Monotonic improvement for policy gradient with a trust region.",
            headings=["Policy gradient"],
            title="Trust Region Policy Optimization",
            hints=["Statistics"],
        ),
        "sgdr": PaperWords(
            note="Cosine annealing with warm restarts.",
            headings=["Learning-rate schedules"],
            title="SGDR: Stochastic Gradient Descent with Warm Restarts",
            hints=["Calculus"],
        ),
        "clr": PaperWords(
            note="Cyclical learning-rate schedules between bounds.",
            headings=["Learning-rate schedules"],
            title="Cyclical Learning Rates for Training Neural Networks",
        ),
    }
    named = name_groups(words, [["ppo", "trpo"], ["sgdr", "clr"]])
    names = [name for name, _terms in named]
    assert names[0].startswith("Policy gradient")
    assert names[1].startswith("Learning-rate schedules")
    assert "Calculus" not in names[1]  # a week's topic is only a hint
    # Shared phrases tie the papers of each group together, not across.
    vectors = shared_phrase_vectors(words)
    assert float(vectors["ppo"] @ vectors["trpo"]) > 0.5
    assert float(vectors["ppo"] @ vectors["sgdr"]) < 0.1


def test_names_are_unique_and_fall_back_to_hints():
    words = {
        "a": PaperWords(note="", title="Alpha", hints=["Natural language processing"]),
        "b": PaperWords(note="", title="Beta", hints=["Natural language processing"]),
    }
    names = [n for n, _ in name_groups(words, [["a"], ["b"]])]
    assert len(set(names)) == 2
    assert "Natural language processing" in names
    assert "warm restarts" in phrases("We use warm restarts (SGDR) here.")
    tagged = {"a": PaperWords(hints=["rl"]), "b": PaperWords(hints=["rl"]), "c": PaperWords()}
    assert name_groups(tagged, [["a", "b"], ["c"]])[0][0] == "RL"


def test_theme_file_round_trip_and_errors(tmp_path):
    path = tmp_path / "themes.toml"
    text = theme_file_text(
        [('Quotes "and" backslashes \\ ok', ["a2017x", "1706.03762"]), ("Ünïcode", ["b"])],
        {"a2017x": "A title\nwith a newline"},
    )
    path.write_text(text, encoding="utf-8")
    themes = read_theme_file(path).themes
    assert [t.name for t in themes] == ['Quotes "and" backslashes \\ ok', "Ünïcode"]
    assert themes[0].papers == ["a2017x", "1706.03762"]
    assert read_theme_file(tmp_path / "none.toml").themes == []
    path.write_text('[[theme]]\npapers = ["a"]\n', encoding="utf-8")
    with pytest.raises(UsageError, match="theme 1 has no name"):
        read_theme_file(path)


def test_reading_themes_leave_out_papers_never_read_or_noted(any_store):
    store = any_store  # on SQLite and on a lab database
    build_library(store)
    themes = reading_themes(store, allow_embed=False)
    placed = sorted(pid for t in themes for pid in t.paper_ids)
    # Noted: the attention paper, the hostile one and GCN; the empty note is no note.
    assert placed == ["1609.02907", "1706.03762", "2101.00001"]
    assert all(t.name and t.kind == "content" for t in themes)
