"""PyMuPDF, imported without its layout analyser.

PyMuPDF 2 depends on, and at import loads, the ``pymupdf.layout`` package
(which builds an ONNX layout model and its process pool) and ``pymupdf4llm``.
paperlab reads MuPDF's own text output and never calls ``Page.get_layout``,
``to_markdown`` or table finding, the only users of either; loading them cost
~1.1 s of the ~1.7 s ``import pymupdf`` took on an AVX2-only EPYC, in every
process that reads a PDF, each extraction worker included. A ``None`` entry
in ``sys.modules`` makes PyMuPDF's optional import of each fail as if it were
not installed. Nothing changes when PyMuPDF is already loaded.
"""

from __future__ import annotations

import sys
from types import ModuleType

# Optional packages PyMuPDF imports when present, and that paperlab never calls.
UNUSED = ("pymupdf.layout", "pymupdf4llm")


def load_pymupdf() -> ModuleType:
    """The ``pymupdf`` module, imported (the first time) without ``UNUSED``."""
    if "pymupdf" not in sys.modules:
        for name in UNUSED:
            sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    import pymupdf

    return pymupdf


__all__ = ["UNUSED", "load_pymupdf"]
