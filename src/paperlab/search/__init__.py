"""Search building blocks: embedder, faiss vector index, FTS5 lexical queries, fusion.

The services that use them are ``paperlab.embedding`` (embed what is missing),
``paperlab.vectorsync`` (keep the faiss file current), run together by
``paperlab.indexing``, and ``paperlab.searching`` (the hybrid query).
Nothing here imports torch, sentence-transformers or faiss at import time.
"""

from __future__ import annotations

import hashlib


def text_hash(text: str) -> str:
    """The content hash that keys a vector: sha256 of the exact text embedded."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


__all__ = ["text_hash"]
