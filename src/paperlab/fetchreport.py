"""What a fetch reports: each paper's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field

# --------------------------------------------------------------------------- reporting

# Statuses after which the paper's text must be extracted (again).
NEW_PDF = ("downloaded", "new-version", "repaired")
# Where a fetch failed. A failed paper's stored reason is "<stage>: <message>",
# which is how its page and `paperlab show` tell what to advise.
METADATA = "metadata"
NOT_FOUND = "not-found"  # arXiv says the id does not exist
DOWNLOAD = "download"
EXTRACT = "extract"
INDEX = "index"
FAILURE_STAGES = (METADATA, NOT_FOUND, DOWNLOAD, EXTRACT, INDEX)


@dataclass
class PaperOutcome:
    paper_id: str
    # downloaded, new-version, up-to-date, repaired (the stored PDF was missing, damaged,
    # not arXiv's current version or not the paper: arXiv's file was downloaded again), failed
    status: str = "pending"
    version: int | None = None
    stage: str | None = None  # where it failed: metadata, not-found, download, extract, index
    message: str | None = None
    hint: str | None = None  # what to do about ``message``, when we know better than a retry
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status == "failed"


@dataclass
class ExternalOutcome:
    """A list entry not on arXiv: downloaded from an allowed host, or to get by hand."""

    key: str
    title: str
    link: str | None
    lists: tuple[str, ...]
    # get-yourself (its url is not on a host paperlab may contact, or it has only a DOI),
    # downloaded (imported and linked), failed (an allowed host that did not serve a PDF)
    status: str = "get-yourself"
    paper_id: str | None = None
    message: str | None = None


@dataclass
class FetchReport:
    outcomes: dict[str, PaperOutcome] = field(default_factory=dict)
    api_requests: int = 0
    indexed: bool = False
    # Failed papers a bare fetch left alone (`--retry-failed` tries them).
    skipped_failed: list[str] = field(default_factory=list)
    # Set when arXiv could not be reached at all: one cause for every failure.
    unreachable: str | None = None
    # Entries not on arXiv of the lists fetched that have no PDF in the library yet.
    external: list[ExternalOutcome] = field(default_factory=list)

    @property
    def failures(self) -> list[PaperOutcome]:
        return [o for o in self.outcomes.values() if o.failed]

    @property
    def ok(self) -> bool:
        return not self.failures

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for outcome in self.outcomes.values():
            out[outcome.status] = out.get(outcome.status, 0) + 1
        return out
