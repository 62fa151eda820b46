from __future__ import annotations

from paperlab.cli import main

main()
