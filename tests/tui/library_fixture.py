"""A small, deterministic library built through the store and the services."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

from paperlab.store import Store
from paperlab.store.models import (
    Chunk,
    Page,
    Paper,
    PaperReadingState,
    PaperTopic,
    ReadingList,
    ReadingListEntry,
    Topic,
    dumps,
)

FIXED = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)
PLAN_START = date(2025, 3, 3)
TODAY = date(2025, 3, 12)

TOPICS = [
    (
        "ml-intro",
        "Introduction to machine learning",
        [1, 2],
        ["Andrew Ng, Machine Learning (Coursera / Stanford)"],
    ),
    ("linear-algebra", "Linear algebra", [3, 4], ["3Blue1Brown, Essence of Linear Algebra"]),
    ("deep-learning", "Deep learning and CNNs", [11, 12], ["fast.ai, Practical Deep Learning"]),
    ("nlp", "Natural language processing", [13, 14], ["Stanford CS224n"]),
    ("reinforcement-learning", "Reinforcement learning", [15, 16], ["David Silver, RL course"]),
]

ATTENTION_PAGES = [
    """Attention Is All You Need

Abstract
The dominant sequence transduction models are based on complex recurrent or convolutional \
neural networks that include an encoder and a decoder. We propose a new simple network \
architecture, the Transformer, based solely on attention mechanisms, dispensing with \
recurrence and convolutions entirely.

1 Introduction
Recurrent neural networks, long short-term memory and gated recurrent neural networks in \
particular, have been firmly established as state of the art approaches in sequence modeling. \
Recurrent models typically factor computation along the symbol positions of the input and \
output sequences. This inherently sequential nature precludes parallelization within training \
examples.""",
    """2 Background
The goal of reducing sequential computation also forms the foundation of the Extended Neural \
GPU, ByteNet and ConvS2S. Self-attention, sometimes called intra-attention, is an attention \
mechanism relating different positions of a single sequence in order to compute a \
representation of the sequence.

3 Model Architecture
Most competitive neural sequence transduction models have an encoder-decoder structure. The \
encoder maps an input sequence of symbol representations to a sequence of continuous \
representations. Given these, the decoder then generates an output sequence of symbols one \
element at a time.""",
    """3.2 Attention
An attention function can be described as mapping a query and a set of key-value pairs to an \
output, where the query, keys, values, and output are all vectors. We call our particular \
attention Scaled Dot-Product Attention. The input consists of queries and keys of dimension \
d_k, and values of dimension d_v.

4 Why Self-Attention
One is the total computational complexity per layer. Another is the amount of computation \
that can be parallelized, as measured by the minimum number of sequential operations \
required.

5 Conclusion
In this work, we presented the Transformer, the first sequence transduction model based \
entirely on attention, replacing the recurrent layers most commonly used in encoder-decoder \
architectures with multi-headed self-attention.""",
]

DQN_PAGES = [
    """Playing Atari with Deep Reinforcement Learning

Abstract
We present the first deep learning model to successfully learn control policies directly \
from high-dimensional sensory input using reinforcement learning. The model is a \
convolutional neural network, trained with a variant of Q-learning.

1 Introduction
Learning to control agents directly from high-dimensional sensory inputs like vision and \
speech is one of the long-standing challenges of reinforcement learning.""",
    """2 Background
We consider tasks in which an agent interacts with an environment, in a sequence of actions, \
observations and rewards. Experience replay stores the agent's experiences at each time-step \
in a data set pooled over many episodes into a replay memory.

3 Experiments
We performed experiments on seven popular Atari games. The network architecture and all \
hyperparameters were kept constant across the games.""",
]

PAPERS = [
    # id, title, year, authors, state, reading, pages, topics
    (
        "1706.03762",
        "Attention Is All You Need",
        2017,
        ["Ashish Vaswani", "Noam Shazeer"],
        "indexed",
        "reading",
        ATTENTION_PAGES,
        ["deep-learning", "nlp"],
    ),
    (
        "1312.5602",
        "Playing Atari with Deep Reinforcement Learning",
        2013,
        ["Volodymyr Mnih", "Koray Kavukcuoglu"],
        "indexed",
        "read",
        DQN_PAGES,
        ["reinforcement-learning"],
    ),
    (
        "1409.0473",
        "Neural Machine Translation by Jointly Learning to Align and Translate",
        2014,
        ["Dzmitry Bahdanau", "Kyunghyun Cho"],
        "fetched",
        "unread",
        [],
        ["nlp"],
    ),
    (
        "1512.03385",
        "Deep Residual Learning for Image Recognition",
        2015,
        ["Kaiming He", "Xiangyu Zhang"],
        "queued",
        "skimming",
        [],
        ["deep-learning"],
    ),
    (
        "1301.5088",
        "Piecewise Linear Multilayer Perceptrons and Dropout",
        2013,
        ["Ian J. Goodfellow"],
        "failed",
        "unread",
        [],
        [],
    ),
]

LISTS = [
    (
        "weeks-19-20-reading-papers",
        "Reading and understanding research papers",
        [19, 20],
        [("1301.5088", 19), ("1409.0473", 19), ("1706.03762", 20), ("1512.03385", 20)],
    ),
    (
        "weeks-21-24-project",
        "Research project background",
        [21, 22, 23, 24],
        [("1312.5602", 21), ("1706.03762", 22)],
    ),
]

SECTION_RE = r"^(\d+(?:\.\d+)*) [A-Z][A-Za-z -]+$"


def _chunks(paper_id: str, pages: list[str]) -> list[Chunk]:
    """One chunk per paragraph, its section taken from the nearest heading above."""
    import re

    chunks: list[Chunk] = []
    section = "Abstract"
    for number, text in enumerate(pages, start=1):
        offset = 0
        for block in text.split("\n\n"):
            start = text.index(block, offset)
            offset = start + len(block)
            first = block.split("\n", 1)[0]
            if re.match(SECTION_RE, first):
                section = first
            body = block.strip()
            chunks.append(
                Chunk(
                    paper_id=paper_id,
                    ordinal=len(chunks),
                    page_start=number,
                    page_end=number,
                    char_start=start,
                    char_end=offset,
                    section=section,
                    text=body,
                    content_hash=hashlib.sha256(body.encode()).hexdigest(),
                )
            )
    return chunks


def build_library(store: Store, *, with_content: bool = True) -> None:
    """Topics, two reading lists, five papers (two with text), and, with content,
    an annotation, a note, log entries and reading sessions, all at fixed dates."""
    with store.write() as s:
        for slug, title, weeks, resources in TOPICS:
            s.add(
                Topic(
                    slug=slug,
                    title=title,
                    weeks=dumps(weeks),
                    resources=dumps(resources),
                    description=f"Roadmap weeks {weeks[0]}-{weeks[-1]}: {title.lower()}.",
                )
            )
        for i, (pid, title, year, authors, state, reading, _pages, _topics) in enumerate(PAPERS):
            when = FIXED + timedelta(minutes=i)
            s.add(
                Paper(
                    id=pid,
                    version=1,
                    title=title,
                    authors=dumps(authors),
                    abstract=f"The abstract of {title}.",
                    published=datetime(year, 6, 1, tzinfo=UTC),
                    state=state,
                    citation_key=f"key{i}",
                    added_at=when,
                    updated_at=when,
                )
            )
            if reading != "unread":  # the current user's (PAPERLAB_USER) state
                s.add(PaperReadingState(paper_id=pid, state=reading, updated_at=when))
        s.flush()
        for pid, *_rest, pages, topics in PAPERS:
            for number, text in enumerate(pages, start=1):
                s.add(Page(paper_id=pid, number=number, text=text))
            for chunk in _chunks(pid, pages):
                s.add(chunk)
            for slug in topics:
                s.add(PaperTopic(paper_id=pid, topic_slug=slug, source="list"))
        for name, title, weeks, entries in LISTS:
            rl = ReadingList(name=name, title=title, weeks=dumps(weeks), loaded_at=FIXED)
            s.add(rl)
            s.flush()
            assert rl.id is not None
            for position, (pid, week) in enumerate(entries):
                s.add(ReadingListEntry(list_id=rl.id, paper_id=pid, week=week, position=position))
    if not with_content:
        return
    from paperlab.annotations import add_annotation
    from paperlab.progress import record_reading
    from paperlab.researchlog import add_entry

    add_annotation(
        store,
        "1706.03762",
        "based solely on attention mechanisms",
        page=1,
        comment="the core claim",
    )
    add_entry(
        store,
        "Try a small Transformer on the toy translation task, as in 1706.03762.",
        kind="experiment",
        when=FIXED + timedelta(days=1),
    )
    add_entry(
        store,
        "Does experience replay matter for small data sets?",
        kind="question",
        papers=["1312.5602"],
        topics=["reinforcement-learning"],
        when=FIXED + timedelta(days=2),
    )
    for day, minutes in [(0, 90), (1, 120), (3, 60), (7, 240), (8, 200)]:
        record_reading(
            store,
            "1706.03762" if day < 7 else "1312.5602",
            minutes,
            started_at=datetime(2025, 3, 3, 9, tzinfo=UTC) + timedelta(days=day),
        )
