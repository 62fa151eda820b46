"""``paperlab rekey ID [NEW]``: change a citation key on purpose."""

from __future__ import annotations

import click

from paperlab.cli.common import get_store, json_option, print_json


@click.command("rekey")
@click.argument("paper_id", metavar="ID")
@click.argument("new", required=False, metavar="[NEW]")
@json_option
def rekey(paper_id: str, new: str | None, as_json: bool) -> None:
    """Change a paper's citation key to NEW (default: one made from its current metadata).

    The old key stays valid as an alias: exports list it (BibTeX ids, a
    CSL-JSON copy), and the next `paperlab export notes` renames the vault
    note, keeping your text, and updates [[links]] to it.
    """
    from paperlab.rekeying import rekey as change_key

    store = get_store()
    try:
        result = change_key(store, paper_id, new)
    finally:
        store.close()
    if as_json:
        print_json(result.to_json())
        return
    if not result.changed:
        click.echo(f"{result.paper_id} keeps its citation key {result.new}.")
        return
    click.echo(f"{result.paper_id}: citation key {result.old or '-'} -> {result.new}")
    if result.old:
        click.echo(
            f"  {result.old} stays valid as an alias; export again to update .bib, "
            "CSL-JSON and vault files.",
            err=True,
        )
