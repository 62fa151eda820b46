"""`paperlab fetch [LIST.toml | NAME | ID | URL ...]`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from paperlab.cli.common import echo_hints, get_store, json_option, print_json
from paperlab.cli.progress import make_progress
from paperlab.wording import counted

if TYPE_CHECKING:
    from paperlab.fetching import FetchReport


@click.command()
@click.argument("targets", nargs=-1)
@click.option(
    "--list",
    "list_names",
    metavar="NAME",
    multiple=True,
    help="A reading list: a bundled name or a .toml path (repeatable).",
)
@click.option("--no-index", is_flag=True, help="Only download: skip text extraction and search.")
@click.option(
    "--retry-failed",
    is_flag=True,
    help="With no arguments: also try again the papers that failed before.",
)
@click.option("-v", "--verbose", is_flag=True, help="A line per failed paper even when offline.")
@json_option
def fetch(
    targets: tuple[str, ...],
    list_names: tuple[str, ...],
    no_index: bool,
    retry_failed: bool,
    verbose: bool,
    as_json: bool,
) -> None:
    """Fetch arXiv papers from reading lists, ids or URLs.

    With no arguments, fetches every bundled reading list, leaving out the
    papers you removed and those that failed before (--retry-failed tries
    those again). Re-running is incremental: only new papers and new arXiv
    versions are downloaded, and a stored PDF that is missing, damaged or
    not arXiv's current version is repaired. Exits with status 1 when any
    paper failed.
    """
    from paperlab.fetching import fetch as run_fetch
    from paperlab.fetchtargets import check_no_usage_errors, resolve_targets
    from paperlab.readinglists import find_list
    from paperlab.settings import load_settings

    check_no_usage_errors(targets)
    # --list takes only a list: an id there is a mistake, not something to fetch.
    targets = (*(str(find_list(name)) for name in list_names), *targets)
    settings = load_settings()
    store = None
    chosen = None
    if not targets:  # a bare fetch follows the chosen track
        from paperlab.planning import chosen_track

        store = get_store(settings)
        chosen = chosen_track(store)
    # Validates everything before any write (a library is not even created for a bad list).
    resolved = resolve_targets(targets, chosen)
    resolved.retry_failed = retry_failed
    store = store or get_store(settings)
    with make_progress() as progress:
        report = run_fetch(store, settings, resolved, progress=progress, index=not no_index)

    if as_json:
        print_json(
            {
                "ok": report.ok,
                "api_requests": report.api_requests,
                "counts": report.counts(),
                "unreachable": report.unreachable,
                "skipped_failed": report.skipped_failed,
                "papers": [o.__dict__ for o in report.outcomes.values()],
                "not_on_arxiv": [o.__dict__ for o in report.external],
                "track": resolved.track,
                "lists": [spec.name for spec in resolved.lists],
            }
        )
    else:
        _print_report(report, verbose=verbose)
        _print_external(report)
        if not targets:
            _print_track_note(chosen, resolved.track, resolved.tracks_offered)
    if not report.ok:
        raise SystemExit(1)


def _print_track_note(chosen: str | None, track: str | None, offered: list[str]) -> None:
    if track is None and offered:
        from paperlab.cli.common import terminal_text

        why = (
            "No track chosen"
            if chosen is None
            else terminal_text(f"The chosen track {chosen!r} is no longer offered")
        )
        which = f"all {len(offered)} weeks 21-24 tracks" if len(offered) > 1 else "the track"
        click.echo(
            f"{why}: fetched {which} ({', '.join(offered)}). Choose one with "
            "`paperlab track choose NAME` (`paperlab track` lists them); a bare fetch "
            "then gets only it.",
            err=True,
        )
    elif track is not None:
        click.echo(f"Track: {track} (`paperlab track` to change it).", err=True)


def _print_external(report: FetchReport) -> None:
    """Entries not on arXiv: each said once, with its link and how to bring it in."""
    from paperlab.cli.common import terminal_text

    downloaded = [o for o in report.external if o.status == "downloaded"]
    by_hand = [o for o in report.external if o.status != "downloaded"]
    for outcome in downloaded:
        click.echo(
            terminal_text(f"downloaded {outcome.key} ({outcome.title}) as {outcome.paper_id}"),
            err=True,
        )
    if not by_hand:
        return
    n = len(by_hand)
    click.echo(
        f"{counted(n, 'paper')} not on arXiv to get yourself; "
        "`paperlab add FILE.pdf` then links each to its list:",
        err=True,
    )
    for outcome in by_hand:
        failed = f" (download failed: {outcome.message})" if outcome.status == "failed" else ""
        click.echo(terminal_text(f"  {outcome.key}: {outcome.title}{failed}"), err=True)
        if outcome.link:
            click.echo(terminal_text(f"    {outcome.link}"), err=True)


def _print_report(report: FetchReport, *, verbose: bool) -> None:
    from paperlab.fetching import NOT_FOUND

    for outcome in report.outcomes.values():
        for warning in outcome.warnings:
            click.echo(f"warning: {outcome.paper_id}: {warning}", err=True)
    if report.unreachable and not verbose:
        # One cause, one line: not a line per paper saying the same thing.
        click.echo(f"Error: arXiv cannot be reached: {report.unreachable}", err=True)
        click.echo(
            "Hint: you seem to be offline; `paperlab add FILE.pdf` imports local PDFs, "
            "and `paperlab fetch` again once online gets the rest (-v: every paper).",
            err=True,
        )
        return
    for outcome in report.failures:
        click.echo(f"failed: {outcome.paper_id} ({outcome.stage}): {outcome.message}", err=True)
    counts = report.counts()
    parts = [f"{n} {status}" for status, n in sorted(counts.items())]
    click.echo(
        f"{counted(len(report.outcomes), 'paper')}: "
        f"{', '.join(parts) or 'nothing to do'} "
        f"({counted(report.api_requests, 'API request')}).",
        err=True,
    )
    if report.skipped_failed:
        n = len(report.skipped_failed)
        click.echo(
            f"{counted(n, 'paper')} that failed before left alone: "
            "`paperlab fetch --retry-failed` tries again.",
            err=True,
        )
    failures = report.failures
    echo_hints(o.hint for o in failures)
    if failures and all(o.stage == NOT_FOUND for o in failures):
        click.echo("Hint: check the ids above for typos (arxiv.org/abs/ID).", err=True)
    elif any(o.hint is None for o in failures):
        click.echo(
            "Hint: `paperlab fetch --retry-failed` (or the same ids or lists again) tries the "
            "failed papers again; `paperlab show ID` tells why a paper failed.",
            err=True,
        )
