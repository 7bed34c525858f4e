"""Rule semantics: identity matching, min_count, match none, references,
recipient rules, actions and their precedence, applies_to, duplicates."""

from __future__ import annotations

from tests.conftest import CAMPAIGN, CASES_HEADER, CASES_SOURCE, Workspace

HISTORY_SOURCE = """
history:
  path: history.csv
  keys: {email: email, phone: phone}
  columns: {channel: channel, sent_at: sent_at}
  dates: [sent_at]
"""


def test_identity_matches_on_any_shared_key_after_normalisation(ws: Workspace) -> None:
    ws.write(
        "campaign.csv",
        "customer_id,email,phone\n"
        "C1,ann@example.com,\n"
        " C2 ,bob@example.com,\n"
        ",cara@example.com,(617) 555-0134\n"
        ",dev@example.com,+44 20 7946 0018\n"
        "C5,eve@example.com,\n",
    )
    ws.write(
        "history.csv",
        "email,phone,channel,sent_at\n"
        " ANN@Example.COM ,,email,2026-11-19\n"  # email: trimmed, lower-cased
        ",+1 617-555-0134,email,2026-11-19\n"  # phone: US number in E.164
        ",020 7946 0018,email,2026-11-19\n"  # no country code: read as US, so no match
        "eve@example.org,,email,2026-11-19\n",  # another address: no match
    )
    ws.rules(
        """
        - id: touched
          source: history
          action: suppress
        """,
        sources=HISTORY_SOURCE,
    )
    run = ws.audit()
    assert run.suppressed() == {"ann@example.com": "touched", "cara@example.com": "touched"}


def test_phone_region_reads_numbers_without_country_code(ws: Workspace) -> None:
    ws.write("campaign.csv", "email,phone\nann@example.com,+44 20 7946 0018\n")
    ws.write("history.csv", "email,phone,channel,sent_at\n,020 7946 0018,sms,2026-11-19\n")
    ws.rules(
        "- {id: touched, source: history, action: suppress}",
        sources=HISTORY_SOURCE,
        head="phone_region: GB\n",
    )
    assert ws.audit().suppressed() == {"ann@example.com": "touched"}


def test_min_count_counts_distinct_source_rows_per_recipient(ws: Workspace) -> None:
    ws.write("campaign.csv", "email,phone\nann@example.com,+16175550134\nbob@example.com,\n")
    ws.write(
        "history.csv",
        "email,phone,channel,sent_at\n"
        # Ann: three sends, one row matching by both email and phone (counts once)
        "ann@example.com,+16175550134,email,2026-11-19\n"
        "ann@example.com,,email,2026-11-18\n"
        ",617-555-0134,email,2026-11-17\n"
        "ann@example.com,,sms,2026-11-17\n"  # other channel
        # Bob: two in the window, one too old
        "bob@example.com,,email,2026-11-19\n"
        "bob@example.com,,email,2026-11-18\n"
        "bob@example.com,,email,2026-11-01\n",
    )
    ws.rules(
        """
        - id: cap
          source: history
          where:
            channel: {equals: $campaign.channel}
            sent_at: {within_days: 7}
          min_count: 3
          action: suppress
          reason: "{count} {channel} sends in 7 days"
        """,
        sources=HISTORY_SOURCE,
    )
    run = ws.audit("--channel", "email")
    assert run.rows("suppressed.csv") == [
        {
            "email": "ann@example.com",
            "phone": "+16175550134",
            "cxaudit_row": "2",
            "cxaudit_rules": "cap",
            "cxaudit_reasons": "3 email sends in 7 days",
        }
    ]


ORDERS_SOURCE = """
orders:
  path: orders.csv
  keys: {email: Email}
  columns: {status: Fulfillment Status}
"""


def test_match_none_holds_without_matching_rows_and_without_keys(ws: Workspace) -> None:
    ws.write(
        "campaign.csv",
        "customer_id,email\nC1,ann@example.com\nC2,bob@example.com\nC3,cara@example.com\nC4,\n",
    )
    ws.write(
        "orders.csv",
        "Name,Email,Fulfillment Status\n#1,ann@example.com,fulfilled\n#2,bob@example.com,unfulfilled\n",
    )
    ws.rules(
        """
        - id: no-delivered-order
          source: orders
          where: {status: {equals: fulfilled}}
          match: none
          action: suppress
        """,
        sources=ORDERS_SOURCE,
    )
    run = ws.audit()
    # Bob's only order is unfulfilled, Cara has none, C4 has no email to look up.
    assert run.column("suppressed.csv", "customer_id") == ["C2", "C3", "C4"]
    assert (
        run.column("suppressed.csv", "cxaudit_reasons")
        == ["no orders row where status is 'fulfilled' (rule no-delivered-order)"] * 3
    )


def test_recipient_reference_compares_source_with_the_recipients_own_row(ws: Workspace) -> None:
    ws.write(
        "campaign.csv",
        "customer_id,email,interest\nC1,ann@example.com,Aurora X2\n"
        "C2,bob@example.com,Nimbus\nC3,cara@example.com,\n",
    )
    ws.write(
        "cases.csv",
        CASES_HEADER + "\n1,C1,,open,,aurora x2,S,,2026-11-01,\n"
        "2,C2,,open,,Aurora X2,S,,2026-11-01,\n3,C3,,open,,Aurora X2,S,,2026-11-01,\n",
    )
    ws.rules(
        """
        - id: case-about-interest
          source: cases
          where:
            status: {equals: open}
            product: {equals: $recipient.interest}
          action: suppress
        """
    )
    # Only Ann's case is about her own interest; Cara's interest is empty.
    assert ws.audit().suppressed() == {"ann@example.com": "case-about-interest"}


def test_rules_on_the_recipient_row_itself(ws: Workspace) -> None:
    ws.write(
        "campaign.csv",
        "email,sms_consent,zip\nann@example.com,no,02134\nbob@example.com,yes,10001\n"
        "cara@example.com,,02139\n",
    )
    ws.rules(
        """
        - id: no-sms-consent
          where: {sms_consent: {not_equals: yes}}
          action: suppress
          reason: "SMS consent is '{sms_consent}'"
        - id: new-england
          source: recipients
          where: {zip: {matches: "^0"}}
          action: flag
        """
    )
    run = ws.audit()
    assert run.rows("suppressed.csv") == [
        {
            "email": "ann@example.com",
            "sms_consent": "no",
            "zip": "02134",
            "cxaudit_row": "2",
            "cxaudit_rules": "no-sms-consent",
            "cxaudit_reasons": "SMS consent is 'no'",
        },
        {
            "email": "cara@example.com",
            "sms_consent": "",
            "zip": "02139",
            "cxaudit_row": "4",
            "cxaudit_rules": "no-sms-consent",
            "cxaudit_reasons": "SMS consent is ''",
        },
    ]
    assert run.report()["flagged"] == 0  # both zip-0 rows were suppressed: suppress beats flag


SEEDS_SOURCE = """
  seeds:
    path: seeds.csv
    keys: {email: email}
"""


def _precedence_ws(ws: Workspace) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("seeds.csv", "email\nann@example.com\nbob@example.com\n")
    ws.write(
        "cases.csv",
        CASES_HEADER + "\n1,C1,,open,urgent,X,S,,2026-11-01,\n"  # Ann: severe, but a seed
        "2,C2,,open,low,X,S,,2026-11-01,\n"  # Bob: minor, a seed
        "3,C3,,open,urgent,X,S,,2026-11-01,\n"  # Cara: severe
        "4,C3,,open,low,X,S,,2026-11-01,\n"  # Cara: minor as well
        "5,C4,,open,low,X,S,,2026-11-01,\n",  # Dev: minor
    )
    ws.rules(
        """
        - id: severe
          source: cases
          where: {priority: {equals: urgent}}
          action: suppress
        - id: minor
          source: cases
          where: {priority: {equals: low}}
          action: flag
        - id: seed
          source: seeds
          action: allow
        """,
        sources=CASES_SOURCE + SEEDS_SOURCE,
    )


def test_allow_beats_suppress_beats_flag(ws: Workspace) -> None:
    _precedence_ws(ws)
    run = ws.audit()
    assert run.kept() == ["ann@example.com", "bob@example.com", "dev@example.com"]
    assert run.suppressed() == {"cara@example.com": "severe"}
    report = run.report()
    # Ann was exempted from "severe"; Bob matched "seed" but had nothing to be
    # exempted from. Bob and Dev are kept and flagged; Cara's flag does not
    # count because she is suppressed.
    assert report["by_rule"] == {
        "severe": 1,
        "minor": 2,
        "seed": 1,
        "cxaudit:unverifiable": 0,
        "cxaudit:duplicate": 0,
    }
    assert report["flagged"] == 2
    assert [f["recipient"] for f in report["flags"]] == ["b***@example.com", "d***@example.com"]


def test_every_matching_rule_is_listed_once_in_rules_file_order(ws: Workspace) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write(
        "cases.csv",
        CASES_HEADER + "\n1,C1,,open,urgent,Aurora,Dead,,2026-11-01,\n"
        "2,C1,,open,high,Nimbus,Slow,,2026-11-02,\n",
    )
    ws.rules(
        """
        - id: b-second-in-file
          source: cases
          where: {priority: {equals: high}}
          action: suppress
          reason: "high case {case_id}"
        - id: a-first-by-name
          source: cases
          where: {status: {equals: open}}
          action: suppress
          reason: "open case {case_id} ({count} open)"
        """
    )
    rows = ws.audit().rows("suppressed.csv")
    assert [(r["email"], r["cxaudit_rules"], r["cxaudit_reasons"]) for r in rows] == [
        (
            "ann@example.com",
            "b-second-in-file;a-first-by-name",
            "high case 2; open case 1 (2 open)",
        )
    ]


def test_applies_to_skips_rules_and_reports_them(ws: Workspace) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES_HEADER + "\n1,C1,,solved,,X,S,,2026-11-01,2026-11-19\n")
    ws.rules(
        """
        - id: cooling-off
          source: cases
          where: {closed_at: {within_days: 14}}
          applies_to: {type: [promotional, upsell]}
          action: suppress
        - id: sms-only
          source: cases
          applies_to: {channel: sms}
          action: suppress
        """,
        head="campaign: {type: promotional, channel: email}\n",
    )
    run = ws.audit()
    assert run.suppressed() == {"ann@example.com": "cooling-off"}
    assert run.report()["skipped_rules"] == [
        {"id": "sms-only", "why": "applies to channel sms, not email"}
    ]

    service = ws.audit("--campaign-type", "Service", out="out2")
    assert service.suppressed() == {}
    assert [s["id"] for s in service.report()["skipped_rules"]] == ["cooling-off", "sms-only"]
    assert "cooling-off" not in service.report()["by_rule"]


def test_later_rows_of_a_person_list_its_rules_and_the_duplicate_id(ws: Workspace) -> None:
    ws.write(
        "campaign.csv",
        "customer_id,email,phone\n"
        "C1,ann@example.com,\n"  # row 2: severe case -> suppressed by the rule
        ",ANN@example.com ,\n"  # row 3: same email as row 2
        "C2,bob@example.com,617 555 0134\n"  # row 4: kept
        "C2,bobby@example.com,\n"  # row 5: same customer_id as row 4
        ",n/a,12\n"  # row 6: nothing usable
        ",other@example.com,+1 (617) 555-0134\n",  # row 7: same phone as row 4
    )
    ws.write("cases.csv", CASES_HEADER + "\n1,C1,,open,urgent,X,S,,2026-11-01,\n")
    ws.rules(
        """
        - id: severe
          source: cases
          where: {priority: {equals: urgent}}
          action: suppress
        """
    )
    run = ws.audit()
    assert run.kept() == ["bob@example.com"]
    got = [
        (r["email"], r["cxaudit_rules"], r["cxaudit_reasons"]) for r in run.rows("suppressed.csv")
    ]
    assert got == [
        ("ann@example.com", "severe", "cases row where priority is 'urgent' (rule severe)"),
        # the same person as row 2: the rule that holds for her holds here too
        (
            "ANN@example.com ",
            "severe;cxaudit:duplicate",
            "cases row where priority is 'urgent' (rule severe); repeats row 2 (same email)",
        ),
        ("bobby@example.com", "cxaudit:duplicate", "repeats row 4 (same customer_id)"),
        (
            "n/a",
            "cxaudit:unverifiable",
            "no usable customer_id, email or phone, so it cannot be checked",
        ),
        ("other@example.com", "cxaudit:duplicate", "repeats row 4 (same phone)"),
    ]
    assert run.report()["by_rule"]["cxaudit:duplicate"] == 3
    assert (
        run.report()["by_rule"]["severe"] == 2
    )  # rows of suppressed.csv listing it: both of Ann's
