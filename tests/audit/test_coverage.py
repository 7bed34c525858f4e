"""Identity coverage: a source that can match nobody is an error; a notable
share of rows without a key, or a sizeable source linking no recipient, is
a warning with the counts."""

from __future__ import annotations

from tests.conftest import CAMPAIGN, Workspace

RULE = """
- id: severe
  source: cases
  where: {priority: {equals: urgent}}
  action: suppress
"""
SOURCE = """
cases:
  path: cases.csv
  keys: {email: Reporter}
  columns: {priority: Priority}
"""


def _setup(ws: Workspace, cases: str, campaign: str = CAMPAIGN) -> None:
    ws.write("campaign.csv", campaign)
    ws.write("cases.csv", cases)
    ws.rules(RULE, sources=SOURCE)


def test_a_source_whose_keys_hold_display_names_is_an_error(ws: Workspace) -> None:
    # A real Jira Cloud export: Reporter is a display name, not an email.
    _setup(ws, "Issue key,Reporter,Priority\nSD-1,Sumit Sarkar,urgent\nSD-2,Ann Lee,low\n")
    for command in (("audit", "campaign.csv", "--as-of", "2026-11-20"), ("validate",)):
        result = ws.cli(*command)
        assert result.exit_code == 2
        assert result.stderr.splitlines()[-1] == (
            "cxaudit: error: cases.csv: no row has a usable customer_id, email or phone, so no "
            "rule on source 'cases' could match anyone: 'Reporter' (email) holds values like "
            "'aaaaa aaaaaa'; map a column of emails, customer ids or phones under "
            "sources.cases.keys (or add one to the export)"
        )
        assert "Sumit" not in result.stderr


def test_a_notable_share_without_a_key_is_a_warning(ws: Workspace) -> None:
    _setup(ws, "Reporter,Priority\nann@example.com,urgent\nn/a,low\n,low\n")
    run = ws.audit()
    assert run.code == 0
    warning = (
        "cases.csv: 2 of 3 rows (67%) have no usable customer_id, email or phone; rules on "
        "source 'cases' cannot match them to anyone"
    )
    assert run.report()["warnings"] == [warning]
    assert f"cxaudit: warning: {warning}" in run.stderr
    assert run.report()["identity"] == {
        "campaign": {
            "rows": 4,
            "without_key": 0,
            "persons": 4,
            "rows_of_persons_listed_more_than_once": 0,
            "rows_linked_through_several_keys": 0,
            "dropped_keys": {},
        },
        "cases": {
            "rows": 3,
            "without_key": 2,
            "links_recipients": True,
            "dropped_keys": {"Reporter": {"not_a_key": 1}},
        },
    }
    assert run.suppressed() == {"ann@example.com": "severe"}


def test_a_sizeable_source_linking_nobody_is_a_warning(ws: Workspace) -> None:
    others = "".join(f"someone{i}@elsewhere.example,urgent\n" for i in range(60))
    _setup(ws, "Reporter,Priority\n" + others)
    run = ws.audit("-q")
    assert run.code == 0
    assert run.report()["warnings"] == [
        "cases.csv: none of its 60 rows shares a customer_id, email or phone with any "
        "recipient, so no rule on source 'cases' can match; check that its keys map the same "
        "kind of values as the list's"
    ]
    assert run.report()["identity"]["cases"]["links_recipients"] is False


def test_a_list_with_many_keyless_rows_is_a_warning(ws: Workspace) -> None:
    _setup(
        ws,
        "Reporter,Priority\nann@example.com,urgent\n",
        campaign="customer_id,email\nC1,ann@example.com\n,\n,none\nC4,dev@example.com\n",
    )
    run = ws.audit("-q")
    assert run.report()["warnings"] == [
        "campaign.csv: 2 of 4 recipients (50%) have no usable customer_id, email or phone and "
        "are suppressed as cxaudit:unverifiable; check recipients.keys"
    ]
    assert run.report()["by_rule"]["cxaudit:unverifiable"] == 2


def test_coverage_is_the_same_in_chunks(ws: Workspace) -> None:
    _setup(ws, "Reporter,Priority\ndev@example.com,urgent\n")
    whole = ws.audit("-q", out="whole")
    chunked = ws.audit("-q", "--chunk-size", "1", out="chunked")
    assert whole.report()["identity"] == chunked.report()["identity"]
    assert chunked.report()["identity"]["cases"]["links_recipients"] is True
