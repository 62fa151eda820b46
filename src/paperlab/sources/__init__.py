"""Where papers come from: the arXiv API client, polite pacing, PDF downloads.

Import from the submodules (``paperlab.sources.arxiv``,
``paperlab.sources.download``, ``paperlab.sources.ratelimit``); this package
stays empty so that importing one does not pull in the others.
"""

from __future__ import annotations
