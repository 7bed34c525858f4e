"""Machine-readable everything: `test --format junit|json`, `validate
--format json` with every problem's file, line, rule and key; a campaign
list on standard input for `audit`; -h and shell completion."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from cxaudit.errors import CxauditError, OutputBusy, Problem
from tests.conftest import CASES_HEADER, CASES_SOURCE, REPO, Workspace

RULES = """
- id: severe
  source: cases
  where: {priority: {equals: urgent}}
  action: suppress
  reason: "urgent case {case_id}"
- id: minor
  source: cases
  where: {priority: {equals: low}}
  action: flag
"""
TESTS = """tests:
  - name: urgent holds the send
    as_of: 2026-11-20
    recipients: [{customer_id: C1, email: ann@example.com}]
    sources: {cases: [{case_id: "7", customer_id: C1, priority: urgent}]}
    expect: {ann@example.com: {suppressed: [severe]}}
  - name: a <low> case & no more
    as_of: 2026-11-20
    recipients: [{customer_id: C2, email: bob@example.com}]
    sources: {cases: [{case_id: "8", customer_id: C2, priority: low}]}
    expect: {bob@example.com: %s}
"""


def _tests(ws: Workspace, second: str = "{flagged: [minor]}") -> None:
    ws.rules(RULES, sources=CASES_SOURCE)
    ws.write("rules.test.yaml", TESTS % second)
    ws.write("cases.csv", CASES_HEADER + "\n")


def test_rule_tests_as_json(ws: Workspace) -> None:
    _tests(ws, "kept")
    result = ws.cli("test", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "rules_file": "rules.yaml",
        "passed": 1,
        "failed": 1,
        "untested_rules": ["minor"],
        "cases": [
            {
                "name": "urgent holds the send",
                "file": "rules.test.yaml",
                "line": 2,
                "passed": True,
                "failures": [],
            },
            {
                "name": "a <low> case & no more",
                "file": "rules.test.yaml",
                "line": 7,
                "passed": False,
                "failures": [
                    "bob@example.com: expected kept (not flagged), got kept, flagged: flagged by "
                    "minor (cases row where priority is 'low' (rule minor))"
                ],
            },
        ],
        "problems": [],
    }


def test_rule_tests_as_junit(ws: Workspace) -> None:
    _tests(ws, "kept")
    result = ws.cli("test", "-f", "junit")
    assert result.exit_code == 1
    root = ET.fromstring(result.stdout)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "1", "0")
    (suite,) = root
    assert suite.get("name") == "rules.test.yaml"
    cases = [(c.get("name"), c.get("file"), c.get("line")) for c in suite.findall("testcase")]
    assert cases == [
        ("urgent holds the send", "rules.test.yaml", "2"),
        ("a <low> case & no more", "rules.test.yaml", "7"),
    ]
    failure = suite.find("testcase[2]/failure")
    assert failure.get("message").startswith("bob@example.com: expected kept (not flagged)")
    assert suite.find("system-out").text == ("no test names these rules in an expectation: minor")
    passing = ws.cli("test", "-f", "junit")
    _tests(ws)
    passing = ws.cli("test", "-f", "junit")
    assert passing.exit_code == 0
    assert ET.fromstring(passing.stdout).get("failures") == "0"


def test_rule_tests_that_cannot_be_read_say_why_in_every_format(ws: Workspace) -> None:
    _tests(ws)
    ws.write("rules.test.yaml", "tests:\n  - name: x\n    as_of: 2026-11-20\n    recipients: []\n")
    message = "rules.test.yaml:2: test case needs 'expect'"
    text = ws.cli("test")
    assert (text.exit_code, text.stdout, text.stderr) == (2, "", f"cxaudit: error: {message}\n")
    as_json = ws.cli("test", "--format", "json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["problems"] == [
        {
            "text": message,
            "message": "test case needs 'expect'",
            "file": "rules.test.yaml",
            "line": 2,
            "rule": None,
            "key": None,
        }
    ]
    assert as_json.stderr == f"cxaudit: error: {message}\n"
    as_junit = ws.cli("test", "--format", "junit")
    assert as_junit.exit_code == 2
    error = ET.fromstring(as_junit.stdout).find("testsuite/testcase/error")
    assert (error.get("message"), error.text) == (message, message)


def test_validate_as_json(ws: Workspace) -> None:
    _tests(ws)
    ok = ws.cli("validate", "--format", "json")
    assert ok.exit_code == 0, ok.stderr
    assert json.loads(ok.stdout) == {
        "rules_file": "rules.yaml",
        "campaign": None,
        "valid": True,
        "rules": 2,
        "sources": [{"name": "cases", "path": "cases.csv", "rows": 0, "date_formats": {}}],
        "problems": [],
    }
    rules = (ws.root / "rules.yaml").read_text()
    ws.write(
        "rules.yaml",
        rules.replace("version: 1\n", "version: 1\ncampaing: {}\n")
        .replace("{equals: urgent}", "{equal: urgent}")
        .replace("action: flag", "action: flagg"),
    )
    bad = ws.cli("validate", "-f", "json")
    assert bad.exit_code == 2
    data = json.loads(bad.stdout)
    assert (data["valid"], data["rules"], data["sources"]) == (False, None, [])
    assert [
        (p["file"], p["line"], p["rule"], p["key"], p["message"].split(" (")[0])
        for p in data["problems"]
    ] == [
        ("rules.yaml", 2, None, "campaing", "unknown key 'campaing'"),
        ("rules.yaml", 21, "severe", "where.priority.equal", "unknown operator 'equal'"),
        ("rules.yaml", 27, "minor", "action", "input should be 'suppress', 'flag' or 'allow'"),
    ]
    assert [p["text"] for p in data["problems"]] == [
        line.removeprefix("cxaudit: error: ") for line in bad.stderr.splitlines()
    ]
    # a source's missing column names the mapping's key
    ws.write("rules.yaml", rules)
    ws.write("cases.csv", "Id,Customer ID\n")
    columns = json.loads(ws.cli("validate", "-f", "json").stdout)["problems"]
    status = [p for p in columns if p["key"] == "sources.cases.columns.status"]
    assert [(p["file"], p["line"]) for p in status] == [("cases.csv", None)]


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        (
            "rules.yaml:14: rule 'severe', where.priority.inn: unknown operator 'inn'",
            ("rules.yaml", 14, "severe", "where.priority.inn", "unknown operator 'inn'"),
        ),
        (
            "rules.yaml:12: rule 'severe', match: input should be 'any' or 'none'",
            ("rules.yaml", 12, "severe", "match", "input should be 'any' or 'none'"),
        ),
        (
            "rules.yaml:10: rules[0].ide: unknown key 'ide'",
            ("rules.yaml", 10, None, "rules[0].ide", "unknown key 'ide'"),
        ),
        (
            "my rules/r.yaml:3: rule 'a': needs a source",
            ("my rules/r.yaml", 3, "a", None, "needs a source"),
        ),
        (
            "cases.csv: has no column 'Statuss' (mapped by sources.cases.columns.status at "
            "rules.yaml:7); did you mean 'Status'?",
            ("cases.csv", None, None, "sources.cases.columns.status", None),
        ),
        ("something else entirely", (None, None, None, None, "something else entirely")),
    ],
)
def test_problem_lines_are_read_into_fields(text: str, parsed: tuple) -> None:
    problem = Problem.parse(text, files=("my rules/r.yaml",))
    got = (problem.file, problem.line, problem.rule, problem.key, problem.message)
    expected = parsed if parsed[-1] is not None else (*parsed[:-1], problem.message)
    assert got == expected
    assert problem.text == text


def test_structured_problems_win_over_parsing() -> None:
    given = Problem("x", "y", file="f", line=1, rule="r", key="k")
    assert CxauditError("x", problems=[given]).problems() == [given]
    assert OutputBusy("--out out: busy").exit_code == 75
    assert CxauditError("x").exit_code == 2


def test_audit_reads_the_list_from_standard_input(ws: Workspace) -> None:
    ws.write("cases.csv", CASES_HEADER + "\n1,C1,,open,urgent,X,S,,2026-11-20,\n")
    ws.rules(RULES)
    data = b'customer_id,email\r\nC1,ann@example.com\r\nC2,"bob@example.com"\r\n'
    result = ws.cli("audit", "-", "--as-of", "2026-11-20", "--out", "out", "-q", stdin=data)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ("cxaudit: 2 recipients: 1 kept, 1 suppressed, 0 flagged; wrote out\n")
    out = ws.root / "out"
    assert (out / "cleaned.csv").read_bytes() == b'customer_id,email\r\nC2,"bob@example.com"\r\n'
    report = json.loads((out / "report.json").read_text())
    assert report["inputs"][0]["path"] == "<stdin>"
    assert report["input_rows"] == 2
    assert "&lt;stdin&gt;" in (out / "report.md").read_text()  # Markdown-escaped
    # a gzip list on standard input comes back gzip, like a .csv.gz file
    import gzip

    zipped = ws.cli(
        "audit", "-", "--as-of", "2026-11-20", "--out", "gz", "-q", stdin=gzip.compress(data)
    )
    assert zipped.exit_code == 0, zipped.stderr
    assert gzip.decompress((ws.root / "gz" / "cleaned.csv.gz").read_bytes()) == (
        b'customer_id,email\r\nC2,"bob@example.com"\r\n'
    )
    # messages name it <stdin>, never the temporary file
    bad = ws.cli("audit", "-", "--out", "bad", stdin=b'customer_id,email\nC1,"x\n')
    assert bad.exit_code == 2
    assert "reading campaign <stdin>" in bad.stderr  # the progress log names it too
    assert bad.stderr.splitlines()[-1].startswith("cxaudit: error: <stdin>: ")
    assert "cxaudit-stdin" not in bad.stderr
    empty = ws.cli("audit", "-", "--out", "empty", "-q", stdin=b"")
    assert empty.exit_code == 2
    assert empty.stderr.startswith("cxaudit: error: <stdin>: ")


def test_dash_h_is_help_and_completion_is_offered() -> None:
    ws = Workspace(REPO)
    for args in (["-h"], ["--help"], ["check", "-h"]):
        result = ws.cli(*args)
        assert result.exit_code == 0
        assert result.stdout.startswith("Usage: cxaudit")
    top = ws.cli("--help").stdout
    assert "--install-completion" in top and "--show-completion" in top
