"""BERT's uncased WordPiece tokenizer for plain-ASCII text, in Python, for queries.

Loading the model's Rust tokenizer (``tokenizers``, from ``tokenizer.json``)
takes ~20 ms, a tenth of a cold ``paperlab search``; a query of a few words
is tokenised here in about a millisecond from ``vocab.txt``. Only ASCII
text takes this path: there BERT's normaliser reduces to dropping control
characters, turning tabs and newlines into spaces and lower-casing, with no
accents, CJK or Unicode categories to get wrong. Anything else (and text
naming a special token such as ``[MASK]``, which the Rust tokenizer matches
before normalising) goes to the Rust tokenizer, loaded on first need.
``tests/unit/test_wordpiece.py`` checks the two agree on generated ASCII text.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Sequence
from pathlib import Path

from paperlab.search.tokens import Tokenize

CLS, SEP, UNK = "[CLS]", "[SEP]", "[UNK]"
SPECIAL_TOKENS = ("[PAD]", UNK, CLS, SEP, "[MASK]")
MAX_WORD_CHARS = 100  # longer words are [UNK] (WordPiece's max_input_chars_per_word)
DICT_AFTER = 200  # vocabulary lookups by str.find before a dict pays for itself

# ASCII control characters are deleted, except tab, newline and carriage
# return, which become spaces; upper case becomes lower case.
_NORMALISE = str.maketrans(
    {
        **{chr(c): None for c in (*range(0x20), 0x7F) if chr(c) not in "\t\n\r"},
        "\t": " ",
        "\n": " ",
        "\r": " ",
        **{u: u.lower() for u in string.ascii_uppercase},
    }
)
# Every ASCII punctuation character is a word of its own.
_ISOLATE_PUNCTUATION = str.maketrans({p: f" {p} " for p in string.punctuation})


class AsciiWordPiece:
    """Token ids (``[CLS] ... [SEP]``, truncated) of ASCII texts; others to ``fallback``."""

    def __init__(self, vocab_file: Path, max_length: int, fallback: Callable[[], Tokenize]) -> None:
        # One token per line, its id the line number. A query needs a few
        # dozen lookups, which str.find answers in the file's text (~20 us
        # each) sooner than a 30,000-entry dict is built (~6 ms); past
        # DICT_AFTER lookups (long texts) the dict is built after all.
        text = vocab_file.read_text(encoding="utf-8")
        self._lines = "\n" + text if text.endswith("\n") else f"\n{text}\n"
        self._vocab: dict[str, int] | None = None
        self._lookups = 0
        found = [self._id(t) for t in (CLS, SEP, UNK)]
        if None in found:
            raise ValueError("the vocabulary lacks [CLS], [SEP] or [UNK]")
        self._cls, self._sep, self._unk = (int(i) for i in found)  # type: ignore[arg-type]
        self._max_pieces = max(0, max_length - 2)
        self._fallback_factory = fallback
        self._fallback: Tokenize | None = None

    def _id(self, piece: str) -> int | None:
        """The id of ``piece`` (its line number in the vocabulary), or None."""
        if self._vocab is None:
            self._lookups += 1
            if self._lookups <= DICT_AFTER:
                at = self._lines.find(f"\n{piece}\n")
                return None if at < 0 else self._lines.count("\n", 0, at)
            words = self._lines[1:-1].split("\n")
            # Built from the last line up, so a repeated token keeps its first
            # line's id, as find gives it.
            self._vocab = dict(zip(reversed(words), range(len(words) - 1, -1, -1), strict=True))
        return self._vocab.get(piece)

    def handles(self, text: str) -> bool:
        """True when ``text`` takes the Python path (ASCII, no special token in it)."""
        return text.isascii() and not ("[" in text and any(t in text for t in SPECIAL_TOKENS))

    def __call__(self, texts: Sequence[str]) -> list[list[int]]:
        others = [text for text in texts if not self.handles(text)]
        other_ids = iter(self._rust()(others) if others else [])
        return [self.ids(text) if self.handles(text) else next(other_ids) for text in texts]

    def ids(self, text: str) -> list[int]:
        """The ids of one ASCII text (see :meth:`handles`)."""
        pieces: list[int] = []
        normal = text.translate(_NORMALISE).translate(_ISOLATE_PUNCTUATION)
        for word in normal.split(" "):
            if word:
                pieces.extend(self._word(word))
                if len(pieces) >= self._max_pieces:
                    break
        return [self._cls, *pieces[: self._max_pieces], self._sep]

    def _word(self, word: str) -> list[int]:
        if len(word) > MAX_WORD_CHARS:
            return [self._unk]
        # Greedy longest match first; one unmatched remainder makes the whole
        # word [UNK], as WordPiece does.
        found: list[int] = []
        start = 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                index = self._id(piece)
                if index is not None:
                    found.append(index)
                    start = end
                    break
            else:
                return [self._unk]
        return found

    def _rust(self) -> Tokenize:
        if self._fallback is None:
            self._fallback = self._fallback_factory()
        return self._fallback


def serves(model_dir: Path) -> bool:
    """True when ``model_dir``'s tokenizer is the uncased BERT one this module implements."""
    try:
        config = json.loads((model_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(config, dict)
        and config.get("tokenizer_class") == "BertTokenizer"
        and config.get("do_lower_case") is True
        and config.get("do_basic_tokenize", True) is True
        and not config.get("never_split")
        and (model_dir / "vocab.txt").is_file()
    )


def query_tokenizer(model_dir: Path, max_length: int) -> Tokenize:
    """The quickest-loading tokenizer for ``model_dir`` that gives the model's own ids."""
    from paperlab.search.tokens import load_tokenizer

    def rust() -> Tokenize:
        return load_tokenizer(model_dir / "tokenizer.json", max_length)

    if serves(model_dir):
        return AsciiWordPiece(model_dir / "vocab.txt", max_length, fallback=rust)
    return rust()


__all__ = ["AsciiWordPiece", "query_tokenizer", "serves"]
