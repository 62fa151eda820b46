"""``paperlab note``, ``paperlab annotate`` and ``paperlab annotations``.

``paperlab annotations`` only reads, through ``annotation_views`` (plain sqlite3); the
services that write (SQLModel) are imported inside the commands that write,
so listing annotations starts without the ORM.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from paperlab.annotation_views import (
    HIGHLIGHT_KINDS,
    AnnotationLike,
    annotation_tags,
    annotation_to_json,
    browse_annotations,
    list_annotations,
    validate_highlight_kind,
)
from paperlab.cli.common import (
    get_store,
    json_option,
    owner_mark,
    print_json,
    sharing_option,
    terminal_text,
)
from paperlab.errors import PaperlabError, UsageError
from paperlab.settings import load_settings

if TYPE_CHECKING:
    from paperlab.notes import ConflictError
    from paperlab.store import Store
    from paperlab.store.models import Paper

# --------------------------------------------------------------------------- note


def _parse_assignments(assignments: tuple[str, ...]) -> dict[str, str]:
    from paperlab.notes import validate_field

    fields: dict[str, str] = {}
    for item in assignments:
        name, sep, value = item.partition("=")
        if not sep:
            raise UsageError(
                f"--set needs FIELD=TEXT, got {item!r}.",
                hint='paperlab note ID --set summary="..."',
            )
        fields[validate_field(name)] = value
    return fields


def _editor() -> str:
    return os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"


def _rescue(text: str, paper: Paper) -> Path | None:
    """Keep edited text that could not be saved in a file the user can recover."""
    try:
        folder = load_settings().cache_dir / "unsaved-notes"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = folder / f"{paper.id.replace('/', '_').replace(':', '_')}-{stamp}.md"
        path.write_text(text, encoding="utf-8")
        return path
    except OSError:
        return None


def _edit_note(store: Store, paper: Paper) -> None:
    from paperlab.notes import (
        ConflictError,
        get_note,
        note_fields,
        note_from_markdown,
        note_to_markdown,
        save_note,
    )

    before = get_note(store, paper.id)
    original = note_to_markdown(paper, before)
    editor = _editor()
    try:
        edited = click.edit(original, editor=editor, extension=".md", require_save=False)
    except click.ClickException as exc:
        raise PaperlabError(
            f"The editor ({editor}) failed, so the note on {paper.id} was not changed.",
            hint=f"Check $VISUAL/$EDITOR ({exc.format_message()}).",
        ) from None
    if edited is None or edited == original:
        click.echo("Note unchanged.")
        return
    if not edited.strip():
        raise PaperlabError(
            f"The note file was left empty, so nothing was saved for {paper.id}.",
            hint=f"To clear one field, use: paperlab note {paper.id} --set FIELD=",
        )
    fields = note_from_markdown(edited)
    if fields == note_fields(before):
        click.echo("Note unchanged.")
        return
    try:
        try:
            # Merged field by field with whatever was saved meanwhile (the
            # TUI, another machine); a field both changed is a ConflictError.
            saved = save_note(store, paper.id, fields, base=note_fields(before))
        except ConflictError as conflict:
            _explain_conflict(paper, conflict)
            raise
    except Exception as error:
        # Whatever stopped the save, the text the user just typed must survive it.
        path = _rescue(edited, paper)
        if path is not None:
            kept = f"Your text is kept in {path}."
            if isinstance(error, PaperlabError):
                error.hint = f"{error.hint} {kept}" if error.hint else kept
            else:
                click.echo(kept, err=True)
        raise
    base = note_fields(before)
    changed = [name for name in fields if fields[name] != base[name]]
    elsewhere = [
        name
        for name, value in note_fields(saved).items()
        if value != base[name] and name not in changed
    ]
    kept = (
        f", keeping what was changed elsewhere meanwhile ({', '.join(elsewhere)})"
        if elsewhere
        else ""
    )
    click.echo(f"Saved the note on {paper.id} ({', '.join(changed)}){kept}.")


def _explain_conflict(paper: Paper, conflict: ConflictError) -> None:
    """The note changed while the editor was open, in a field the user changed too.

    Nothing was saved (the caller keeps the edited text in a file); no field
    ever gets both texts.
    """
    from paperlab.notes import FIELD_TITLES

    names = ", ".join(FIELD_TITLES[n] for n in conflict.fields)
    conflict.message = (
        f"The note on {paper.id} was changed elsewhere while you were editing "
        f"(both changed: {names}); nothing was saved."
    )
    conflict.hint = "Open the note again and merge your text into it."


@click.command("note")
@click.argument("paper_id", metavar="ID")
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="FIELD=TEXT",
    help="Set one field without an editor (repeatable). Fields: summary, contributions, "
    "method, results, limitations, questions, relevance, body.",
)
@click.option("--topic", "topics", multiple=True, metavar="SLUG", help="Link the note to a topic.")
@click.option("--print", "as_markdown", is_flag=True, help="Print the note as Markdown.")
@sharing_option("note")
@json_option
def note(
    paper_id: str,
    assignments: tuple[str, ...],
    topics: tuple[str, ...],
    as_markdown: bool,
    shared: bool | None,
    as_json: bool,
) -> None:
    """Edit your structured note on a paper in $EDITOR, or set/print it for scripts.

    Each user of a library (PAPERLAB_USER) has their own note on a paper;
    --shared lets the others see it (`paperlab show ID` lists them).
    """
    from paperlab.library import resolve_paper
    from paperlab.notes import (
        get_note,
        link_note_topics,
        note_to_json,
        note_to_markdown,
        note_topics,
        save_note,
    )

    fields = _parse_assignments(assignments)
    store = get_store()
    try:
        with store.read() as session:
            paper = resolve_paper(session, paper_id)
        if fields or shared is not None:
            save_note(store, paper.id, fields, shared=shared)
        if topics:
            link_note_topics(store, paper.id, topics)
        if as_json:
            print_json(note_to_json(paper, get_note(store, paper.id), note_topics(store, paper.id)))
        elif as_markdown:
            markdown = note_to_markdown(paper, get_note(store, paper.id))
            click.echo(terminal_text(markdown, multiline=True), nl=False)
        elif fields or topics or shared is not None:
            sharing = [] if shared is None else ["shared" if shared else "private"]
            done = [*fields, *(f"topic {t}" for t in topics), *sharing]
            click.echo(f"Saved the note on {paper.id} ({', '.join(done)}).")
        else:
            _edit_note(store, paper)
    finally:
        store.close()


# --------------------------------------------------------------------------- annotations


def _short(text: str, width: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _describe(annotation: AnnotationLike) -> list[str]:
    where = f"p.{annotation.page}" if annotation.page is not None else "p.?"
    kind = "" if annotation.kind == "highlight" else f"{annotation.kind}  "
    mark = owner_mark(annotation.owner, annotation.shared)
    lines = [
        f"#{annotation.id}  {where}  {mark}{kind}[{annotation.color}]  “{_short(annotation.quote)}”"
    ]
    if annotation.page is None:
        lines.append("    (not found in the current text; kept with its quote)")
    if annotation.comment:
        lines.append(f"    {annotation.comment}")
    tags = annotation_tags(annotation)
    if tags:
        lines.append(f"    tags: {', '.join(tags)}")
    return lines


@click.command("annotate")
@click.argument("paper_id", metavar="ID")
@click.argument("words", nargs=-1, metavar="[QUOTE]...")
@click.option("--quote", help="The passage to highlight, as the paper words it (or after ID).")
@click.option("--page", type=int, help="The page it is on (searched first).")
@click.option(
    "--occurrence",
    type=int,
    metavar="K",
    help="Which occurrence of a quote found more than once (1 = first, in page order).",
)
@click.option("--comment", default="", help="Your comment on the passage.")
@click.option("--color", default="yellow", show_default=True, help="Colour name or #rrggbb.")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="A label (repeatable).")
@click.option(
    "--kind",
    default="highlight",
    show_default=True,
    help=f"What the passage is for: {', '.join(HIGHLIGHT_KINDS)}.",
)
@sharing_option("annotation")
@json_option
def annotate(
    paper_id: str,
    words: tuple[str, ...],
    quote: str | None,
    page: int | None,
    occurrence: int | None,
    comment: str,
    color: str,
    tags: tuple[str, ...],
    kind: str,
    shared: bool | None,
    as_json: bool,
) -> None:
    """Anchor an annotation to a quote in a paper's extracted text.

    The quote follows the ID (`paperlab annotate ID "a phrase"`) or comes with --quote.
    """
    if words and quote is not None:
        raise UsageError(
            "The quote is given twice: after the ID and with --quote.",
            hint=f'Give it once: paperlab annotate {paper_id} "a phrase from the paper"',
        )
    if words:
        quote = " ".join(words)  # unquoted words, as a shell splits them
    if quote is None:
        raise UsageError(
            "Say which passage to annotate: after the ID, or with --quote.",
            hint=f'paperlab annotate {paper_id} "a phrase from the paper"',
        )
    from paperlab.annotations import add_annotation

    kind = validate_highlight_kind(kind)  # before opening the library
    store = get_store()
    try:
        annotation = add_annotation(
            store,
            paper_id,
            quote,
            page=page,
            comment=comment,
            color=color,
            tags=tags,
            occurrence=occurrence,
            kind=kind,
            shared=bool(shared),
        )
    finally:
        store.close()
    if as_json:
        print_json(annotation_to_json(annotation))
        return
    click.echo(
        f"Annotation {annotation.id} anchored on page {annotation.page} of "
        f"{annotation.paper_id}: “{terminal_text(_short(annotation.quote))}”"
    )


# Named like the __future__ feature imported above: rebinding that module
# attribute is harmless (the future import acts at compile time).
@click.command("annotations")  # type: ignore[no-redef]
@click.argument("paper_id", metavar="[ID]", required=False)
@click.option("--delete", "delete_id", type=int, metavar="N", help="Delete annotation N.")
@click.option("--kind", help=f"Only this kind: {', '.join(HIGHLIGHT_KINDS)}.")
@click.option("--tag", help="Only annotations with this tag.")
@json_option
def annotations(
    paper_id: str | None,
    delete_id: int | None,
    kind: str | None,
    tag: str | None,
    as_json: bool,
) -> None:
    """List a paper's annotations by page (or delete one); without ID, every paper's."""
    if kind is not None:
        kind = validate_highlight_kind(kind)
    if paper_id is None:
        if delete_id is not None:
            raise UsageError(
                "Say whose annotation to delete.", hint="paperlab annotations ID --delete N"
            )
        _all_annotations(kind, tag, as_json)
        return
    store = get_store()
    try:
        found = list_annotations(store, paper_id)
        if delete_id is not None:
            if delete_id not in {a.id for a in found}:
                raise UsageError(
                    f"Annotation {delete_id} does not belong to {paper_id}.",
                    hint=f"See its annotations with: paperlab annotations {paper_id}",
                )
            from paperlab.annotations import delete_annotation

            delete_annotation(store, delete_id)
            click.echo(f"Deleted annotation {delete_id}.")
            return
    finally:
        store.close()
    found = [a for a in found if _matches(a, kind, tag)]
    if as_json:
        print_json([annotation_to_json(a) for a in found])
        return
    if not found:
        which = _which(kind, tag)
        click.echo(
            f"No {which}annotations on {paper_id} yet."
            if which
            else f"No annotations on {paper_id} yet."
        )
        return
    for annotation in found:
        click.echo(terminal_text("\n".join(_describe(annotation)), multiline=True))


def _matches(annotation: AnnotationLike, kind: str | None, tag: str | None) -> bool:
    if kind is not None and annotation.kind != kind:
        return False
    return tag is None or tag.strip().lower() in {t.lower() for t in annotation_tags(annotation)}


def _which(kind: str | None, tag: str | None) -> str:
    parts = ([kind] if kind else []) + ([f"tagged {tag}"] if tag else [])
    return " ".join(parts) + " " if parts else ""


def _all_annotations(kind: str | None, tag: str | None, as_json: bool) -> None:
    """Every paper's annotations, grouped by paper (the browser's listing)."""
    store = get_store()
    try:
        found = browse_annotations(store, kind=kind, tag=tag)
    finally:
        store.close()
    if as_json:
        print_json([{**annotation_to_json(p.annotation), "title": p.title} for p in found])
        return
    if not found:
        click.echo(f"No {_which(kind, tag)}annotations in the library yet.")
        return
    current = None
    for passage in found:
        if passage.annotation.paper_id != current:
            current = passage.annotation.paper_id
            click.echo(terminal_text(f"{passage.title}  ({current})"))
        lines = ["  " + line for line in _describe(passage.annotation)]
        click.echo(terminal_text("\n".join(lines), multiline=True))
