"""Filter terms typed among a search's words."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from paperlab.searchterms import SearchTerms, describe_choice, split_terms


def test_plain_words_are_the_query() -> None:
    assert split_terms("  warm   restarts ") == SearchTerms("warm restarts")
    assert not split_terms("warm restarts").limited


def test_terms_are_taken_out_of_the_query() -> None:
    terms = split_terms("paper:1706.03762 warmup LIST:week-19 state:Read paper:sgdr state:read")
    assert terms == SearchTerms(
        "warmup", papers=("1706.03762", "sgdr"), list_name="week-19", states=("read",)
    )
    assert terms.limited
    assert terms.describe() == "in list week-19 with reading state read among 1706.03762, sgdr"


def test_a_term_being_typed_and_look_alikes_are_left_alone() -> None:
    assert split_terms("paper: warmup") == SearchTerms("warmup")  # value not typed yet
    assert split_terms("arXiv:1706.03762 see:below") == SearchTerms("arXiv:1706.03762 see:below")
    assert split_terms("mypaper:x").query == "mypaper:x"  # a key must start a word
    assert split_terms("topic:nlp tag:gans tag:vae").topic == "nlp"
    assert split_terms("topic:nlp tag:gans tag:vae").tag == "vae"  # the last one counts


def test_describe_names_pipeline_and_reading_states_apart() -> None:
    assert describe_choice(states=["indexed", "unread", "failed"]) == (
        "with reading state unread in state indexed or failed"
    )
    assert describe_choice(topic="nlp", tag="gans") == "tagged gans on topic nlp"


@given(st.text(alphabet=st.sampled_from(list("ab :pertlisgcoy\t")), max_size=40))
def test_splitting_never_loses_a_query_word(text: str) -> None:
    terms = split_terms(text)
    words = text.split()
    kept = [
        w
        for w in words
        if not any(
            w.lower().startswith(k + ":") for k in ("paper", "list", "tag", "state", "topic")
        )
    ]
    assert terms.query.split() == kept


def test_a_state_may_be_the_start_of_one_as_in_the_library_filter() -> None:
    assert split_terms("x state:read").states == ("read",)  # a whole name: that state only
    assert split_terms("x state:rea").states == ("reading", "read")
    assert split_terms("x state:fail state:skim").states == ("failed", "skimming")
    assert split_terms("x state:nonsense").states == ("nonsense",)  # refused where it is used
