"""Reason sentences: templates, dates, counts, defaults, and formula defusing."""

from __future__ import annotations

import json

import pytest

from tests.conftest import CAMPAIGN, CASES_HEADER, Workspace

CASES = (
    CASES_HEADER
    + '\n77,C1,,solved,high,Aurora X2,"=HYPERLINK(""x"")",,2026-11-01,2026-11-18 09:30:00\n'
)


def reasons_for(ws: Workspace, rule: str, *args: str) -> list[str]:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES)
    ws.rules(rule)
    run = ws.audit(*args)
    assert run.code == 0, run.stderr
    return run.column("suppressed.csv", "cxaudit_reasons")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("case {case_id} closed {closed_at:%Y-%m-%d}", "case 77 closed 2026-11-18"),
        ("closed {closed_at}", "closed 2026-11-18 09:30:00"),  # no format: as written
        ("closed {closed_at:%d %b %Y %H:%M}", "closed 18 Nov 2026 09:30"),
        ("{count} case(s) about {product}", "1 case(s) about Aurora X2"),
        (
            "{campaign.type} via {campaign.channel}, offer {campaign.offer}",
            "upsell via email, offer ",
        ),
        ("literal {{braces}} {status}", "literal {braces} solved"),
    ],
)
def test_template(ws: Workspace, template: str, expected: str) -> None:
    rule = f"""
    - id: r
      source: cases
      action: suppress
      reason: "{template}"
    """
    assert reasons_for(ws, rule, "--campaign-type", "upsell", "--channel", "email") == [expected]


def test_default_reason_describes_the_rule(ws: Workspace) -> None:
    rule = """
    - id: severe
      source: cases
      where:
        status: {in: [solved, closed]}
        closed_at: {within_days: 14}
        product: {equals: $campaign.offer}
      action: suppress
    """
    assert reasons_for(ws, rule, "--offer", "aurora x2") == [
        "cases row where status is one of solved, closed and closed_at is within the last 14 days"
        " and product is the campaign offer 'aurora x2' (rule severe)"
    ]


def test_reason_starting_like_a_formula_is_defused_in_csv_and_markdown_not_json(
    ws: Workspace,
) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES)
    ws.rules(
        """
        - id: subject
          source: cases
          action: flag
          reason: "{subject}"
        - id: sub2
          source: cases
          action: suppress
          reason: "{subject} (case {case_id})"
        """
    )
    run = ws.audit()
    assert run.column("suppressed.csv", "cxaudit_reasons") == ['\'=HYPERLINK("x") (case 77)']
    report = run.report()
    assert report["flags"] == []  # suppressed rows are not flagged
    md = (run.out / "report.md").read_text()
    assert '| \'=HYPERLINK("x") (case 77) |' in md
    assert json.loads((run.out / "report.json").read_text())["by_rule"]["sub2"] == 1
