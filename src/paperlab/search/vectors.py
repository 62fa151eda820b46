"""The faiss vector index: a derived cache file of the vectors stored in SQLite.

Files, in ``settings.index_dir``, per model:

- ``vectors-<slug>.faiss``: the faiss index (ids are :func:`faiss_id` values);
- ``vectors-<slug>.ids.npy``: what the index covers, one record per vector:
  faiss id and the first 16 characters of the content hash it was built from;
- ``vectors-<slug>.json``: model, dim, index type, vector count, and the byte
  sizes and CRC-32 checksums of the two files above. Sizes catch a half-written
  pair without reading it; the checksums catch bytes garbled in place (same
  size), which would otherwise load as a valid index that ranks wrongly.

Each file is written to a temp name and moved into place with ``os.replace``.
Anything missing, unreadable or inconsistent is reported as such and the
caller rebuilds from SQLite; the file is never the source of truth. The
files' names, sidecar and checksums are ``vectorfiles``; this module is the
index and its process-wide cache.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paperlab.search.preload import check_ahead, checked_ahead, forget_checks
from paperlab.search.vectorfiles import (
    FORMAT,
    HASH_CHARS,
    FileState,
    VectorPaths,
    checksums_match,
    file_crc32,
    model_slug,
    read_coverage,
    read_meta,
    stamp,
    temp_path,
    write_text_atomic,
)

if TYPE_CHECKING:
    import numpy as np

KIND_CODES: dict[str, int] = {"passage": 0, "note": 1, "annotation": 2, "log": 3}
_CODE_KINDS = {code: kind for kind, code in KIND_CODES.items()}
# Row ids live in the low 40 bits (a trillion rows per table); the kind above.
ID_SHIFT = 40
_ROW_MASK = (1 << ID_SHIFT) - 1
# Index type by size (see docs/performance.md). Up to FLAT_MAX vectors a flat
# (exact) inner-product scan costs <= ~10 ms per query on 2 cores and 150 MB;
# past it (~1,700 papers at ~60 chunks each) an IVF index over 8-bit scalar-
# quantised vectors takes over: a quarter of the memory (600k vectors: ~240 MB
# instead of ~920 MB) and a scan of NPROBE lists instead of every vector.
FLAT_MAX = 100_000
NPROBE = 48
TRAIN_PER_LIST = 40  # faiss k-means wants >= 39 training points per centroid
_CACHE: dict[Path, tuple[tuple[int, int, int], VectorIndex]] = {}
_CACHE_LOCK = threading.Lock()


def faiss_id(kind: str, row_id: int) -> int:
    """The faiss id of row ``row_id`` of ``kind`` (kind in the high bits)."""
    return (KIND_CODES[kind] << ID_SHIFT) | int(row_id)


def faiss_ids(kind: str, row_ids: np.ndarray) -> np.ndarray:
    """:func:`faiss_id` of many rows of one kind at once (int64)."""
    import numpy as np

    return (np.int64(KIND_CODES[kind]) << np.int64(ID_SHIFT)) | row_ids.astype(np.int64)


def split_id(fid: int) -> tuple[str, int]:
    """Inverse of :func:`faiss_id`."""
    return _CODE_KINDS[int(fid) >> ID_SHIFT], int(fid) & _ROW_MASK


def short_hash(content_hash: str) -> bytes:
    return content_hash[:HASH_CHARS].encode("ascii", "replace")


def nlist_for(count: int) -> int:
    """IVF list count for ``count`` vectors: ~4 sqrt(n), a power of two in [256, 8192]."""
    target = 4 * max(count, 1) ** 0.5
    nlist = 256
    while nlist * 2 <= target and nlist < 8192:
        nlist *= 2
    return nlist


def index_kind(count: int) -> str:
    """The index a library of ``count`` vectors should have: "flat" or "ivf<nlist>"."""
    return "flat" if count <= FLAT_MAX else f"ivf{nlist_for(count)}"


def kind_of(index: Any) -> str:
    """The kind (as :func:`index_kind` names it) of a faiss index object."""
    nlist = getattr(index, "nlist", None)
    return f"ivf{int(nlist)}" if nlist else "flat"


def kind_fits(kind: str, count: int) -> bool:
    """May an index of ``kind`` keep serving ``count`` vectors, or rebuild?

    Hysteresis, so a library hovering near a boundary is not rebuilt on every
    change: flat is kept up to FLAT_MAX; IVF down to FLAT_MAX / 2 and while its
    list count is within 4x of the ideal one for the current size.
    """
    if kind == "flat":
        return count <= FLAT_MAX
    nlist = int(kind[3:])
    ideal = nlist_for(count)
    return count > FLAT_MAX // 2 and nlist // 4 <= ideal <= nlist * 4


def make_faiss_index(dim: int, expected: int) -> Any:
    """A fresh, empty index suited to ``expected`` vectors (see FLAT_MAX).

    Flat: ``IndexIDMap(IndexFlatIP)``. IVF: ``IndexIVFScalarQuantizer`` (8-bit,
    inner product), which keeps its own ids; it must be trained (see
    :meth:`VectorIndex.train`) before vectors are added.
    """
    import faiss

    kind = index_kind(expected)
    if kind == "flat":
        return faiss.IndexIDMap(faiss.IndexFlatIP(dim))
    quantiser: Any = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFScalarQuantizer(
        quantiser,
        dim,
        nlist_for(expected),
        faiss.ScalarQuantizer.QT_8bit,
        faiss.METRIC_INNER_PRODUCT,
    )
    index.nprobe = NPROBE
    # The coarse quantiser is owned by the Python wrapper unless told otherwise.
    index.own_fields = True
    quantiser.this.disown()
    return index


@dataclass
class VectorIndex:
    """A loaded faiss index plus the record of what it covers."""

    model: str
    dim: int
    index: Any
    ids: np.ndarray  # int64 faiss ids, in no particular order
    hashes: np.ndarray  # S16 hash prefixes aligned with ids
    # Cheap database counters seen when the index was last checked complete
    # (see vectorsync.db_fingerprint); equal counters skip the full comparison.
    db_fingerprint: list[int] | None = None
    # An IVF index is loaded with its inverted lists mapped from the file
    # (~1 ms instead of ~150 ms for 600k vectors): read-only until _own()
    # copies them, which everything that changes or writes the index does first.
    mapped: bool = False

    @classmethod
    def empty(cls, model: str, dim: int, expected: int = 0) -> VectorIndex:
        import numpy as np

        return cls(
            model=model,
            dim=dim,
            index=make_faiss_index(dim, expected),
            ids=np.zeros(0, dtype=np.int64),
            hashes=np.zeros(0, dtype=f"S{HASH_CHARS}"),
        )

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    @property
    def kind(self) -> str:
        return kind_of(self.index)

    @property
    def needs_training(self) -> bool:
        return not bool(self.index.is_trained)

    def _own(self) -> None:
        """Copy mapped inverted lists into memory, so the index may change.

        faiss refuses to change a mapped index by aborting the process (and
        writing one would store a reference to the file, not the vectors).
        """
        if not self.mapped:
            return
        import faiss

        ivf: Any = faiss.extract_index_ivf(self.index)
        mapped: Any = ivf.invlists
        owned: Any = faiss.ArrayInvertedLists(mapped.nlist, mapped.code_size)
        for lst in range(mapped.nlist):
            size = mapped.list_size(lst)
            if size:
                owned.add_entries(lst, size, mapped.get_ids(lst), mapped.get_codes(lst))
        ivf.replace_invlists(owned, True)
        owned.this.disown()  # the index frees it now
        self.mapped = False

    def train(self, sample: np.ndarray) -> None:
        """Train an IVF index's coarse quantiser and scalar quantiser on ``sample``."""
        import numpy as np

        self._own()
        self.index.train(np.ascontiguousarray(sample, dtype=np.float32))

    def coverage(self) -> dict[int, bytes]:
        """faiss id -> hash prefix for every vector in the index."""
        return dict(zip(self.ids.tolist(), self.hashes.tolist(), strict=True))

    def add(self, fids: Iterable[int], hashes: Iterable[str], vectors: np.ndarray) -> None:
        """Add vectors (unit length, float32) under ``fids``."""
        import numpy as np

        fid_arr = np.asarray(list(fids), dtype=np.int64)
        if fid_arr.size == 0:
            return
        hash_arr = np.asarray([short_hash(h) for h in hashes], dtype=f"S{HASH_CHARS}")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._own()
        self.index.add_with_ids(vectors, fid_arr)
        self.ids = np.concatenate([self.ids, fid_arr])
        self.hashes = np.concatenate([self.hashes, hash_arr])

    def remove(self, fids: Iterable[int]) -> int:
        """Remove vectors by faiss id; returns how many went."""
        import numpy as np

        fid_arr = np.asarray(list(fids), dtype=np.int64)
        if fid_arr.size == 0:
            return 0
        self._own()
        removed = int(self.index.remove_ids(fid_arr))
        keep = ~np.isin(self.ids, fid_arr)
        self.ids = self.ids[keep]
        self.hashes = self.hashes[keep]
        return removed

    def search(
        self,
        query: np.ndarray,
        k: int,
        allowed: Iterable[int] | None = None,
        id_range: tuple[int, int] | None = None,
    ) -> list[tuple[str, int, float]]:
        """Top ``k`` (kind, row id, cosine) for a unit query vector.

        ``allowed`` (faiss ids) and ``id_range`` ([lo, hi) of faiss ids, i.e.
        kinds) filter inside faiss, so a narrow filter still gets its k best.
        """
        import faiss
        import numpy as np

        if self.ntotal == 0 or k <= 0:
            return []
        selectors: list[Any] = []
        if allowed is not None:
            allowed_arr = np.asarray(list(allowed), dtype=np.int64)
            if allowed_arr.size == 0:
                return []
            selectors.append(faiss.IDSelectorBatch(allowed_arr))
        if id_range is not None:
            selectors.append(faiss.IDSelectorRange(id_range[0], id_range[1]))
        params: Any = None
        # Keep a Python reference to every selector until the search is done:
        # SWIG does not, and a collected selector would be a dangling pointer.
        if len(selectors) == 2:
            selectors.append(faiss.IDSelectorAnd(selectors[0], selectors[1]))
        ivf = self.kind != "flat"
        if selectors or ivf:
            params = faiss.SearchParametersIVF() if ivf else faiss.SearchParameters()
            if ivf:
                # An id filter (a topic) may keep vectors far from the query's
                # nearest lists: probe them all then; the filter is checked
                # before any distance is computed, so that stays cheap.
                nprobe = int(getattr(self.index, "nprobe", NPROBE))
                params.nprobe = int(self.index.nlist) if allowed is not None else nprobe
            if selectors:
                params.sel = selectors[-1]
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        scores, ids = self.index.search(q, min(k, self.ntotal), params=params)
        hits = []
        for score, fid in zip(scores[0].tolist(), ids[0].tolist(), strict=True):
            if fid < 0:
                continue
            kind, row = split_id(fid)
            hits.append((kind, row, float(score)))
        return hits

    def save(self, paths: VectorPaths) -> None:
        """Write the three files atomically (temp + os.replace), meta last."""
        import faiss
        import numpy as np

        self._own()
        paths.index.parent.mkdir(parents=True, exist_ok=True)
        index_tmp = temp_path(paths.index)
        ids_tmp = temp_path(paths.ids)
        try:
            faiss.write_index(self.index, str(index_tmp))
            record = np.zeros(len(self.ids), dtype=[("id", "<i8"), ("hash", f"S{HASH_CHARS}")])
            record["id"] = self.ids
            record["hash"] = self.hashes
            with open(ids_tmp, "wb") as fh:
                np.save(fh, record, allow_pickle=False)
            meta = {
                "format": FORMAT,
                "model": self.model,
                "dim": self.dim,
                "index_type": type(self.index.index).__name__
                if hasattr(self.index, "index")
                else type(self.index).__name__,
                "kind": self.kind,
                "ntotal": self.ntotal,
                "index_bytes": index_tmp.stat().st_size,
                "ids_bytes": ids_tmp.stat().st_size,
                "index_crc32": file_crc32(index_tmp),
                "ids_crc32": file_crc32(ids_tmp),
                "db_fingerprint": self.db_fingerprint,
            }
            os.replace(index_tmp, paths.index)
            os.replace(ids_tmp, paths.ids)
            write_text_atomic(paths.meta, json.dumps(meta, indent=1))
        finally:
            for tmp in (index_tmp, ids_tmp):
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
        with _CACHE_LOCK:
            _CACHE[paths.index] = (stamp(paths), self)


def load_index(
    paths: VectorPaths, model: str, dim: int | None
) -> tuple[VectorIndex | None, FileState]:
    """Load the index file (cached per process while unchanged on disk).

    Returns ``(None, MISSING|CORRUPT)`` when it cannot be used; freshness
    against the database is the caller's check (see ``vectorsync``).
    """
    import faiss

    state, meta = read_meta(paths, model, dim)
    if state is not FileState.FRESH:
        return None, state
    on_disk = stamp(paths)
    with _CACHE_LOCK:
        cached = _CACHE.get(paths.index)
    if cached is not None and cached[0] == on_disk:
        return cached[1], FileState.FRESH
    # Sizes agree (read_meta); the bytes must too: a file garbled in place
    # still loads, and would silently change rankings.
    verified = checked_ahead(paths, on_disk)
    if not (checksums_match(paths, meta) if verified is None else verified):
        return None, FileState.CORRUPT
    record = read_coverage(paths)
    mapped = str(meta.get("kind", "")).startswith("ivf")
    try:
        index = faiss.read_index(str(paths.index), faiss.IO_FLAG_MMAP if mapped else 0)
    except RuntimeError:
        return None, FileState.CORRUPT
    if record is None or index.ntotal != len(record) or index.ntotal != meta.get("ntotal"):
        return None, FileState.CORRUPT
    if index.d != meta["dim"]:
        return None, FileState.CORRUPT
    loaded = VectorIndex(
        model=model,
        dim=int(meta["dim"]),
        index=index,
        # Views into the record when its types are already these (the usual
        # case): copying 600,000 rows cost a cold search ~20 ms at 10,000 papers.
        ids=record["id"].astype("int64", copy=False),
        hashes=record["hash"].astype(f"S{HASH_CHARS}", copy=False),
        db_fingerprint=meta.get("db_fingerprint"),
        mapped=mapped,
    )
    with _CACHE_LOCK:
        _CACHE[paths.index] = (on_disk, loaded)
    return loaded, FileState.FRESH


def preload_index(paths: VectorPaths, model: str) -> None:
    """Start verifying the index file for a ``load_index`` soon after (see ``preload``).

    Nothing to do when this process holds the file, as it is on disk, already
    (a long-lived TUI searching again).
    """
    with _CACHE_LOCK:
        cached = _CACHE.get(paths.index)
    try:
        if cached is not None and cached[0] == stamp(paths):
            return
    except OSError:
        return  # no index file: nothing to verify
    check_ahead(paths, model)


def forget_cache() -> None:
    """Drop every index cached in this process (tests and rebuilds)."""
    forget_checks()
    with _CACHE_LOCK:
        _CACHE.clear()


__all__ = [
    "FLAT_MAX",
    "KIND_CODES",
    "FileState",
    "VectorIndex",
    "VectorPaths",
    "checksums_match",
    "faiss_id",
    "file_crc32",
    "forget_cache",
    "index_kind",
    "kind_fits",
    "kind_of",
    "load_index",
    "make_faiss_index",
    "model_slug",
    "nlist_for",
    "preload_index",
    "read_coverage",
    "read_meta",
    "short_hash",
    "split_id",
]
