"""paperlab: a research-paper reading and notes manager."""

from __future__ import annotations

__version__ = "0.1.0"
