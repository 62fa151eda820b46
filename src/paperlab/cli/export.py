"""``paperlab export``: review draft, BibTeX, CSL-JSON, Obsidian notes, PDFs, maps."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from paperlab.cli.common import get_store, json_option, print_json
from paperlab.settings import load_settings
from paperlab.wording import counted


def _selection(func: Callable[..., Any]) -> Callable[..., Any]:
    """--list, --topic and paper ids, shared by the commands that take many papers."""
    func = click.argument("ids", nargs=-1)(func)
    func = click.option("--topic", "topic", metavar="SLUG", help="Papers tagged with a topic.")(
        func
    )
    func = click.option("--list", "list_name", metavar="NAME", help="Papers of a reading list.")(
        func
    )
    return func


def _papers(store: Any, ids: tuple[str, ...], list_name: str | None, topic: str | None) -> Any:
    from paperlab.export import select_papers

    return select_papers(store, ids=ids, list_name=list_name, topic=topic)


def _include_incomplete(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--include-incomplete",
        is_flag=True,
        help="Keep papers still without arXiv metadata or a PDF (left out by default).",
    )(func)


def _complete_papers(
    store: Any,
    ids: tuple[str, ...],
    list_name: str | None,
    topic: str | None,
    include_incomplete: bool,
) -> Any:
    """The chosen papers less those without metadata or a PDF, named in one line on stderr."""
    from paperlab.errors import UsageError
    from paperlab.export import left_out_message, some_ids, split_incomplete

    papers = _papers(store, ids, list_name, topic)
    if include_incomplete:
        return papers
    complete, incomplete = split_incomplete(papers)
    if not complete:
        raise UsageError(
            "Nothing to export: every chosen paper lacks metadata or a PDF "
            f"({some_ids(incomplete)}).",
            hint="Run `paperlab fetch` to complete them, or add --include-incomplete.",
        )
    if incomplete:
        click.echo(f"Warning: {left_out_message(incomplete)}", err=True)
    return complete


@click.group()
def export() -> None:
    """Export a review draft, BibTeX, CSL-JSON, notes, annotated PDFs and maps.

    Commands taking many papers choose them by ids, --list NAME or --topic
    SLUG; with none of these, the whole library.
    """


@export.command()
@_selection
@_include_incomplete
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "latex", "both", "docx", "odt", "all"]),
    default="md",
    show_default=True,
    help="Markdown (pandoc), LaTeX (natbib/BibTeX), both, or Word/ODT via pandoc.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the draft, references.bib and themes.toml.",
)
@click.option("--title", default="Literature review (draft)", show_default=True)
@click.option(
    "--group-by",
    type=click.Choice(["content", "tag"]),
    default="content",
    show_default=True,
    help="Themes from what you wrote about the papers, or from your free tags first.",
)
@click.option(
    "--include-unread",
    is_flag=True,
    help="List the papers without notes in a short appendix (left out by default).",
)
@json_option
def review(
    ids: tuple[str, ...],
    list_name: str | None,
    topic: str | None,
    fmt: str,
    out: Path,
    title: str,
    as_json: bool,
    include_incomplete: bool,
    group_by: str,
    include_unread: bool,
) -> None:
    """Write a literature-review draft from your notes, annotations and research log.

    Themes group the papers you have noted by what you wrote about them; edit
    themes.toml in the output folder to rename or regroup, and export again.
    """
    from paperlab.export.review import review_targets, write_review

    review_targets(out, fmt)  # before anything is chosen or keyed
    store = get_store()
    papers = _complete_papers(store, ids, list_name, topic, include_incomplete)
    # Grouping may load the embedding model for notes not yet indexed: say what is going on.
    among = "the one paper" if len(papers) == 1 else f"the {len(papers)} papers"
    click.echo(f"Grouping the noted papers among {among} into themes...", err=True)
    result = write_review(
        store,
        load_settings(),
        papers,
        out,
        fmt=fmt,
        title=title,
        group_by=group_by,
        include_unread=include_unread,
    )
    if result.unknown:
        shown = ", ".join(result.unknown[:5]) + (" and more" if len(result.unknown) > 5 else "")
        click.echo(
            f"Warning: {result.themes_file.name} names papers not in this export: {shown}.",
            err=True,
        )
    if as_json:
        print_json(result.to_json())
        return
    click.echo(f"Wrote {', '.join(str(f) for f in result.files)}")
    where = "in the appendix" if include_unread else "left out (--include-unread lists them)"
    papers = "paper" if result.papers == 1 else "papers"
    themes = "theme" if len(result.themes) == 1 else "themes"
    click.echo(
        f"{result.papers} noted {papers} in {len(result.themes)} {themes}; "
        f"{len(result.unread)} without notes {where}."
    )
    if result.themes_file_written:
        click.echo(f"Edit {result.themes_file} to rename or regroup the themes.", err=True)


def _check_out(out: Path | None) -> None:
    """Refuse a device, FIFO or directory as --out before any work is done."""
    from paperlab.export import checked_target

    if out is not None:
        checked_target(out)


def _write_or_print(text: str, out: Path | None, count: int) -> None:
    from paperlab.export import atomic_write_text

    if out is None:
        click.echo(text, nl=False)
        return
    atomic_write_text(out, text)
    click.echo(f"Wrote {counted(count, 'entry')} to {out}", err=True)


@export.command()
@_selection
@_include_incomplete
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: stdout).",
)
def bibtex(
    ids: tuple[str, ...],
    list_name: str | None,
    topic: str | None,
    out: Path | None,
    include_incomplete: bool,
) -> None:
    """BibTeX in arXiv's conventions, keyed by citation key."""
    from paperlab.export import key_aliases
    from paperlab.export.bibtex import bibtex_text

    _check_out(out)
    store = get_store()
    papers = _complete_papers(store, ids, list_name, topic, include_incomplete)
    aliases = key_aliases(store, [p.id for p in papers])
    _write_or_print(bibtex_text(papers, aliases), out, len(papers))


@export.command("csl-json")
@_selection
@_include_incomplete
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: stdout).",
)
def csl_json(
    ids: tuple[str, ...],
    list_name: str | None,
    topic: str | None,
    out: Path | None,
    include_incomplete: bool,
) -> None:
    """CSL-JSON for Zotero, pandoc and other citeproc tools."""
    from paperlab.export import key_aliases
    from paperlab.export.csljson import csl_json_text

    _check_out(out)
    store = get_store()
    papers = _complete_papers(store, ids, list_name, topic, include_incomplete)
    aliases = key_aliases(store, [p.id for p in papers])
    _write_or_print(csl_json_text(papers, aliases), out, len(papers))


@export.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["obsidian"]), default="obsidian", show_default=True
)
@click.option("--list", "list_name", metavar="NAME", help="Papers of a reading list.")
@click.option("--topic", "topic", metavar="SLUG", help="Papers tagged with a topic.")
@click.option("--paper", "ids", multiple=True, metavar="ID", help="A paper (repeatable).")
@json_option
def notes(
    directory: Path,
    fmt: str,
    list_name: str | None,
    topic: str | None,
    ids: tuple[str, ...],
    as_json: bool,
) -> None:
    """Notes as an Obsidian vault; text below the marker line is kept on re-export.

    Edits made in the vault and not yet imported (`paperlab import notes`)
    are kept in the files, never overwritten.
    """
    from paperlab.export.vault import export_vault

    store = get_store()
    result = export_vault(store, _papers(store, ids, list_name, topic), directory)
    if as_json:
        print_json(result.to_json())
        return
    click.echo(
        f"{directory}: {len(result.created)} created, {len(result.updated)} updated, "
        f"{len(result.unchanged)} unchanged."
    )
    for old, new in result.renamed:
        click.echo(f"  {old} -> {new} (citation key changed; your text kept)", err=True)
    for name in result.kept_whole:
        click.echo(
            f"  {name}: its marker line was gone, so the old text was kept below a new marker.",
            err=True,
        )
    for name, fields in result.pending:
        click.echo(
            f"  {name}: your edits to {', '.join(fields)} are kept; "
            f"`paperlab import notes {directory}` brings them into the library.",
            err=True,
        )
    for name, fields in result.conflicts:
        click.echo(
            f"  {name}: {', '.join(fields)} changed in the vault and in the library; "
            "the file keeps its text (see `paperlab import notes --dry-run`).",
            err=True,
        )
    for name, why in result.skipped:
        click.echo(f"  {name}: not written: {why}.", err=True)


@export.command()
@click.argument("paper")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PDF to write (default: <citekey>-annotated.pdf here).",
)
@json_option
def pdf(paper: str, out: Path | None, as_json: bool) -> None:
    """The paper's PDF with every annotation as a highlight."""
    from paperlab.export.annotated_pdf import annotate_pdf
    from paperlab.library import resolve_paper
    from paperlab.pdfcache import local_pdf

    _check_out(out)
    store, settings = get_store(), load_settings()
    with store.read() as session:
        paper_id = resolve_paper(session, paper).id
    local_pdf(store, settings, paper_id)  # a lab library's PDF may not be on this machine yet
    result = annotate_pdf(store, settings, paper, out)
    if as_json:
        print_json(result.to_json())
        return
    click.echo(f"Wrote {result.path}: {counted(result.placed, 'highlight')}.")
    for m in result.missing:
        where = f"page {m.page}" if m.page else "no page"
        click.echo(f"  not found ({where}): {m.quote[:70]!r}", err=True)


@export.command("map")
@_selection
@_include_incomplete
@click.option(
    "--out",
    "outs",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    multiple=True,
    help="FILE.html (interactive, self-contained), FILE.svg or FILE.png; repeat for several.",
)
@click.option(
    "--layout",
    type=click.Choice(["auto", "tsne", "pca", "spectral"]),
    default="auto",
    show_default=True,
    help="auto: the layout that keeps the most nearest neighbours, measured on this map.",
)
@click.option(
    "--themes",
    "theme_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A themes.toml (as written beside a review draft) to group and name the themes.",
)
@json_option
def map_(
    ids: tuple[str, ...],
    list_name: str | None,
    topic: str | None,
    outs: tuple[Path, ...],
    layout: str,
    theme_file: Path | None,
    as_json: bool,
    include_incomplete: bool,
) -> None:
    """A map of papers placed by meaning, coloured by the themes of your reading.

    Labels give first author, year and a few title words and never overlap;
    the legend names each theme in full. The HTML page pans, zooms, shows a
    paper's title, authors, year and note summary on hover, and opens its
    arXiv abstract on click.
    """
    from paperlab.errors import UsageError
    from paperlab.export.libmap import FORMATS, export_map

    for out in outs:
        if out.suffix.lower() not in FORMATS:
            raise UsageError(
                f"Cannot write a map as {out.name!r}.", hint="Name the file .html, .svg or .png."
            )
        _check_out(out)
    store = get_store()
    papers = _complete_papers(store, ids, list_name, topic, include_incomplete)
    result = export_map(store, load_settings(), papers, outs, layout=layout, theme_file=theme_file)
    if as_json:
        print_json(result.to_json())
        return
    score = result.scores.get(result.layout, {})
    written = ", ".join(str(p) for p in result.paths)
    click.echo(
        f"Wrote {written}: {counted(len(result.points), 'paper')}, "
        f"{counted(len(result.themes), 'theme')}, {result.labelled} labelled."
    )
    if score:
        others = ", ".join(
            f"{name} {s['knn']:.2f}" for name, s in result.scores.items() if name != result.layout
        )
        click.echo(
            f"  layout {result.layout}: keeps {score['knn']:.0%} of nearest neighbours "
            f"(trustworthiness {score['trust']:.2f})" + (f"; {others}" if others else "")
        )
    if result.skipped:
        click.echo(f"  not placed (no vector or text): {', '.join(result.skipped)}", err=True)
