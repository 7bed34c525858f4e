"""The command line's reference as text, for the docs (``cog`` blocks in
``docs/commands.md``, checked by ``tests/test_docs.py``): each command's
``--help`` at 80 columns and the table of every exit code."""

from __future__ import annotations


def help_text(command: str) -> str:
    """``cxaudit COMMAND --help`` as a terminal 80 columns wide shows it."""
    from typer.testing import CliRunner

    from cxaudit.cli.main import app

    result = CliRunner().invoke(
        app, [command, "--help"], prog_name="cxaudit", terminal_width=80, env={"COLUMNS": "80"}
    )
    return result.output.rstrip("\n") + "\n"


def exit_code_table() -> str:
    """Every code of every command, as a Markdown table."""
    from cxaudit.cli.exit_codes import EXIT_CODES

    rows = ["| command | code | meaning |", "| --- | --- | --- |"]
    for command, codes in EXIT_CODES.items():
        rows += [f"| `{command}` | `{code}` | {meaning} |" for code, meaning in codes.items()]
    return "\n".join(rows) + "\n"
