"""``cxaudit presets``: list the export presets."""

from __future__ import annotations

import typer


def presets() -> None:
    """List the export presets: desks for sources, platforms for recipient lists.

    Example:

        cxaudit presets
    """
    from cxaudit.rules.presets import PRESETS

    for kind, title in (("source", "sources"), ("recipients", "recipient lists")):
        typer.echo(f"{title}:")
        for p in PRESETS.values():
            if p.kind == kind:
                fields = ", ".join([*p.keys, *p.columns, *p.derive])
                typer.echo(f"  {p.name:<17} {p.description}")
                typer.echo(f"  {'':<17} fields: {fields}")
