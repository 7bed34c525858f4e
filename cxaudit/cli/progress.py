"""The progress display of a long ``cxaudit audit`` on standard error: a live
line per phase on a terminal, timestamped log lines off one (cron, CI)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from cxaudit.cli.console import make_console
from cxaudit.escaping import terminal

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
