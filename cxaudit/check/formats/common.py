"""What the check formats share: a file's outcome and one-line summary, where
an unreadable file's error is, and the rows each rule reports
(:func:`findings`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cxaudit.audit.decide import DUPLICATE, UNVERIFIABLE
from cxaudit.check.run import CampaignCheck, CheckRun, Violation

MAX_ROWS_SHOWN = 50
UNREADABLE = "cxaudit:unreadable"
CEILING = "cxaudit:max-suppressed"


def _outcome(check: CampaignCheck) -> str:
    return {"error": "ERROR", "pass": "pass", "degraded": "DEGRADED"}.get(check.status, "FAIL")


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _summary(check: CampaignCheck) -> str:
    """One line about a judged file; the caller escapes it for its format."""
    r = check.report
    assert r is not None
    camp = r["campaign"]
    return (
        f"{r['input_rows']} recipients, {r['suppressed']} would be suppressed, "
        f"{r['flagged']} flagged (type {camp['type'] or '-'}, channel {camp['channel'] or '-'}, "
        f"offer {camp['offer'] or '-'})"
    )


def warnings_of(check: CampaignCheck) -> list[str]:
    """What the judged file's run warns about (a header-only source, a rule
    skipped for a missing --offer): every format shows them, so a degraded
    run never reads as a clean pass."""
    return list(check.report["warnings"]) if check.report is not None else []


def error_text(check: CampaignCheck) -> str:
    """The file's error without its leading file name (the format names the
    file already)."""
    assert check.error is not None
    return check.error.removeprefix(f"{check.path}: ")


_LINE_IN_MESSAGE = re.compile(r"\bline (\d+)\b")
_FILE_LINE = re.compile(r"(?P<file>[^\s:][^:]*):(?P<line>\d+): ")


def error_location(check: CampaignCheck) -> tuple[str, int | None]:
    """Where a file's error is: the campaign file and the line the message
    names (``row 2, line 2: malformed CSV``), or the sidecar's ``FILE:LINE``."""
    assert check.error is not None
    path = str(check.path)
    if check.error.startswith(f"{path}: "):
        m = _LINE_IN_MESSAGE.search(check.error)
        return path, int(m.group(1)) if m else None
    m = _FILE_LINE.match(check.error)
    if m:
        return m.group("file"), int(m.group("line"))
    return path, None


def _closing(run: CheckRun) -> str:
    """The last line of the text and github formats."""
    failed = sum(c.failed and c.error is None for c in run.checks)
    errors = len(run.errors)
    return f"cxaudit check: {len(run.checks)} campaign file(s), {failed} failed" + (
        f", {errors} could not be read" if errors else ""
    )


@dataclass(frozen=True)
class RuleFinding:
    """The rows of one file that one rule reports."""

    rule_id: str
    action: str  # suppress | flag
    rows: list[Violation]

    @property
    def kind(self) -> str:
        return "flag" if self.action == "flag" else "suppress"

    @property
    def verb(self) -> str:
        return "would be suppressed" if self.kind == "suppress" else "flagged"


def _rule_rows(check: CampaignCheck) -> list[tuple[str, str, list[Violation]]]:
    """(rule id, action, violations) for every evaluated rule, in file order."""
    assert check.result is not None
    by_rule: dict[str, list[Violation]] = {}
    for v in check.violations:
        by_rule.setdefault(v.rule_id, []).append(v)
    rows = [(r.id, r.action, by_rule.get(r.id, [])) for r in check.result.applicable]
    rows += [(s, "suppress", by_rule.get(s, [])) for s in (UNVERIFIABLE, DUPLICATE)]
    return rows


def findings(check: CampaignCheck) -> list[RuleFinding]:
    """The rules that report rows of a judged file, in rules-file order."""
    if check.result is None:
        return []
    out = []
    for rule_id, action, found in _rule_rows(check):
        rows = [v for v in found if v.effect != "allow"]
        if action != "allow" and rows:
            out.append(RuleFinding(rule_id, action, rows))
    return out
