"""``github``: GitHub Actions annotations (workflow commands), chosen and
ordered so that the ten GitHub shows per level are the most important."""

from __future__ import annotations

from dataclasses import dataclass

from cxaudit.check.formats.common import (
    RuleFinding,
    _closing,
    _plural,
    error_location,
    error_text,
    findings,
    warnings_of,
)
from cxaudit.check.run import CampaignCheck, CheckRun
from cxaudit.escaping import github_message, github_property, terminal
from cxaudit.reports.build import SPECIAL_MEANING, ceiling_message

# GitHub shows at most 10 error and 10 warning annotations of a step (and 50
# of a job); the rest are dropped without a word. cxaudit chooses which ten.
MAX_ANNOTATIONS = 10
ROWS_PER_ANNOTATION = 5


@dataclass(frozen=True)
class Annotation:
    """One GitHub workflow command (``::error file=…,line=…,title=…::…``).
    ``summary`` is the short form the job summary lists when it is left out."""

    level: str  # error | warning | notice
    file: str | None
    line: int | None
    title: str
    message: str
    summary: str

    def command(self) -> str:
        props = []
        if self.file is not None:
            props.append(f"file={github_property(self.file)}")
        if self.line is not None:
            props.append(f"line={self.line}")
        props.append(f"title={github_property(self.title)}")
        return f"::{self.level} {','.join(props)}::{github_message(self.message)}"


def _rule_where(run: CheckRun, finding: RuleFinding) -> str:
    line = finding.rows[0].rule_line
    if finding.rule_id.startswith("cxaudit:"):
        return SPECIAL_MEANING.get(finding.rule_id, "built in")
    return f"{run.rules_path}:{line}" if line else str(run.rules_path)


def _title(rule_id: str) -> str:
    return rule_id if rule_id.startswith("cxaudit:") else f"cxaudit {rule_id}"


def annotations(run: CheckRun) -> list[Annotation]:
    """Every annotation of the run, most important first: files that could
    not be read, files over the ceiling, then one per (file, rule) on the
    first reported row's line with the count and the first rows, then one
    per rule on its own line in the rules file."""
    t = terminal  # data inside a message stays on its line
    out: list[Annotation] = []
    for check in run.errors:
        file, line = error_location(check)
        out.append(
            Annotation(
                "error",
                file,
                line,
                "cxaudit: cannot check this file",
                t(error_text(check)),
                f"{check.path}: cannot be read",
            )
        )
    for check in run.checks:
        if check.exceeded and check.report is not None:
            out.append(
                Annotation(
                    "error",
                    str(check.path),
                    None,
                    "cxaudit: over the suppression ceiling",
                    ceiling_message(check.report),
                    f"{check.path}: over the suppression ceiling",
                )
            )
    by_rule: dict[str, list[tuple[CampaignCheck, RuleFinding]]] = {}
    for check in run.checks:
        for f in findings(check):
            level = "error" if f.kind in run.fail_on else "warning"
            n = len(f.rows)
            first = f.rows[:ROWS_PER_ANNOTATION]
            lines = [
                f"{f.rule_id} ({_rule_where(run, f)}): {_plural(n, 'recipient')} {f.verb}, "
                f"first on line{'s' if len(first) > 1 else ''} "
                + ", ".join(str(v.line) for v in first)
            ]
            lines += [f"line {v.line}: {t(v.recipient)}: {t(v.reason)}" for v in first]
            if n > len(first):
                lines.append(f"… and {n - len(first):,} more (the job summary lists them)")
            title = f"{_title(f.rule_id)}: {n:,} {f.verb}"
            out.append(
                Annotation(
                    level,
                    str(check.path),
                    first[0].line,
                    title,
                    "\n".join(lines),
                    f"{check.path}:{first[0].line}: {f.rule_id}: {n:,} {f.verb}",
                )
            )
            if not f.rule_id.startswith("cxaudit:") and f.rows[0].rule_line:
                by_rule.setdefault(f.rule_id, []).append((check, f))
    for check in run.checks:
        for warning in warnings_of(check):
            out.append(
                Annotation(
                    "warning",
                    str(check.path),
                    None,
                    "cxaudit: warning",
                    t(warning),
                    f"{check.path}: warning: {warning}",
                )
            )
    for rule_id, found in by_rule.items():
        f = found[0][1]
        total = sum(len(x.rows) for _, x in found)
        level = "error" if f.kind in run.fail_on else "warning"
        where = ", ".join(f"{len(x.rows):,} in {c.path}" for c, x in found)
        out.append(
            Annotation(
                level,
                str(run.rules_path),
                f.rows[0].rule_line,
                f"{_title(rule_id)}: {total:,} {f.verb}",
                f"rule {rule_id}: {_plural(total, 'recipient')} {f.verb} ({where})",
                f"{run.rules_path}:{f.rows[0].rule_line}: {rule_id}: {total:,} {f.verb}",
            )
        )
    return out


def plan_annotations(run: CheckRun) -> tuple[list[Annotation], list[Annotation]]:
    """The annotations shown (at most :data:`MAX_ANNOTATIONS` of each level,
    most important first) and those left out."""
    shown: list[Annotation] = []
    omitted: list[Annotation] = []
    used: dict[str, int] = {}
    for a in annotations(run):
        if used.get(a.level, 0) < MAX_ANNOTATIONS:
            used[a.level] = used.get(a.level, 0) + 1
            shown.append(a)
        else:
            omitted.append(a)
    return shown, omitted


class GithubRenderer:
    """GitHub Actions workflow commands: one annotation per (file, rule) on
    the campaign file, one per rule on its line in the rules file, at most
    ten errors and ten warnings; one notice says what was left out."""

    def render(self, run: CheckRun) -> str:
        shown, omitted = plan_annotations(run)
        out = [a.command() for a in shown]
        if omitted:
            listed = "; ".join(a.summary for a in omitted[:20])
            more = f"; and {len(omitted) - 20:,} more" if len(omitted) > 20 else ""
            out.append(
                Annotation(
                    "notice",
                    None,
                    None,
                    f"cxaudit: {_plural(len(omitted), 'more finding')} not annotated",
                    f"GitHub shows {MAX_ANNOTATIONS} errors and {MAX_ANNOTATIONS} warnings per "
                    f"step; not annotated: {terminal(listed)}{more}. The job summary lists "
                    "every finding.",
                    "",
                ).command()
            )
        out.append(_closing(run))
        return "\n".join(out) + "\n"


# --------------------------------------------------------------------------
# Markdown
