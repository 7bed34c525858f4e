"""Exit codes: what each command's codes mean (shown in its --help and in
the table of docs/commands.md, which a test keeps in step) and :func:`guard`, which
turns an error into its one-line message and its code.

0 done, 1 check found violations or a rule test failed, 2 bad usage, bad
rules or unreadable input (one line on stderr; a traceback only with
--debug), 3 over the --max-suppressed ceiling, 4 --strict and a warning,
75 another run holds --out (EX_TEMPFAIL: try again later), 130 interrupted,
143 terminated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer

from cxaudit.cli.console import _err
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

# Every exit code of every command, shown in its --help and in docs/commands.md's
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


def epilog(command: str) -> str:
    """The exit-code table of ``command`` for its --help (``\\b`` keeps
    click from re-flowing it; the lines are wrapped here instead)."""
    import textwrap

    lines = []
    for code, meaning in EXIT_CODES[command].items():
        lines += textwrap.wrap(
            meaning, width=78, initial_indent=f"  {code:>3}  ", subsequent_indent=" " * 7
        )
    return "\b\nExit codes:\n" + "\n".join(lines)


def guard(
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
