"""PyMuPDF is loaded without its layout analyser, and extraction reads the same text."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from paperlab.extract import extract_pdf
from tests.fakearxiv import make_pdf

CHILD = """
import json, sys
from pathlib import Path
from paperlab.extract import extract_pdf
pages = [p.text for p in extract_pdf(Path(sys.argv[1])).pages]
import pymupdf
print(json.dumps({
    "pages": pages,
    "unused": {name: sys.modules.get(name, "absent") for name in ("pymupdf.layout", "pymupdf4llm")},
    "layout_function": pymupdf._get_layout is not None,
    "onnxruntime": "onnxruntime" in sys.modules,
}))
"""


def test_a_fresh_process_reads_pdfs_without_the_layout_model(tmp_path: Path) -> None:
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(make_pdf("Warm restarts", ["1 Introduction\nWe restart the schedule. " * 20]))
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(pdf)], capture_output=True, text=True, timeout=120
    )
    assert child.returncode == 0, child.stderr
    seen = json.loads(child.stdout)
    assert seen["unused"] == {"pymupdf.layout": None, "pymupdf4llm": None}
    assert not seen["layout_function"] and not seen["onnxruntime"]
    # This process may have PyMuPDF's layout package loaded: the text is the same.
    assert seen["pages"] == [p.text for p in extract_pdf(pdf).pages]
    assert "restart the schedule" in seen["pages"][0]
