"""A realistic reading library, fetched and filled once per test session.

Real PDFs from the shared data are fetched from the fake arXiv (extracted and
embedded by the real pipeline and model); then what a learner writes in a
week is added: structured notes with a missing field here and there,
annotations on real sentences (anchored to their pages), free tags, roadmap
topics that say when a paper was read rather than what it is about, and
research-log entries of every kind. Two papers have the same first author and
year, which a bibliography must tell apart (2017a, 2017b).

The review tests read it (tests/unit/test_export_review_library.py,
tests/cli/test_review_cli.py); fetching and embedding nine real papers takes
tens of seconds, so the session builds it once (``reading_library`` in
tests/conftest.py) and nothing may change it.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paperlab.annotations import add_annotation
from paperlab.fetching import fetch
from paperlab.fetchtargets import resolve_targets
from paperlab.notes import save_note
from paperlab.researchlog import add_entry
from paperlab.settings import load_settings
from paperlab.store import Store, open_store
from paperlab.tagging import tag_paper
from tests.fakearxiv import FakeArxiv, catalogue_from_shared

AUTHORS = {
    "1707.06347": ["John Schulman", "Filip Wolski", "Prafulla Dhariwal", "Alec Radford"],
    "1611.01578": ["Barret Zoph", "Quoc V. Le"],
    "1608.03983": ["Ilya Loshchilov", "Frank Hutter"],
    "1803.09820": ["Leslie N. Smith"],
    "1502.03167": ["Sergey Ioffe", "Christian Szegedy"],
    "1709.08568": ["Yoshua Bengio"],
    "1301.5088": ["Ian J. Goodfellow"],
    # 1705.05363 and 1706.05394 keep the catalogue's "A. Author, B. Author":
    # same first author, same year (2017), so their labels need a letter.
}
IDS = [*AUTHORS, "1705.05363", "1706.05394"]
UNREAD = ["1709.08568", "1301.5088"]  # fetched, never noted

NOTES: dict[str, dict[str, str]] = {
    "1707.06347": {
        "summary": "Policy gradient updates that are stable without a trust-region solver.",
        "method": "Clipped surrogate objective on the probability ratio; several epochs of "
        "minibatch updates per batch of rollouts, with a value-function baseline.",
        "results": "Beats A2C and TRPO on most MuJoCo continuous-control tasks and "
        "matches ACER on Atari with far simpler code.",
        "limitations": "The clip range is a sensitive hyper-parameter.",
        "questions": "- Does the clipped objective still help with small batches?",
        "body": "## Policy gradient with trust regions\n\nThe clip keeps the new policy "
        "close to the old one, like a trust region.",
    },
    "1705.05363": {
        "summary": "Exploration driven by curiosity when extrinsic rewards are sparse.",
        "method": "An intrinsic reward from the prediction error of a forward model in a "
        "learned feature space (inverse dynamics features), added to the policy gradient.",
        "results": "Agents explore VizDoom and Super Mario Bros levels with no extrinsic "
        "reward at all.",
        "questions": "- Is the intrinsic reward distracted by noisy observations?",
        "body": "## Exploration and intrinsic reward\n\nCuriosity as a policy gradient "
        "bonus; pairs with the clipped policy updates.",
    },
    "1611.01578": {
        "summary": "Searching network architectures with a reinforcement-learning controller.",
        "method": "A recurrent controller samples architectures and is trained with policy "
        "gradient on the validation accuracy of each child network.",
        "data": "",
        "results": "Architectures competitive with the best hand-designed ones on "
        "CIFAR-10 and Penn Treebank.",
        "limitations": "Thousands of GPU hours for one search.",
        "body": "## Policy gradient controllers\n\nThe reward is validation accuracy.",
    },
    "1608.03983": {
        "summary": "Learning-rate schedules with warm restarts for stochastic gradient descent.",
        "method": "Cosine annealing of the learning rate, restarted periodically with a "
        "growing period; trained on CIFAR-10 and CIFAR-100 with wide residual networks.",
        "results": "State-of-the-art error on CIFAR-10 and CIFAR-100 with fewer epochs.",
        "limitations": "The restart period is one more hyper-parameter.",
        "questions": "- Do warm restarts help policy-gradient training too?",
        "body": "## Learning-rate schedules\n\nCosine annealing with warm restarts.",
    },
    "1803.09820": {
        "summary": "A recipe for setting learning rate, batch size, momentum and weight decay.",
        "method": "Learning-rate range tests and the one-cycle learning-rate schedule, "
        "reading the validation loss early in training.",
        "results": "Super-convergence: the same accuracy in a fraction of the iterations.",
        "limitations": "Mostly image classification; few ablations beyond CIFAR.",
        "body": "## Learning-rate schedules\n\nOne-cycle schedule and the LR range test.",
    },
    "1502.03167": {
        "summary": "Normalising layer inputs per mini-batch to speed up training.",
        "method": "Batch normalization of each activation with mini-batch statistics and "
        "a learned scale and shift; evaluated on ImageNet classification.",
        "results": "Reaches the same accuracy with 14 times fewer training steps.",
        "limitations": "Depends on the batch size; unclear for recurrent networks.",
        "body": "## Learning-rate schedules\n\nAllows much higher learning rates.",
    },
    "1706.05394": {
        "summary": "How deep networks memorize noise versus learn patterns from real data.",
        "method": "Training on real and randomised labels and inputs, comparing "
        "loss-sensitivity and the effect of regularisers.",
        "results": "Networks learn simple patterns first; dropout slows memorization of noise.",
        "limitations": "Small networks and data sets only.",
        "questions": "- Does memorization explain the gains of warm restarts?",
    },
}
ANNOTATIONS = [
    ("1707.06347", "We propose a new family of policy gradient methods", "The core idea."),
    ("1608.03983", "warm restart", "Restart the schedule, keep the weights."),
    ("1502.03167", "internal covariate shift", ""),
    ("1705.05363", "curiosity", "Intrinsic reward, no extrinsic reward needed."),
]
TAGS = {"1707.06347": ["rl"], "1705.05363": ["rl"], "1608.03983": ["optimisation"]}
# Roadmap topics by week read, as a learner tags them: not what the paper is about.
TOPICS = {"1608.03983": ["calculus"], "1707.06347": ["deep-learning"], "1611.01578": ["statistics"]}
LOG = [
    ("question", "Which training tricks make policy-gradient agents learn reliably?", [], 1),
    ("idea", "Compare learning-rate schedules inside PPO training.", ["1707.06347"], 2),
    (
        "decision",
        "Use cosine annealing with warm restarts as the default schedule.",
        ["1608.03983"],
        3,
    ),
    (
        "experiment",
        "SGDR run: PPO on CartPole with warm restarts every 50 updates.",
        [
            "1608.03983",
            "1707.06347",
        ],
        4,
    ),
    (
        "result",
        "SGDR run: return curve noisier after each restart, same final return.",
        ["1608.03983"],
        5,
    ),
    ("question", "Would a one-cycle schedule avoid the noisy restarts?", ["1803.09820"], 6),
    ("todo", "Try the learning-rate range test before the next run.", ["1803.09820"], 7),
]


QUIET_ENV = {"PAPERLAB_ARXIV_DELAY": "0", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _catalogue(shared: Path) -> list:
    wanted = {p.id: p for p in catalogue_from_shared(shared) if p.id in IDS}
    out = []
    for pid in IDS:
        paper = wanted[pid]
        if pid in AUTHORS:
            paper = dataclasses.replace(paper, authors=AUTHORS[pid])
        out.append(paper)
    return out


def _quote_in(store: Store, paper_id: str, quote: str) -> bool:
    with store.connect() as conn:
        rows = conn.execute("SELECT text FROM page WHERE paper_id = :p", {"p": paper_id}).all()
    return any(quote.lower() in (r[0] or "").lower() for r in rows)


def fill_library(store: Store) -> None:
    """Notes, annotations, tags, topics and log entries on the fetched papers."""
    for pid, fields in NOTES.items():
        save_note(store, pid, {k: v for k, v in fields.items() if k != "data"})
    for pid, quote, comment in ANNOTATIONS:
        if _quote_in(store, pid, quote):
            add_annotation(store, pid, quote, comment=comment, occurrence=1)
    for pid, tags in TAGS.items():
        tag_paper(store, pid, tags)
    for pid, slugs in TOPICS.items():
        tag_paper(store, pid, slugs)
    for kind, text, papers, day in LOG:
        add_entry(store, text, kind=kind, papers=papers, when=datetime(2026, 11, day, tzinfo=UTC))


def build_reading_library(home: Path, shared: Path) -> Store:
    """Fetch the papers into a library at ``home`` and fill it; the store stays open."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PAPERLAB_HOME", str(home))
        for name, value in QUIET_ENV.items():
            mp.setenv(name, value)
        server = FakeArxiv(_catalogue(shared)).start()
        try:
            mp.setenv("PAPERLAB_ARXIV_API_URL", server.api_url)
            settings = load_settings()
            store = open_store(settings)
            report = fetch(store, settings, resolve_targets(IDS))
            assert report.ok, [f.paper_id for f in report.failures]
        finally:
            server.stop()
        fill_library(store)
    return store
