"""`paperlab fetch [LIST.toml | NAME | ID | URL ...]`."""

from __future__ import annotations

import click

from paperlab.cli.common import get_store, json_option, print_json
from paperlab.cli.progress import make_progress


@click.command()
@click.argument("targets", nargs=-1)
@click.option("--no-index", is_flag=True, help="Only download: skip text extraction and search.")
@json_option
def fetch(targets: tuple[str, ...], no_index: bool, as_json: bool) -> None:
    """Fetch arXiv papers from reading lists, ids or URLs.

    With no arguments, fetches every bundled reading list. Re-running is
    incremental: only new papers and new arXiv versions are downloaded, and
    a stored PDF that is missing, damaged or not arXiv's current version is
    repaired. Exits with status 1 when any paper failed.
    """
    from paperlab.fetching import check_no_usage_errors, resolve_targets
    from paperlab.fetching import fetch as run_fetch
    from paperlab.settings import load_settings

    check_no_usage_errors(targets)
    resolved = resolve_targets(targets)  # validates everything before any write
    settings = load_settings()
    store = get_store(settings)
    with make_progress() as progress:
        report = run_fetch(store, settings, resolved, progress=progress, index=not no_index)

    if as_json:
        print_json(
            {
                "ok": report.ok,
                "api_requests": report.api_requests,
                "counts": report.counts(),
                "papers": [o.__dict__ for o in report.outcomes.values()],
            }
        )
    else:
        for outcome in report.outcomes.values():
            for warning in outcome.warnings:
                click.echo(f"warning: {outcome.paper_id}: {warning}", err=True)
        for outcome in report.failures:
            click.echo(f"failed: {outcome.paper_id} ({outcome.stage}): {outcome.message}", err=True)
        counts = report.counts()
        parts = [f"{n} {status}" for status, n in sorted(counts.items())]
        click.echo(
            f"{len(report.outcomes)} paper{'s' if len(report.outcomes) != 1 else ''}: "
            f"{', '.join(parts) or 'nothing to do'} "
            f"({report.api_requests} API request{'s' if report.api_requests != 1 else ''}).",
            err=True,
        )
        if report.failures:
            click.echo(
                "Hint: run `paperlab fetch` again to retry; `paperlab show ID` "
                "tells why a paper failed.",
                err=True,
            )
    if not report.ok:
        raise SystemExit(1)
