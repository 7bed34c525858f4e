"""``cxaudit test``: run the rule tests kept beside the rules."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cxaudit.cli.exit_codes import guard
from cxaudit.cli.options import DebugOpt, rules_file
from cxaudit.errors import EXIT_FAILED, EXIT_OK, CxauditError


class TestFormat(StrEnum):
    text = "text"
    junit = "junit"
    json = "json"


def test_rules(
    rules: Annotated[
        Path | None,
        typer.Argument(
            help="Rules file whose tests to run. Default: found as --rules is.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        TestFormat,
        typer.Option(
            "--format",
            "-f",
            help="text; junit (XML: a test case per rule test, with its file and line); json.",
        ),
    ] = TestFormat.text,
    debug: DebugOpt = False,
) -> None:
    """Run the rule tests kept beside the rules (a tests: section or RULES.test.yaml).

    Exit 0 when all pass, 1 when any fails (with what was expected and what
    happened), 2 when the tests cannot be read (junit and json then say why
    on stdout too).

    Example:

        cxaudit test rules.yaml --format junit > rule-tests.xml
    """
    from cxaudit import ruletests

    given = rules if rules is not None else Path("rules.yaml")

    def report(exc: CxauditError) -> None:
        if fmt is TestFormat.json:
            typer.echo(ruletests.error_json(given, exc), nl=False)
        elif fmt is TestFormat.junit:
            typer.echo(ruletests.error_junit(given, exc), nl=False)

    run = guard(debug, lambda: ruletests.run_tests(rules_file(rules)), on_error=report)
    render = {
        TestFormat.text: ruletests.to_text,
        TestFormat.junit: ruletests.to_junit,
        TestFormat.json: ruletests.to_json,
    }[fmt]
    typer.echo(render(run), nl=False)
    raise typer.Exit(EXIT_FAILED if run.failed else EXIT_OK)
