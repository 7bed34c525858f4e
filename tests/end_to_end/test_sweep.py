"""The sweep: every input of the error catalogue (tests/end_to_end/test_errors.py, which
also holds the hostile values: .inf days, YAML nested 500 deep, a regex
repeat past the limit, str.format tricks in --out), and a few extreme but
valid inputs, through every command that reads them. None may end in an
"internal error" or a traceback: a bad input is exit 2 with its one-line
message, whichever command meets it."""

from __future__ import annotations

import re

import pytest
from typer.testing import Result

from tests.conftest import Workspace
from tests.end_to_end.test_errors import CATALOGUE, LAUGHS, Bad, prepare

AS_OF = ("--as-of", "2026-11-20")
# Catalogue entries whose problem is not in the rules file or its sources
# (the campaign list, or options of the run), so `validate` passes.
VALIDATE_PASSES = {
    "unknown campaign column in a recipient rule",
    "unknown recipient reference",
    "mapped key column missing from the campaign",
    "campaign without any identity column",
    "text in a number comparison",
    "campaign not utf-8",
    "unknown encoding",
    "ragged campaign row",
    "empty campaign",
    "campaign missing",
    "campaign is an Excel file",
    "campaign is an earlier suppressed.csv",
    "bad --as-of",
    "campaign repeats its header mid-file",
    "--encoding rot13",
    "--as-of in year 0",
    "--format unknown",
    "campaign sidecar nested 500 deep",
    "campaign sidecar of a billion laughs",
    "campaign sidecar over 1 MiB",
}


def audit_only(bad: Bad) -> bool:
    """An entry whose problem is in --out, which only `audit` has."""
    return bad.name.startswith("--out")


def assert_no_crash(result: Result) -> None:
    text = result.stdout + result.stderr
    assert "internal error" not in text, text
    assert "Traceback" not in text, text
    assert result.exit_code in (0, 1, 2), text


def assert_error(result: Result, bad: Bad, every_problem: bool = False) -> None:
    assert_no_crash(result)
    assert result.exit_code == 2, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("cxaudit: error:")]
    shown = errors or [result.stderr]  # a usage error is click's own text
    message = bad.message
    if every_problem:  # validate lists the others instead of counting them
        message = message.split(r" \(and ")[0]
    assert any(re.search(message, line) for line in shown), result.stderr


def _validate_args(args: list[str]) -> list[str]:
    """The catalogue's options as `validate` takes them: the rules file as
    its argument, --source and --preset kept, the rest dropped."""
    out: list[str] = []
    for option, value in zip(args[::2], args[1::2], strict=True):
        if option in ("--rules", "-r"):
            out.insert(0, value)
        elif option in ("--source", "--preset"):
            out += [option, value]
    return out


@pytest.mark.parametrize("bad", CATALOGUE, ids=str)
def test_every_command_meets_a_bad_input_with_its_message(ws: Workspace, bad: Bad) -> None:
    campaign, args = prepare(ws, bad)
    assert_error(ws.cli("audit", campaign, *AS_OF, "--out", "out", *args), bad)

    if audit_only(bad):
        assert_no_crash(ws.cli("check", campaign, *AS_OF))
        assert ws.cli("explain", campaign, "-R", "ann@example.com", *AS_OF).exit_code == 0
        assert ws.cli("validate").exit_code == 0
        return
    assert_error(ws.cli("check", campaign, *AS_OF, *args), bad)
    assert_error(ws.cli("explain", campaign, "-R", "ann@example.com", *AS_OF, *args), bad)
    validate = ws.cli("validate", *(_validate_args(args) or ["rules.yaml"]))
    if bad.name in VALIDATE_PASSES:
        assert_no_crash(validate)
        assert validate.exit_code == 0, validate.stderr
    else:
        assert_error(validate, bad, every_problem=True)


def test_the_catalogue_covers_the_hostile_inputs() -> None:
    names = {bad.name for bad in CATALOGUE}
    for name in (
        "within_days: .inf",
        "within_days: .nan",
        "within_days: -1",
        "gt: .inf",
        "lt: .nan",
        "YAML nested 500 deep",
        "YAML aliases expanding to 9**9 values",
        "YAML aliases nested past 100 levels",
        "rules file over 1 MiB",
        "regex repeat count past the limit",
        "regex backreference",
        "regex lookahead",
        "regex lookbehind",
        "regex atomic group",
        "regex possessive repeat",
        "--out runs/{date.year}",
        "--out runs/{0}",
        "--out runs/{}",
        "--out runs/{date!r}",
        "--out runs/{date:>99999999999}",
    ):
        assert name in names
    assert not VALIDATE_PASSES - names, "VALIDATE_PASSES names an entry that is gone"


# Extreme but valid: each must run to its normal end.
CASES = """\
Id,Customer ID,Requester email,Status,Priority,Created at
1,C1,,open,high,0001-01-01
2,C2,,open,high,9999-12-31T23:59:59.999999999-05:00
"""
CAMPAIGN = "customer_id,email\nC1,ann@example.com\nC2,bob@example.com\nC3,cara@example.com\n"
HEAD = """\
version: 1
sources:
  cases:
    path: cases.csv
    keys: {customer_id: "Customer ID"}
    columns: {case_id: Id, status: Status, priority: Priority, opened_at: Created at}
    dates: [opened_at]
rules:
"""
DEEP_ANY = "{any: [" * 40 + "{status: {equals: open}}" + "]}" * 40

EXTREMES = [
    ("far dates", "opened_at: {older_than_days: 30}", "closed {opened_at:%Y-%m-%d %H:%M}"),
    ("the widest window", "opened_at: {within_days: 3652058}", "{count!r} case(s)"),
    ("a window of none", "opened_at: {older_than_days: 0}", "{case_id!a:>20}"),
    ("the largest floats", "priority: {empty: false}\n      case_id: {lt: 1.7e+308}", "x"),
    ("the smallest float", "case_id: {gte: -1.7e+308}", "{count:,}"),
    ("after the last moment", 'opened_at: {after: "9999-12-31T23:59:59.999999Z"}', "x"),
    ("before the first day", "opened_at: {before: 0001-01-02}", "{opened_at:%d %b %Y}"),
    ("any nested 40 deep", f"any: [{DEEP_ANY}]", "x"),
    ("a regex at the repeat limit", "priority: {matches: 'h{1,4294967294}'}", "x"),
]


@pytest.mark.parametrize(("name", "where", "reason"), EXTREMES, ids=[e[0] for e in EXTREMES])
def test_extreme_but_valid_inputs_run(ws: Workspace, name: str, where: str, reason: str) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES)
    ws.write(
        "rules.yaml",
        HEAD + f"  - id: r\n    source: cases\n    where:\n      {where}\n"
        f"    action: suppress\n    reason: {reason!r}\n",
    )
    for as_of in ("2026-11-20", "0001-01-01", "9999-12-31T23:59:59.999999Z"):
        audit = ws.cli("audit", "campaign.csv", "--as-of", as_of, "--out", "runs/{date}")
        assert_no_crash(audit)
        assert audit.exit_code == 0, audit.stderr
        check = ws.cli("check", "campaign.csv", "--as-of", as_of)
        assert_no_crash(check)
        explain = ws.cli("explain", "campaign.csv", "-R", "C2", "--as-of", as_of)
        assert_no_crash(explain)
        assert explain.exit_code == 0, explain.stderr
    assert ws.cli("validate").exit_code == 0
    assert sorted(p.name for p in (ws.root / "runs").iterdir()) == [
        "0001-01-01",
        "2026-11-20",
        "9999-12-31",
    ]


def test_far_dates_are_judged_right(ws: Workspace) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES)
    ws.write(
        "rules.yaml",
        HEAD + "  - id: old\n    source: cases\n    where: {opened_at: {older_than_days: 30}}\n"
        "    action: suppress\n    reason: 'opened {opened_at:%Y-%m-%d}'\n"
        "  - id: recent\n    source: cases\n    where: {opened_at: {within_days: 14}}\n"
        "    action: suppress\n"
        "  - id: future\n    source: cases\n    where: {opened_at: {after: 2300-01-01}}\n"
        "    action: flag\n",
    )
    result = ws.cli("audit", "campaign.csv", "--as-of", "2026-11-24", "--out", "out")
    assert result.exit_code == 0, result.stderr
    from tests.conftest import Run

    run = Run(result, ws.root / "out")
    assert run.suppressed() == {"ann@example.com": "old"}
    assert run.column("suppressed.csv", "cxaudit_reasons") == ["opened 0001-01-01"]
    assert run.report()["by_rule"] == {
        "old": 1,
        "recent": 0,
        "future": 1,
        "cxaudit:unverifiable": 0,
        "cxaudit:duplicate": 0,
    }


def test_a_rule_tests_file_that_is_not_utf8(ws: Workspace) -> None:
    ws.write("cases.csv", CASES)
    ws.write(
        "rules.yaml",
        HEAD + "  - id: r\n    source: cases\n    where: {status: {equals: open}}\n"
        "    action: suppress\n",
    )
    ws.write("rules.test.yaml", "tests:\n  - name: caf\xe9\n".encode("latin-1"))
    result = ws.cli("test", "rules.yaml")
    assert_no_crash(result)
    assert result.exit_code == 2
    assert result.stderr == (
        "cxaudit: error: rules.test.yaml: byte offset 20 is not UTF-8; save the tests file "
        "as UTF-8\n"
    )


@pytest.mark.parametrize(
    ("tests", "message"),
    [
        (
            "tests: " + "[" * 500 + "]" * 500 + "\n",
            "rules.test.yaml: line 1: nested more than 100 levels deep; write the mappings "
            "and lists out flatter",
        ),
        (
            LAUGHS + "tests: [*l6]\n",
            "rules.test.yaml: line 7: aliases expand to more than 1,000,000 values; write the "
            "repeated parts out instead",
        ),
    ],
    ids=["nested", "laughs"],
)
def test_hostile_rule_tests_file(ws: Workspace, tests: str, message: str) -> None:
    ws.write("cases.csv", CASES)
    ws.write(
        "rules.yaml",
        HEAD + "  - id: r\n    source: cases\n    where: {status: {equals: open}}\n"
        "    action: suppress\n",
    )
    ws.write("rules.test.yaml", tests)
    result = ws.cli("test", "rules.yaml")
    assert_no_crash(result)
    assert result.exit_code == 2
    assert result.stderr == f"cxaudit: error: {message}\n"
