"""The formats read off standard output: ``text`` for a person, ``json``
(:func:`check_dict`, the check's result as plain data) for a script."""

from __future__ import annotations

import json
from typing import Any

from cxaudit.check.formats.common import (
    MAX_ROWS_SHOWN,
    _closing,
    _outcome,
    _summary,
    error_location,
    error_text,
    warnings_of,
)
from cxaudit.check.run import CheckRun, Violation
from cxaudit.escaping import terminal


def _violations(v: Violation) -> dict[str, Any]:
    return {
        "row": v.row,
        "line": v.line,
        "recipient": v.recipient,
        "rule": v.rule_id,
        "effect": v.effect,
        "reason": v.reason,
    }


def check_dict(run: CheckRun) -> dict[str, Any]:
    """The check's result as plain data (what ``--format json`` prints).
    ``status`` is pass, fail, ceiling or error; an unreadable file has
    ``error`` (file, line, message) and no report."""
    campaigns = []
    for c in run.checks:
        error = None
        if c.error is not None:
            file, line = error_location(c)
            error = {"file": file, "line": line, "message": c.error}
        campaigns.append(
            {
                "path": str(c.path),
                "status": c.status,
                "failed": c.failed,
                "error": error,
                "report": c.report,
                "violations": [_violations(v) for v in c.violations],
            }
        )
    return {
        "exit_code": run.exit_code,
        "failed": run.failed,
        "fail_on": list(run.fail_on),
        "rules_file": str(run.rules_path),
        "campaigns": campaigns,
    }


class JsonRenderer:
    def render(self, run: CheckRun) -> str:
        return json.dumps(check_dict(run), indent=2, ensure_ascii=False) + "\n"


class TextRenderer:
    def render(self, run: CheckRun) -> str:
        out = []
        t = terminal
        for check in run.checks:
            if check.error is not None:
                out.append(f"{t(str(check.path))}: ERROR: {t(error_text(check))}")
                continue
            out.append(f"{t(str(check.path))}: {_outcome(check)}: {t(_summary(check))}")
            for v in check.violations[:MAX_ROWS_SHOWN]:
                out.append(f"  row {v.row}  {t(v.recipient)}  {t(v.rule_id)}  {t(v.reason)}")
            if len(check.violations) > MAX_ROWS_SHOWN:
                out.append(f"  … and {len(check.violations) - MAX_ROWS_SHOWN} more")
            out += [f"  warning: {t(w)}" for w in warnings_of(check)]
        out.append(f"{_closing(run)} (failing on: {', '.join(run.fail_on)})")
        return "\n".join(out) + "\n"
