"""Word and OpenDocument versions of the review, made by pandoc from review.md."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from paperlab.errors import PaperlabError, UsageError

PANDOC_TIMEOUT = 300  # seconds: a draft converts in one or two


def require_pandoc(fmt: str) -> str:
    """The pandoc executable, or a UsageError naming the formats that need it."""
    found = shutil.which("pandoc")
    if found is None:
        raise UsageError(
            f"--format {fmt} needs pandoc, which is not installed.",
            hint="Install pandoc (https://pandoc.org), or use --format md, latex or both.",
        )
    return found


def convert(out_dir: Path, name: str) -> Path:
    """Convert ``out_dir/review.md`` (with references.bib) to ``out_dir/name`` via citeproc."""
    pandoc = require_pandoc(Path(name).suffix.lstrip("."))
    target = Path(out_dir) / name
    tmp = target.with_name(f".{target.name}.tmp{target.suffix}")
    run = subprocess.run(
        [pandoc, "--citeproc", "--bibliography", "references.bib", "review.md", "-o", tmp.name],
        cwd=out_dir,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=PANDOC_TIMEOUT,
        check=False,
    )
    if run.returncode != 0:
        tmp.unlink(missing_ok=True)
        last = (run.stderr.strip().splitlines() or ["no message"])[-1]
        raise PaperlabError(f"pandoc could not write {name}: {last[:200]}")
    tmp.replace(target)
    return target


__all__ = ["PANDOC_TIMEOUT", "convert", "require_pandoc"]
