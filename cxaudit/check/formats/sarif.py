"""``sarif``: SARIF 2.1.0 for GitHub code scanning, one result per reported
row on its line of the campaign file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cxaudit import __version__
from cxaudit.check.formats.common import (
    CEILING,
    UNREADABLE,
    error_location,
    error_text,
    findings,
    warnings_of,
)
from cxaudit.check.run import CheckRun
from cxaudit.reports.build import SPECIAL_MEANING, ceiling_message

# GitHub code scanning keeps the first 5,000 results of a SARIF run.
MAX_SARIF_RESULTS = 5000

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


def _uri(path: str) -> str:
    """A SARIF artifact URI: a relative path as it is (GitHub matches it to
    the repository), an absolute one as ``file://``."""
    if "://" in path:  # an input at a URL (already masked): the URL itself
        return quote(path, safe="/-._~:@?=&*")
    p = Path(path)
    if p.is_absolute():
        return p.as_uri()
    return quote(p.as_posix(), safe="/-._~")


def _location(path: str, line: int | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(path)}}
    if line is not None:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


class SarifRenderer:
    """SARIF 2.1.0 for GitHub code scanning: one result per reported row, on
    the campaign file's line; an unreadable file or a file over the ceiling
    is one result on that file. Rules are the rules file's, plus cxaudit's
    own (unverifiable, duplicate, unreadable, max-suppressed)."""

    def render(self, run: CheckRun) -> str:
        rules: dict[str, dict[str, Any]] = {}

        def rule_index(rule_id: str, text: str, action: str, line: int | None = None) -> int:
            """The rule's place in driver.rules, adding it on first use."""
            if rule_id not in rules:
                kind = "flag" if action == "flag" else "suppress"
                props: dict[str, Any] = {"action": action}
                if line:
                    props["rulesFile"] = str(run.rules_path)
                    props["rulesFileLine"] = line
                rules[rule_id] = {
                    "id": rule_id,
                    "shortDescription": {"text": text or rule_id},
                    "defaultConfiguration": {
                        "level": "error" if kind in run.fail_on or action == "error" else "warning"
                    },
                    "properties": props,
                }
            return list(rules).index(rule_id)

        results: list[dict[str, Any]] = []
        left_out = 0
        for check in run.errors:
            file, line = error_location(check)
            index = rule_index(UNREADABLE, "a campaign file cannot be read", "error")
            results.append(
                {
                    "ruleId": UNREADABLE,
                    "ruleIndex": index,
                    "level": "error",
                    "message": {"text": error_text(check)},
                    "locations": [_location(file, line)],
                }
            )
        for check in run.checks:
            if check.result is None or check.report is None:
                continue
            about = {r.id: r.description or "" for r in check.result.applicable}
            about.update(SPECIAL_MEANING)
            if check.exceeded:
                index = rule_index(CEILING, "more suppressed than --max-suppressed", "suppress")
                results.append(
                    {
                        "ruleId": CEILING,
                        "ruleIndex": index,
                        "level": "error",
                        "message": {"text": ceiling_message(check.report)},
                        "locations": [_location(str(check.path), None)],
                    }
                )
            for f in findings(check):
                level = "error" if f.kind in run.fail_on else "warning"
                index = rule_index(
                    f.rule_id, about.get(f.rule_id, ""), f.action, f.rows[0].rule_line
                )
                for v in f.rows:
                    if len(results) >= MAX_SARIF_RESULTS:
                        left_out += 1
                        continue
                    results.append(
                        {
                            "ruleId": f.rule_id,
                            "ruleIndex": index,
                            "level": level,
                            "message": {"text": f"{v.recipient} {f.verb}: {v.reason}"},
                            "locations": [_location(str(check.path), v.line)],
                            "properties": {"row": v.row},
                        }
                    )
        invocation: dict[str, Any] = {"executionSuccessful": True, "exitCode": run.exit_code}
        notifications = [
            {
                "level": "warning",
                "message": {"text": warning},
                "locations": [_location(str(check.path), None)],
            }
            for check in run.checks
            for warning in warnings_of(check)
        ]
        if left_out:
            notifications.append(
                {
                    "level": "warning",
                    "message": {
                        "text": f"{left_out:,} more results were left out: GitHub code "
                        f"scanning keeps the first {MAX_SARIF_RESULTS:,} of a run"
                    },
                }
            )
        if notifications:
            invocation["toolExecutionNotifications"] = notifications
        log = {
            "$schema": SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "cxaudit",
                            "version": __version__,
                            "rules": list(rules.values()),
                        }
                    },
                    "invocations": [invocation],
                    "results": results,
                }
            ],
        }
        return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
