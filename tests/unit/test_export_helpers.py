"""A fixture library for the export tests (imported by the export test modules).

Papers, topics, notes, annotations, log entries, pages, chunks and vectors
are inserted through the store, with titles, authors and notes that carry
every character that has broken exporters before.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from paperlab.settings import load_settings
from paperlab.store import Store
from paperlab.store.models import (
    Annotation,
    Chunk,
    Embedding,
    LogEntry,
    LogPaper,
    Note,
    Page,
    Paper,
    PaperReadingState,
    PaperTopic,
    ReadingList,
    ReadingListEntry,
    Topic,
    dumps,
)

HOSTILE_TITLE = (
    r"Braces {x} & 100% of $\Lambda_{\alpha}$ #1 _under_ ^caret ~tilde \backslash: "
    "Über naïve Łódź – “quoted” ≤ α"
)
HOSTILE_AUTHORS = ["José Núñez", "李小龙", "Дмитрий Иванов", "Pat O'Brien", "Ludwig van Beethoven"]

PAGE_TEXT = {
    "1706.03762": [
        "Attention Is All You Need. The dominant sequence transduction models are based on "
        "complex recurrent networks.",
        "We propose the Transformer, based solely on attention mechanisms. Multi-head "
        "attention allows the model to jointly attend to information.",
    ],
}

UNTAGGED = [
    # (id, title, abstract, axis) -- axis picks the cluster direction of the vectors
    (
        "1312.5602",
        "Playing Atari with Deep Reinforcement Learning",
        "We present the first deep learning model to learn control policies from raw pixels "
        "using reinforcement learning. The reward signal drives the policy.",
        0,
    ),
    (
        "1707.06347",
        "Proximal Policy Optimization Algorithms",
        "We propose a new family of policy gradient methods for reinforcement learning. The "
        "policy reward objective is clipped.",
        0,
    ),
    (
        "1609.02907",
        "Semi-Supervised Classification with Graph Convolutional Networks",
        "We present a scalable approach for semi-supervised learning on graph-structured data. "
        "Graph convolutions pass messages between nodes.",
        1,
    ),
    (
        "1710.10903",
        "Graph Attention Networks",
        "We present graph attention networks, novel neural network architectures that operate "
        "on graph-structured data. Nodes attend over their neighbourhoods.",
        1,
    ),
]


def _vector(axis: int, jitter: int, dim: int = 8) -> bytes:
    import numpy as np

    v = np.full(dim, 0.01, dtype=np.float32)
    v[axis] = 1.0
    v[(axis + 2 + jitter) % dim] += 0.2
    return (v / np.linalg.norm(v)).astype(np.float32).tobytes()


def build_library(store: Store, *, with_log: bool = True) -> dict[str, str]:
    """Fill ``store`` with the fixture library; returns names used by the tests."""
    model = load_settings().embed_model
    when = datetime(2024, 5, 1, tzinfo=UTC)
    with store.write() as s:
        s.add(Topic(slug="nlp", title="Natural language processing", weeks=dumps([14])))
        s.add(Topic(slug="deep-learning", title="Deep learning & CNNs", weeks=dumps([12])))
        s.add(Topic(slug="statistics", title="Statistics", weeks=dumps([5])))
        s.add(
            Paper(
                id="1706.03762",
                version=5,
                title="Attention Is All You Need",
                authors=dumps(["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"]),
                abstract="The dominant sequence transduction models are based on complex recurrent "
                "networks. We propose the Transformer.",
                categories=dumps(["cs.CL", "cs.LG"]),
                primary_category="cs.CL",
                published=datetime(2017, 6, 12, tzinfo=UTC),
                citation_key="vaswani2017attention",
                state="extracted",
            )
        )
        s.add(PaperReadingState(paper_id="1706.03762", state="read"))  # the current user's
        s.add(
            Paper(
                id="2101.00001",
                version=1,
                title=HOSTILE_TITLE,
                authors=dumps(HOSTILE_AUTHORS),
                abstract="We study 50% & more of {things} with $x_1$ and #tags. Second sentence.",
                categories=dumps(["cs.LG"]),
                primary_category="cs.LG",
                published=datetime(2021, 1, 1, tzinfo=UTC),
                doi="10.1000/xyz_123",
                journal_ref="J. Weird Res. 12 (2021) 1-10 & more",
                citation_key=None,
                metadata_complete=True,
            )
        )
        for i, (pid, title, abstract, _axis) in enumerate(UNTAGGED):
            s.add(
                Paper(
                    id=pid,
                    version=1,
                    title=title,
                    authors=dumps([f"Author{i} Person"]),
                    abstract=abstract,
                    categories=dumps(["cs.LG"]),
                    primary_category="cs.LG",
                    published=datetime(2015 + i, 3, 1, tzinfo=UTC),
                    citation_key=None,
                    metadata_complete=True,
                    added_at=datetime(2024, 1, 2 + i, tzinfo=UTC),
                )
            )
        s.flush()
        s.add(PaperTopic(paper_id="1706.03762", topic_slug="nlp"))
        s.add(PaperTopic(paper_id="2101.00001", topic_slug="deep-learning"))
        s.add(PaperTopic(paper_id="2101.00001", topic_slug="nlp"))
        for number, text in enumerate(PAGE_TEXT["1706.03762"], start=1):
            s.add(Page(paper_id="1706.03762", number=number, text=text))
        for j, (pid, _t, _a, axis) in enumerate(UNTAGGED):
            for c in range(2):
                digest = hashlib.sha256(f"{pid}-{c}".encode()).hexdigest()
                s.add(
                    Chunk(
                        paper_id=pid,
                        ordinal=c,
                        page_start=1,
                        page_end=1,
                        char_start=0,
                        char_end=10,
                        text=f"chunk {c}",
                        content_hash=digest,
                    )
                )
                s.add(
                    Embedding(content_hash=digest, model=model, dim=8, vector=_vector(axis, j + c))
                )
        s.add(
            Note(
                paper_id="1706.03762",
                summary="Replaces recurrence with self-attention for sequence transduction.",
                contributions="- The Transformer architecture\n- Multi-head attention",
                method="Encoder-decoder built from attention layers, trained on WMT 2014 "
                "English-German data.",
                results="28.4 BLEU on WMT 2014 English-to-German.",
                limitations="Quadratic cost in sequence length.",
                questions="- Does attention scale to long documents?\n- Why do 8 heads work best?",
            )
        )
        s.add(
            Note(
                paper_id="2101.00001",
                summary="A note with hostile text: 100% {braces} & under_score, email a@b.org, "
                "[@notakey] and \\cite{x} and $\\alpha$.",
                contributions="Escaping #everything ^ ~",
                limitations="None of $$ matter.",
                questions="Is ~ ok?",
            )
        )
        s.add(Note(paper_id="1312.5602", summary="", body=""))  # empty note: still to read
        s.add(
            Note(
                paper_id="1609.02907",
                summary="Graph convolutions for node labels.",
                results="Beats label propagation on Cora.",
                limitations="Transductive only.",
            )
        )
        s.add(
            Annotation(
                paper_id="1706.03762",
                quote="based solely on attention mechanisms",
                page=2,
                char_start=24,
                char_end=60,
                comment="The core claim & 100%",
            )
        )
        s.add(
            Annotation(
                paper_id="1706.03762",
                quote="complex recurrent networks",
                page=1,
                char_start=80,
                char_end=106,
                comment="",
            )
        )
        s.add(
            Annotation(
                paper_id="1706.03762",
                quote="text that is nowhere in the PDF",
                page=1,
                comment="lost",
            )
        )
        reading_list = ReadingList(name="week-19", title="Week 19 papers")
        s.add(reading_list)
        s.flush()
        s.add(
            ReadingListEntry(
                list_id=reading_list.id or 0, paper_id="1706.03762", week=19, position=0
            )
        )
        s.add(
            ReadingListEntry(
                list_id=reading_list.id or 0, paper_id="1609.02907", week=19, position=1
            )
        )
        if with_log:
            entries = [
                ("question", "Can attention replace message passing on graphs?", 3),
                ("decision", "Focus on small graphs & 50% sampling.", 2),
                ("idea", "Try $k$-hop attention", 1),
                ("experiment", "Ran baseline", 0),
            ]
            for kind, text, day in entries:
                e = LogEntry(kind=kind, text=text, created_at=when.replace(day=1 + day))
                s.add(e)
                s.flush()
                if kind == "question":
                    s.add(LogPaper(log_id=e.id or 0, paper_id="1706.03762"))
    return {"hostile": "2101.00001", "attention": "1706.03762"}


def make_pdf(path: Path, pages: list[str]) -> Path:
    """A PDF whose pages hold ``pages`` as text, written with PyMuPDF."""
    import pymupdf

    doc = pymupdf.open()
    for text in pages:
        page = doc.new_page()
        page.insert_textbox(pymupdf.Rect(50, 50, 550, 800), text, fontsize=11)
    doc.save(str(path))
    doc.close()
    return path
