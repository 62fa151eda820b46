"""Fetching the reading-list entries that are not on arXiv.

Only an entry whose ``url`` is on a host paperlab may contact (arXiv's hosts
and the configured API's, ``sources.netguard``) is downloaded; it is imported
as ``paperlab add`` would import it and linked to its entries. Every other
entry (a DOI, a web page, a PDF elsewhere) is reported once, with its link, for
the learner to get and ``paperlab add``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from paperlab.errors import PaperlabError
from paperlab.fetchreport import ExternalOutcome, FetchReport, PaperOutcome
from paperlab.jobprogress import JobProgress
from paperlab.settings import Settings
from paperlab.store import Store


class Processor(Protocol):
    """Extracts and embeds papers as they land (fetch's worker thread)."""

    def start(self) -> None: ...

    def submit(self, paper_id: str) -> None: ...

    def finish(self) -> None: ...


def fetch_external(
    store: Store,
    settings: Settings,
    report: FetchReport,
    show: JobProgress,
    list_names: list[str],
    *,
    processor: Callable[[int], Processor] | None,
) -> None:
    """Entries not on arXiv: download those served from an allowed host, list the others.

    Each work is handled once (one key in several lists is one work); one
    already linked to a library paper is left alone.
    """
    from paperlab import externals
    from paperlab.sources.download import allowed_download_hosts
    from paperlab.sources.netguard import Refused, check_url

    waiting = [e for e in externals.entries(store, list_names) if e.paper_id is None]
    if not waiting:
        return
    allowed = allowed_download_hosts(settings)
    fetchable = []
    for entry in waiting:
        outcome = ExternalOutcome(entry.key, entry.title, entry.link, entry.lists)
        report.external.append(outcome)
        try:
            if entry.url is None:
                raise Refused("no url")
            check_url(entry.url, allowed)
        except Refused:
            continue  # status stays "get-yourself"
        fetchable.append((entry, outcome))
    if not fetchable:
        return
    worker = processor(len(fetchable)) if processor is not None else None
    if worker is not None:
        worker.start()
    try:
        for entry, outcome in fetchable:
            _download(store, settings, entry.key, entry.url or "", outcome)
            show.advance("download", entry.key, outcome.status)
            if outcome.paper_id and outcome.status == "downloaded":
                report.outcomes.setdefault(outcome.paper_id, PaperOutcome(outcome.paper_id))
                report.outcomes[outcome.paper_id].status = "downloaded"
                if worker is not None:
                    worker.submit(outcome.paper_id)
    finally:
        if worker is not None:
            worker.finish()


def _download(
    store: Store, settings: Settings, key: str, url: str, outcome: ExternalOutcome
) -> None:
    """Download one allowed-host PDF, import it as `paperlab add` would, link its entries."""
    import tempfile

    from paperlab import externals
    from paperlab.importing import add_pdf
    from paperlab.sources.download import download_pdf

    settings.pdf_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.pdf_dir, prefix=".external-") as scratch:
        dest = Path(scratch) / "download.pdf"
        try:
            download_pdf(
                url,
                dest,
                settings=settings,
                max_retries=settings.http_retries,
                backoff_base=settings.http_backoff,
            )
        except PaperlabError as exc:
            outcome.status, outcome.message = "failed", exc.message
            return
        added = add_pdf(store, settings, dest)
    if added.paper_id is None or added.status not in ("added", "new-version", "already-present"):
        outcome.status, outcome.message = "failed", added.message or added.status
        return
    externals.link(store, key, added.paper_id)
    outcome.status, outcome.paper_id = "downloaded", added.paper_id


__all__ = ["Processor", "fetch_external"]
