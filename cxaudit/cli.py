"""Command line: parse arguments, call the core, render, map errors to exit codes.

Exit codes (the contract in the README, and :data:`EXIT_CODES` per command):
0 done, 1 check found violations or a rule test failed, 2 bad usage, bad
rules or unreadable input (one line on stderr; a traceback only with
--debug), 3 over the --max-suppressed ceiling, 75 another run holds --out
(EX_TEMPFAIL: try again later), 130 interrupted.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from cxaudit import __version__
from cxaudit.errors import (
    EXIT_CEILING,
    EXIT_ERROR,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TEMPFAIL,
    CxauditError,
)
from cxaudit.escaping import terminal

T = TypeVar("T")

app = typer.Typer(
    name="cxaudit",
    help=(
        "Hold marketing back from customers who are in the middle of a support problem.\n\n"
        "Example: cxaudit audit sample_data/campaign.csv --rules rules.yaml --out cxaudit-out"
    ),
    # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Every exit code of every command, shown in its --help and in the README's
# table (a test keeps the three in step).
_INTERRUPTED = "interrupted (Ctrl-C); no output was changed"
_BAD = (
    "bad usage, bad rules file or unreadable input: one line on stderr names the file, "
    "line or column and what to do; nothing is written"
)
EXIT_CODES: dict[str, dict[int, str]] = {
    "audit": {
        EXIT_OK: "done: the lists and reports are written (also when rows were suppressed)",
        EXIT_ERROR: _BAD,
        EXIT_CEILING: "more would be suppressed than --max-suppressed allows: the reports "
        "are written, the lists are not (the previous ones stay)",
        EXIT_TEMPFAIL: "another run holds --out (after --wait): nothing was written; try "
        "again later",
        EXIT_INTERRUPTED: _INTERRUPTED,
    },
    "check": {
        EXIT_OK: "every file is clean",
        EXIT_FAILED: "a file would suppress someone (or flag, with --fail-on flag)",
        EXIT_ERROR: "a campaign file cannot be read (the others are still judged and "
        "reported), or bad usage or a bad rules file or source (nothing is judged)",
        EXIT_CEILING: "a file would suppress more than --max-suppressed allows",
        EXIT_INTERRUPTED: _INTERRUPTED,
    },
    "explain": {EXIT_OK: "explained", EXIT_ERROR: _BAD, EXIT_INTERRUPTED: _INTERRUPTED},
    "test": {
        EXIT_OK: "every rule test passed",
        EXIT_FAILED: "a rule test failed",
        EXIT_ERROR: "the rules or their tests cannot be read",
        EXIT_INTERRUPTED: _INTERRUPTED,
    },
    "validate": {
        EXIT_OK: "the rules file and every source are fine",
        EXIT_ERROR: "a problem: each is listed with its file, line, rule and key",
        EXIT_INTERRUPTED: _INTERRUPTED,
    },
    "presets": {EXIT_OK: "listed"},
}
"""When several apply, check exits with the worst: 2, then 3, then 1."""


def _epilog(command: str) -> str:
    """The exit-code table of ``command`` for its --help (``\\b`` keeps
    click from re-flowing it; the lines are wrapped here instead)."""
    import textwrap

    lines = []
    for code, meaning in EXIT_CODES[command].items():
        lines += textwrap.wrap(
            meaning, width=78, initial_indent=f"  {code:>3}  ", subsequent_indent=" " * 7
        )
    return "\b\nExit codes:\n" + "\n".join(lines)


class Format(StrEnum):
    text = "text"
    json = "json"


# Options shared by the commands, defined once.
RulesOpt = Annotated[Path, typer.Option("--rules", "-r", help="Rules file.", show_default=True)]
SourceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--source",
        "-s",
        metavar="NAME=PATH",
        help="Use PATH for the rules file's source NAME (repeatable).",
    ),
]
PresetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--preset",
        "-p",
        metavar="NAME=VENDOR",
        help="Read source NAME (or recipients) as VENDOR's export, e.g. cases=zendesk "
        "(repeatable; see `cxaudit presets`).",
    ),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="Evaluate date rules at this moment (2026-11-20 = midnight UTC). Default: now.",
    ),
]
TypeOpt = Annotated[
    str | None, typer.Option("--campaign-type", help="Campaign type (overrides the rules file).")
]
ChannelOpt = Annotated[
    str | None, typer.Option("--channel", help="Campaign channel: email, sms, phone, ...")
]
OfferOpt = Annotated[
    str | None, typer.Option("--offer", metavar="PRODUCT", help="Product the campaign promotes.")
]
EncodingOpt = Annotated[
    str | None,
    typer.Option("--encoding", metavar="ENC", help="Encoding of the campaign file (e.g. cp1252)."),
]
FormatOpt = Annotated[
    Format, typer.Option("--format", "-f", help="text: a summary table; json: report.json.")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
ShowPiiOpt = Annotated[
    bool,
    typer.Option(
        "--show-pii", help="Show full emails/phones in summaries (default: a***@example.com)."
    ),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show a traceback on errors.")]
MaxSuppressedOpt = Annotated[
    float | None,
    typer.Option(
        "--max-suppressed",
        metavar="PERCENT",
        min=0,
        max=100,
        help="Exit 3 when more than PERCENT of the list would be suppressed (audit writes "
        "the reports, not the lists). Default: the rules file's max_suppressed, else none.",
    ),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cxaudit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Hold marketing back from customers who are in the middle of a support problem."""


def make_console(stderr: bool = False, soft_wrap: bool = True, **options: Any) -> Console:
    """A console that prints text as given. Messages carry file names, rule
    ids and campaign labels, which rich would otherwise read as markup
    (``[bold]``, or ``[/x]``, an error), emoji codes (``list:x:1.csv`` shown
    as ``list❌1.csv``) or things to colour."""
    return Console(
        stderr=stderr, markup=False, emoji=False, highlight=False, soft_wrap=soft_wrap, **options
    )


def _err_console() -> Console:
    return make_console(stderr=True)


def _err(message: str) -> None:
    _err_console().print(f"cxaudit: error: {terminal(message)}")


def _guard(
    debug: bool,
    work: Callable[[], T],
    every_problem: bool = False,
    on_error: Callable[[CxauditError], None] | None = None,
) -> T:
    """Run ``work``; a :class:`CxauditError` becomes its message and its exit
    code (2; 75 when another run holds --out). ``on_error`` is told first
    (a machine-readable format prints the problems on stdout too)."""
    try:
        return work()
    except CxauditError as exc:
        if debug:
            raise
        if on_error is not None:
            on_error(exc)
        if every_problem:
            for line in exc.details:
                _err(line)
        else:
            more = len(exc.details) - 1
            noun = "problem" if more == 1 else "problems"
            hint = f" (and {more} more {noun}: run `cxaudit validate`)" if more > 0 else ""
            _err(exc.message + hint)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        _err("interrupted; no output was changed")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except MemoryError:
        if debug:
            raise
        _err(
            "ran out of memory; audit the list in smaller pieces (--chunk-size 200000) "
            "or on a machine with more memory"
        )
        raise typer.Exit(2) from None
    except OSError as exc:  # the core names the paths it knows; this is the net below it
        if debug:
            raise
        _err(
            f"{exc.filename or 'a file or folder'}: {exc.strerror or exc}; check the path, "
            "the free space on its disk and its permissions"
        )
        raise typer.Exit(2) from None
    except Exception as exc:
        if debug:
            raise
        _err(
            f"internal error ({type(exc).__name__}: {exc}); this is a bug in cxaudit, "
            "rerun with --debug and report the traceback"
        )
        raise typer.Exit(2) from None


def _request(
    campaign: Path,
    rules: Path,
    source: list[str] | None,
    preset: list[str] | None,
    as_of: str | None,
    campaign_type: str | None,
    channel: str | None,
    offer: str | None,
    encoding: str | None,
) -> Any:
    """The core's request from the options audit, check and explain share."""
    from cxaudit.audit import AuditRequest

    return AuditRequest(
        campaign=campaign,
        rules=rules,
        sources=_parse_sources(source),
        presets=_parse_presets(preset),
        as_of=as_of,
        campaign_type=campaign_type,
        channel=channel,
        offer=offer,
        encoding=encoding,
    )


def _parse_presets(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        name, sep, vendor = item.partition("=")
        if not sep or not name.strip() or not vendor.strip():
            raise CxauditError(f"--preset {item!r}: write it as NAME=VENDOR, e.g. cases=zendesk")
        out[name.strip()] = vendor.strip()
    return out


def _parse_sources(values: list[str] | None) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for item in values or []:
        name, sep, path = item.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise CxauditError(f"--source {item!r}: write it as NAME=PATH, e.g. cases=cases.csv")
        out[name.strip()] = Path(path.strip())
    return out


@app.command(epilog=_epilog("audit"))
def audit(
    campaign: Annotated[
        Path,
        typer.Argument(
            help="The campaign recipient list (CSV, .csv.gz or Parquet); - reads it from "
            "standard input."
        ),
    ],
    rules: RulesOpt = Path("rules.yaml"),
    source: SourceOpt = None,
    preset: PresetOpt = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Folder for the outputs; {date} and {datetime} are filled in."
        ),
    ] = Path("cxaudit-out"),
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
    ] = 1_000_000,
    fmt: FormatOpt = Format.text,
    quiet: QuietOpt = False,
    show_pii: ShowPiiOpt = False,
    max_suppressed: MaxSuppressedOpt = None,
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

        from cxaudit.audit import resolve_as_of
        from cxaudit.outputs import check_out_dir, expand_out, output_lock
        from cxaudit.pipeline import audit_to_folder
        from cxaudit.stdin import campaign_inputs

        with campaign_inputs([campaign]) as (path,):
            request = _request(
                path, rules, source, preset, as_of, campaign_type, channel, offer, encoding
            )
            moment = resolve_as_of(request)  # --as-of, else the campaign's send_at, else now
            request = replace(request, as_of=moment.isoformat())
            target = expand_out(out, moment)
            check_out_dir(target)
            with progress, output_lock(target, wait):
                finished = audit_to_folder(
                    request, target, progress, chunk_size, baseline, show_pii, max_suppressed
                )
        return finished, target

    run, target = _guard(debug, work)
    from cxaudit.report import ceiling_message

    for warning in run.report["warnings"]:
        _err_console().print(f"cxaudit: warning: {terminal(warning)}")
    if not quiet:
        if fmt is Format.json:
            typer.echo(run.report_text, nl=False)
        else:
            _print_summary(run.result, run.report, run.written, run.multi_rule)
    if quiet or fmt is Format.json:
        _err_console().print(result_line(run.report, target, run.exceeded))
    if run.exceeded:
        _err(
            f"{ceiling_message(run.report)}; the lists (cleaned, suppressed, flagged) were not "
            "written (the previous ones stay); report.html, report.md and report.json say why"
        )
        raise typer.Exit(EXIT_CEILING)


def result_line(report: dict[str, Any], folder: Path, exceeded: bool = False) -> str:
    """The run in one line, for logs: ``cxaudit: 523 recipients: 475 kept,
    48 suppressed, 12 flagged; since runs/X: 3 newly suppressed, 1 released;
    wrote runs/Y``."""
    line = (
        f"cxaudit: {report['input_rows']:,} recipients: {report['kept']:,} kept, "
        f"{report['suppressed']:,} suppressed, {report['flagged']:,} flagged"
    )
    change = report.get("baseline")
    if change is not None:
        line += (
            f"; since {change['path']}: {len(change['newly_suppressed']):,} newly suppressed, "
            f"{len(change['released']):,} released"
        )
    if exceeded:
        line += f"; over the ceiling: only the reports were written to {folder}"
    else:
        line += f"; wrote {folder}"
    return terminal(line)


_PHASES = (
    ("read", "reading"),
    ("evaluat", "matching"),
    ("match", "matching"),
    ("compar", "matching"),
    ("writ", "writing"),
    ("done", "writing"),
)


class _Progress:
    """What the audit is doing. On a terminal: one progress line per phase
    (reading, matching, writing) with its rows per second; off a terminal
    (cron, CI): timestamped log lines on stderr."""

    def __init__(self, silent: bool) -> None:
        self.console = make_console(stderr=True)
        self.silent = silent
        self.live: Any = None
        self.tasks: dict[str, Any] = {}
        self.rows: dict[str, int] = {}
        self.active: dict[str, float] = {}
        self.current = ""
        self.since = 0.0

    def __enter__(self) -> _Progress:
        if not self.silent and self.console.is_terminal:
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self.live = Progress(
                SpinnerColumn(finished_text="✓"),
                TextColumn("{task.description}", markup=False),
                TimeElapsedColumn(),
                console=self.console,
            )
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            for phase in list(self.tasks):
                self._finish(phase)
            self.live.__exit__(*exc)
            self.live = None

    def _finish(self, phase: str) -> None:
        """Show the phase's rows and rate; a chunked run comes back to a phase
        for every chunk, so rates count only the time spent in the phase."""
        if phase == self.current:
            now = time.monotonic()
            self.active[phase] = self.active.get(phase, 0.0) + now - self.since
            self.since = now
        elapsed = self.active.get(phase, 0.0)
        rows = self.rows.get(phase, 0)
        rate = f", {rows / elapsed:,.0f} rows/s" if rows and elapsed > 0 else ""
        task = self.tasks[phase]
        self.live.update(task, description=f"{phase}: {rows:,} rows{rate}", total=1, completed=1)

    def __call__(self, message: str, rows: int = 0) -> None:
        if self.silent:
            return
        if self.live is None:
            if not self.console.is_terminal:
                stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                self.console.print(f"{stamp} cxaudit: {terminal(message)}")
            return
        phase = next((p for prefix, p in _PHASES if message.startswith(prefix)), "working")
        self.rows[phase] = self.rows.get(phase, 0) + rows
        if phase != self.current:
            if self.current in self.tasks:
                self._finish(self.current)
            self.current, self.since = phase, time.monotonic()
        if phase not in self.tasks:
            self.tasks[phase] = self.live.add_task(f"{phase}: {message}", total=None)
        if not self.live.tasks[self.tasks[phase]].finished:
            self.live.update(self.tasks[phase], description=f"{phase}: {message}")
        else:
            self._finish(phase)


def _print_summary(
    result: Any, report: dict[str, Any], written: list[Path], multi_rule: int | None = None
) -> None:
    """The run on the terminal: the counts with their shares, then people
    per rule. ``multi_rule`` (suppressed people held by two or more rules)
    makes the caption say exactly how the suppress rows add up."""
    from cxaudit.report import SPECIAL_MEANING, overlap_sentence, share, suppress_rows

    console = make_console(soft_wrap=False)  # the table fits the terminal's width
    camp = report["campaign"]
    rows = report["input_rows"]
    console.print(
        f"cxaudit: {rows:,} recipients: {report['kept']:,} kept ({share(report['kept'], rows)}), "
        f"{report['suppressed']:,} suppressed ({share(report['suppressed'], rows)}), "
        f"{report['flagged']:,} flagged ({share(report['flagged'], rows)}); "
        f"campaign type {terminal(camp['type'] or '-')}, "
        f"channel {terminal(camp['channel'] or '-')}, "
        f"offer {terminal(camp['offer'] or '-')}; as of {report['as_of']}"
        + (
            f"; settings from {terminal(report['campaign_settings_file'])}"
            if report.get("campaign_settings_file")
            else ""
        ),
        soft_wrap=True,
    )
    overlap = (
        overlap_sentence(report, multi_rule, suppress_rows(result, report))
        if multi_rule is not None
        else "One person can be held by several rules."
    )
    table = RichTable(
        show_edge=True,
        header_style="bold",
        caption_justify="left",
        caption=(
            "people: held back by a suppress rule, kept but flagged by a flag rule, exempted "
            f"from a suppress rule by an allow rule; share: of the {rows:,} in the list. "
            + overlap
        ),
    )
    # a rule id is shown whole, folded onto a second line if it must be
    table.add_column("rule", overflow="fold")
    table.add_column("what it is for")
    table.add_column("action")
    table.add_column("people", justify="right")
    table.add_column("share", justify="right")

    def row(*cells: str) -> None:
        table.add_row(*(Text(terminal(cell)) for cell in cells))  # Text: never read as markup

    for rule in result.applicable:
        count = report["by_rule"][rule.id]
        row(rule.id, rule.description or "", rule.action, f"{count:,}", share(count, rows))
    for special, what in SPECIAL_MEANING.items():
        count = report["by_rule"][special]
        row(special, what, "suppress", f"{count:,}", share(count, rows))
    for rule in result.skipped:
        row(rule.id, f"skipped: {result.rules.skip_reason(rule)}", rule.action, "-", "-")
    console.print(table)
    console.print(f"wrote {terminal(', '.join(str(p) for p in written))}", soft_wrap=True)


CHECK_FORMATS = ("text", "json", "junit", "github", "markdown", "sarif")


class FailOn(StrEnum):
    suppress = "suppress"
    flag = "flag"


def parse_formats(values: list[str] | None) -> list[tuple[str, Path | None]]:
    """``--format NAME`` (standard output) or ``NAME=PATH`` (written to PATH),
    repeatable; at most one goes to standard output, and each PATH once."""
    import difflib

    out: list[tuple[str, Path | None]] = []
    for item in values or ["text"]:
        name, sep, target = item.partition("=")
        name = name.strip()
        if name not in CHECK_FORMATS:
            close = difflib.get_close_matches(name, CHECK_FORMATS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise CxauditError(
                f"{item!r}: unknown format {name!r}{hint}; formats are "
                f"{', '.join(CHECK_FORMATS)}, each as NAME or NAME=PATH"
            )
        if sep and not target.strip():
            raise CxauditError(f"{item!r}: write it as NAME=PATH, e.g. junit=junit.xml")
        out.append((name, Path(target) if sep and target.strip() != "-" else None))
    to_stdout = [name for name, path in out if path is None]
    if len(to_stdout) > 1:
        raise CxauditError(
            f"{' and '.join(to_stdout)} would both go to standard output; "
            "write all but one to files with NAME=PATH"
        )
    paths = [str(path) for _, path in out if path is not None]
    for path in paths:
        if paths.count(path) > 1:
            raise CxauditError(f"{path} is named twice; give each format its own file")
    return out


def _check_formats(values: list[str] | None) -> list[str] | None:
    """Refuse a bad --format as click refuses a bad choice (usage error, exit 2)."""
    try:
        parse_formats(values)
    except CxauditError as exc:
        raise typer.BadParameter(exc.message) from None
    return values


@app.command(epilog=_epilog("check"))
def check(
    campaigns: Annotated[
        list[Path],
        typer.Argument(
            help="Campaign files (CSV, .csv.gz, Parquet) to check; - reads one from standard "
            "input.",
            metavar="CAMPAIGN",
        ),
    ],
    rules: RulesOpt = Path("rules.yaml"),
    source: SourceOpt = None,
    preset: PresetOpt = None,
    as_of: AsOfOpt = None,
    campaign_type: TypeOpt = None,
    channel: ChannelOpt = None,
    offer: OfferOpt = None,
    encoding: EncodingOpt = None,
    fmt: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            metavar="NAME[=PATH]",
            callback=_check_formats,
            help="text (default), json, junit (XML), github (annotations), markdown or sarif "
            "(code scanning); NAME prints to standard output, NAME=PATH writes PATH. "
            "Repeatable: one run, every format.",
        ),
    ] = None,
    fail_on: Annotated[
        FailOn,
        typer.Option(
            "--fail-on",
            help="suppress: fail when anyone would be suppressed; "
            "flag: also when anyone is flagged.",
        ),
    ] = FailOn.suppress,
    show_pii: ShowPiiOpt = False,
    max_suppressed: MaxSuppressedOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Gate campaign files in CI: exit 1 when any recipient would be suppressed.

    Writes nothing but the --format NAME=PATH files. Each file is judged on its
    own: one that cannot be read is an error for that file in every format,
    and the others are still judged. Each CAMPAIGN may have a
    NAME.campaign.yaml beside it with its type, channel and offer. When
    $GITHUB_STEP_SUMMARY is set, a Markdown summary is appended to it. The
    exit code is the worst of the files': 2, then 3, then 1, then 0.

    Example:

        cxaudit check campaigns/*.csv --format github --format junit=junit.xml
    """
    from cxaudit.check import run_check
    from cxaudit.renderers import RENDERERS, omitted_markdown, plan_annotations
    from cxaudit.stdin import campaign_inputs

    formats = parse_formats(fmt)  # checked by _check_formats

    def work() -> tuple[Any, dict[str, str]]:
        with campaign_inputs(campaigns) as paths:
            base = _request(
                Path(), rules, source, preset, as_of, campaign_type, channel, offer, encoding
            )
            _refuse_format_over_input(formats, [*paths, rules, *base.sources.values()])
            failing = ("suppress", "flag") if fail_on is FailOn.flag else ("suppress",)
            run = run_check(paths, base, failing, show_pii, max_suppressed)
            texts = {name: RENDERERS[name].render(run) for name, _ in formats}
            summary = RENDERERS["markdown"].render(run)
            if "github" in texts:
                summary += omitted_markdown(plan_annotations(run)[1])
            for name, path in formats:
                if path is not None:
                    _write_file(path, texts[name])
            return run, {**texts, "summary": summary}

    run, texts = _guard(debug, work)
    for name, path in formats:
        if path is None:
            typer.echo(texts[name], nl=False)
    _write_step_summary(texts["summary"])
    from cxaudit.report import ceiling_message

    for c in run.checks:
        if c.error is not None:
            _err(c.error)
        elif c.exceeded:
            _err(f"{c.path}: {ceiling_message(c.report)}")
    raise typer.Exit(run.exit_code)


def _refuse_format_over_input(formats: list[tuple[str, Path | None]], inputs: list[Path]) -> None:
    """No --format NAME=PATH may replace one of the check's inputs (by
    device and inode, so links count)."""
    seen = {}
    for path in inputs:
        with contextlib.suppress(OSError):
            info = os.stat(path)
            seen.setdefault((info.st_dev, info.st_ino), path)
    for name, target in formats:
        if target is None:
            continue
        try:
            info = os.stat(target)
        except OSError:
            continue
        source = seen.get((info.st_dev, info.st_ino))
        if source is not None:
            raise CxauditError(
                f"--format {name}={target}: {target} is the input {source} of this check; "
                "write the format to another file"
            )


def _write_file(path: Path, text: str) -> None:
    """Write a --format file whole or not at all (a temporary file renamed
    into place), creating its folder."""
    import tempfile

    from cxaudit.files import unwritable

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise unwritable(path, exc) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise unwritable(path, exc) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_step_summary(markdown: str) -> None:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(markdown)
    except OSError as exc:
        _err_console().print(
            f"cxaudit: warning: cannot append to $GITHUB_STEP_SUMMARY "
            f"{terminal(target)} ({exc.strerror})"
        )


@app.command(epilog=_epilog("explain"))
def explain(
    campaign: Annotated[Path, typer.Argument(help="The campaign recipient list (CSV).")],
    recipient: Annotated[
        str,
        typer.Option(
            "--recipient", "-R", metavar="EMAIL_OR_ID", help="Email, customer id or phone."
        ),
    ],
    rules: RulesOpt = Path("rules.yaml"),
    source: SourceOpt = None,
    preset: PresetOpt = None,
    as_of: AsOfOpt = None,
    campaign_type: TypeOpt = None,
    channel: ChannelOpt = None,
    offer: OfferOpt = None,
    encoding: EncodingOpt = None,
    fmt: FormatOpt = Format.text,
    show_pii: ShowPiiOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Show every rule evaluated for one recipient and the source rows behind each match.

    Emails, phones, ids and other personal fields are masked unless --show-pii.

    Example:

        cxaudit explain sample_data/campaign.csv --recipient ann@example.com --offer "Aurora X2"
    """
    from cxaudit.audit import run_audit
    from cxaudit.explain import as_dict, to_text
    from cxaudit.explain import explain as explain_recipient

    def work() -> tuple[Any, Any]:
        request = _request(
            campaign, rules, source, preset, as_of, campaign_type, channel, offer, encoding
        )
        result = run_audit(request)
        return result, explain_recipient(result, recipient, show_pii)

    result, items = _guard(debug, work)
    if fmt is Format.json:
        typer.echo(json.dumps(as_dict(items), indent=2, ensure_ascii=False))
    else:
        typer.echo(to_text(result, items), nl=False)


class TestFormat(StrEnum):
    text = "text"
    junit = "junit"
    json = "json"


@app.command("test", epilog=_epilog("test"))
def test_rules(
    rules: Annotated[
        Path, typer.Argument(help="Rules file whose tests to run.", show_default=True)
    ] = Path("rules.yaml"),
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

    def report(exc: CxauditError) -> None:
        if fmt is TestFormat.json:
            typer.echo(ruletests.error_json(rules, exc), nl=False)
        elif fmt is TestFormat.junit:
            typer.echo(ruletests.error_junit(rules, exc), nl=False)

    run = _guard(debug, lambda: ruletests.run_tests(rules), on_error=report)
    render = {
        TestFormat.text: ruletests.to_text,
        TestFormat.junit: ruletests.to_junit,
        TestFormat.json: ruletests.to_json,
    }[fmt]
    typer.echo(render(run), nl=False)
    raise typer.Exit(EXIT_FAILED if run.failed else EXIT_OK)


@app.command(epilog=_epilog("validate"))
def validate(
    rules: Annotated[Path, typer.Argument(help="Rules file to check.", show_default=True)] = Path(
        "rules.yaml"
    ),
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
    """Check a rules file, and that every source exists and has the mapped columns.

    Prints every problem with its file:line, rule id and key; exit 2 if any.

    Example:

        cxaudit validate rules.yaml --format json
    """
    from cxaudit.audit import AuditRequest, validate_rules

    def report(exc: CxauditError) -> None:
        if fmt is Format.json:
            files = (str(rules), *(str(p) for p in _parse_sources(source).values()))
            problems = [p.as_dict() for p in exc.problems(files)]
            typer.echo(_validation_json(rules, False, None, {}, problems), nl=False)

    request = _guard(
        debug,
        lambda: AuditRequest(
            campaign=Path(),
            rules=rules,
            sources=_parse_sources(source),
            presets=_parse_presets(preset),
        ),
        on_error=report,
    )
    ruleset, sources = _guard(
        debug, lambda: validate_rules(request), every_problem=True, on_error=report
    )
    if fmt is Format.json:
        typer.echo(_validation_json(rules, True, len(ruleset.rules), sources, []), nl=False)
        return
    counts = ", ".join(f"{name} ({len(t)} rows)" for name, t in sources.items())
    typer.echo(terminal(f"{rules}: OK: {len(ruleset.rules)} rules; sources {counts or 'none'}"))


def _validation_json(
    rules: Path,
    valid: bool,
    count: int | None,
    sources: dict[str, Any],
    problems: list[dict[str, Any]],
) -> str:
    data = {
        "rules_file": str(rules),
        "valid": valid,
        "rules": count,
        "sources": [
            {"name": name, "path": str(t.path), "rows": len(t)} for name, t in sources.items()
        ],
        "problems": problems,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@app.command(epilog=_epilog("presets"))
def presets() -> None:
    """List the export presets: desks for sources, platforms for recipient lists.

    Example:

        cxaudit presets
    """
    from cxaudit.presets import PRESETS

    for kind, title in (("source", "sources"), ("recipients", "recipient lists")):
        typer.echo(f"{title}:")
        for p in PRESETS.values():
            if p.kind == kind:
                fields = ", ".join([*p.keys, *p.columns, *p.derive])
                typer.echo(f"  {p.name:<17} {p.description}")
                typer.echo(f"  {'':<17} fields: {fields}")


def main() -> None:
    """The ``cxaudit`` command. On Linux, Arrow's memory comes from jemalloc
    unless the user chose otherwise: measured on the 1M benchmark it gives
    freed chunk memory back sooner than Arrow's default there (mimalloc),
    about 250 MiB less peak RSS and half a second less time. It must be set
    before pyarrow is first imported, which the lazy imports guarantee."""
    if sys.platform.startswith("linux"):
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
    app()
