"""paperlab: a research-paper reading and notes manager."""

from __future__ import annotations

import os

__version__ = "0.1.0"

# paperlab writes only in its library and talks only to arXiv (docs/architecture.md,
# "What paperlab promises"). ONNX Runtime's Linux builds otherwise keep a telemetry
# queue and device id under ~/.cache/Microsoft and look up a telemetry host; the
# opt-out is read once, when its environment is first made, so it is set here,
# before any module can import onnxruntime. Both spellings: releases differ.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"
os.environ["ORT_TELEMETRY_DISABLED"] = "1"
