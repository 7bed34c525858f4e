"""``cxaudit schema``: the rules file's JSON Schema, for editors."""

from __future__ import annotations

import typer


def schema() -> None:
    """Print the rules file's JSON Schema (the same as schema/rules.schema.json).

    Editors use it to complete keys, describe each one and mark a wrong key
    or type as you type: put this line at the top of rules.yaml for VS
    Code's YAML extension (and other editors using yaml-language-server):

        # yaml-language-server: $schema=schema/rules.schema.json

    Example:

        cxaudit schema > rules.schema.json
    """
    from cxaudit.rules.schema import schema_text

    typer.echo(schema_text(), nl=False)
