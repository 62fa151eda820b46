"""What the CPU can do, as far as choosing an embedding path goes.

The choice is made from /proc/cpuinfo's flags (``Features`` on aarch64):

- ``x86-amx``: bfloat16 matrix tiles, so the packed bf16 encoder is the bulk path;
- ``x86-avx512-bf16``: native bfloat16 too, but the 8-bit ONNX graph with
  VNNI is faster there (2.41x bare sentence-transformers against 2.11x for
  the packed bf16 encoder, side by side on an EPYC; docs/performance.md), and
  indexing then needs no torch, so it is the bulk path;
- ``x86-avx512-vnni``, ``x86-avx-vnni``, ``x86-avx512``, ``x86-avx2``,
  ``aarch64`` and ``other``: bf16 would be emulated (slower than fp32), so the
  bulk path is the 8-bit ONNX graph.

The class is also part of the ONNX export's key, so the 8-bit graph's
accuracy check runs on the kind of CPU that uses it (docs/performance.md).
"""

from __future__ import annotations

import functools
import platform

# Flags that matter to the choice, best first; a CPU gets the first class it has.
_X86_CLASSES = (
    ("x86-amx", {"amx_bf16"}),
    ("x86-avx512-bf16", {"avx512_bf16"}),
    ("x86-avx512-vnni", {"avx512_vnni"}),
    ("x86-avx-vnni", {"avx_vnni"}),
    ("x86-avx512", {"avx512f"}),
    ("x86-avx2", {"avx2"}),
)
FAST_BF16_CLASSES = frozenset({"x86-amx", "x86-avx512-bf16"})
BF16_BULK_CLASSES = frozenset({"x86-amx"})  # where the packed bf16 encoder indexes


@functools.cache
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (empty where /proc/cpuinfo cannot be read)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() in ("flags", "Features"):
                    return frozenset(value.split())
    except OSError:
        pass
    return frozenset()


def cpu_class(flags: frozenset[str] | None = None) -> str:
    """The CPU class the embedding paths are chosen by (see the module doc)."""
    flags = cpu_flags() if flags is None else flags
    machine = platform.machine().lower()
    if machine in ("aarch64", "arm64"):
        return "aarch64"
    for name, needed in _X86_CLASSES:
        if needed <= flags:
            return name
    return "other"


def cpu_has_fast_bf16() -> bool:
    """True where the CPU computes bfloat16 natively (AVX512-BF16 or AMX).

    Elsewhere bf16 is emulated and slower than fp32, so we keep away from it.
    """
    return cpu_class() in FAST_BF16_CLASSES


def bf16_is_bulk_path() -> bool:
    """True where indexing embeds with the packed bf16 encoder (see the module doc)."""
    return cpu_class() in BF16_BULK_CLASSES


__all__ = [
    "BF16_BULK_CLASSES",
    "FAST_BF16_CLASSES",
    "bf16_is_bulk_path",
    "cpu_class",
    "cpu_flags",
    "cpu_has_fast_bf16",
]
