"""What a cold search can start early: the faiss file's checksum, on a thread.

Before it can use the index, a cold search checks the file's CRC-32s (~22 ms
at 240 MB, see ``vectorfiles.file_crc32``). That needs neither the database
nor faiss, and the CRC releases the GIL while it sums, so ``search`` starts it on
a thread before its BM25 query (``vectors.preload_index``, unless the process
has that file loaded already) and the check runs on the other core while
this one searches, embeds the query and imports faiss.
``vectors.load_index`` then takes the verdict (``checked_ahead``) if the files
are still the ones that were checked.

Only the checksum goes on a thread: importing faiss there too was slower
(imports hold the GIL, so the two threads took turns instead of overlapping),
and files under ``AHEAD_MIN_BYTES`` are checked in line, quicker than a thread.
Running BM25 on a thread as well measured no gain (`bench/startup_bench.py`),
so it stays on the calling thread.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from paperlab.search.vectorfiles import VectorPaths, checksums_match, read_meta, stamp

Stamp = tuple[int, int, int]
AHEAD_MIN_BYTES = 32 * 1024 * 1024  # ~3 ms of CRC-32: below this a thread costs more

_LOCK = threading.Lock()
_CHECKS: dict[Path, tuple[threading.Thread, list[tuple[Stamp, bool]]]] = {}


def check_ahead(paths: VectorPaths, model: str) -> None:
    """Start checking the checksums of ``paths``' files on a daemon thread (large files only)."""
    try:
        if paths.index.stat().st_size < AHEAD_MIN_BYTES:
            return
    except OSError:
        return  # no index yet: nothing to check
    with _LOCK:
        under_way = _CHECKS.get(paths.index)
        if under_way is not None and under_way[0].is_alive():
            return
        outcome: list[tuple[Stamp, bool]] = []
        check = threading.Thread(
            target=_check, args=(paths, model, outcome), name="paperlab-crc", daemon=True
        )
        _CHECKS[paths.index] = (check, outcome)
    check.start()


def checked_ahead(paths: VectorPaths, on_disk: Stamp) -> bool | None:
    """The preloaded checksum verdict for ``paths`` as they are ``on_disk``, else None.

    Waits for a check under way. None when none was started, it failed, or
    the files changed since (the caller then checks them itself).
    """
    with _LOCK:
        started = _CHECKS.pop(paths.index, None)
    if started is None:
        return None
    thread, outcome = started
    thread.join()
    if outcome and outcome[0][0] == on_disk:
        return outcome[0][1]
    return None


def forget_checks() -> None:
    """Wait for and drop every check under way (tests, rebuilds)."""
    with _LOCK:
        started = list(_CHECKS.values())
        _CHECKS.clear()
    for thread, _ in started:
        thread.join()


def _check(paths: VectorPaths, model: str, outcome: list[tuple[Stamp, bool]]) -> None:
    with contextlib.suppress(OSError):
        before = stamp(paths)
        _, meta = read_meta(paths, model, None)
        verdict = bool(meta) and checksums_match(paths, meta)
        if stamp(paths) == before:  # not rewritten while it was being read
            outcome.append((before, verdict))


__all__ = ["check_ahead", "checked_ahead", "forget_checks"]
