"""``cxaudit test``: test cases for rules, kept beside the rules (like ``opa test``).

A test case gives a few recipients, a few source rows (by field name, as the
rules see them) and the expected outcome per recipient. Each case is run
through the real audit on small CSV files written to a temporary folder, so
what passes here is what the audit does.

Cases live in the rules file's ``tests:`` section or in ``NAME.test.yaml``
beside ``NAME.yaml``.
"""

from __future__ import annotations

import csv
import json
import re
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxaudit.audit.decide import DUPLICATE, UNVERIFIABLE
from cxaudit.audit.health import list_fields
from cxaudit.audit.plan import AuditRequest
from cxaudit.errors import CxauditError
from cxaudit.escaping import xml_text
from cxaudit.inputs.files import check_regular
from cxaudit.rules import CAMPAIGN_FIELDS, RuleSet, load_rules
from cxaudit.rules.yamlsafe import LineMap, check_size, load_yaml
from cxaudit.run import run_audit

OUTCOMES = ("kept", "suppressed", "flagged", "allowed")
CASE_KEYS = ("name", "campaign", "as_of", "recipients", "sources", "expect")


@dataclass
class Expectation:
    recipient: str
    outcome: str  # kept | suppressed | flagged | allowed
    rules: list[str] | None  # exact rule ids, or None for "any"
    line: int | None

    def describe(self) -> str:
        if self.outcome == "kept":
            return "kept (not flagged)"
        if self.rules is None:
            return self.outcome
        return f"{self.outcome} by {', '.join(self.rules) or 'no rule'}"


@dataclass
class TestCase:
    name: str
    file: Path
    line: int | None
    as_of: str
    campaign: dict[str, str | None]
    recipients: list[dict[str, str]]
    sources: dict[str, list[dict[str, str]]]
    expect: list[Expectation]


@dataclass
class TestResult:
    case: TestCase
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class TestRun:
    rules_path: Path
    results: list[TestResult]
    untested_rules: list[str]

    @property
    def failed(self) -> int:
        return sum(not r.passed for r in self.results)


def test_file_for(rules_path: Path) -> Path:
    return rules_path.with_name(f"{rules_path.stem}.test.yaml")


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise CxauditError(f"{where}: values must be text or numbers, not {type(value).__name__}")


def _parse_cases(
    raw: Any, file: Path, lines: LineMap, prefix: tuple[Any, ...], rules: RuleSet
) -> list[TestCase]:
    def at(*path: Any) -> str:
        line = lines.line((*prefix, *path))
        return f"{file}:{line}" if line else str(file)

    if not isinstance(raw, list):
        raise CxauditError(f"{at()}: tests must be a list of test cases")
    cases = []
    known_sources = set(rules.sources)
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise CxauditError(f"{at(i)}: a test case is a mapping with name, recipients, expect")
        for key in item:
            if key not in CASE_KEYS:
                raise CxauditError(
                    f"{at(i, key)}: unknown key {key!r} in a test case; keys are "
                    f"{', '.join(CASE_KEYS)}"
                )
        for key in ("name", "as_of", "recipients", "expect"):
            if key not in item:
                raise CxauditError(f"{at(i)}: test case needs {key!r}")
        name = _text(item["name"], at(i, "name"))
        campaign = item.get("campaign") or {}
        if not isinstance(campaign, dict) or set(campaign) - set(CAMPAIGN_FIELDS):
            raise CxauditError(f"{at(i, 'campaign')}: campaign takes type, channel, offer")
        recipients = item["recipients"]
        if not isinstance(recipients, list) or not all(isinstance(r, dict) for r in recipients):
            raise CxauditError(f"{at(i, 'recipients')}: recipients is a list of column: value rows")
        sources = item.get("sources") or {}
        if not isinstance(sources, dict):
            raise CxauditError(f"{at(i, 'sources')}: sources maps a source name to its rows")
        parsed_sources: dict[str, list[dict[str, str]]] = {}
        for sname, rows in sources.items():
            if sname not in known_sources:
                raise CxauditError(
                    f"{at(i, 'sources', sname)}: unknown source {sname!r}; the rules file has "
                    f"{', '.join(sorted(known_sources))}"
                )
            config = rules.sources[sname]
            fields = [*(config.keys or {}), *config.columns]
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise CxauditError(f"{at(i, 'sources', sname)}: a list of field: value rows")
            for j, row in enumerate(rows):
                for f in row:
                    if f not in fields:
                        raise CxauditError(
                            f"{at(i, 'sources', sname, j, f)}: {sname} has no field {f!r}; "
                            f"fields are {', '.join(fields)}"
                        )
            parsed_sources[sname] = [
                {k: _text(v, at(i, "sources", sname, j)) for k, v in row.items()}
                for j, row in enumerate(rows)
            ]
        expect = item["expect"]
        if not isinstance(expect, dict) or not expect:
            raise CxauditError(
                f"{at(i, 'expect')}: expect maps a recipient (email or id) to kept, "
                "suppressed, flagged, allowed or e.g. {suppressed: [rule ids]}"
            )
        expectations = [
            _expectation(
                str(who), what, at(i, "expect", who), lines.line((*prefix, i, "expect", who))
            )
            for who, what in expect.items()
        ]
        cases.append(
            TestCase(
                name=name,
                file=file,
                line=lines.line((*prefix, i)),
                as_of=_text(item["as_of"], at(i, "as_of")),
                campaign={k: (None if v is None else str(v)) for k, v in campaign.items()},
                recipients=[
                    {k: _text(v, at(i, "recipients", j)) for k, v in r.items()}
                    for j, r in enumerate(recipients)
                ],
                sources=parsed_sources,
                expect=expectations,
            )
        )
    return cases


def _expectation(who: str, what: Any, where: str, line: int | None) -> Expectation:
    if isinstance(what, str) and what in OUTCOMES:
        return Expectation(who, what, None, line)
    if isinstance(what, dict) and len(what) == 1:
        ((outcome, rules),) = what.items()
        if outcome in ("suppressed", "flagged", "allowed") and isinstance(rules, list):
            return Expectation(who, outcome, [str(r) for r in rules], line)
    raise CxauditError(
        f"{where}: expected kept, suppressed, flagged, allowed, or a mapping like "
        f"{{suppressed: [rule ids]}} ({{flagged: [...]}}, {{allowed: [...]}}), not {what!r}"
    )


def load_tests(rules_path: Path) -> tuple[RuleSet, list[TestCase]]:
    rules = load_rules(rules_path)
    cases: list[TestCase] = []
    data, _ = load_yaml(rules_path.read_text(encoding="utf-8-sig"), rules_path)
    if isinstance(data, dict) and "tests" in data:
        cases += _parse_cases(data["tests"], rules_path, rules.lines, ("tests",), rules)
    side = test_file_for(rules_path)
    if side.exists():
        check_regular(side)  # a folder or a FIFO in its place is named, not skipped or waited on
        check_size(side)
        try:
            side_text = side.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CxauditError(
                f"{side}: byte offset {exc.start} is not UTF-8; save the tests file as UTF-8"
            ) from None
        except OSError as exc:
            raise CxauditError(f"{side}: cannot be read ({exc.strerror})") from None
        side_data, side_lines = load_yaml(side_text, side)
        if not isinstance(side_data, dict) or set(side_data) != {"tests"}:
            raise CxauditError(f"{side}: must be a mapping with one key, `tests:`")
        cases += _parse_cases(side_data["tests"], side, side_lines, ("tests",), rules)
    if not cases:
        raise CxauditError(
            f"{rules_path}: no rule tests found; add a `tests:` section or {side.name}"
        )
    return rules, cases


def _write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows([[row.get(h, "") for h in header] for row in rows])


def run_case(rules_path: Path, rules: RuleSet, case: TestCase) -> TestResult:
    with tempfile.TemporaryDirectory(prefix="cxaudit-test-") as tmp:
        folder = Path(tmp)
        # a recipient row may name a list field (accepts_sms_marketing) or its
        # column ("Accepts SMS Marketing"); a field the rules compare and the
        # row leaves out is a blank cell, as in an export that has the column
        listed = {**(rules.recipients.keys or {}), **rules.recipients.columns}
        recipients = [{listed.get(k, k): v for k, v in r.items()} for r in case.recipients]
        compared = [listed[f] for f in sorted(list_fields(rules.rules)) if f in listed]
        header = list(
            dict.fromkeys(
                [
                    *(rules.recipients.keys or {}).values(),
                    *compared,
                    *(k for r in recipients for k in r),
                ]
            )
        )
        campaign = folder / "campaign.csv"
        _write_csv(campaign, header, recipients)
        paths = {}
        for name, config in rules.sources.items():
            mapping = {**(config.keys or {}), **config.columns}
            rows = [{mapping[f]: v for f, v in row.items()} for row in case.sources.get(name, [])]
            paths[name] = folder / f"{name}.csv"
            _write_csv(paths[name], list(dict.fromkeys(mapping.values())), rows)
        request = AuditRequest(
            campaign=campaign,
            rules=rules_path,
            sources=paths,
            as_of=case.as_of,
            campaign_type=case.campaign.get("type"),
            channel=case.campaign.get("channel"),
            offer=case.campaign.get("offer"),
        )
        try:
            result = run_audit(request)
        except CxauditError as exc:
            raise _at_the_test(exc, folder, case) from None
    return TestResult(case, _compare(result, case))


_ROW_ERROR = re.compile(r"^(?P<path>.+?): row (?P<row>\d+), (?P<rest>.*)$", re.DOTALL)


def _at_the_test(exc: CxauditError, folder: Path, case: TestCase) -> CxauditError:
    """An error about the temporary files a test's rows were written to,
    pointed at the test instead (its file, line and the row in its list)."""
    where = f"{case.file}:{case.line}" if case.line else str(case.file)
    found = _ROW_ERROR.match(exc.message)
    if found and Path(found["path"]).parent == folder:
        name = Path(found["path"]).stem
        table = "recipients" if name == "campaign" else f"sources.{name}"
        index = int(found["row"]) - 2
        return CxauditError(f"{where}: test {case.name!r}, {table}[{index}]: {found['rest']}")
    message = exc.message.replace(str(folder) + "/", "")
    return CxauditError(f"{where}: test {case.name!r}: {message}")


def _compare(result: Any, case: TestCase) -> list[str]:
    out = result.outcome
    effects = out.effects
    failures = []
    for exp in case.expect:
        rows = [i for i, r in enumerate(case.recipients) if exp.recipient in r.values()]
        if not rows:
            failures.append(f"{exp.recipient}: not among this test's recipients")
            continue
        row = rows[0]
        mine = effects[effects["row"] == row]
        ids = {
            kind: mine.loc[mine["effect"].isin(effects_of), "rule_id"].tolist()
            for kind, effects_of in (
                ("suppressed", ["suppress", "unverifiable", "duplicate"]),
                ("flagged", ["flag"]),
                ("allowed", ["allow"]),
            )
        }
        suppressed, flagged = bool(out.suppressed[row]), bool(out.flagged[row])
        ok = {
            "kept": not suppressed and not flagged,
            "suppressed": suppressed,
            "flagged": flagged and not suppressed,
            "allowed": not suppressed and bool(ids["allowed"]),
        }[exp.outcome]
        if ok and exp.rules is not None:
            ok = exp.rules == ids[exp.outcome]
        if not ok:
            got = "suppressed" if suppressed else ("kept, flagged" if flagged else "kept")
            parts = [f"{k} by {', '.join(v)}" for k, v in ids.items() if v]
            reasons = mine.loc[mine["effect"] != "allow", "reason"].tolist()
            detail = f" ({'; '.join(reasons)})" if reasons else ""
            failures.append(
                f"{exp.recipient}: expected {exp.describe()}, got {got}"
                + (f": {'; '.join(parts)}" if parts else "")
                + detail
            )
    return failures


def run_tests(rules_path: Path) -> TestRun:
    rules, cases = load_tests(rules_path)
    results = [run_case(rules_path, rules, case) for case in cases]
    mentioned = {r for case in cases for e in case.expect for r in (e.rules or [])}
    untested = [
        r.id for r in rules.rules if r.id not in mentioned and r.id not in (UNVERIFIABLE, DUPLICATE)
    ]
    return TestRun(rules_path, results, untested)


def to_text(run: TestRun) -> str:
    lines = []
    for res in run.results:
        where = f"{res.case.file}:{res.case.line}" if res.case.line else str(res.case.file)
        lines.append(f"{'PASS' if res.passed else 'FAIL'}  {res.case.name}  ({where})")
        lines += [f"      {f}" for f in res.failures]
    if run.untested_rules:
        lines.append(
            "note: no test names these rules in an expectation: " + ", ".join(run.untested_rules)
        )
    passed = len(run.results) - run.failed
    lines.append(f"rule tests: {passed} passed, {run.failed} failed")
    return "\n".join(lines) + "\n"


def _case_dict(res: TestResult) -> dict[str, Any]:
    return {
        "name": res.case.name,
        "file": str(res.case.file),
        "line": res.case.line,
        "passed": res.passed,
        "failures": res.failures,
    }


def to_dict(run: TestRun) -> dict[str, Any]:
    """The run as data (``cxaudit test --format json``)."""
    return {
        "rules_file": str(run.rules_path),
        "passed": len(run.results) - run.failed,
        "failed": run.failed,
        "untested_rules": run.untested_rules,
        "cases": [_case_dict(r) for r in run.results],
        "problems": [],
    }


def error_dict(rules_path: Path, error: CxauditError) -> dict[str, Any]:
    """Tests that cannot be read, as data: no case ran, ``problems`` says why."""
    files = (str(rules_path), str(test_file_for(rules_path)))
    return {
        "rules_file": str(rules_path),
        "passed": 0,
        "failed": 0,
        "untested_rules": [],
        "cases": [],
        "problems": [p.as_dict() for p in error.problems(files)],
    }


def to_json(run: TestRun) -> str:
    return json.dumps(to_dict(run), indent=2, ensure_ascii=False) + "\n"


def error_json(rules_path: Path, error: CxauditError) -> str:
    return json.dumps(error_dict(rules_path, error), indent=2, ensure_ascii=False) + "\n"


def _xml(suites: ET.Element) -> str:
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def to_junit(run: TestRun) -> str:
    """JUnit XML (``cxaudit test --format junit``): a test suite per file the
    cases come from, a test case per rule test with its file and line."""
    suites = ET.Element("testsuites", name="cxaudit test")
    by_file: dict[str, list[TestResult]] = {}
    for res in run.results:
        by_file.setdefault(str(res.case.file), []).append(res)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for file, results in by_file.items():
        failures = sum(not r.passed for r in results)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=xml_text(file),
            tests=str(len(results)),
            failures=str(failures),
            errors="0",
        )
        for res in results:
            attrs = {"classname": xml_text(file), "name": xml_text(res.case.name)}
            attrs["file"] = xml_text(file)
            if res.case.line:
                attrs["line"] = str(res.case.line)
            case = ET.SubElement(suite, "testcase", attrs)
            if res.failures:
                failure = ET.SubElement(
                    case, "failure", message=xml_text(res.failures[0]), type="expectation"
                )
                failure.text = xml_text("\n".join(res.failures))
        totals["tests"] += len(results)
        totals["failures"] += failures
    if run.untested_rules and len(suites):
        note = "no test names these rules in an expectation: " + ", ".join(run.untested_rules)
        ET.SubElement(suites[0], "system-out").text = xml_text(note)
    for key, value in totals.items():
        suites.set(key, str(value))
    return _xml(suites)


def error_junit(rules_path: Path, error: CxauditError) -> str:
    """Tests that cannot be read, as JUnit: one test case in error, so a CI
    test report shows why nothing ran."""
    suites = ET.Element("testsuites", name="cxaudit test", tests="1", failures="0", errors="1")
    name = xml_text(str(rules_path))
    suite = ET.SubElement(suites, "testsuite", name=name, tests="1", failures="0", errors="1")
    case = ET.SubElement(suite, "testcase", classname=name, name="load rule tests", file=name)
    element = ET.SubElement(case, "error", message=xml_text(error.message), type="unreadable")
    element.text = xml_text("\n".join(error.details))
    return _xml(suites)
