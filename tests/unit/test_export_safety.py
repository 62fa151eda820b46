"""Exports that must not break the user's build or files, driven through the real CLI.

- a .bib whose titles and names carry stray braces and TeX specials must read
  back entry for entry with the real ``bibtex`` and ``biber`` and compile;
- a note quoting the vault's marker line must not duplicate the generated
  section on every re-export;
- ``--out`` must write through a symlink to a file, and refuse devices,
  FIFOs and directories instead of replacing them.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import bibtexparser
import pytest

from paperlab.export.vault import MARKER
from paperlab.store import Store
from paperlab.store.models import Annotation, Note, Paper, dumps
from tests.helpers import CliResult, run_cli

# (id, title, authors, journal_ref): every one has broken a .bib before.
HOSTILE = [
    ("2101.00001", "Bob }{ % Smith", ["Bob }{ % Smith", "Ann Lee"], None),
    ("2101.00002", "Unclosed {brace in a title", ["Ann {Lee", "Zed} Last"], "J. Odd } 3"),
    (
        "2101.00003",
        "Closing} first, then 100% & $5 #1 _x_ ~ ^ \\ end",
        ["Per_cent 100% & Co"],
        None,
    ),
    (
        "2101.00004",
        "Math $\\Lambda_{\\alpha}$ kept, a stray } and \\input{x}",
        ["Smith, Jr."],
        None,
    ),
    ("2101.00005", "@misc{injected, title={x}} and \\end{document}", ["and", "Van der Berg"], None),
    ("2101.00006", "Ｆｕｌｌ ｛width｝ braces", ["Ｗｉｄｅ ｝Name", "  "], None),
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> CliResult:
    return run_cli(capsys, *argv)


@pytest.fixture
def hostile(store: Store) -> Store:
    with store.write() as session:
        for pid, title, authors, journal in HOSTILE:
            session.add(
                Paper(
                    id=pid,
                    version=1,
                    title=title,
                    authors=dumps(authors),
                    primary_category="cs.LG",
                    published=datetime(2021, 1, 1, tzinfo=UTC),
                    journal_ref=journal,
                    doi="10.1000/a}b\\c d" if pid.endswith("1") else None,
                    metadata_complete=True,
                    pdf_path=f"pdfs/{pid.replace('/', '_')}v1.pdf",  # as after a fetch
                )
            )
    return store


def _export_bib(capsys: pytest.CaptureFixture[str], out: Path) -> dict[str, dict[str, str]]:
    result = run(capsys, "export", "bibtex", "--out", str(out))
    assert result.code == 0, result.err
    parser = bibtexparser.bparser.BibTexParser(common_strings=False)
    entries = {e["ID"]: e for e in bibtexparser.loads(out.read_text("utf-8"), parser).entries}
    assert len(entries) == len(HOSTILE)
    return entries


def test_every_bib_field_has_balanced_braces(
    hostile: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = _export_bib(capsys, tmp_path / "refs.bib")
    for entry in entries.values():
        assert entry["eprint"].startswith("2101.0000")
        for name, value in entry.items():
            depth = 0
            for char in value:  # BibTeX counts every brace, escaped or not
                depth += {"{": 1, "}": -1}.get(char, 0)
                assert depth >= 0, (name, value)
            assert depth == 0, (name, value)
    assert any("Bob" in e["title"] for e in entries.values())


def test_bibtex_reads_every_entry_back(
    hostile: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("bibtex") is None:
        pytest.skip("bibtex is not installed (CI installs it)")
    keys = set(_export_bib(capsys, tmp_path / "refs.bib"))
    (tmp_path / "t.aux").write_text(
        "\\relax\n\\citation{*}\n\\bibstyle{plain}\n\\bibdata{refs}\n", encoding="utf-8"
    )
    done = subprocess.run(
        ["bibtex", "t"], cwd=tmp_path, capture_output=True, text=True, errors="replace"
    )
    blg = (tmp_path / "t.blg").read_text(encoding="latin-1")
    assert done.returncode == 0, blg  # 1 would be warnings, 2 errors
    assert "error message" not in blg and "expecting" not in blg, blg
    bbl = (tmp_path / "t.bbl").read_text(encoding="latin-1")
    assert set(re.findall(r"\\bibitem\{([^}]+)\}", bbl)) == keys


def test_biber_reads_every_entry_back(
    hostile: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("biber") is None:
        pytest.skip("biber is not installed (CI installs it)")
    keys = set(_export_bib(capsys, tmp_path / "refs.bib"))
    done = subprocess.run(
        ["biber", "--tool", "--output-file", "out.bib", "refs.bib"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ERROR" not in done.stdout and "WARN" not in done.stdout, done.stdout
    written = (tmp_path / "out.bib").read_text(encoding="utf-8")
    assert {k.lower() for k in re.findall(r"@\w+\{([^,]+),", written)} == {k.lower() for k in keys}


def test_bib_compiles_in_a_latex_document_and_keeps_the_words(
    hostile: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("pdflatex") is None or shutil.which("bibtex") is None:
        pytest.skip("pdflatex/bibtex are not installed (CI installs them)")
    _export_bib(capsys, tmp_path / "refs.bib")
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\begin{document}\n\\nocite{*}\n"
        "\\bibliographystyle{plain}\n\\bibliography{refs}\n\\end{document}\n",
        encoding="utf-8",
    )
    latex = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"]
    for step in (latex, ["bibtex", "doc"], latex, latex):
        done = subprocess.run(
            step, cwd=tmp_path, capture_output=True, text=True, errors="replace", timeout=120
        )
        assert done.returncode == 0, done.stdout[-3000:]
    import pymupdf

    with pymupdf.open(tmp_path / "doc.pdf") as doc:
        text = " ".join("".join(page.get_text() for page in doc).split())
    for words in ("Bob }{ % Smith", "Unclosed {brace", "Closing} first", "100% & $5 #1"):
        assert words in text, text


# --------------------------------------------------------------------------- the vault marker


def test_a_note_quoting_the_marker_does_not_duplicate_the_vault_file(
    hostile: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with hostile.write() as session:
        session.add(
            Note(
                paper_id="2101.00001",
                summary=f"Before the line\n{MARKER}\nafter the line, and inline {MARKER} too",
                body=f"{MARKER}",
            )
        )
        session.add(
            Annotation(
                paper_id="2101.00001", quote="q", comment=f"{MARKER}\nmine", page=1, prefix=""
            )
        )
    vault = tmp_path / "vault"
    argv = ("export", "notes", "--paper", "2101.00001", str(vault))
    assert run(capsys, *argv).code == 0
    (path,) = vault.glob("*.md")
    first = path.read_text(encoding="utf-8")
    assert first.splitlines().count(MARKER) == 1
    path.write_text(first + f"My own text.\n{MARKER}\nStill mine.\n", encoding="utf-8")
    mine = path.read_text(encoding="utf-8").split(f"\n{MARKER}\n", 1)[1]

    for _ in range(3):
        result = run(capsys, *argv)
        assert result.code == 0, result.err
        assert "kept" not in result.err  # the marker was found, not lost
    again = path.read_text(encoding="utf-8")
    assert again.count("Before the line") == 1 and again.count("# Bob") == 1
    generated, kept = again.split(f"\n{MARKER}\n", 1)
    assert MARKER not in generated
    assert kept == mine  # the user's part, marker line of their own included, verbatim


# --------------------------------------------------------------------------- --out targets


def _no_keys_given(store: Store) -> bool:
    """Nothing stored changed: a refused export has not even assigned citation keys."""
    with store.read() as session:
        return all(session.get(Paper, pid).citation_key is None for pid, *_ in HOSTILE)


def _refused(result: CliResult, *phrases: str) -> None:
    assert result.code == 2, result.err
    lines = result.err.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Error: ") and lines[1].startswith("Hint: ")
    assert len(result.err) < 600 and "Traceback" not in result.err
    for phrase in phrases:
        assert phrase in result.err, result.err


def test_out_through_a_symlink_replaces_the_target_and_keeps_the_link(
    hostile: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "real" / "refs.bib"
    target.parent.mkdir()
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    link = tmp_path / "refs.bib"
    link.symlink_to(target)

    result = run(capsys, "export", "bibtex", "--out", str(link))

    assert result.code == 0, result.err
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert target.read_text(encoding="utf-8").startswith("@misc{")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the user's file keeps its mode
    assert [p.name for p in target.parent.iterdir()] == ["refs.bib"]  # no temp file left


def test_new_out_file_gets_the_usual_permissions(
    hostile: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "refs.json"
    assert run(capsys, "export", "csl-json", "--out", str(out)).code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask


def test_out_to_a_fifo_is_refused_and_left_alone(
    hostile: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "link-to-pipe.bib"
    link.symlink_to(fifo)
    for out in (fifo, link):
        _refused(run(capsys, "export", "bibtex", "--out", str(out)), "FIFO", "regular file")
        assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert link.is_symlink() and _no_keys_given(hostile)


def test_out_to_a_device_is_refused_and_left_alone(
    hostile: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    device = tmp_path / "full"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 7))  # what /dev/full is
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a device node here ({exc})")
    link = tmp_path / "refs.bib"
    link.symlink_to(device)
    for out in (device, link):
        _refused(run(capsys, "export", "csl-json", "--out", str(out)), "device")
        assert stat.S_ISCHR(device.stat().st_mode)


def test_out_to_a_directory_where_a_file_is_expected_is_refused(
    hostile: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    link = tmp_path / "refs.bib"
    link.symlink_to(folder)
    for out in (folder, link):
        result = run(capsys, "export", "bibtex", "--out", str(out))
        assert result.code == 2 and "directory" in result.err, result.err
    assert list(folder.iterdir()) == []


def test_review_refuses_a_fifo_among_its_files_and_writes_none(
    hostile: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Deep enough that the message must shorten the path: it keeps the file's name.
    out = tmp_path / "drafts-for-the-literature-review-of-the-research-project" / "draft"
    out.mkdir(parents=True)
    os.mkfifo(out / "review.tex")
    result = run(capsys, "export", "review", "--format", "both", "--out", str(out))
    _refused(result, "/draft/review.tex is a FIFO", str(tmp_path)[:20])
    assert sorted(p.name for p in out.iterdir()) == ["review.tex"]  # references.bib not written
    assert _no_keys_given(hostile)


def test_vault_writes_through_a_symlinked_note_and_refuses_a_fifo(
    hostile: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vault = tmp_path / "vault"
    argv = ("export", "notes", "--paper", "2101.00001", str(vault))
    assert run(capsys, *argv).code == 0
    (path,) = vault.glob("*.md")
    elsewhere = tmp_path / "synced" / path.name
    elsewhere.parent.mkdir()
    path.rename(elsewhere)
    path.symlink_to(elsewhere)
    assert run(capsys, *argv).code == 0
    assert path.is_symlink() and MARKER in elsewhere.read_text(encoding="utf-8")

    path.unlink()
    os.mkfifo(path)
    _refused(run(capsys, *argv), "FIFO")
    assert stat.S_ISFIFO(path.stat().st_mode)
