"""The Python WordPiece path gives the model's own Rust tokenizer's ids."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperlab.search.embedder import bundled_model_path
from paperlab.search.tokens import Tokenize, load_tokenizer
from paperlab.search.wordpiece import AsciiWordPiece, query_tokenizer, serves

MAX_LENGTH = 256


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return bundled_model_path()


@pytest.fixture(scope="module")
def rust(model_dir: Path) -> Tokenize:
    return load_tokenizer(model_dir / "tokenizer.json", MAX_LENGTH)


@pytest.fixture(scope="module")
def python(model_dir: Path) -> AsciiWordPiece:
    def no_fallback() -> Tokenize:
        raise AssertionError("ASCII text must not need the Rust tokenizer")

    return AsciiWordPiece(model_dir / "vocab.txt", MAX_LENGTH, fallback=no_fallback)


def test_bundled_tokenizer_is_the_configuration_implemented(model_dir: Path) -> None:
    # What AsciiWordPiece hard-codes, read from the model's own tokenizer.json.
    spec = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    assert spec["normalizer"] == {
        "type": "BertNormalizer",
        "clean_text": True,
        "handle_chinese_chars": True,
        "strip_accents": None,
        "lowercase": True,
    }
    assert spec["pre_tokenizer"] == {"type": "BertPreTokenizer"}
    model = spec["model"]
    assert (model["type"], model["unk_token"], model["continuing_subword_prefix"]) == (
        "WordPiece",
        "[UNK]",
        "##",
    )
    assert model["max_input_chars_per_word"] == 100
    words = (model_dir / "vocab.txt").read_text(encoding="utf-8").splitlines()
    assert len(words) == len(model["vocab"])
    assert dict(zip(words, range(len(words)), strict=True)) == model["vocab"]
    assert serves(model_dir)


CASES = [
    "attention layers for sequence models",
    "",
    "   ",
    "BERT: Pre-training of Deep Bidirectional Transformers (Devlin et al., 2019)!",
    "don't stop... e.g. x^2 + y_1 = {a|b} ~ 3.5% @home #1 $5 `code` \\path",
    "tab\tnew\nline\rcarriage \x00nul \x07bell \x0bvt \x0cff \x1fus \x7fdel",
    "supercalifragilisticexpialidociousness" * 3,  # past 100 chars: [UNK]
    "zzqxj qqqq xyzzyplugh",
    "word " * 400,  # truncated to 256 ids
    "a-b_c.d/e,f;g:h?i<j>k=l",
]


@pytest.mark.parametrize("text", CASES)
def test_python_path_agrees_on_chosen_text(
    text: str, python: AsciiWordPiece, rust: Tokenize
) -> None:
    assert python.handles(text)
    assert python([text]) == rust([text])


@settings(max_examples=400, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            string.printable + "\x00\x01\x08\x0e\x1b\x7f" + string.ascii_letters * 3 + "  "
        ),
        max_size=300,
    )
)
def test_python_path_agrees_on_any_ascii(text: str) -> None:
    model_dir = bundled_model_path()
    python = _python_for(model_dir)
    if python.handles(text):
        assert python([text]) == _rust_for(model_dir)([text])


_CACHE: dict[str, object] = {}


def _python_for(model_dir: Path) -> AsciiWordPiece:
    found = _CACHE.get("python")
    if found is None:
        found = _CACHE["python"] = AsciiWordPiece(
            model_dir / "vocab.txt", MAX_LENGTH, fallback=lambda: _rust_for(model_dir)
        )
    assert isinstance(found, AsciiWordPiece)
    return found


def _rust_for(model_dir: Path) -> Tokenize:
    found = _CACHE.get("rust")
    if found is None:
        found = _CACHE["rust"] = load_tokenizer(model_dir / "tokenizer.json", MAX_LENGTH)
    return found  # type: ignore[return-value]


def test_other_text_goes_to_the_rust_tokenizer(model_dir: Path, rust: Tokenize) -> None:
    loads: list[int] = []

    def counted() -> Tokenize:
        loads.append(1)
        return rust

    tokenize = AsciiWordPiece(model_dir / "vocab.txt", MAX_LENGTH, fallback=counted)
    assert tokenize(["plain words"]) == rust(["plain words"]) and not loads
    mixed = ["Café naïve résumé", "plain", "日本語のテキスト", "mask [MASK] here", "ok"]
    assert tokenize(mixed) == rust(mixed)
    assert len(loads) == 1  # loaded once, on first need


def test_other_tokenizers_are_not_taken_for_bert(tmp_path: Path, model_dir: Path) -> None:
    for name in ("tokenizer.json", "vocab.txt"):
        (tmp_path / name).write_bytes((model_dir / name).read_bytes())
    config = json.loads((model_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    (tmp_path / "tokenizer_config.json").write_text(
        json.dumps(config | {"do_lower_case": False}), encoding="utf-8"
    )
    assert not serves(tmp_path)
    tokenize = query_tokenizer(tmp_path, MAX_LENGTH)
    assert not isinstance(tokenize, AsciiWordPiece)
    assert isinstance(query_tokenizer(model_dir, MAX_LENGTH), AsciiWordPiece)


@pytest.mark.parametrize("dict_after", [0, 10_000])
def test_dict_and_find_lookups_give_the_same_ids(
    model_dir: Path, rust: Tokenize, monkeypatch: pytest.MonkeyPatch, dict_after: int
) -> None:
    from paperlab.search import wordpiece

    monkeypatch.setattr(wordpiece, "DICT_AFTER", dict_after)
    tokenize = AsciiWordPiece(model_dir / "vocab.txt", MAX_LENGTH, fallback=lambda: rust)
    assert tokenize(CASES) == rust(CASES)
