"""The roadmap and reading-list loader, on fixture lists, and the validator's error reports."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from paperlab.errors import ReadingListError
from paperlab.readinglists import (
    LISTS_DIR_ENV,
    ROADMAP_FILE,
    ListValidationError,
    Roadmap,
    bare_fetch_lists,
    bundled_lists_dir,
    bundled_roadmap_and_lists,
    find_list,
    load_reading_list,
    load_reading_lists,
    load_roadmap,
    tracks_of,
)

REPO = Path(__file__).resolve().parents[2]

FIXTURES = REPO / "tests" / "data" / "lists"


@pytest.fixture(scope="module")
def roadmap() -> Roadmap:
    return load_roadmap(FIXTURES / ROADMAP_FILE)


@pytest.fixture
def fixture_dir(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixture lists stand in for the bundled ones."""
    monkeypatch.setenv(LISTS_DIR_ENV, str(FIXTURES))
    return FIXTURES


def write(tmp_path: Path, text: str | bytes, name: str = "list.toml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str, nth: int = 0) -> int:
    """1-based line of the nth line containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[nth]


HEAD = """\
name = "test-list"
title = "A test list"
description = "Generated for the validator's tests."
weeks = [19, 20]
"""


def paper(
    arxiv_id: str = "1706.03762",
    title: str = '"Attention Is All You Need"',
    week: str = "19",
    topics: str = '["nlp"]',
    why: str = '"The Transformer."',
    extra: str = "",
) -> str:
    """A [[paper]] table; an empty ``title`` leaves that key out."""
    lines = ["", "[[paper]]", f'id = "{arxiv_id}"']
    lines += [f"title = {title}"] if title else []
    lines += [f"week = {week}", f"topics = {topics}", f"why = {why}"]
    return "\n".join([*lines, extra]) + "\n"


def fail(path: Path, roadmap: Roadmap) -> ListValidationError:
    with pytest.raises(ListValidationError) as info:
        load_reading_list(path, roadmap)
    return info.value


# ---------------------------------------------------------------- fixture lists


def test_fixture_roadmap_has_projects_and_parallel_topics(roadmap: Roadmap) -> None:
    topics, projects = roadmap.by_slug, roadmap.projects_by_slug
    assert topics["linear-algebra"].weeks == topics["calculus"].weeks == (3, 4)
    assert topics["nlp"].course == "Applied Text Mining in Python"
    assert topics["nlp"].provider.startswith("University of Michigan")
    assert topics["nlp"].note and topics["nlp"].outcomes
    assert topics["calculus"].resources == () and topics["calculus"].project is None
    assert topics["cnn"].project == topics["deep-learning"].project == "keras-cnn"
    assert projects["keras-cnn"].topics == ("deep-learning", "cnn")
    assert roadmap.describe("keras-cnn") == "Keras CNN image classifier (project, weeks 5-6)"
    assert roadmap.describe("calculus") == "Calculus (weeks 3-4)"
    assert roadmap.describe("nothing") is None


def test_fixture_lists_load_with_every_field(fixture_dir: Path) -> None:
    roadmap, specs = bundled_roadmap_and_lists()
    assert roadmap.path == fixture_dir / ROADMAP_FILE
    by_name = {spec.name: spec for spec in specs}
    basics = by_name["weeks-19-20-basics"]
    assert basics.track is None and basics.hours_per_week == 4.0 and basics.builds_on == ()
    first = basics.milestones[0]
    assert (first.week, first.task) == (19, "Write the five Cs of the first paper.")
    keshav, training, old, _bn, optional = basics.entries
    assert keshav.arxiv_id is None and keshav.ref == "keshav-how-to-read"
    assert keshav.authors == ("S. Keshav",) and keshav.year == 2007
    assert keshav.link == "https://doi.org/10.1145/1273445.1273458"
    assert training.focus == "Sections 1-3" and training.pages == 12 and training.core
    assert training.prerequisites == ("keshav-how-to-read", "keras-cnn")
    assert old.arxiv_id is not None and old.arxiv_id.is_old_style and old.ref == "math/9404236"
    assert not optional.core and optional.pages is None and optional.ref == "1803.09820"
    alpha = by_name["weeks-21-24-alpha"]
    assert (alpha.track, alpha.hours_per_week, alpha.builds_on) == (
        "alpha",
        2.5,
        ("keras-cnn", "cnn"),
    )
    assert tracks_of(specs) == {"alpha": alpha, "beta": by_name["weeks-21-24-beta"]}


def test_bare_fetch_lists_take_the_chosen_track(fixture_dir: Path) -> None:
    _roadmap, specs = bundled_roadmap_and_lists()
    names = lambda chosen: [s.name for s in bare_fetch_lists(specs, chosen)]  # noqa: E731
    everything = ["weeks-19-20-basics", "weeks-21-24-alpha", "weeks-21-24-beta"]
    assert names(None) == everything
    assert names("beta") == ["weeks-19-20-basics", "weeks-21-24-beta"]
    assert names("gone") == everything  # a track no list offers any more: all of them


def test_lists_dir_without_a_roadmap_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LISTS_DIR_ENV, str(tmp_path))
    with pytest.raises(ReadingListError, match=f"{LISTS_DIR_ENV}=.* holds no roadmap.toml"):
        bundled_lists_dir()


def test_find_list(tmp_path: Path, fixture_dir: Path) -> None:
    assert find_list("weeks-19-20-basics") == fixture_dir / "weeks-19-20-basics.toml"
    own = write(tmp_path, HEAD + paper(), "mine.toml")
    assert find_list(str(own)) == own
    with pytest.raises(ReadingListError) as info:
        find_list("weeks-19-20-basic")
    assert "'weeks-19-20-basics'" in (info.value.hint or "")
    with pytest.raises(ReadingListError, match="no such reading list file"):
        find_list(str(tmp_path / "absent.toml"))
    with pytest.raises(ReadingListError, match="no bundled reading list named 'roadmap'"):
        find_list("roadmap")


def test_source_checkout_uses_top_level_lists() -> None:
    # This test runs from a checkout: the package has no copy of its own.
    assert bundled_lists_dir() == REPO / "reading_lists"


def test_installed_layout_uses_the_package_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wheel puts the lists in paperlab/reading_lists beside the module."""
    package = tmp_path / "site" / "paperlab"
    (package / "reading_lists").mkdir(parents=True)
    module_file = package / "readinglists.py"
    module_file.write_text((REPO / "src/paperlab/readinglists.py").read_text())
    spec = importlib.util.spec_from_file_location("installed_readinglists", module_file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    with pytest.raises(ReadingListError, match="bundled reading lists are missing"):
        module.bundled_lists_dir()
    shutil.copy(FIXTURES / ROADMAP_FILE, package / "reading_lists")
    shutil.copy(FIXTURES / "weeks-21-24-alpha.toml", package / "reading_lists")
    assert module.bundled_lists_dir() == package / "reading_lists"
    assert [p.name for p in module.bundled_list_paths()] == ["weeks-21-24-alpha.toml"]
    assert len(module.load_bundled_lists()[0].entries) == 5


# ---------------------------------------------------------------- generated lists


def test_valid_generated_list(tmp_path: Path, roadmap: Roadmap) -> None:
    text = HEAD + paper() + paper("hep-th/9901001v2", '"Old style"', "20", "[]")
    spec = load_reading_list(write(tmp_path, text), roadmap)
    assert spec.name == "test-list" and spec.weeks == (19, 20)
    first, second = spec.entries
    assert (str(first.arxiv_id), first.week, first.topics) == ("1706.03762", 19, ("nlp",))
    assert first.line == line_of(text, "[[paper]]", 0)
    assert second.arxiv_id.version == 2 and second.topics == ()
    assert second.line == line_of(text, "[[paper]]", 1)


def test_list_against_its_own_roadmap(tmp_path: Path) -> None:
    roadmap_text = (
        '[[topic]]\nslug = "optics"\ntitle = "Optics"\nweeks = [1]\ncourse = "Optics"\n'
        'provider = "Hecht"\noutcomes = ["Trace a ray"]\ndescription = "Light."\n'
    )
    own = load_roadmap(write(tmp_path, roadmap_text, "roadmap.toml"))
    spec = load_reading_list(write(tmp_path, HEAD + paper(topics='["optics"]')), own)
    assert spec.entries[0].topics == ("optics",)
    err = fail(write(tmp_path, HEAD + paper(topics='["nlp"]')), own)
    assert "unknown topic 'nlp'" in err.message


def test_inline_paper_array_and_bom(tmp_path: Path, roadmap: Roadmap) -> None:
    text = HEAD + (
        'paper = [{id = "1512.03385", title = "ResNet", week = 20, why = "Shortcuts."}]\n'
    )
    spec = load_reading_list(write(tmp_path, ("\ufeff" + text).encode("utf-8")), roadmap)
    assert spec.entries[0].line == line_of(text, "paper = [")


def test_keys_inside_multiline_strings_do_not_move_lines(tmp_path: Path, roadmap: Roadmap) -> None:
    why = '"""\nid = "not this line"\nweek = 1\n"""'
    text = HEAD + paper(why=why) + paper("1512.03385", week="21")
    err = fail(write(tmp_path, text), roadmap)
    assert err.message.startswith(f"{tmp_path / 'list.toml'}:{line_of(text, 'week = 21')}:")


# ---------------------------------------------------------------- hostile files


def test_bad_toml_names_the_line(tmp_path: Path, roadmap: Roadmap) -> None:
    text = HEAD + paper(title='"Attention Is All You Need')
    path = write(tmp_path, text)
    err = fail(path, roadmap)
    bad_line = line_of(text, "Attention Is All You Need")
    assert err.message.startswith(f"{path}:{bad_line}:")
    assert "invalid TOML" in err.message and err.hint


def test_unknown_topic_suggests_close_matches(tmp_path: Path, roadmap: Roadmap) -> None:
    text = HEAD + paper() + paper("1512.03385", topics='["cnn", "deep-learnin"]')
    path = write(tmp_path, text)
    err = fail(path, roadmap)
    assert err.message.startswith(f"{path}:{line_of(text, 'topics', 1)}:")
    assert "unknown topic 'deep-learnin'" in err.message
    assert "Did you mean 'deep-learning'" in (err.hint or "")


def test_malformed_id_is_named(tmp_path: Path, roadmap: Roadmap) -> None:
    text = HEAD + paper("1706.3762")
    path = write(tmp_path, text)
    err = fail(path, roadmap)
    assert err.message.startswith(f"{path}:{line_of(text, 'id = ')}:")
    assert "'1706.3762'" in err.message and "1706.03762" in (err.hint or "")


def test_unquoted_id_is_a_type_error(tmp_path: Path, roadmap: Roadmap) -> None:
    text = HEAD + paper().replace('id = "1706.03762"', "id = 1706.03762")
    err = fail(write(tmp_path, text), roadmap)
    assert "'id'" in err.message and "must be a string, not a float" in err.message


@pytest.mark.parametrize("second", ["1706.03762", "1706.03762v5", "arXiv:1706.03762v1"])
def test_duplicates_name_both_lines(tmp_path: Path, roadmap: Roadmap, second: str) -> None:
    text = HEAD + paper("1706.03762v2") + paper("1512.03385") + paper(second)
    path = write(tmp_path, text)
    err = fail(path, roadmap)
    first_line, dup_line = line_of(text, "[[paper]]", 0), line_of(text, "[[paper]]", 2)
    assert err.message.startswith(f"{path}:{dup_line + 1}:")  # the id line of the copy
    assert f"lines {first_line} and {dup_line}" in err.message
    assert "'1706.03762v2'" in err.message


def test_missing_title(tmp_path: Path, roadmap: Roadmap) -> None:
    text = HEAD + paper() + paper("1512.03385", title="")
    path = write(tmp_path, text)
    err = fail(path, roadmap)
    assert err.message.startswith(f"{path}:{line_of(text, '[[paper]]', 1)}:")
    assert "missing the required key 'title'" in err.message
    assert 'title = "' in (err.hint or "")


@pytest.mark.parametrize(
    ("replace", "by", "needle", "expect"),
    [
        ("week = 19", 'week = "19"', 'week = "19"', "'week' in the [[paper]]"),
        ("week = 19", "week = true", "week = true", "must be an integer, not a boolean"),
        ('topics = ["nlp"]', 'topics = "nlp"', 'topics = "nlp"', "'topics'"),
        ("weeks = [19, 20]", 'weeks = "19-20"', "weeks = ", "distinct week numbers"),
        ("weeks = [19, 20]", "weeks = [19, 19]", "weeks = ", "distinct week numbers"),
        ('title = "A test list"', "title = 3", "title = 3", "non-empty string, not an integer"),
        ('why = "The Transformer."', 'why = ""', 'why = ""', "not an empty string"),
    ],
)
def test_wrong_types(
    tmp_path: Path, roadmap: Roadmap, replace: str, by: str, needle: str, expect: str
) -> None:
    text = (HEAD + paper()).replace(replace, by, 1)
    path = write(tmp_path, text)
    err = fail(path, roadmap)
    assert err.message.startswith(f"{path}:{line_of(text, needle)}:")
    assert expect in err.message and err.hint


def test_unknown_key_did_you_mean(tmp_path: Path, roadmap: Roadmap) -> None:
    text = HEAD + paper(title="").replace("week = 19", 'week = 19\ntitel = "Attention"')
    path = write(tmp_path, text)
    err = fail(path, roadmap)
    assert err.message.startswith(f"{path}:{line_of(text, 'titel')}:")
    assert "unknown key 'titel'" in err.message
    assert (err.hint or "").startswith("Did you mean 'title'?")
    # the typo explains the missing title: one problem, not two
    assert len(err.problems) == 1


def test_unknown_top_level_key(tmp_path: Path, roadmap: Roadmap) -> None:
    text = HEAD.replace("weeks =", "wekes =") + paper()
    err = fail(write(tmp_path, text), roadmap)
    assert "unknown key 'wekes' in the list" in err.message
    assert "Did you mean 'weeks'" in (err.hint or "")


def test_week_outside_the_lists_weeks(tmp_path: Path, roadmap: Roadmap) -> None:
    text = HEAD + paper(week="23")
    path = write(tmp_path, text)
    err = fail(path, roadmap)
    assert err.message.startswith(f"{path}:{line_of(text, 'week = 23')}:")
    assert "outside this list's weeks (19, 20)" in err.message


@pytest.mark.parametrize("content", ["", "   \n# only a comment\n"])
def test_empty_file(tmp_path: Path, roadmap: Roadmap, content: str) -> None:
    path = write(tmp_path, content)
    err = fail(path, roadmap)
    assert err.message.startswith(f"{path}:1: the file is empty")
    with pytest.raises(ListValidationError, match="the file is empty"):
        load_roadmap(path)


def test_single_table_instead_of_array(tmp_path: Path, roadmap: Roadmap) -> None:
    text = HEAD + paper().replace("[[paper]]", "[paper]")
    path = write(tmp_path, text)
    err = fail(path, roadmap)
    assert err.message.startswith(f"{path}:{line_of(text, '[paper]')}:")
    assert "must be an array of [[paper]] tables, not a table" in err.message


def test_list_without_papers(tmp_path: Path, roadmap: Roadmap) -> None:
    path = write(tmp_path, HEAD)
    assert "missing the required key 'paper'" in fail(path, roadmap).message
    path = write(tmp_path, HEAD + "paper = []\n")
    err = fail(path, roadmap)
    assert err.message.startswith(f"{path}:5: the list has no papers")


def test_non_utf8_bytes(tmp_path: Path, roadmap: Roadmap) -> None:
    text = HEAD + paper()
    raw = text.encode("utf-8").replace(b"Attention Is", b"Attention \xff Is")
    path = write(tmp_path, raw)
    err = fail(path, roadmap)
    line = line_of(text, "Attention Is")
    assert err.message.startswith(f"{path}:{line}: the file is not valid UTF-8 (byte 0xff")
    assert "UTF-8" in (err.hint or "")


def test_unreadable_file(tmp_path: Path, roadmap: Roadmap) -> None:
    with pytest.raises(ReadingListError, match="cannot read the file"):
        load_reading_list(tmp_path / "absent.toml", roadmap)


def test_every_problem_is_collected(tmp_path: Path, roadmap: Roadmap) -> None:
    text = HEAD + paper() + paper("nonsense", week="30") + paper(topics='["nlpp"]')
    path = write(tmp_path, text)
    err = fail(path, roadmap)
    assert [p.line for p in err.problems] == sorted(p.line for p in err.problems)
    assert len(err.problems) == 4  # bad id, bad week, duplicate of the first, unknown topic
    assert all(p.message.startswith(f"{path}:{p.line}: ") for p in err.problems)
    assert err.message == "4 problems in one file; nothing was written."
    assert [line for line in err.details if not line.startswith("    ")] == [
        "  " + p.message for p in err.problems
    ]


def test_every_problem_of_every_file_is_collected(tmp_path: Path, roadmap: Roadmap) -> None:
    bad = write(tmp_path, HEAD + paper("nonsense"), "bad.toml")
    good = write(tmp_path, HEAD.replace('"test-list"', '"good-list"') + paper(), "good.toml")
    worse = write(tmp_path, HEAD + paper(week="30") + paper(topics='["nlpp"]'), "worse.toml")
    with pytest.raises(ListValidationError) as info:
        load_reading_lists([worse, good, bad], roadmap)
    err = info.value
    assert [p.file for p in err.problems] == [str(worse)] * 3 + [str(bad)]
    assert err.message == "4 problems in 2 files; nothing was written."
    assert load_reading_lists([good], roadmap)[0].name == "good-list"


# ---------------------------------------------------------------- hostile roadmaps


TOPIC = """
[[topic]]
slug = "{slug}"
title = "Topic"
weeks = [1, 2]
course = "A course"
provider = "A provider"
resources = ["A book"]
description = "Something to learn."
outcomes = ["Do something"]
"""


def test_roadmap_duplicate_slugs(tmp_path: Path) -> None:
    text = TOPIC.format(slug="calculus") + TOPIC.format(slug="algebra")
    text += TOPIC.format(slug="calculus")
    path = write(tmp_path, text, "roadmap.toml")
    with pytest.raises(ListValidationError) as info:
        load_roadmap(path)
    first, second = line_of(text, "[[topic]]", 0), line_of(text, "[[topic]]", 2)
    assert info.value.message.startswith(f"{path}:{second + 1}:")
    assert f"'calculus' is used twice (lines {first} and {second})" in info.value.message


@pytest.mark.parametrize(
    ("edit", "expect"),
    [
        (('slug = "algebra"', 'slug = "Linear Algebra"'), "is not a slug"),
        (('outcomes = ["Do something"]', "outcomes = []"), "non-empty array of strings"),
        (('provider = "A provider"', ""), "missing the required key 'provider'"),
        (("weeks = [1, 2]", "weeks = [0]"), "distinct week numbers"),
        (('title = "Topic"', 'titel = "Topic"'), "unknown key 'titel'"),
        (('description = "Something to learn."', ""), "missing the required key 'description'"),
    ],
)
def test_roadmap_hostile_topics(tmp_path: Path, edit: tuple[str, str], expect: str) -> None:
    text = TOPIC.format(slug="algebra").replace(*edit)
    path = write(tmp_path, text, "roadmap.toml")
    with pytest.raises(ListValidationError) as info:
        load_roadmap(path)
    assert expect in info.value.message
    assert info.value.message.startswith(f"{path}:")


# ---------------------------------------------------------------- the grown format

EXTERNAL = """
[[paper]]
key = "keshav-how-to-read"
title = "How to Read a Paper"
authors = ["S. Keshav"]
year = 2007
doi = "10.1145/1273445.1273458"
week = 19
why = "The three passes."
"""


def test_a_full_list_loads(tmp_path: Path, roadmap: Roadmap) -> None:
    text = (
        HEAD
        + 'hours_per_week = 2.5\ntrack = "gamma"\nbuilds_on = ["nb-text", "nlp"]\n'
        + '\n[[milestone]]\nweek = 19\ntask = "Scope it."\n'
        + EXTERNAL
        + paper(extra='core = false\npages = 9\nfocus = "Section 3"\n'
                'prerequisites = ["keshav-how-to-read", "nb-text", "calculus"]')
        + paper("1512.03385v2", '"ResNet"', extra='prerequisites = ["1706.03762v5"]')
    )  # fmt: skip
    spec = load_reading_list(write(tmp_path, text), roadmap)
    assert (spec.hours_per_week, spec.track, spec.builds_on) == (2.5, "gamma", ("nb-text", "nlp"))
    assert [(m.week, m.task, m.line) for m in spec.milestones] == [
        (19, "Scope it.", line_of(text, "[[milestone]]"))
    ]
    keshav, attention, resnet = spec.entries
    assert keshav.key == "keshav-how-to-read" and keshav.doi == "10.1145/1273445.1273458"
    assert keshav.core and keshav.pages is None and keshav.url is None
    assert (attention.core, attention.pages, attention.focus) == (False, 9, "Section 3")
    assert resnet.prerequisites == ("1706.03762v5",)  # an id with a version names the paper
    assert [e.ref for e in spec.entries] == ["keshav-how-to-read", "1706.03762", "1512.03385"]


@pytest.mark.parametrize(
    ("edit", "needle", "expect"),
    [
        (('key = "keshav-how-to-read"', 'id = "1706.03762"\nkey = "k"'), 'key = "k"',
         "has both an 'id' and a 'key'"),
        (('key = "keshav-how-to-read"\n', ""), "[[paper]]", "has neither an 'id' nor a 'key'"),
        (('authors = ["S. Keshav"]\n', ""), "[[paper]]", "missing the required key 'authors'"),
        (("year = 2007", "year = 20077"), "year = ", "integer from 1600 to 2100"),
        (('doi = "10.1145/1273445.1273458"', ""), "[[paper]]", "neither a 'doi' nor a 'url'"),
        (("doi = \"10.1145", "doi = \"https://doi.org/10.1145"), "doi = ", "is not a DOI"),
        (('doi = "10.1145/1273445.1273458"', 'url = "ftp://x/y.pdf"'), "url = ",
         "is not an http(s) URL"),
        (('key = "keshav-how-to-read"', 'key = "Keshav How"'), "key = ", "is not a slug"),
        (("week = 19", "week = 19\ncore = \"yes\""), "core = ", "must be true or false"),
        (("week = 19", "week = 19\npages = 0"), "pages = ", "integer from 1 to 2000"),
        (("week = 19", 'week = 19\nfocus = ""'), "focus = ", "non-empty string"),
        (("week = 19", "week = 19\nprerequisits = []"), "prerequisits",
         "unknown key 'prerequisits'"),
    ],
)  # fmt: skip
def test_external_entry_problems_name_their_line(
    tmp_path: Path, roadmap: Roadmap, edit: tuple[str, str], needle: str, expect: str
) -> None:
    text = HEAD + EXTERNAL.replace(*edit)
    path = write(tmp_path, text)
    err = fail(path, roadmap)
    assert err.message.startswith(f"{path}:{line_of(text, needle)}:"), err.message
    assert expect in err.message and err.hint


def test_an_arxiv_entry_takes_no_authors(tmp_path: Path, roadmap: Roadmap) -> None:
    text = HEAD + paper(extra='authors = ["A. Vaswani"]')
    path = write(tmp_path, text)
    err = fail(path, roadmap)
    assert err.message.startswith(f"{path}:{line_of(text, 'authors = ')}:")
    assert "only for papers not on arXiv" in err.message


def test_duplicate_keys_name_both_lines(tmp_path: Path, roadmap: Roadmap) -> None:
    text = HEAD + EXTERNAL + paper() + EXTERNAL
    path = write(tmp_path, text)
    err = fail(path, roadmap)
    first, second = line_of(text, "[[paper]]", 0), line_of(text, "[[paper]]", 2)
    assert err.message.startswith(f"{path}:{line_of(text, 'key = ', 1)}:")
    assert f"lines {first} and {second}" in err.message


@pytest.mark.parametrize(
    ("prerequisites", "expect", "hint"),
    [
        ('["calculas"]', "unknown prerequisite 'calculas'", "Did you mean 'calculus'?"),
        ('["1512.03385"]', "unknown prerequisite '1512.03385'", "earlier in this list"),
        ('["1706.03762"]', "names itself as a prerequisite", "not on itself"),
        ('["keras-cnn", 3]', "'prerequisites'", "prerequisites = ["),
    ],
)
def test_prerequisites_resolve_to_topics_projects_or_earlier_entries(
    tmp_path: Path, roadmap: Roadmap, prerequisites: str, expect: str, hint: str
) -> None:
    # 1512.03385 comes later in the list: a prerequisite must come before.
    text = HEAD + paper(extra=f"prerequisites = {prerequisites}") + paper("1512.03385")
    path = write(tmp_path, text)
    err = fail(path, roadmap)
    assert err.message.startswith(f"{path}:{line_of(text, 'prerequisites = ')}:")
    assert expect in err.message and hint in (err.hint or "")


@pytest.mark.parametrize(
    ("head", "needle", "expect"),
    [
        ("hours_per_week = 0", "hours_per_week", "number above 0 and at most 80"),
        ('hours_per_week = "4"', "hours_per_week", "not the string '4'"),
        ('track = "gamma"', "track = ", "does not say what it builds on"),
        ('track = "Gamma Ray"\nbuilds_on = ["nb-text"]', "track = ", "is not a slug"),
        ('builds_on = ["nb-txt"]', "builds_on", "Did you mean"),
    ],
)
def test_list_level_problems_name_their_line(
    tmp_path: Path, roadmap: Roadmap, head: str, needle: str, expect: str
) -> None:
    text = HEAD + head + "\n" + paper()
    path = write(tmp_path, text)
    err = fail(path, roadmap)
    assert err.message.startswith(f"{path}:{line_of(text, needle)}:"), err.message
    assert expect in err.message + (err.hint or "")


def test_milestone_problems_name_their_line(tmp_path: Path, roadmap: Roadmap) -> None:
    text = HEAD + '\n[[milestone]]\nweek = 23\ntask = "Later."\n' + "\n[[milestone]]\nweek = 19\n"
    text += paper()
    path = write(tmp_path, text)
    err = fail(path, roadmap)
    assert [p.line for p in err.problems] == [
        line_of(text, "week = 23"),
        line_of(text, "[[milestone]]", 1),
    ]
    assert "outside this list's weeks" in err.problems[0].message
    assert "missing the required key 'task'" in err.problems[1].message


def test_a_track_slug_names_one_list(tmp_path: Path, roadmap: Roadmap) -> None:
    track = 'track = "gamma"\nbuilds_on = ["nb-text"]\n'
    first = write(tmp_path, HEAD + track + paper(), "first.toml")
    text = HEAD.replace('"test-list"', '"other-list"') + track + paper()
    second = write(tmp_path, text, "second.toml")
    with pytest.raises(ListValidationError) as info:
        load_reading_lists([first, second], roadmap)
    assert info.value.message.startswith(f"{second}:{line_of(text, 'track = ')}:")
    assert "track 'gamma' is also the track of first.toml" in info.value.message


ROADMAP_HEAD = TOPIC.format(slug="algebra") + 'project = "proj"\n'
PROJECT = """
[[project]]
slug = "proj"
title = "A project"
weeks = [1, 2]
topics = ["algebra"]
description = "What was built."
"""


def test_roadmap_with_a_project_loads(tmp_path: Path) -> None:
    roadmap = load_roadmap(write(tmp_path, ROADMAP_HEAD + PROJECT, "roadmap.toml"))
    assert roadmap.by_slug["algebra"].project == "proj"
    assert roadmap.projects_by_slug["proj"].topics == ("algebra",)


@pytest.mark.parametrize(
    ("edit", "needle", "expect"),
    [
        (('project = "proj"', 'project = "prj"'), 'project = "prj"', "unknown project 'prj'"),
        (('topics = ["algebra"]', 'topics = ["algebr"]'), "topics = ", "unknown topic 'algebr'"),
        (('slug = "proj"', 'slug = "algebra"'), 'slug = "algebra"', "also a topic's slug"),
        (("weeks = [1, 2]", "weeks = [1, 3]"), "[[topic]]", "leaves week 2 without a topic"),
    ],
)
def test_roadmap_project_problems_name_their_line(
    tmp_path: Path, edit: tuple[str, str], needle: str, expect: str
) -> None:
    text = (ROADMAP_HEAD + PROJECT).replace(*edit, 1)
    if edit[1] == 'slug = "algebra"':  # the project's slug, not the topic's
        text = ROADMAP_HEAD + PROJECT.replace(*edit)
    path = write(tmp_path, text, "roadmap.toml")
    with pytest.raises(ListValidationError) as info:
        load_roadmap(path)
    lines = [p.line for p in info.value.problems]
    assert line_of(text, needle, -1 if "slug" in needle else 0) in lines, info.value.message
    assert any(expect in p.message for p in info.value.problems)
