"""``cxaudit check``: audit several campaign files and decide pass or fail.

A CI job gates a campaign file on it: a file fails when any recipient would
be suppressed (or, with ``fail_on`` including ``flag``, flagged), because the
list that is about to be sent was not cleaned. Results are plain data; the
renderers in :mod:`cxaudit.check.formats` turn them into text, JSON, JUnit XML,
GitHub annotations, SARIF or Markdown.

Each file is judged on its own: a campaign file that cannot be read (not
found, a bad header, malformed CSV, a bad sidecar) becomes an error result
for that file while every other file is still judged. A problem shared by
every file (the rules file, the command line, a source the rules read)
stops the whole check.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cxaudit.audit.decide import AuditResult
from cxaudit.audit.plan import AuditRequest, load_ruleset, parse_as_of
from cxaudit.check.changes import DEFAULT_CAMPAIGN_FILES, changed_campaigns
from cxaudit.engine import Engine
from cxaudit.engine.local import sources_and_matches
from cxaudit.errors import (
    EXIT_CEILING,
    EXIT_DEGRADED,
    EXIT_ERROR,
    EXIT_FAILED,
    EXIT_OK,
    CxauditError,
)
from cxaudit.inputs.parts import is_partitioned, list_parts
from cxaudit.reports.build import (
    apply_ceiling,
    apply_strict,
    build_report,
    recipient_labels,
)
from cxaudit.rules import RECIPIENTS
from cxaudit.rules.sidecar import read_sidecar
from cxaudit.run import run_audit

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
    """One campaign file's verdict. A file that could not be judged has
    ``error`` (the one-line message) and no result or report."""

    path: Path
    result: AuditResult | None
    report: dict[str, Any] | None
    violations: list[Violation]
    failed: bool
    exceeded: bool = False  # more suppressed than the --max-suppressed ceiling
    error: str | None = None
    degraded: bool = False  # --strict and the run had a warning

    @property
    def status(self) -> str:
        """pass, fail (someone would be suppressed, or flagged with
        --fail-on flag), ceiling (over --max-suppressed) or error."""
        if self.error is not None:
            return "error"
        if self.degraded:
            return "degraded"
        if self.exceeded:
            return "ceiling"
        return "fail" if self.failed else "pass"

    @property
    def exit_code(self) -> int:
        return {
            "error": EXIT_ERROR,
            "degraded": EXIT_DEGRADED,
            "ceiling": EXIT_CEILING,
            "fail": EXIT_FAILED,
            "pass": EXIT_OK,
        }[self.status]

    @classmethod
    def unreadable(cls, path: Path, error: CxauditError) -> CampaignCheck:
        return cls(path, None, None, [], failed=True, error=error.message)


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
        """The worst of the files': 2 (a file could not be read), then 4
        (--strict and a warning), then 3 (over the suppression ceiling), then
        1 (failed), then 0."""
        order = (EXIT_OK, EXIT_FAILED, EXIT_CEILING, EXIT_DEGRADED, EXIT_ERROR)
        return max((c.exit_code for c in self.checks), key=order.index, default=EXIT_OK)

    @property
    def errors(self) -> list[CampaignCheck]:
        return [c for c in self.checks if c.error is not None]


def check_campaign(
    request: AuditRequest,
    fail_on: tuple[str, ...],
    show_pii: bool,
    max_suppressed: float | None = None,
    engine: Engine | None = None,
    strict: bool = False,
) -> CampaignCheck:
    result = run_audit(request, engine=engine)
    result.unchanged()
    report = build_report(result, show_pii)
    limit = max_suppressed if max_suppressed is not None else result.rules.max_suppressed
    exceeded = apply_ceiling(report, limit)
    degraded = apply_strict(report, strict or result.rules.strict)
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
    failed = failed or degraded
    return CampaignCheck(
        request.campaign, result, report, violations, failed, exceeded, degraded=degraded
    )


def run_check(
    campaigns: list[Path],
    base: AuditRequest,
    fail_on: tuple[str, ...] = ("suppress",),
    show_pii: bool = False,
    max_suppressed: float | None = None,
    engine: Engine | None = None,
    strict: bool = False,
) -> CheckRun:
    """Judge every file. A :class:`CxauditError` about one campaign file is
    that file's error result; one about the rules file, the command line or
    a source is raised (exit 2, nothing judged)."""
    load_ruleset(base)  # the rules file and the command line's campaign facts
    if base.as_of is not None:
        parse_as_of(base.as_of)
    shared = _SharedInputs()
    checks = []
    for path in campaign_files(campaigns):
        if isinstance(path, CampaignCheck):
            checks.append(path)  # a glob that matches no campaign file
            continue
        request = replace(base, campaign=path)
        try:
            checks.append(
                check_campaign(request, fail_on, show_pii, max_suppressed, engine, strict)
            )
        except CxauditError as exc:
            shared.raise_if_broken(request)  # a source's problem is every file's
            checks.append(CampaignCheck.unreadable(path, exc))
    return CheckRun(base.rules, fail_on, checks)


def campaigns_changed_since(
    ref: str, base: AuditRequest, cwd: Path
) -> tuple[list[Path], tuple[str, ...]]:
    """The campaign files git says changed since ``ref`` (see
    :mod:`cxaudit.check.changes`), and the globs that said what a campaign file is
    (the rules file's ``campaign_files:``, else every CSV and Parquet file
    that is not one of its sources)."""
    from cxaudit.inputs.locations import Url

    rules = load_ruleset(base)
    patterns = rules.campaign_files or DEFAULT_CAMPAIGN_FILES
    sources = [c.path for c in rules.sources.values() if c.path is not None]
    local = [p for p in [base.rules, *sources] if not isinstance(p, Url)]
    return changed_campaigns(ref, cwd, patterns, local), patterns


def campaign_files(campaigns: list[Path]) -> list[Path | CampaignCheck]:
    """The files to judge: a glob quoted for cxaudit stands for what the
    shell would expand it to (every match but dot files, sorted; ``**``
    reaches into sub-folders), each judged on its own with its own sidecar;
    sidecars themselves are not campaigns. A folder stays one list of parts."""
    import glob

    from cxaudit.inputs.locations import Url

    out: list[Path | CampaignCheck] = []
    for path in campaigns:
        if not is_partitioned(path) or path.is_dir():
            out.append(path)
            continue
        try:
            if isinstance(path, Url):
                found: list[Path] = list_parts(path)
            else:
                matches = sorted(glob.glob(str(path), recursive=True))
                found = [Path(m) for m in matches if not m.endswith(".campaign.yaml")]
                if not found:
                    raise CxauditError(
                        f"{path}: matches no file; check the pattern (quote it so the shell "
                        "does not expand it)"
                    )
        except CxauditError as exc:
            out.append(CampaignCheck.unreadable(path, exc))
            continue
        out += found
    return out


class _SharedInputs:
    """Tells a campaign file's own problem from one of the inputs every file
    shares. An audit reports the campaign's problem first, so when a file
    fails, the sources its rules read are loaded without it: if they fail
    too, that is the error, and it stops the check."""

    def __init__(self) -> None:
        self.fine: set[str] = set()

    def raise_if_broken(self, request: AuditRequest) -> None:
        try:
            sidecar_file, sidecar = read_sidecar(request.campaign)
            rules = load_ruleset(request, sidecar, sidecar_file)
            as_of = parse_as_of(request.as_of or rules.campaign.send_at)
        except CxauditError:
            return  # the sidecar's problem: this file's
        applicable = [r for r in rules.rules if rules.applies(r)]
        needed = list(dict.fromkeys(r.source for r in applicable if r.source != RECIPIENTS))
        key = repr((needed, [r.id for r in applicable], as_of, rules.campaign.facts()))
        if key in self.fine:
            return
        sources_and_matches(rules, applicable, needed, as_of, silent)
        self.fine.add(key)


def silent(_message: str, rows: int = 0) -> None:
    pass
