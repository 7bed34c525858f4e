"""Every `where` operator, run through the real audit on a four-case export.

The cases (as of 2026-11-20T00:00Z):
  1  Ann (by id C1)         open     high    Aurora X2    "Phone dead"     score 1  opened 11-18
  2  Bob (by email, caps)   solved   normal  Nimbus       "Slow router"    score 4  solved 11-10
  3  Cara (by id C3)        pending  (none)  Fiber 1G     "Outage"         (none)   opened 10-01
  4  Dev (by id and email)  closed   low     Nimbus Mesh  "Refund please"  score 5  solved 06-01
"""

from __future__ import annotations

import pytest

from tests.conftest import CAMPAIGN, CASES_HEADER, Run, Workspace

CASES = (
    CASES_HEADER
    + """
1,C1,,open,high,Aurora X2,Phone dead,1,2026-11-18 09:00:00,
2,,BOB@Example.com ,solved,normal,Nimbus,Slow router,4,2026-11-01 10:00:00,2026-11-10 12:00:00
3,C3,,pending,,Fiber 1G,Outage,,2026-10-01T00:00:00Z,
4,C4,dev@example.com,closed,low,Nimbus Mesh,Refund please,5,2026-05-01,2026-06-01
"""
)


def suppressed_by(ws: Workspace, where: str, *args: str) -> set[str]:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES)
    ws.rules(
        f"""
        - id: r
          source: cases
          where: {where}
          action: suppress
        """
    )
    run = ws.audit(*args)
    assert run.code == 0, run.stderr
    return {email.split("@")[0] for email in run.suppressed()}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("{status: {equals: open}}", {"ann"}),
        ('{status: {equals: " OPEN "}}', {"ann"}),
        ("{status: {not_equals: open}}", {"bob", "cara", "dev"}),
        ("{status: {in: [open, Pending]}}", {"ann", "cara"}),
        ("{status: {not_in: [open, pending]}}", {"bob", "dev"}),
        ("{subject: {contains: ROUTER}}", {"bob"}),
        ('{subject: {matches: "^(phone|outage)"}}', {"ann", "cara"}),
        ("{priority: {empty: true}}", {"cara"}),
        ("{priority: {empty: false}}", {"ann", "bob", "dev"}),
        ("{score: {gt: 4}}", {"dev"}),
        ("{score: {gte: 4}}", {"bob", "dev"}),
        ("{score: {lt: 4}}", {"ann"}),
        ("{score: {lte: 4.0}}", {"ann", "bob"}),
        ("{closed_at: {within_days: 14}}", {"bob"}),
        ("{opened_at: {within_days: 2}}", {"ann"}),
        ("{opened_at: {older_than_days: 30}}", {"cara", "dev"}),
        ("{opened_at: {before: 2026-10-15}}", {"cara", "dev"}),
        ("{opened_at: {after: 2026-11-01}}", {"ann", "bob"}),
        ('{opened_at: {after: "2026-11-01T10:00:00Z"}}', {"ann"}),
        ("{opened_at: {contains: 2026-05}}", {"dev"}),
        ("{any: [{status: {equals: solved}}, {priority: {equals: high}}]}", {"ann", "bob"}),
        (
            "{status: {in: [open, solved]}, any: [{score: {lt: 2}}, {score: {gt: 3}}]}",
            {"ann", "bob"},
        ),
        ("{}", {"ann", "bob", "cara", "dev"}),
    ],
)
def test_operator(ws: Workspace, where: str, expected: set[str]) -> None:
    assert suppressed_by(ws, where) == expected


def test_campaign_reference_resolves_case_insensitively(ws: Workspace) -> None:
    where = "{product: {equals: $campaign.offer}}"
    assert suppressed_by(ws, where, "--offer", "aurora x2") == {"ann"}


@pytest.mark.parametrize("op", ["equals", "not_equals", "contains"])
def test_unset_campaign_reference_never_holds(ws: Workspace, op: str) -> None:
    # No --offer and no offer in the rules file: the condition cannot hold,
    # not even not_equals (otherwise every case "is not the offer").
    assert suppressed_by(ws, f"{{product: {{{op}: $campaign.offer}}}}") == set()


@pytest.mark.parametrize(
    ("moment", "held"),
    [
        ("2026-11-06T00:00:00Z", True),  # exactly 14 x 24 h before as-of: included
        ("2026-11-05T23:59:59Z", False),  # one second earlier: outside
        ("2026-11-20T00:00:00Z", True),  # as-of itself: included
        ("2026-11-20T00:00:01Z", False),  # after as-of does not count
        ("2026-11-05 19:00:00 -0500", True),  # = 2026-11-06T00:00Z
    ],
)
def test_within_days_window_edges(ws: Workspace, moment: str, held: bool) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES_HEADER + f"\n1,C1,,solved,high,X,S,1,2026-01-01,{moment}\n")
    ws.rules(
        """
        - id: cool
          source: cases
          where: {closed_at: {within_days: 14}}
          action: suppress
        """
    )
    run = ws.audit()
    assert run.code == 0, run.stderr
    assert run.suppressed() == ({"ann@example.com": "cool"} if held else {})


def test_older_than_days_is_strictly_before(ws: Workspace) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write(
        "cases.csv",
        CASES_HEADER
        + "\n1,C1,,open,,X,S,,2026-11-10T00:00:00Z,\n2,C2,,open,,X,S,,2026-11-09T23:59:59Z,\n",
    )
    ws.rules(
        """
        - id: old
          source: cases
          where: {opened_at: {older_than_days: 10}}
          action: suppress
        """
    )
    assert ws.audit().suppressed() == {"bob@example.com": "old"}


def test_numbers_compare_as_numbers_not_text(ws: Workspace) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write(
        "cases.csv",
        CASES_HEADER + "\n1,C1,,open,,X,S,10,2026-11-01,\n2,C2,,open,,X,S,9.5,2026-11-01,\n",
    )
    ws.rules(
        """
        - id: big
          source: cases
          where: {score: {gt: 9.75}}
          action: suppress
        """
    )
    assert ws.audit().suppressed() == {"ann@example.com": "big"}


# The whole calendar, 0001-01-01 to 9999-12-31, as of 2026-11-24 (nanosecond
# timestamps would end in 2262 and begin in 1677).
FAR = """\
Id,Customer ID,Requester email,Status,Priority,Product,Subject,Score,Created at,Solved at
1,C1,,closed,,X,S,,0001-01-01,9999-12-31
2,C2,,closed,,X,S,,2300-01-01T00:00:00.0000019Z,2300-01-02
3,C3,,closed,,X,S,,1677-09-21 00:12:43,2262-04-11T23:47:16.854775807Z
4,C4,,closed,,X,S,,2026-11-20,9999-12-31T23:59:59.999999-05:00
"""


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("{opened_at: {older_than_days: 30}}", {"ann", "cara"}),
        ("{opened_at: {within_days: 14}}", {"dev"}),
        ("{closed_at: {within_days: 14}}", set()),
        ("{closed_at: {within_days: 3652058}}", set()),
        ("{opened_at: {within_days: 3652058}}", {"ann", "cara", "dev"}),
        ("{opened_at: {older_than_days: 3652058}}", set()),
        ("{closed_at: {older_than_days: 0}}", set()),
        ("{closed_at: {after: 2300-01-01}}", {"ann", "bob", "dev"}),
        ("{closed_at: {after: 9999-12-31}}", {"dev"}),
        ('{closed_at: {after: "9999-12-31T23:59:59.999999Z"}}', {"dev"}),
        ("{opened_at: {before: 0001-01-02}}", {"ann"}),
        ("{opened_at: {before: 0001-01-01}}", set()),
        ("{opened_at: {after: 2300-01-01}}", {"bob"}),  # by 1 µs: the 7th decimal is dropped
        ('{opened_at: {after: "2300-01-01T00:00:00.000001Z"}}', set()),
        ("{opened_at: {before: 1677-09-22}}", {"ann", "cara"}),
        ("{closed_at: {before: 2262-04-12}}", {"cara"}),
    ],
)
def test_every_date_from_year_1_to_9999(ws: Workspace, where: str, expected: set[str]) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", FAR)
    ws.rules(
        f"""
        - id: r
          source: cases
          where: {where}
          action: suppress
        """
    )
    run = ws.cli("audit", "campaign.csv", "--as-of", "2026-11-24", "--out", "out")
    assert run.exit_code == 0, run.stderr
    assert {email.split("@")[0] for email in Run(run, ws.root / "out").suppressed()} == expected


def test_far_dates_in_reasons_and_as_of(ws: Workspace) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", FAR)
    ws.rules(
        """
        - id: r
          source: cases
          where: {closed_at: {empty: false}}
          action: suppress
          reason: "opened {opened_at:%Y-%m-%d}, closed {closed_at:%d %b %Y}"
        """
    )
    run = ws.cli("audit", "campaign.csv", "--as-of", "9999-12-31T23:59:59Z", "--out", "out")
    assert run.exit_code == 0, run.stderr
    reasons = Run(run, ws.root / "out").column("suppressed.csv", "cxaudit_reasons")
    assert reasons == [
        "opened 0001-01-01, closed 31 Dec 9999",
        "opened 2300-01-01, closed 02 Jan 2300",
        "opened 1677-09-21, closed 11 Apr 2262",
        # 9999-12-31T23:59:59.999999-05:00 is in year 10000 in UTC: no
        # strftime can write it, so it is given in ISO form
        "opened 2026-11-20, closed 10000-01-01T04:59:59Z",
    ]
    assert Run(run, ws.root / "out").report()["as_of"] == "9999-12-31T23:59:59Z"
