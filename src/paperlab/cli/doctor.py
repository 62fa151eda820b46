"""`paperlab doctor [--repair]`: check the library for damage; rebuild what is derived."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from paperlab.cli.common import json_option, print_json, refuse_lab_library
from paperlab.errors import UsageError
from paperlab.wording import counted

if TYPE_CHECKING:
    from paperlab.doctor import DoctorReport
    from paperlab.settings import Settings


@click.command()
@click.option("--repair", is_flag=True, help="Rebuild everything derived into a fresh file.")
@click.option(
    "--salvage",
    is_flag=True,
    help="With --repair: keep every row of a damaged table of yours that can still be read.",
)
@click.option(
    "--quick", is_flag=True, help="quick_check instead of integrity_check; no PDF hashing."
)
@json_option
def doctor(repair: bool, salvage: bool, quick: bool, as_json: bool) -> None:
    """Check the database, full-text and vector indexes, PDFs and leftovers.

    \b
    paperlab doctor            report what is damaged (exit 1 when anything is)
    paperlab doctor --repair   rebuild pages, chunks, full-text and vector indexes
                               from the PDFs and your own tables, keeping notes,
                               annotations and the log; the old file is kept
                               under backups/
    """
    from paperlab.doctor import diagnose
    from paperlab.settings import load_settings

    if salvage and not repair:
        raise UsageError(
            "--salvage only goes with --repair.", hint="paperlab doctor --repair --salvage"
        )
    settings = load_settings()
    refuse_lab_library(
        settings,
        "doctor",
        "PostgreSQL checks its own data; unset PAPERLAB_DATABASE_URL to check your own library.",
    )
    if repair:
        _repair(settings, salvage, as_json)
        return
    report = diagnose(settings, quick=quick)
    if as_json:
        print_json(report.to_json())
    else:
        _print_findings(report)
    if not report.ok:
        if report.repairable and not as_json:
            click.echo("Hint: run `paperlab doctor --repair` to rebuild what is derived.", err=True)
        raise SystemExit(1)


def _print_findings(report: DoctorReport) -> None:
    for finding in report.findings:
        label = "skipped" if finding.skipped else ("ok" if finding.ok else "PROBLEM")
        click.echo(f"{label:<8} {finding.check:<9} {finding.message}")
        for item in finding.items:
            click.echo(f"{'':<18} - {item}")


def _repair(settings: Settings, salvage: bool, as_json: bool) -> None:
    from dataclasses import asdict

    from paperlab.cli.progress import make_progress
    from paperlab.doctor import diagnose
    from paperlab.doctor_repair import repair

    with make_progress() as progress:
        result = repair(settings, salvage=salvage, progress=progress)
    after = diagnose(settings, quick=True)
    if as_json:
        print_json({"repair": asdict(result), "after": after.to_json()})
        return
    click.echo(
        f"Repaired: kept {counted(sum(result.copied.values()), 'row')} of your own, re-extracted "
        f"{counted(result.papers_extracted, 'paper')}, "
        f"{counted(result.index_vectors, 'vector')} in the index.",
        err=True,
    )
    click.echo(f"The replaced file is kept at {result.backup}.", err=True)
    for table, why in sorted(result.unreadable.items()):
        click.echo(f"warning: some rows of {table} could not be read ({why}).", err=True)
    for table, count in sorted(result.garbled_rows.items()):
        click.echo(
            f"warning: {counted(count, 'row')} of {table} had garbled characters "
            "(kept, shown as \ufffd).",
            err=True,
        )
    for paper_id, reason in sorted(result.papers_failed.items()):
        click.echo(f"warning: {paper_id} was not extracted: {reason}", err=True)
    for finding in after.findings:
        if not finding.ok:
            click.echo(f"still to do: {finding.message}", err=True)
