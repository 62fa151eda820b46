"""BibTeX and CSL-JSON exports, checked with independent parsers."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import bibtexparser
import pytest

from paperlab.errors import UsageError
from paperlab.export import key_aliases, select_papers
from paperlab.export.bibtex import bibtex_text
from paperlab.export.csljson import csl_json_text, split_name
from paperlab.export.latex import split_math, tex_escape
from paperlab.rekeying import rekey
from paperlab.store.models import Paper, dumps
from tests.unit.test_export_helpers import HOSTILE_AUTHORS, build_library

# A LaTeX special character with no backslash before it (outside kept math).
UNESCAPED = re.compile(r"(?<!\\)[%&#_]|(?<!\\)\$")


def _parse(text: str) -> dict[str, dict[str, str]]:
    parser = bibtexparser.bparser.BibTexParser(common_strings=False)
    db = bibtexparser.loads(text, parser=parser)
    return {e["ID"]: e for e in db.entries}


def _without_math(value: str) -> str:
    return "".join(seg for is_math, seg in split_math(value) if not is_math)


def _pandoc_titles(bib: str, tmp_path: Path) -> dict[str, str]:
    """Titles as pandoc decodes them from BibTeX (an independent LaTeX reader)."""
    path = tmp_path / "check.bib"
    path.write_text(bib, encoding="utf-8")
    out = subprocess.run(
        ["pandoc", "-f", "bibtex", "-t", "csljson", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {item["id"]: item.get("title", "") for item in json.loads(out)}


def test_hostile_fixture_parses_with_keys_fields_and_escapes(store):
    build_library(store)
    papers = select_papers(store)
    entries = _parse(bibtex_text(papers))
    assert set(entries) == {p.citation_key for p in papers}
    assert len(entries) == len(papers)
    hostile = entries["nunez2021braces"]
    assert hostile["ENTRYTYPE"] == "article"  # journal known
    assert hostile["eprint"] == "2101.00001"
    assert hostile["archiveprefix"] == "arXiv"
    assert hostile["primaryclass"] == "cs.LG"
    assert hostile["doi"] == "10.1000/xyz_123"
    assert hostile["url"] == "https://arxiv.org/abs/2101.00001"
    title = hostile["title"]
    for escaped in (
        r"\{x\}",
        r"\&",
        r"100\%",
        r"\#1",
        r"\_under\_",
        r"\textasciicircum{}",
        r"\textasciitilde{}",
        r"\textbackslash{}",
        r"{\"{U}}ber",
        r"na{\"{i}}ve",
        r"{\L}",
    ):
        assert escaped in title
    assert r"$\Lambda_{\alpha}$" in title  # safe math kept as math
    assert not UNESCAPED.search(_without_math(title))
    authors = hostile["author"].split(" and ")
    assert len(authors) == len(HOSTILE_AUTHORS)
    assert authors[0] == r"Jos{\'{e}} N{\'{u}}{\~{n}}ez"
    assert "{李小龙}" in authors  # one-word name braced, script kept
    preprint = entries["vaswani2017attention"]
    assert preprint["ENTRYTYPE"] == "misc" and "journal" not in preprint
    assert preprint["primaryclass"] == "cs.CL"


def test_hostile_title_decodes_back_with_pandoc(store, tmp_path):
    if shutil.which("pandoc") is None:
        pytest.skip("pandoc is not installed (CI installs it)")
    build_library(store)
    papers = select_papers(store, ids=["2101.00001"])
    titles = _pandoc_titles(bibtex_text(papers), tmp_path)
    decoded = titles["nunez2021braces"]
    for piece in (
        "Braces {x} & 100% of",
        "#1 _under_ ^caret ~tilde \\backslash:",
        "Über naïve Łódź",
        "–",
        "“quoted”",
    ):
        assert piece in decoded


def test_keys_are_assigned_once_and_stay_stable(store):
    build_library(store)
    first = {p.id: p.citation_key for p in select_papers(store)}
    assert first["1706.03762"] == "vaswani2017attention"  # existing key kept
    assert first["2101.00001"] == "nunez2021braces"
    with store.write() as s:  # a new version arrives with a changed title
        paper = s.get(Paper, "2101.00001")
        paper.title, paper.version = "Completely different", 2
        s.add(paper)
    again = {p.id: p.citation_key for p in select_papers(store)}
    assert again == first


def test_a_key_is_pinned_when_first_exported_and_rekey_keeps_the_old_one(store):
    with store.write() as s:
        s.add(Paper(id="1412.6980", title="Adam: A Method for Stochastic Optimization"))
    (exported,) = select_papers(store, ids=["1412.6980"])
    assert exported.citation_key == "anonadam"
    with store.read() as s:
        assert s.get(Paper, "1412.6980").citation_key == "anonadam"  # pinned
    with store.write() as s:  # arXiv's metadata arrives
        paper = s.get(Paper, "1412.6980")
        paper.authors, paper.metadata_complete = dumps(["Diederik P. Kingma"]), True
        paper.published = datetime(2014, 12, 22, tzinfo=UTC)
        s.add(paper)
    (exported,) = select_papers(store, ids=["1412.6980"])
    assert exported.citation_key == "anonadam"  # a draft citing it keeps working

    result = rekey(store, "anonadam")  # on purpose: from the current metadata
    assert (result.old, result.new, result.aliases) == ("anonadam", "kingma2014adam", ["anonadam"])
    papers = select_papers(store, ids=["anonadam"])  # the old key still names the paper
    bib = bibtex_text(papers, key_aliases(store, ["1412.6980"]))
    entry, copy = bibtexparser.loads(bib).entries
    assert (entry["ID"], entry["ids"]) == ("kingma2014adam", "anonadam")
    assert copy["ID"] == "anonadam" and "ids" not in copy
    items = json.loads(csl_json_text(papers, key_aliases(store, ["1412.6980"])))
    assert [i["id"] for i in items] == ["kingma2014adam", "anonadam"]
    assert items[0]["title"] == items[1]["title"]

    # Keys are unique across the library, old ones included.
    with store.write() as s:
        s.add(Paper(id="1502.03167", title="Batch Normalization", metadata_complete=True))
    with pytest.raises(UsageError, match=r"already taken by paper 1412\.6980"):
        rekey(store, "1502.03167", "anonadam")
    with pytest.raises(UsageError, match="not a usable citation key"):
        rekey(store, "1502.03167", "has space")
    assert rekey(store, "kingma2014adam", "anonadam").aliases == ["kingma2014adam"]  # a swap


def test_same_author_year_word_gets_distinct_keys(store):
    with store.write() as s:
        for i in range(3):
            s.add(
                Paper(
                    id=f"2001.0000{i}",
                    title="Deep nets",
                    authors=dumps(["A. Smith"]),
                    published=datetime(2020, 1, 1, tzinfo=UTC),
                    metadata_complete=True,
                )
            )
        s.add(Paper(id="2001.00009", title="", authors=dumps([])))  # no title: still a key
    keys = [p.citation_key for p in select_papers(store)]
    assert keys[:3] == ["smith2020deep", "smith2020deepa", "smith2020deepb"]
    assert keys[3] and len(set(keys)) == 4
    assert len(_parse(bibtex_text(select_papers(store)))) == 4


def test_empty_selection_is_a_clear_error(store):
    with pytest.raises(UsageError, match="Nothing to export"):
        select_papers(store)
    build_library(store)
    with pytest.raises(UsageError, match="topic 'statistics' has no papers"):
        select_papers(store, topic="statistics")
    with pytest.raises(UsageError, match="not both"):
        select_papers(store, ids=["1706.03762"], topic="nlp")


def test_selection_by_list_keeps_reading_order(store):
    build_library(store)
    assert [p.id for p in select_papers(store, list_name="week-19")] == ["1706.03762", "1609.02907"]
    assert {p.id for p in select_papers(store, topic="nlp")} == {"1706.03762", "2101.00001"}


def test_csl_json_items(store):
    build_library(store)
    items = {i["id"]: i for i in json.loads(csl_json_text(select_papers(store)))}
    hostile = items["nunez2021braces"]
    assert hostile["type"] == "article-journal"
    assert hostile["title"].startswith("Braces {x} & 100%")  # plain text, unescaped
    assert hostile["author"][0] == {"given": "José", "family": "Núñez"}
    assert hostile["author"][1] == {"literal": "李小龙"}
    assert hostile["author"][4] == {"given": "Ludwig", "family": "van Beethoven"}
    assert hostile["DOI"] == "10.1000/xyz_123"
    attention = items["vaswani2017attention"]
    assert attention["type"] == "article"
    assert attention["number"] == "arXiv:1706.03762"
    assert attention["issued"] == {"date-parts": [[2017, 6, 12]]}
    assert split_name("Hinton, Geoffrey E.") == {"family": "Hinton", "given": "Geoffrey E."}


def test_math_is_kept_only_when_safe():
    assert tex_escape(r"From $\Lambda_{\alpha}$ to") == r"From $\Lambda_{\alpha}$ to"
    # \Q is not a LaTeX macro: escaped, never passed through.
    assert (
        tex_escape(r"over $\Q(\sqrt{5})$")
        == r"over \$\textbackslash{}Q(\textbackslash{}sqrt\{5\})\$"
    )
    assert tex_escape("costs $5 and $6") == r"costs \$5 and \$6"
    assert tex_escape("a\n   b") == "a b"


def _plain_quotes(text: str) -> str:
    """Pandoc makes quotes typographic; compare them as plain ASCII."""
    text = text.replace("``", '"').replace("''", '"')
    return text.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'}))


def _real_titles(shared_data: Path) -> list[tuple[str, str, list[str]]]:
    rows = []
    with open(shared_data / "pdfs" / "arxiv" / "manifest.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            rows.append((row["arxiv_id"].rsplit("v", 1)[0], row["title"], ["A. Author"]))
    meta = shared_data / "arxiv_metadata" / "kaggle_snapshot_samples"
    for line in (meta / "Sharath-1736_first200.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        authors = [a.strip() for a in record["authors"].replace(" and ", ",").split(",")]
        rows.append((record["id"], record["title"], [a for a in authors if a][:5]))
    return rows


def test_real_arxiv_titles_round_trip(store, shared_data, tmp_path):
    rows = _real_titles(shared_data)
    with store.write() as s:
        for pid, title, authors in rows:
            s.add(
                Paper(
                    id=pid,
                    title=title,
                    authors=dumps(authors),
                    primary_category="cs.LG",
                    published=datetime(2010, 1, 1, tzinfo=UTC),
                )
            )
    papers = select_papers(store)
    text = bibtex_text(papers)
    entries = _parse(text)
    assert len(entries) == len(rows)
    for paper in papers:
        entry = entries[paper.citation_key or ""]
        assert entry["eprint"] == paper.id and entry["archiveprefix"] == "arXiv"
        assert not UNESCAPED.search(_without_math(entry["title"])), entry["title"]
    assert any("$" in e["title"] for e in entries.values())  # real titles carry math
    if shutil.which("pandoc"):
        decoded = _pandoc_titles(text, tmp_path)
        plain = [p for p in papers if "$" not in p.title and "\\" not in p.title]
        assert len(plain) > 150
        for paper in plain:
            # arXiv titles are TeX: an ASCII "--" was always meant as an en dash.
            want = " ".join(paper.title.split()).replace("---", "—").replace("--", "–")
            assert _plain_quotes(decoded[paper.citation_key or ""]) == _plain_quotes(want)
