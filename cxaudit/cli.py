"""Command line: parse arguments, call the core, render, map errors to exit codes.

Exit codes (the contract in the README, and :data:`EXIT_CODES` per command):
0 done, 1 check found violations or a rule test failed, 2 bad usage, bad
rules or unreadable input (one line on stderr; a traceback only with
--debug), 3 over the --max-suppressed ceiling, 75 another run holds --out
(EX_TEMPFAIL: try again later), 130 interrupted.

This module is the Typer app and what its commands share: the exit codes
of each command, the options, ``_guard`` (an error becomes its message and
exit code) and ``main``. Each command is a module of :mod:`cxaudit.commands`;
the terminal summary and the progress display are :mod:`cxaudit.cli_summary`
and :mod:`cxaudit.cli_progress`.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup

from cxaudit import __version__
from cxaudit.console import _err
from cxaudit.errors import (
    EXIT_CEILING,
    EXIT_DEGRADED,
    EXIT_ERROR,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TEMPFAIL,
    EXIT_TERMINATED,
    CxauditError,
    Terminated,
)

T = TypeVar("T")

# An option whose empty value means something ("no offer"); every other empty
# argument is an unset variable in a script (`--out "$OUT"`), never a path.
_EMPTY_ALLOWED = frozenset({"--offer"})


def empty_argument(args: list[str]) -> str | None:
    """The message for the first empty argument, or None: ``--out ''`` must
    not write into the current folder, nor ``--baseline ''`` compare with it."""
    for i, arg in enumerate(args):
        option, value = arg.split("=", 1) if arg.startswith("--") and "=" in arg else ("", arg)
        if value.strip():
            continue
        if not option:
            option = args[i - 1] if i and args[i - 1].startswith("-") else "an argument"
        if option in _EMPTY_ALLOWED:
            continue
        return f"{option} {value!r}: empty (an unset variable in a script?); give a path or value"
    return None


class _Commands(TyperGroup):
    """The command group, refusing empty arguments before any command runs."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # Typer's own click
        problem = empty_argument(args)
        if problem is not None:
            _err(problem)
            ctx.exit(EXIT_ERROR)
        return super().parse_args(ctx, args)


app = typer.Typer(
    name="cxaudit",
    cls=_Commands,
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
_TERMINATED = "terminated (SIGTERM: systemd, timeout, a cancelled CI job); no output was changed"
_BAD = (
    "bad usage, bad rules file or unreadable input: one line on stderr names the file, "
    "line or column and what to do; nothing is written"
)
EXIT_CODES: dict[str, dict[int, str]] = {
    "audit": {
        EXIT_OK: "done: the lists and reports are written (also when rows were suppressed)",
        EXIT_ERROR: _BAD,
        EXIT_CEILING: "more would be suppressed than --max-suppressed allows: the reports "
        "are written, the lists are not (a previous run's are removed from --out)",
        EXIT_DEGRADED: "--strict and the run had a warning: the reports are written, the "
        "lists are not (a previous run's are removed from --out)",
        EXIT_TEMPFAIL: "another run holds --out (after --wait): nothing was written; try "
        "again later",
        EXIT_INTERRUPTED: _INTERRUPTED,
        EXIT_TERMINATED: _TERMINATED,
    },
    "check": {
        EXIT_OK: "every file is clean",
        EXIT_FAILED: "a file would suppress someone (or flag, with --fail-on flag)",
        EXIT_ERROR: "a campaign file cannot be read (the others are still judged and "
        "reported), or bad usage or a bad rules file or source (nothing is judged)",
        EXIT_CEILING: "a file would suppress more than --max-suppressed allows",
        EXIT_DEGRADED: "--strict and a file's run had a warning",
        EXIT_INTERRUPTED: _INTERRUPTED,
        EXIT_TERMINATED: _TERMINATED,
    },
    "explain": {
        EXIT_OK: "explained",
        EXIT_ERROR: _BAD,
        EXIT_INTERRUPTED: _INTERRUPTED,
        EXIT_TERMINATED: _TERMINATED,
    },
    "test": {
        EXIT_OK: "every rule test passed",
        EXIT_FAILED: "a rule test failed",
        EXIT_ERROR: "the rules or their tests cannot be read",
        EXIT_INTERRUPTED: _INTERRUPTED,
        EXIT_TERMINATED: _TERMINATED,
    },
    "validate": {
        EXIT_OK: "the rules file and every source are fine",
        EXIT_ERROR: "a problem: each is listed with its file, line, rule and key",
        EXIT_INTERRUPTED: _INTERRUPTED,
        EXIT_TERMINATED: _TERMINATED,
    },
    "presets": {EXIT_OK: "listed"},
    "schema": {EXIT_OK: "printed"},
}
"""When several apply, check exits with the worst: 2, then 4, then 3, then 1."""


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
RulesOpt = Annotated[
    Path | None,
    typer.Option(
        "--rules",
        "-r",
        help="Rules file. Default: rules.yaml here or in a folder above it up to the "
        'repository\'s top, or the file [tool.cxaudit] rules = "…" in a pyproject.toml names.',
        show_default=False,
    ),
]


def rules_file(given: Path | None) -> Path:
    """``--rules``, else the rules file found from the current folder
    (:mod:`cxaudit.rules.discover`)."""
    if given is not None:
        return given
    from cxaudit.rules.discover import find_rules

    return find_rules(Path.cwd())


SourceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--source",
        "-s",
        metavar="NAME=PATH",
        help="Use PATH for the rules file's source NAME (repeatable).",
    ),
]


def _complete_preset(incomplete: str) -> list[str]:
    """NAME=VENDOR: after the =, the presets cxaudit knows."""
    from cxaudit.presets import PRESETS

    name, sep, vendor = incomplete.partition("=")
    if not sep:
        return []
    return [f"{name}={p}" for p in sorted(PRESETS) if p.startswith(vendor)]


def _complete_engine(incomplete: str) -> list[str]:
    from cxaudit.engine import ENGINES

    return [e for e in ENGINES if e.startswith(incomplete)]


PresetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--preset",
        "-p",
        metavar="NAME=VENDOR",
        autocompletion=_complete_preset,
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
EngineOpt = Annotated[
    str,
    typer.Option(
        "--engine",
        metavar="NAME",
        autocompletion=_complete_engine,
        help="local: this process; dask: a Dask cluster (pip install 'cxaudit[dask]'), the "
        "one at --scheduler or one started here with a worker process per core.",
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="A Dask scheduler's address (tcp://host:8786) for --engine dask.",
    ),
]
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
StrictOpt = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Exit 4 when the run is degraded: any warning (a header-only export, a rule "
        "skipped for a missing --offer, a shared key...). audit then writes the reports, not "
        "the lists. Also: strict: true in the rules file.",
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
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Hold marketing back from customers who are in the middle of a support problem."""


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
    except Terminated:
        _err("terminated (SIGTERM); no output was changed")
        raise typer.Exit(EXIT_TERMINATED) from None
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
    rules: Path | None,
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
    from cxaudit.locations import location

    return AuditRequest(
        campaign=location(campaign),
        rules=rules_file(rules),
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
    from cxaudit.locations import location, shown

    out: dict[str, Path] = {}
    for item in values or []:
        name, sep, path = item.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise CxauditError(
                f"--source {shown(item)!r}: write it as NAME=PATH, e.g. cases=cases.csv"
            )
        out[name.strip()] = location(path.strip())
    return out


# The commands register themselves on ``app`` when imported, in the order
# --help lists them (hence no sorting). Their names, and the helpers that
# moved out of this module, stay importable from here.
# isort: off
from cxaudit.commands.audit import audit  # noqa: E402, F401
from cxaudit.commands.check import (  # noqa: E402, F401
    CHECK_FORMATS,
    FailOn,
    _check_formats,
    _refuse_format_over_input,
    _umask,
    _write_file,
    _write_step_summary,
    check,
    parse_formats,
)
from cxaudit.commands.explain import explain  # noqa: E402, F401
from cxaudit.commands.test import TestFormat, test_rules  # noqa: E402, F401
from cxaudit.commands.validate import _validation_json, validate  # noqa: E402, F401
from cxaudit.commands.presets import presets  # noqa: E402, F401
from cxaudit.commands.schema import schema  # noqa: E402, F401

# isort: on
from cxaudit.cli_progress import _PHASES, _Progress  # noqa: E402, F401
from cxaudit.cli_summary import _print_summary, result_line  # noqa: E402, F401
from cxaudit.console import _err_console, make_console  # noqa: E402, F401


def main() -> None:
    """The ``cxaudit`` command. On Linux, Arrow's memory comes from jemalloc
    unless the user chose otherwise: measured on the 1M benchmark it gives
    freed chunk memory back sooner than Arrow's default there (mimalloc),
    about 250 MiB less peak RSS and half a second less time. It must be set
    before pyarrow is first imported, which the lazy imports guarantee."""
    if sys.platform.startswith("linux"):
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
    signal.signal(signal.SIGTERM, _terminate)
    app()


def _terminate(_signum: int, _frame: Any) -> None:
    """SIGTERM stops a run like Ctrl-C (see :class:`Terminated`)."""
    raise Terminated
