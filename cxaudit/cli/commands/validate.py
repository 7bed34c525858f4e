"""``cxaudit validate``: check a rules file and its sources, listing every problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from cxaudit.cli.exit_codes import guard
from cxaudit.cli.options import (
    DebugOpt,
    EncodingOpt,
    Format,
    PresetOpt,
    SourceOpt,
    parse_presets,
    parse_sources,
    rules_file,
)
from cxaudit.errors import CxauditError
from cxaudit.escaping import terminal


def validate(
    rules: Annotated[
        Path | None,
        typer.Argument(
            help="Rules file to check. Default: found as --rules is (rules.yaml here or above).",
            show_default=False,
        ),
    ] = None,
    campaign: Annotated[
        Path | None,
        typer.Option(
            "--campaign",
            help="A campaign list to check too, read as audit would: its key columns, the "
            "columns the rules name, its dates, its parts, and its sidecar.",
            show_default=False,
        ),
    ] = None,
    encoding: EncodingOpt = None,
    source: SourceOpt = None,
    preset: PresetOpt = None,
    fmt: Annotated[
        Format,
        typer.Option(
            "--format",
            "-f",
            help="text: one line per problem; json: {valid, rules, sources, problems: "
            "[{file, line, rule, key, message}]}.",
        ),
    ] = Format.text,
    debug: DebugOpt = False,
) -> None:
    """Check a rules file, and every source as audit would read it.

    Each source must exist and have the mapped columns and every field a rule
    uses, with its encoding and dates readable; with --campaign, the whole
    list too, read as audit reads it. Prints every problem with its file:line, rule
    id and key; exit 2 if any.

    Example:

        cxaudit validate rules.yaml --campaign campaign.csv --format json
    """
    from cxaudit.audit.plan import AuditRequest
    from cxaudit.run import validate_rules

    def report(exc: CxauditError) -> None:
        if fmt is Format.json:
            given = rules if rules is not None else Path("rules.yaml")
            files = (str(given), *(str(p) for p in parse_sources(source).values()))
            files += (str(campaign),) if campaign is not None else ()
            problems = [p.as_dict() for p in exc.problems(files)]
            typer.echo(_validation_json(given, False, None, {}, problems, campaign), nl=False)

    found = guard(debug, lambda: rules_file(rules), on_error=report)
    request = guard(
        debug,
        lambda: AuditRequest(
            campaign=campaign if campaign is not None else Path(),
            rules=found,
            encoding=encoding,
            sources=parse_sources(source),
            presets=parse_presets(preset),
        ),
        on_error=report,
    )
    ruleset, sources, formats = guard(
        debug, lambda: validate_rules(request), every_problem=True, on_error=report
    )
    if fmt is Format.json:
        typer.echo(
            _validation_json(found, True, len(ruleset.rules), sources, [], campaign, formats),
            nl=False,
        )
        return
    counts = ", ".join(f"{name} ({t.rows_read} rows)" for name, t in sources.items())
    listed = f"; campaign {campaign}" if campaign is not None else ""
    typer.echo(
        terminal(f"{found}: OK: {len(ruleset.rules)} rules; sources {counts or 'none'}{listed}")
    )
    from cxaudit.audit.formats import format_lines

    for name, columns in formats.items():  # which reading each inferred date column got
        where = campaign if name == "recipients" else sources[name].path
        for line in format_lines(columns):
            typer.echo(terminal(f"{where}: {line}"))


def _validation_json(
    rules: Path,
    valid: bool,
    count: int | None,
    sources: dict[str, Any],
    problems: list[dict[str, Any]],
    campaign: Path | None,
    formats: dict[str, dict[str, str]] | None = None,
) -> str:
    formats = formats or {}
    data = {
        "rules_file": str(rules),
        "campaign": {"path": str(campaign), "date_formats": formats.get("recipients", {})}
        if campaign is not None
        else None,
        "valid": valid,
        "rules": count,
        "sources": [
            {
                "name": name,
                "path": str(t.path),
                "rows": t.rows_read,
                "date_formats": formats.get(name, {}),
            }
            for name, t in sources.items()
        ],
        "problems": problems,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
