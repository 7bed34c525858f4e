"""``cxaudit check``: audit several campaign files and decide pass or fail.

A CI job gates a campaign file on it: a file fails when any recipient would
be suppressed (or, with ``fail_on`` including ``flag``, flagged), because the
list that is about to be sent was not cleaned. Results are plain data; the
renderers in :mod:`cxaudit.renderers` turn them into text, JSON, JUnit XML,
GitHub annotations or Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cxaudit.audit import AuditRequest, AuditResult, run_audit
from cxaudit.report import apply_ceiling, build_report, recipient_labels

FAIL_ON = ("suppress", "flag")


@dataclass(frozen=True)
class Violation:
    """One recipient row matched by one rule that the check reports."""

    row: int  # row number in the campaign file (header = 1)
    line: int  # physical line in the campaign file
    recipient: str  # masked unless --show-pii
    rule_id: str
    rule_line: int | None  # line of the rule in the rules file
    effect: str  # suppress | flag | unverifiable | duplicate
    reason: str

    @property
    def kind(self) -> str:
        return "flag" if self.effect == "flag" else "suppress"


@dataclass
class CampaignCheck:
    path: Path
    result: AuditResult
    report: dict[str, Any]
    violations: list[Violation]
    failed: bool
    exceeded: bool = False  # more suppressed than the --max-suppressed ceiling


@dataclass
class CheckRun:
    rules_path: Path
    fail_on: tuple[str, ...]
    checks: list[CampaignCheck]

    @property
    def failed(self) -> bool:
        return any(c.failed for c in self.checks)

    @property
    def exit_code(self) -> int:
        """3 when a file passes the suppression ceiling, else 1 when one
        fails, else 0."""
        if any(c.exceeded for c in self.checks):
            return 3
        return 1 if self.failed else 0


def check_campaign(
    request: AuditRequest,
    fail_on: tuple[str, ...],
    show_pii: bool,
    max_suppressed: float | None = None,
) -> CampaignCheck:
    result = run_audit(request)
    report = build_report(result, show_pii)
    limit = max_suppressed if max_suppressed is not None else result.rules.max_suppressed
    exceeded = apply_ceiling(report, limit)
    effects = result.outcome.effects
    table = result.recipients.table
    lines = table.line_numbers()
    rule_lines = {r.id: r.line for r in result.rules.rules}
    shown = effects[effects["effect"] != "allow"]
    rows = shown["row"].to_numpy()
    labels = recipient_labels(result, rows, show_pii)
    violations = [
        Violation(
            row=int(number),
            line=int(line),
            recipient=label,
            rule_id=rule_id,
            rule_line=rule_lines.get(rule_id),
            effect=effect,
            reason=reason,
        )
        for number, line, label, rule_id, effect, reason in zip(
            table.row_numbers[rows].tolist(),
            lines[rows].tolist(),
            labels.tolist(),
            shown["rule_id"].tolist(),
            shown["effect"].tolist(),
            shown["reason" if show_pii else "shared"].tolist(),
            strict=True,
        )
    ]
    failed = exceeded or any(v.kind in fail_on for v in violations)
    return CampaignCheck(request.campaign, result, report, violations, failed, exceeded)


def run_check(
    campaigns: list[Path],
    base: AuditRequest,
    fail_on: tuple[str, ...] = ("suppress",),
    show_pii: bool = False,
    max_suppressed: float | None = None,
) -> CheckRun:
    checks = [
        check_campaign(replace(base, campaign=path), fail_on, show_pii, max_suppressed)
        for path in campaigns
    ]
    return CheckRun(base.rules, fail_on, checks)
