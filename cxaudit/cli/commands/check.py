"""``cxaudit check``: gate campaign files in CI; its --format NAME[=PATH]
handling, the format files it writes and the GitHub job summary."""

from __future__ import annotations

import contextlib
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cxaudit.check.formats import NAMES
from cxaudit.cli.console import _err, _err_console
from cxaudit.cli.exit_codes import guard
from cxaudit.cli.options import (
    AsOfOpt,
    ChannelOpt,
    DebugOpt,
    EncodingOpt,
    EngineOpt,
    MaxSuppressedOpt,
    OfferOpt,
    PresetOpt,
    RulesOpt,
    SchedulerOpt,
    ShowPiiOpt,
    SourceOpt,
    StrictOpt,
    TypeOpt,
    audit_request,
)
from cxaudit.errors import EXIT_CEILING, EXIT_DEGRADED, EXIT_FAILED, EXIT_OK, CxauditError
from cxaudit.escaping import terminal
from cxaudit.inputs.locations import refuse_url, shown


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
        if name not in NAMES:
            close = difflib.get_close_matches(name, NAMES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise CxauditError(
                f"{shown(item)!r}: unknown format {shown(name)!r}{hint}; formats are "
                f"{', '.join(NAMES)}, each as NAME or NAME=PATH"
            )
        if sep and not target.strip():
            raise CxauditError(f"{shown(item)!r}: write it as NAME=PATH, e.g. junit=junit.xml")
        local = sep and target.strip() != "-"
        out.append((name, refuse_url(target, f"--format {name}=") if local else None))
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


def _complete_format(incomplete: str) -> list[str]:
    """The format names (a NAME=PATH is left to the shell's file completion)."""
    return [name for name in NAMES if name.startswith(incomplete)]


def _check_formats(values: list[str] | None) -> list[str] | None:
    """Refuse a bad --format as click refuses a bad choice (usage error, exit 2)."""
    try:
        parse_formats(values)
    except CxauditError as exc:
        raise typer.BadParameter(exc.message) from None
    return values


def check(
    campaigns: Annotated[
        list[str] | None,
        typer.Argument(
            help="Campaign files (CSV, .csv.gz, Parquet) to check; - reads one from standard "
            "input. Or use --changed-since.",
            metavar="[CAMPAIGN]...",
            show_default=False,
        ),
    ] = None,
    rules: RulesOpt = None,
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
            autocompletion=_complete_format,
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
    strict: StrictOpt = False,
    changed_since: Annotated[
        str | None,
        typer.Option(
            "--changed-since",
            metavar="REF",
            help="Check the campaign files git says were added, modified or renamed since REF "
            "(e.g. origin/main; from its merge base to HEAD); which files are campaign files: "
            "the rules file's campaign_files, else *.csv, *.csv.gz, *.parquet that are not "
            "its sources.",
        ),
    ] = None,
    exit_zero: Annotated[
        bool,
        typer.Option(
            "--exit-zero",
            help="Report as usual but exit 0 even when a file would suppress someone, is over "
            "--max-suppressed or degraded; still 2 when an input cannot be read.",
        ),
    ] = False,
    engine: EngineOpt = "local",
    scheduler: SchedulerOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Gate campaign files in CI: exit 1 when any recipient would be suppressed.

    Writes nothing but the --format NAME=PATH files. Each file is judged on its
    own: one that cannot be read is an error for that file in every format,
    and the others are still judged. Each CAMPAIGN may have a
    NAME.campaign.yaml beside it with its type, channel and offer. When
    $GITHUB_STEP_SUMMARY is set, a Markdown summary is appended to it. The
    exit code is the worst of the files': 2, then 4, then 3, then 1, then 0.

    Example:

        cxaudit check campaigns/*.csv --format github --format junit=junit.xml
    """
    from cxaudit.check.formats.registry import RENDERERS, omitted_markdown, plan_annotations
    from cxaudit.check.run import campaigns_changed_since, run_check
    from cxaudit.engine import open_engine
    from cxaudit.inputs.stdin import campaign_inputs

    formats = parse_formats(fmt)  # checked by _check_formats

    def work() -> tuple[Any, dict[str, str]]:
        named = _campaigns(campaigns, changed_since)
        with campaign_inputs(named) as paths:
            base = audit_request(
                Path(), rules, source, preset, as_of, campaign_type, channel, offer, encoding
            )
            if changed_since is not None:
                paths, patterns = campaigns_changed_since(changed_since, base, Path.cwd())
                if not paths:
                    _err_console().print(
                        f"cxaudit check: no campaign file ({terminal(', '.join(patterns))}) "
                        f"changed since {terminal(changed_since)}"
                    )
            targets = [(f"--format {n}={p}", p) for n, p in formats if p is not None]
            summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
            if summary_file:
                targets.append(("$GITHUB_STEP_SUMMARY", Path(summary_file)))
            _refuse_format_over_input(targets, [*paths, base.rules, *base.sources.values()])
            failing = ("suppress", "flag") if fail_on is FailOn.flag else ("suppress",)
            runner = open_engine(engine, scheduler)
            try:
                run = run_check(paths, base, failing, show_pii, max_suppressed, runner, strict)
            finally:
                runner.close()
            texts = {name: RENDERERS[name].render(run) for name, _ in formats}
            summary = RENDERERS["markdown"].render(run)
            if "github" in texts:
                summary += omitted_markdown(plan_annotations(run)[1])
            for name, path in formats:
                if path is not None:
                    _write_file(path, texts[name])
            return run, {**texts, "summary": summary}

    run, texts = guard(debug, work)
    for name, path in formats:
        if path is None:
            typer.echo(texts[name], nl=False)
    _write_step_summary(texts["summary"])
    from cxaudit.reports.build import ceiling_message

    for c in run.checks:
        if c.error is not None:
            _err(c.error)
        elif c.degraded:
            _err(f"{c.path}: --strict: the run is degraded (its warnings are above)")
        elif c.exceeded:
            _err(f"{c.path}: {ceiling_message(c.report)}")
    code = run.exit_code
    raise typer.Exit(
        EXIT_OK if exit_zero and code in (EXIT_FAILED, EXIT_CEILING, EXIT_DEGRADED) else code
    )


def _campaigns(given: list[str] | None, changed_since: str | None) -> list[str]:
    """The files named, or none with --changed-since (git names them)."""
    if given and changed_since is not None:
        raise CxauditError(
            "give campaign files or --changed-since REF, not both (--changed-since finds the "
            "files itself)"
        )
    if not given and changed_since is None:
        raise CxauditError(
            "name the campaign files to check (cxaudit check campaigns/*.csv), or use "
            "--changed-since REF in a git repository"
        )
    return list(given or [])


def _refuse_format_over_input(targets: list[tuple[str, Path]], inputs: list[Path]) -> None:
    """No file check writes (--format NAME=PATH, $GITHUB_STEP_SUMMARY) may
    be one of the check's inputs (by device and inode, so links count)."""
    from cxaudit.inputs.locations import Url

    seen = {}
    for path in inputs:
        if isinstance(path, Url):
            path = path.local()  # a file:// URL is a local file; others are not ours to replace
            if path is None:
                continue
        with contextlib.suppress(OSError):
            info = os.stat(path)
            seen.setdefault((info.st_dev, info.st_ino), path)
    for label, target in targets:
        try:
            info = os.stat(target)
        except OSError:
            continue
        source = seen.get((info.st_dev, info.st_ino))
        if source is not None:
            raise CxauditError(
                f"{label}: {target} is the input {source} of this check; "
                "write the format to another file"
            )


def _write_file(path: Path, text: str) -> None:
    """Write a --format file whole or not at all (a temporary file renamed
    into place), creating its folder."""
    import tempfile

    from cxaudit.inputs.files import unwritable

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
