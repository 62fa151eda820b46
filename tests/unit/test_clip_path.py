"""Long paths in messages are cut in the middle, so the file's name still shows."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from paperlab.errors import QUOTE_LIMIT, clip_path

DEEP = "/tmp/pytest-of-root/pytest-110/popen-gw1/test_review_refuses_a_fifo_amo0/draft/review.tex"


def test_a_short_path_is_shown_whole() -> None:
    assert clip_path("/home/me/review.tex") == "/home/me/review.tex"
    assert clip_path(Path("out/review.tex")) == "out/review.tex"


def test_a_long_path_keeps_its_start_and_its_file_name() -> None:
    shown = clip_path(DEEP)
    assert len(shown) <= QUOTE_LIMIT
    assert shown.startswith("/tmp/pytest-of-root") and shown.endswith("/draft/review.tex")
    assert shown.count("…") == 1


def test_a_very_long_file_name_keeps_its_end() -> None:
    name = "x" * 200 + ".tex"
    shown = clip_path(f"/tmp/{name}")
    assert len(shown) == QUOTE_LIMIT and shown.startswith("…") and shown.endswith("xx.tex")


@given(
    st.lists(st.text(alphabet="abc.-_ é", min_size=1, max_size=40), min_size=1, max_size=12),
    st.integers(min_value=10, max_value=120),
)
def test_never_longer_than_the_limit_and_always_ends_with_the_name(
    parts: list[str], limit: int
) -> None:
    path = "/" + "/".join(parts)
    shown = clip_path(path, limit)
    assert len(shown) <= limit
    name = os.path.basename(path)
    if len(path) <= limit:
        assert shown == path
    elif len(name) < limit - 1:
        assert shown.endswith("/" + name) or shown == "…" + path[-(limit - 1) :]
    else:
        assert shown == "…" + path[-(limit - 1) :]
