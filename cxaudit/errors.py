"""The errors users see, and the exit codes they map to.

Core modules raise :class:`CxauditError` with a message written for the person
running the tool (which file, which row or column, what to do). The CLI prints
that message and exits with the error's :attr:`~CxauditError.exit_code` (2, or
75 for :class:`OutputBusy`); anything else escaping the core is a bug.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

# Exit codes, one meaning each, for every command (the table in docs/commands.md).
EXIT_OK = 0
EXIT_FAILED = 1  # check: violations; test: a rule test failed
EXIT_ERROR = 2  # bad usage, bad rules file, unreadable or invalid input
EXIT_CEILING = 3  # more would be suppressed than --max-suppressed allows
EXIT_DEGRADED = 4  # --strict: the run had warnings, so its answer is not to be trusted
EXIT_TEMPFAIL = 75  # EX_TEMPFAIL (sysexits.h): another run holds --out; try again later
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
EXIT_TERMINATED = 143  # SIGTERM (128 + 15): systemd, `timeout`, a cancelled CI job


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so a run stops as on Ctrl-C: the
    same clean-up (no output changed, a folder it created removed)."""


class CxauditError(Exception):
    """A problem with the user's input, rules or options (exit code 2).

    ``message`` is the one line printed by default; ``details`` lists every
    problem found when there were several (``cxaudit validate`` prints all).
    ``problems`` are the same as structured records; a raiser may pass them,
    else they are read from ``details``.
    """

    exit_code = EXIT_ERROR

    def __init__(
        self,
        message: str,
        details: list[str] | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or [message]
        self._problems = problems

    def __str__(self) -> str:
        return self.message

    def problems(self, files: tuple[str, ...] = ()) -> list[Problem]:
        """Every problem as a record (file, line, rule, key, message).
        ``files`` are paths the caller knows (the rules file, sources), so a
        path with spaces or colons is still told from the message."""
        if self._problems is not None:
            return list(self._problems)
        return [Problem.parse(line, files) for line in self.details]


class OutputBusy(CxauditError):
    """Another run holds the output folder: nothing is wrong, try again later
    (exit 75, EX_TEMPFAIL, which schedulers read as "retry")."""

    exit_code = EXIT_TEMPFAIL


@dataclass(frozen=True)
class Problem:
    """One problem of a rules file, a source or a list, as data (``cxaudit
    validate --format json``): the file, the line in it, the rule id and the
    key (``where.priority.inn``) when known, and what is wrong. ``text`` is
    the one line printed for it."""

    text: str
    message: str
    file: str | None = None
    line: int | None = None
    rule: str | None = None
    key: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def parse(cls, text: str, files: tuple[str, ...] = ()) -> Problem:
        """Read a problem line as the rules loader writes it:
        ``FILE:LINE: rule 'ID', KEY: MESSAGE``, ``FILE:LINE: KEY: MESSAGE``
        or ``FILE: MESSAGE`` (a source's ``has no column ... (mapped by KEY
        at FILE:LINE)`` gives its key too). Anything else is a message."""
        file = line = None
        rest = text
        for known in sorted((f for f in files if f), key=len, reverse=True):
            m = re.match(re.escape(known) + r"(?::(\d+))?: ", text)
            if m:
                file, line, rest = known, m.group(1), text[m.end() :]
                break
        else:
            m = _WHERE.match(text)
            if m:
                file, line, rest = m.group("file"), m.group("line"), text[m.end() :]
        rule = key = None
        m = _RULE.match(rest)
        if m:
            rule, key, rest = m.group("rule"), m.group("key"), rest[m.end() :]
        elif file is not None and line is not None:
            m = _KEY.match(rest)
            if m:
                key, rest = m.group("key"), rest[m.end() :]
        if key is None:
            m = _MAPPED_BY.search(rest)
            if m:
                key = m.group("key")
        return cls(text, rest, file, int(line) if line else None, rule, key)


# A path without white space or colons, then :LINE or not: "rules.yaml:12: ".
_WHERE = re.compile(r"(?P<file>[^\s:'\"(][^\s:]*)(?::(?P<line>\d+))?: ")
# "rule 'severe', where.priority.inn: " or "rule 'severe': "
_RULE = re.compile(r"rule (?P<q>['\"])(?P<rule>.*?)(?P=q)(?:, (?P<key>[^\s:]+))?: ")
# "campaign.type: ", "rules[0].ide: ", "sources.cases.columns.status: "
_KEY = re.compile(r"(?P<key>[A-Za-z_$][\w$-]*(?:(?:\.[^\s.:\[\]]+)|\[\d+\])*): ")
_MAPPED_BY = re.compile(r"\(mapped by (?P<key>[^\s]+) at ")
