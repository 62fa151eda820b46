"""Reciprocal rank fusion and grouping."""

from __future__ import annotations

import pytest

from paperlab.search.fusion import FusionParams, fuse_hybrid, group_by, rrf


def test_rrf_scores() -> None:
    fused = dict(rrf([["a", "b"], ["b", "c"]], k=60))
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["c"] == pytest.approx(1 / 62)


def test_item_in_both_lists_beats_single_list_leaders() -> None:
    fused = fuse_hybrid(["x", "both"], ["y", "both"])
    assert fused[0][0] == "both"


def test_weights_shift_the_balance() -> None:
    lexical_heavy = fuse_hybrid(["lex"], ["dense"], FusionParams(lexical_weight=2.0))
    dense_heavy = fuse_hybrid(["lex"], ["dense"], FusionParams(dense_weight=2.0))
    assert lexical_heavy[0][0] == "lex" and dense_heavy[0][0] == "dense"


def test_duplicates_within_a_list_count_once() -> None:
    assert dict(rrf([["a", "a"]], k=0))["a"] == pytest.approx(1.0)


def test_weights_must_match_rankings() -> None:
    with pytest.raises(ValueError):
        rrf([["a"]], weights=[1.0, 2.0])


def test_group_by_keeps_best_per_group_together() -> None:
    ranked = [("a1", 9.0), ("b1", 8.0), ("a2", 7.0), ("c1", 6.0), ("a3", 5.0), ("a4", 4.0)]
    groups = {"a1": "A", "a2": "A", "a3": "A", "a4": "A", "b1": "B", "c1": "C"}
    out = group_by(ranked, groups, groups=2, per_group=3)
    assert [k for k, _ in out] == ["a1", "a2", "a3", "b1"]
    # Keys without a group are their own group.
    assert [k for k, _ in group_by([("z", 1.0)], {}, groups=5, per_group=2)] == ["z"]
