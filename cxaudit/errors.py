"""The one error type users see.

Core modules raise :class:`CxauditError` with a message written for the person
running the tool (which file, which row or column, what to do). The CLI prints
that message and exits 2; anything else escaping the core is a bug.
"""

from __future__ import annotations


class CxauditError(Exception):
    """A problem with the user's input, rules or options (exit code 2).

    ``message`` is the one line printed by default; ``details`` lists every
    problem found when there were several (``cxaudit validate`` prints all).
    """

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or [message]

    def __str__(self) -> str:
        return self.message
