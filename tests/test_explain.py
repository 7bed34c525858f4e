"""`cxaudit explain`: matched, not matched and skipped rules with their evidence."""

from __future__ import annotations

import json

from tests.conftest import CASES_HEADER, CASES_SOURCE, Workspace

SOURCES = (
    CASES_SOURCE
    + """
  history:
    path: history.csv
    keys: {email: email}
    columns: {channel: channel, sent_at: sent_at}
    dates: [sent_at]
"""
)


def _setup(ws: Workspace) -> None:
    ws.write(
        "campaign.csv",
        "customer_id,email,phone\nC1,ann@example.com,617-555-0134\nC2,bob@example.com,\n"
        ",ANN@example.com,\n",
    )
    ws.write(
        "cases.csv",
        CASES_HEADER + "\n48220,C1,,open,urgent,Aurora X2,Phone dead,,2026-11-18 09:00:00,\n"
        "48100,,ann@example.com,closed,low,Nimbus,Old,,2026-01-02,2026-01-05\n",
    )
    ws.write(
        "history.csv",
        "email,channel,sent_at\nann@example.com,email,2026-11-19\nann@example.com,email,2026-11-18\n"
        "bob@example.com,email,2026-10-01\n",
    )
    ws.rules(
        """
        - id: severe
          source: cases
          where: {status: {equals: open}, priority: {in: [high, urgent]}}
          action: suppress
          reason: "open {priority} case {case_id}"
        - id: cap
          source: history
          where: {sent_at: {within_days: 7}}
          min_count: 3
          action: suppress
        - id: sms-only
          source: cases
          applies_to: {channel: sms}
          action: suppress
        """,
        sources=SOURCES,
        head="campaign: {type: promotional, channel: email}\n",
    )


def test_explain_json_lists_every_rule_with_status_and_evidence(ws: Workspace) -> None:
    _setup(ws)
    result = ws.cli(
        "explain",
        "campaign.csv",
        "--recipient",
        " Ann@Example.com",
        "--as-of",
        "2026-11-20",
        "-f",
        "json",
        "--show-pii",
    )
    assert result.exit_code == 0, result.output
    (ann, dup) = json.loads(result.stdout)  # Ann and her duplicate row (same email)
    assert ann["row"] == 2
    assert ann["outcome"] == "suppressed"
    assert ann["rules_cell"] == "severe"
    assert ann["linked_rows"] == {"cases": 2, "history": 2}
    severe, cap, sms = ann["rules"]
    assert (severe["status"], severe["effect"], severe["reason"]) == (
        "matched",
        "suppress",
        "open urgent case 48220",
    )
    assert severe["evidence"] == [
        {
            "source": "cases",
            "row": 2,
            "fields": {
                "customer_id": "C1",
                "email": "",
                "case_id": "48220",
                "status": "open",
                "priority": "urgent",
                "product": "Aurora X2",
                "subject": "Phone dead",
                "score": "",
                "opened_at": "2026-11-18 09:00:00",
                "closed_at": "",
            },
        }
    ]
    assert (cap["status"], cap["note"]) == (
        "not matched",
        "2 of 2 history rows satisfy where; 3 needed",
    )
    assert [e["row"] for e in cap["evidence"]] == [2, 3]
    assert (sms["status"], sms["note"]) == ("skipped", "applies to channel sms, not email")
    assert dup["row"] == 4
    # the same person: her rules hold on this row too, and it is also a repeat
    assert dup["rules_cell"] == "severe;cxaudit:duplicate"
    assert [r["status"] for r in dup["rules"]] == ["matched", "not matched", "skipped"]
    assert dup["note"] == "cxaudit:duplicate: repeats row 2 (same email)"
    assert (
        ann["person"]
        == dup["person"]
        == [
            {
                "row": 2,
                "keys": {"customer_id": "C1", "email": "ann@example.com", "phone": "617-555-0134"},
                "through": ["severe", "cap"],
            },
            {
                "row": 4,
                "keys": {"customer_id": "", "email": "ANN@example.com", "phone": ""},
                "through": ["cap"],
            },
        ]
    )


def test_explain_text_for_people(ws: Workspace) -> None:
    _setup(ws)
    args = ("explain", "campaign.csv", "-R", "bob@example.com", "--as-of", "2026-11-20")
    masked = ws.cli(*args)
    assert (
        masked.stdout.splitlines()[0]
        == "campaign.csv row 3: customer_id ***, email b***@example.com"
    )
    result = ws.cli(*args, "--show-pii")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:7] == [
        "campaign.csv row 3: customer_id C2, email bob@example.com",
        "  outcome: KEPT",
        "  campaign: type promotional, channel email, offer -; as of 2026-11-20T00:00:00Z",
        "  rows linked by identity: cases 0, history 1",
        "",
        "  NOT MATCHED   severe (suppress, rules.yaml:25)",
        "                0 of this recipient's 0 cases rows satisfy where",
    ]


def test_phone_lookup_in_any_format(ws: Workspace) -> None:
    _setup(ws)
    result = ws.cli("explain", "campaign.csv", "-R", "+1 (617) 555 0134", "-f", "json")
    assert [r["row"] for r in json.loads(result.stdout)] == [2]


def test_unknown_recipient_is_a_clear_error(ws: Workspace) -> None:
    _setup(ws)
    result = ws.cli("explain", "campaign.csv", "--recipient", "zed@example.com")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "cxaudit: error: campaign.csv: no recipient has customer_id, email or phone z***@example.com"
    )


def test_explain_shows_the_canonical_fields_a_preset_derives(ws: Workspace) -> None:
    import shutil

    from tests.conftest import REPO

    shutil.copy(REPO / "tests" / "fixtures" / "exports" / "servicenow.csv", ws.root / "sn.csv")
    ws.write("campaign.csv", "customer_id,email\nC1,ann@example.com\n")
    ws.write(
        "rules.yaml",
        "version: 1\nsources:\n  cases: {path: sn.csv, preset: servicenow}\nrules:\n"
        "  - {id: severe, source: cases, where: {severity: {equals: urgent}}, action: suppress}\n",
    )
    result = ws.cli("explain", "campaign.csv", "-R", "ann@example.com", "-f", "json")
    assert result.exit_code == 0, result.output
    (ann,) = json.loads(result.stdout)
    fields = ann["rules"][0]["evidence"][0]["fields"]
    assert (fields["priority"], fields["severity"], fields["status"], fields["state"]) == (
        "1 - Critical",
        "urgent",
        "In Progress",
        "open",
    )
