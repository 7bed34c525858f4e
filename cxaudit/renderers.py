"""Output formats of ``cxaudit check``: one small renderer per format.

Each renderer has one method, ``render(run) -> str``; the CLI picks them by
name from :data:`RENDERERS` (several per run: ``--format github --format
junit=junit.xml``). All of them render the same :class:`CheckRun`, and
``json`` is exactly :func:`check_dict`, the library's result as data.

A file that could not be read is an error in every format: a JUnit
``<error>``, an ``::error`` annotation on that file, a SARIF result, an entry
in JSON and Markdown, a line in text.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from cxaudit import __version__
from cxaudit.check import CampaignCheck, CheckRun, Violation
from cxaudit.escaping import github_message, github_property, markdown, terminal, xml_text
from cxaudit.outcome import DUPLICATE, UNVERIFIABLE
from cxaudit.report import SPECIAL_MEANING, ceiling_message

MAX_ROWS_SHOWN = 50
# GitHub shows at most 10 error and 10 warning annotations of a step (and 50
# of a job); the rest are dropped without a word. cxaudit chooses which ten.
MAX_ANNOTATIONS = 10
ROWS_PER_ANNOTATION = 5
# GitHub code scanning keeps the first 5,000 results of a SARIF run.
MAX_SARIF_RESULTS = 5000
UNREADABLE = "cxaudit:unreadable"
CEILING = "cxaudit:max-suppressed"


class Renderer(Protocol):
    def render(self, run: CheckRun) -> str: ...


def _outcome(check: CampaignCheck) -> str:
    return {"error": "ERROR", "pass": "pass"}.get(check.status, "FAIL")


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


def _closing(run: CheckRun) -> str:
    """The last line of the text and github formats."""
    failed = sum(c.failed and c.error is None for c in run.checks)
    errors = len(run.errors)
    return f"cxaudit check: {len(run.checks)} campaign file(s), {failed} failed" + (
        f", {errors} could not be read" if errors else ""
    )


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
        out.append(f"{_closing(run)} (failing on: {', '.join(run.fail_on)})")
        return "\n".join(out) + "\n"


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


class JunitRenderer:
    """One test suite per campaign file, one test case per (file, rule); an
    unreadable file is a suite with one ``<error>``."""

    def render(self, run: CheckRun) -> str:
        suites = ET.Element("testsuites", name="cxaudit check")
        totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for check in run.checks:
            path = xml_text(str(check.path))
            suite = ET.SubElement(suites, "testsuite", name=path)
            counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
            if check.error is not None:
                counts["tests"] += 1
                counts["errors"] += 1
                case = ET.SubElement(
                    suite, "testcase", classname=path, name="read campaign file", file=path
                )
                error = ET.SubElement(
                    case, "error", message=xml_text(error_text(check)), type="unreadable"
                )
                error.text = xml_text(check.error)
            else:
                self._judged(run, check, suite, path, counts)
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

    def _judged(
        self, run: CheckRun, check: CampaignCheck, suite: ET.Element, path: str, counts: dict
    ) -> None:
        assert check.result is not None and check.report is not None
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
        if "ceiling" in check.report:
            counts["tests"] += 1
            case = ET.SubElement(suite, "testcase", classname=path, name=CEILING, file=path)
            if check.exceeded:
                counts["failures"] += 1
                ET.SubElement(
                    case, "failure", message=xml_text(ceiling_message(check.report)), type="ceiling"
                )


# --------------------------------------------------------------------------
# GitHub annotations


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


def _md(text: object, blank: str = "") -> str:
    """A Markdown cell; ``blank`` stands in for empty text."""
    if text == "" and blank:
        return blank
    return markdown(str(text))


class MarkdownRenderer:
    """A summary fit for a pull-request comment or a job summary."""

    def render(self, run: CheckRun) -> str:
        failed = sum(c.failed and c.error is None for c in run.checks)
        errors = len(run.errors)
        n = len(run.checks)
        if errors:
            head = f"**ERROR**: {errors} of {n} campaign file(s) could not be read" + (
                f"; {failed} would reach people the rules hold back" if failed else ""
            )
        elif failed:
            head = (
                f"**FAIL**: {failed} of {n} campaign file(s) would reach people the rules hold back"
            )
        else:
            head = f"**pass**: {n} campaign file(s) checked, nobody to hold back"
        out = [
            "## cxaudit check",
            "",
            head,
            "",
            "| campaign | type | channel | offer | recipients | suppressed | flagged | result |",
            "| --- | --- | --- | --- | ---: | ---: | ---: | --- |",
        ]
        for c in run.checks:
            if c.report is None:
                out.append(f"| {_md(c.path)} | - | - | - | - | - | - | {_outcome(c)} |")
                continue
            r, camp = c.report, c.report["campaign"]
            attrs = " | ".join(_md(camp[k] or "", "-") for k in ("type", "channel", "offer"))
            out.append(
                f"| {_md(c.path)} | {attrs} | {r['input_rows']} | {r['suppressed']} "
                f"| {r['flagged']} | {_outcome(c)} |"
            )
        for c in run.checks:
            if c.error is not None:
                out += ["", f"### {_md(c.path)}", "", f"Cannot be read: {_md(error_text(c))}"]
                continue
            rows = [(rid, act, f) for rid, act, f in _rule_rows(c) if f and act != "allow"]
            if not rows:
                continue
            assert c.result is not None
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


def omitted_markdown(omitted: list[Annotation]) -> str:
    """The job summary's list of the findings GitHub was not given as
    annotations (empty when every one was)."""
    if not omitted:
        return ""
    out = [
        "",
        "### Not annotated",
        "",
        f"GitHub shows at most {MAX_ANNOTATIONS} error and {MAX_ANNOTATIONS} warning "
        f"annotations per step; these {len(omitted):,} were left out:",
        "",
        "| level | finding |",
        "| --- | --- |",
    ]
    out += [f"| {a.level} | {_md(a.summary)} |" for a in omitted]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------
# SARIF

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


def _uri(path: str) -> str:
    """A SARIF artifact URI: a relative path as it is (GitHub matches it to
    the repository), an absolute one as ``file://``."""
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
        if left_out:
            invocation["toolExecutionNotifications"] = [
                {
                    "level": "warning",
                    "message": {
                        "text": f"{left_out:,} more results were left out: GitHub code "
                        f"scanning keeps the first {MAX_SARIF_RESULTS:,} of a run"
                    },
                }
            ]
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


RENDERERS: dict[str, Renderer] = {
    "text": TextRenderer(),
    "json": JsonRenderer(),
    "junit": JunitRenderer(),
    "github": GithubRenderer(),
    "markdown": MarkdownRenderer(),
    "sarif": SarifRenderer(),
}
