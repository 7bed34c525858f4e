"""``cxaudit audit``: audit one campaign file and write the lists and reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cxaudit.cli.console import _err, _err_console
from cxaudit.cli.exit_codes import guard
from cxaudit.cli.options import (
    AsOfOpt,
    ChannelOpt,
    DebugOpt,
    EncodingOpt,
    EngineOpt,
    Format,
    FormatOpt,
    MaxSuppressedOpt,
    OfferOpt,
    PresetOpt,
    QuietOpt,
    RulesOpt,
    SchedulerOpt,
    ShowPiiOpt,
    SourceOpt,
    StrictOpt,
    TypeOpt,
    audit_request,
)
from cxaudit.cli.progress import _Progress
from cxaudit.cli.summary import _print_summary, result_line
from cxaudit.environment import LIST_CHUNK_ROWS
from cxaudit.errors import EXIT_CEILING, EXIT_DEGRADED
from cxaudit.escaping import terminal


def audit(
    campaign: Annotated[
        str,
        typer.Argument(
            help="The campaign recipient list (CSV, .csv.gz or Parquet; a file, a folder or "
            "glob of parts, or an fsspec URL such as s3://bucket/list.csv); - reads it from "
            "standard input."
        ),
    ],
    rules: RulesOpt = None,
    source: SourceOpt = None,
    preset: PresetOpt = None,
    out: Annotated[
        str,
        typer.Option(
            "--out", "-o", help="Folder for the outputs; {date} and {datetime} are filled in."
        ),
    ] = "cxaudit-out",
    as_of: AsOfOpt = None,
    campaign_type: TypeOpt = None,
    channel: ChannelOpt = None,
    offer: OfferOpt = None,
    encoding: EncodingOpt = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            metavar="DIR",
            help="A previous run's --out: report newly suppressed and released recipients.",
        ),
    ] = None,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            metavar="SECONDS",
            help="If another run is writing to --out, wait up to this long (default: fail).",
        ),
    ] = 0.0,
    chunk_size: Annotated[
        int,
        typer.Option(
            "--chunk-size",
            metavar="ROWS",
            min=1,
            help="Rows of the list audited at a time; bounds memory for lists of any size.",
        ),
    ] = LIST_CHUNK_ROWS,
    fmt: FormatOpt = Format.text,
    quiet: QuietOpt = False,
    show_pii: ShowPiiOpt = False,
    max_suppressed: MaxSuppressedOpt = None,
    strict: StrictOpt = False,
    engine: EngineOpt = "local",
    scheduler: SchedulerOpt = None,
    out_format: Annotated[
        str,
        typer.Option(
            "--out-format",
            metavar="FORMAT",
            help="same: the lists in the campaign's own format (cleaned.csv, …); "
            "parquet-parts: folders cleaned/, suppressed/, flagged/ of Parquet parts, one per "
            "chunk or partition, for lists too large for one file.",
        ),
    ] = "same",
    debug: DebugOpt = False,
) -> None:
    """Audit CAMPAIGN and write cleaned.csv, suppressed.csv, report.json and report.md.

    Off the terminal summary (--quiet, --format json), one line on stderr
    tells the result: cxaudit: 523 recipients: 475 kept, 48 suppressed, 12
    flagged; wrote cxaudit-out. Warnings go to stderr with or without --quiet.

    Example:

        cxaudit audit sample_data/campaign.csv --offer "Aurora X2" --as-of 2026-11-20
    """
    progress = _Progress(silent=quiet)

    def work() -> tuple[Any, Path]:
        from dataclasses import replace

        from cxaudit.audit.plan import resolve_as_of
        from cxaudit.engine import open_engine
        from cxaudit.errors import CxauditError
        from cxaudit.inputs.locations import refuse_url
        from cxaudit.inputs.stdin import campaign_inputs
        from cxaudit.outputs.parquet_parts import OUT_FORMATS
        from cxaudit.outputs.writer import check_out_dir, expand_out, output_lock
        from cxaudit.pipeline import audit_to_folder

        with campaign_inputs([campaign]) as (path,):
            request = audit_request(
                path, rules, source, preset, as_of, campaign_type, channel, offer, encoding
            )
            moment = resolve_as_of(request)  # --as-of, else the campaign's send_at, else now
            request = replace(request, as_of=moment.isoformat())
            target = expand_out(refuse_url(out, "--out"), moment)
            check_out_dir(target)
            if out_format not in OUT_FORMATS:
                raise CxauditError(
                    f"--out-format {out_format!r}: not a format; use one of "
                    f"{', '.join(OUT_FORMATS)}"
                )
            runner = open_engine(engine, scheduler)
            try:
                with progress, output_lock(target, wait):
                    finished = audit_to_folder(
                        request,
                        target,
                        progress,
                        chunk_size,
                        baseline,
                        show_pii,
                        max_suppressed,
                        runner,
                        out_format,
                        strict,
                    )
            finally:
                runner.close()
        return finished, target

    run, target = guard(debug, work)
    from cxaudit.reports.build import ceiling_message

    for note in run.report.get("notes", []):
        _err_console().print(f"cxaudit: note: {terminal(note)}")
    for warning in run.report["warnings"]:
        _err_console().print(f"cxaudit: warning: {terminal(warning)}")
    if not quiet:
        if fmt is Format.json:
            typer.echo(run.report_text, nl=False)
        else:
            _print_summary(run.result, run.report, run.written, run.multi_rule)
    if quiet or fmt is Format.json:
        _err_console().print(result_line(run.report, target, run.exceeded, run.degraded))
    if run.degraded:
        _err(
            f"--strict: the run is degraded ({len(run.report['warnings'])} warning(s) above); "
            "the lists (cleaned, suppressed, flagged) were not written (a previous run's "
            "are removed); report.html, report.md and report.json say why"
        )
        raise typer.Exit(EXIT_DEGRADED)
    if run.exceeded:
        _err(
            f"{ceiling_message(run.report)}; the lists (cleaned, suppressed, flagged) were not "
            "written (a previous run's are removed); report.html, report.md and report.json say why"
        )
        raise typer.Exit(EXIT_CEILING)
