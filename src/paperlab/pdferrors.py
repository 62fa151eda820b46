"""Why a PDF cannot be read, and what to do about it: the sentences and their hints.

Extraction raises them (``extract/pdf.py``, ``extract/workers.py``); a paper
keeps the sentence as its failure reason, and the screens that show a failed
paper later find the hint again here. Kept apart from the extraction package
so that `paperlab show` does not import it.
"""

from __future__ import annotations

ENCRYPTED = "The PDF is encrypted."
ENCRYPTED_HINT = "Remove the password (e.g. qpdf --decrypt) or add an unprotected copy."
NO_PAGES = "The PDF has no pages."
NO_PAGES_HINT = "Download the PDF again; the file may be incomplete."
NO_TEXT = "The PDF has no text layer (scanned?)."
NO_TEXT_HINT = "Run OCR on it first, e.g. `ocrmypdf in.pdf out.pdf`, and add the result."
DAMAGED = "The PDF is damaged and cannot be read ({detail})."
DAMAGED_HINT = "Download the PDF again or repair it (e.g. qpdf or mutool clean)."
MISSING = "The PDF file {path} is missing."
MISSING_HINT = (
    "`paperlab fetch ID` downloads an arXiv paper's PDF again;"
    " a local PDF is added again with `paperlab add`."
)
CRASHED = "The PDF reader crashed on this file."
CRASHED_HINT = (
    "Repair the PDF (e.g. `qpdf in.pdf out.pdf` or `mutool clean in.pdf out.pdf`)"
    " and add the repaired copy with `paperlab add`."
)
_HINTS = {
    ENCRYPTED: ENCRYPTED_HINT,
    NO_PAGES: NO_PAGES_HINT,
    NO_TEXT: NO_TEXT_HINT,
    CRASHED: CRASHED_HINT,
}


def failure_hint(message: str) -> str | None:
    """The hint that goes with one of the sentences above, for one read back
    from the library (a paper records why it failed, not what to do about it)."""
    if message in _HINTS:
        return _HINTS[message]
    for sentence, hint in ((DAMAGED, DAMAGED_HINT), (MISSING, MISSING_HINT)):
        if message.startswith(sentence.partition("{")[0]):
            return hint
    return None
