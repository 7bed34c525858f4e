"""Output formats of ``cxaudit check``: one small renderer per format.

Each renderer has one method, ``render(run) -> str``; the CLI picks one by
name from :data:`RENDERERS`. All of them render the same :class:`CheckRun`,
and ``json`` is exactly :func:`check_dict`, the library's result as data.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any, Protocol

from cxaudit.check import CampaignCheck, CheckRun, Violation
from cxaudit.escaping import github_message, github_property, markdown, terminal, xml_text
from cxaudit.outcome import DUPLICATE, UNVERIFIABLE

MAX_ROWS_SHOWN = 50


class Renderer(Protocol):
    def render(self, run: CheckRun) -> str: ...


def _outcome(check: CampaignCheck) -> str:
    return "FAIL" if check.failed else "pass"


def _summary(check: CampaignCheck) -> str:
    """One line about a file; the caller escapes it for its format."""
    r = check.report
    camp = r["campaign"]
    return (
        f"{r['input_rows']} recipients, {r['suppressed']} would be suppressed, "
        f"{r['flagged']} flagged (type {camp['type'] or '-'}, channel {camp['channel'] or '-'}, "
        f"offer {camp['offer'] or '-'})"
    )


def check_dict(run: CheckRun) -> dict[str, Any]:
    """The check's result as plain data (what ``--format json`` prints)."""
    return {
        "failed": run.failed,
        "fail_on": list(run.fail_on),
        "rules_file": str(run.rules_path),
        "campaigns": [
            {
                "path": str(c.path),
                "failed": c.failed,
                "report": c.report,
                "violations": [
                    {
                        "row": v.row,
                        "line": v.line,
                        "recipient": v.recipient,
                        "rule": v.rule_id,
                        "effect": v.effect,
                        "reason": v.reason,
                    }
                    for v in c.violations
                ],
            }
            for c in run.checks
        ],
    }


class JsonRenderer:
    def render(self, run: CheckRun) -> str:
        return json.dumps(check_dict(run), indent=2, ensure_ascii=False) + "\n"


class TextRenderer:
    def render(self, run: CheckRun) -> str:
        out = []
        for check in run.checks:
            t = terminal
            out.append(f"{t(str(check.path))}: {_outcome(check)}: {t(_summary(check))}")
            for v in check.violations[:MAX_ROWS_SHOWN]:
                out.append(f"  row {v.row}  {t(v.recipient)}  {t(v.rule_id)}  {t(v.reason)}")
            if len(check.violations) > MAX_ROWS_SHOWN:
                out.append(f"  … and {len(check.violations) - MAX_ROWS_SHOWN} more")
        failed = sum(c.failed for c in run.checks)
        out.append(
            f"cxaudit check: {len(run.checks)} campaign file(s), {failed} failed "
            f"(failing on: {', '.join(run.fail_on)})"
        )
        return "\n".join(out) + "\n"


def _rule_rows(check: CampaignCheck) -> list[tuple[str, str, list[Violation]]]:
    """(rule id, action, violations) for every evaluated rule, in file order."""
    by_rule: dict[str, list[Violation]] = {}
    for v in check.violations:
        by_rule.setdefault(v.rule_id, []).append(v)
    rows = [(r.id, r.action, by_rule.get(r.id, [])) for r in check.result.applicable]
    rows += [(s, "suppress", by_rule.get(s, [])) for s in (UNVERIFIABLE, DUPLICATE)]
    return rows


class JunitRenderer:
    """One test suite per campaign file, one test case per (file, rule)."""

    def render(self, run: CheckRun) -> str:
        suites = ET.Element("testsuites", name="cxaudit check")
        totals = {"tests": 0, "failures": 0, "skipped": 0}
        for check in run.checks:
            path = xml_text(str(check.path))
            suite = ET.SubElement(suites, "testsuite", name=path)
            counts = {"tests": 0, "failures": 0, "skipped": 0}
            for rule_id, action, found in _rule_rows(check):
                counts["tests"] += 1
                case = ET.SubElement(
                    suite, "testcase", classname=path, name=xml_text(rule_id), file=path
                )
                kind = "flag" if action == "flag" else "suppress"
                rows = [v for v in found if v.effect != "allow"]
                if action == "allow" or not rows:
                    continue
                listing = "\n".join(
                    f"row {v.row}: {v.recipient}: {v.reason}" for v in rows[:MAX_ROWS_SHOWN]
                )
                if len(rows) > MAX_ROWS_SHOWN:
                    listing += f"\n… and {len(rows) - MAX_ROWS_SHOWN} more"
                verb = "would be suppressed" if kind == "suppress" else "flagged"
                if kind in run.fail_on:
                    counts["failures"] += 1
                    failure = ET.SubElement(
                        case, "failure", message=f"{len(rows)} recipient(s) {verb}", type=kind
                    )
                    failure.text = xml_text(listing)
                else:
                    ET.SubElement(case, "system-out").text = xml_text(listing)
            for rule in check.result.skipped:
                counts["tests"] += 1
                counts["skipped"] += 1
                case = ET.SubElement(
                    suite, "testcase", classname=path, name=xml_text(rule.id), file=path
                )
                why = check.result.rules.skip_reason(rule) or ""
                ET.SubElement(case, "skipped", message=xml_text(why))
            for key, value in counts.items():
                suite.set(key, str(value))
                totals[key] += value
        for key, value in totals.items():
            suites.set(key, str(value))
        ET.indent(suites)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(suites, encoding="unicode")
            + "\n"
        )


class GithubRenderer:
    """GitHub Actions workflow commands: an annotation on the campaign file's
    line for every reported row, and one on the rule's line in rules.yaml."""

    def render(self, run: CheckRun) -> str:
        out = []
        for check in run.checks:
            for rule_id, action, found in _rule_rows(check):
                rows = [v for v in found if v.effect != "allow"]
                if action == "allow" or not rows:
                    continue
                kind = "flag" if action == "flag" else "suppress"
                level = "error" if kind in run.fail_on else "warning"
                verb = "would be suppressed" if kind == "suppress" else "flagged"
                title = github_property(f"cxaudit {rule_id}")
                for v in rows:
                    out.append(
                        f"::{level} file={github_property(str(check.path))},line={v.line},"
                        f"title={title}::{github_message(f'{v.recipient} {verb}: {v.reason}')}"
                    )
                line = rows[0].rule_line
                if line and not rule_id.startswith("cxaudit:"):
                    out.append(
                        f"::{level} file={github_property(str(run.rules_path))},line={line},"
                        f"title={title}::"
                        + github_message(
                            f"rule {rule_id}: {len(rows)} recipient(s) {verb} in {check.path}"
                        )
                    )
        failed = sum(c.failed for c in run.checks)
        out.append(f"cxaudit check: {len(run.checks)} campaign file(s), {failed} failed")
        return "\n".join(out) + "\n"


def _md(text: object, blank: str = "") -> str:
    """A Markdown cell; ``blank`` stands in for empty text."""
    if text == "" and blank:
        return blank
    return markdown(str(text))


class MarkdownRenderer:
    """A summary fit for a pull-request comment or a job summary."""

    def render(self, run: CheckRun) -> str:
        failed = sum(c.failed for c in run.checks)
        head = (
            f"**FAIL**: {failed} of {len(run.checks)} campaign file(s) would reach people "
            "the rules hold back"
            if failed
            else f"**pass**: {len(run.checks)} campaign file(s) checked, nobody to hold back"
        )
        out = [
            "## cxaudit check",
            "",
            head,
            "",
            "| campaign | type | channel | offer | recipients | suppressed | flagged | result |",
            "| --- | --- | --- | --- | ---: | ---: | ---: | --- |",
        ]
        for c in run.checks:
            r, camp = c.report, c.report["campaign"]
            attrs = " | ".join(_md(camp[k] or "", "-") for k in ("type", "channel", "offer"))
            out.append(
                f"| {_md(c.path)} | {attrs} | {r['input_rows']} | {r['suppressed']} "
                f"| {r['flagged']} | {_outcome(c)} |"
            )
        for c in run.checks:
            rows = [(rid, act, f) for rid, act, f in _rule_rows(c) if f and act != "allow"]
            if not rows:
                continue
            out += [
                "",
                f"### {_md(c.path)}",
                "",
                "| rule | what it is for | action | rows |",
                "| --- | --- | --- | ---: |",
            ]
            about = {r.id: r.description or "" for r in c.result.applicable}
            out += [
                f"| {_md(rid)} | {_md(about.get(rid, ''), '-')} | {act} | {len(f):,} |"
                for rid, act, f in rows
            ]
            shown = [v for v in c.violations if v.effect != "allow"]
            out += [
                "",
                f"<details><summary>{len(shown)} row(s)</summary>",
                "",
                "| row | recipient | rule | reason |",
                "| ---: | --- | --- | --- |",
            ]
            out += [
                f"| {v.row} | {_md(v.recipient)} | {_md(v.rule_id)} | {_md(v.reason)} |"
                for v in shown[:MAX_ROWS_SHOWN]
            ]
            if len(shown) > MAX_ROWS_SHOWN:
                out.append(f"| | | | … and {len(shown) - MAX_ROWS_SHOWN} more |")
            out += ["", "</details>"]
        return "\n".join(out) + "\n"


RENDERERS: dict[str, Renderer] = {
    "text": TextRenderer(),
    "json": JsonRenderer(),
    "junit": JunitRenderer(),
    "github": GithubRenderer(),
    "markdown": MarkdownRenderer(),
}
