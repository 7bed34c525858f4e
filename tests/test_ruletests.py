"""`cxaudit test`: rule test cases beside the rules."""

from __future__ import annotations

import shutil

from tests.conftest import CASES_SOURCE, REPO, Workspace


def test_shipped_rules_pass_their_tests_and_every_rule_is_tested() -> None:
    result = Workspace(REPO).cli("test", "rules.yaml")
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.stdout
    assert "note: no test names" not in result.stdout
    assert result.stdout.splitlines()[-1] == "rule tests: 12 passed, 0 failed"


INLINE = """
- id: severe
  source: cases
  where: {priority: {equals: urgent}}
  action: suppress
  reason: "urgent case {case_id}"
"""


def _inline_tests(expect: str) -> str:
    return (
        "\ntests:\n"
        "  - name: urgent holds the send\n"
        "    as_of: 2026-11-20\n"
        "    recipients: [{customer_id: C1, email: ann@example.com}, {customer_id: C2, email: bob@example.com}]\n"
        "    sources:\n"
        "      cases: [{case_id: '7', customer_id: C1, priority: urgent}]\n"
        "    expect:\n" + expect
    )


def test_inline_tests_pass(ws: Workspace) -> None:
    path = ws.rules(INLINE, sources=CASES_SOURCE)
    path.write_text(
        path.read_text()
        + _inline_tests("      ann@example.com: {suppressed: [severe]}\n      C2: kept\n")
    )
    result = ws.cli("test")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "PASS  urgent holds the send  (rules.yaml:25)\nrule tests: 1 passed, 0 failed\n"
    )


def test_a_failing_expectation_exits_1_with_a_readable_diff(ws: Workspace) -> None:
    path = ws.rules(INLINE, sources=CASES_SOURCE)
    path.write_text(
        path.read_text()
        + _inline_tests(
            "      ann@example.com: kept\n      bob@example.com: {suppressed: [severe]}\n"
        )
    )
    result = ws.cli("test", "rules.yaml")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "FAIL  urgent holds the send  (rules.yaml:25)",
        "      ann@example.com: expected kept (not flagged), got suppressed: suppressed by severe "
        "(urgent case 7)",
        "      bob@example.com: expected suppressed by severe, got kept",
        "rule tests: 0 passed, 1 failed",
    ]


def test_broken_test_file_is_exit_2(ws: Workspace) -> None:
    ws.rules(INLINE, sources=CASES_SOURCE)
    ws.write(
        "rules.test.yaml",
        "tests:\n  - name: x\n    as_of: 2026-11-20\n    recipients: [{email: a@x.com}]\n"
        "    sources: {cases: [{prio: urgent}]}\n    expect: {a@x.com: kept}\n",
    )
    result = ws.cli("test")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "cxaudit: error: rules.test.yaml:5: cases has no field 'prio'; fields are customer_id, email,"
    )


def test_no_tests_is_exit_2(ws: Workspace) -> None:
    ws.rules(INLINE, sources=CASES_SOURCE)
    result = ws.cli("test")
    assert result.exit_code == 2
    assert "no rule tests found; add a `tests:` section or rules.test.yaml" in result.stderr


def test_untested_rules_are_named(ws: Workspace, tmp_path_factory: object) -> None:
    shutil.copy(REPO / "rules.yaml", ws.root / "rules.yaml")
    ws.write(
        "rules.test.yaml",
        "tests:\n  - name: x\n    as_of: 2026-11-20\n    recipients: [{email: a@example.com}]\n"
        "    expect: {a@example.com: kept}\n",
    )
    (ws.root / "sample_data").mkdir()
    result = ws.cli("test")
    assert result.exit_code == 0, result.output
    assert (
        "note: no test names these rules in an expectation: internal-seed-list, open-severe-case"
        in result.stdout
    )


def test_a_bad_date_in_a_tests_row_points_at_the_test_not_a_temporary_file(
    ws: Workspace,
) -> None:
    path = ws.rules(INLINE, sources=CASES_SOURCE)
    tests = _inline_tests("      ann@example.com: suppressed\n").replace(
        "priority: urgent}", "priority: urgent, opened_at: '31/31/2026'}"
    )
    path.write_text(path.read_text() + tests)
    result = ws.cli("test", "rules.yaml")
    assert result.exit_code == 2
    assert result.stderr == (
        "cxaudit: error: rules.yaml:25: test 'urgent holds the send', sources.cases[0]: column "
        "'Created at': not a date in the format ISO 8601 (2026-11-18, 2026-11-18 09:00:00, …Z, "
        "…-0500) (the value reads like '99/99/9999'); fix the value or set "
        'sources.cases.date_format, e.g. "%d/%m/%Y"\n'
    )


def test_a_recipient_row_may_name_list_fields_and_leave_compared_ones_out(
    ws: Workspace,
) -> None:
    """With a list preset, a test's recipient may be written with field names
    (accepts_sms_marketing) or the export's columns; a field the rules compare
    that a row leaves out is blank, as in an export that has the column."""
    ws.write(
        "rules.yaml",
        "version: 1\ncampaign: {type: promotional, channel: sms}\n"
        "recipients: {preset: shopify_customers}\nrules:\n"
        "  - {id: nosms, source: recipients, where: {accepts_sms_marketing: {equals: 'no'}}, "
        "action: suppress}\n"
        "tests:\n"
        "  - name: said no\n    as_of: 2026-11-20\n    recipients: [{email: ann@example.com, accepts_sms_marketing: 'no'}]\n"
        "    expect: {ann@example.com: {suppressed: [nosms]}}\n"
        "  - name: said no, by column\n    as_of: 2026-11-20\n"
        "    recipients: [{Email: bob@example.com, 'Accepts SMS Marketing': 'no'}]\n"
        "    expect: {bob@example.com: {suppressed: [nosms]}}\n"
        "  - name: not asked\n    as_of: 2026-11-20\n    recipients: [{Email: cara@example.com}]\n"
        "    expect: {cara@example.com: kept}\n",
    )
    result = ws.cli("test")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "rule tests: 3 passed, 0 failed"
