"""``cxaudit validate`` finds what audit would: each broken setup below stops
audit (exit 2) and validate says the same thing first, listing every problem."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Workspace

ZENDESK_RULES = """
version: 1
recipients: {keys: {email: email}}
sources:
  tickets: {path: tickets.csv, preset: zendesk}
rules:
  - {id: cooling-off, source: tickets, where: {closed_at: {within_days: 14}}, action: suppress}
  - {id: about, source: tickets, where: {subject: {contains: refund}}, action: flag}
"""
LIST = "email,name\nann@example.com,Ann\n"

# name: (rules.yaml, {file: content}, the first line both commands print)
BROKEN = {
    # the case: a preset source none of whose mapped columns the rules use exist
    "preset columns missing": (
        ZENDESK_RULES,
        {"tickets.csv": "Requester email,Status\nann@example.com,open\n"},
        "tickets.csv: the rules use field 'closed_at' of source 'tickets', but the file has none "
        "of its columns 'Solved at' or 'Ticket solved - Timestamp' (preset zendesk); add the "
        "column to the export or map closed_at under sources.tickets.columns; the file's columns "
        "are 'Requester email', 'Status'",
    ),
    "dates that read two ways": (
        ZENDESK_RULES,
        {
            "tickets.csv": "Requester email,Subject,Solved at\nann@example.com,refund,"
            "03/02/2025\nbob@example.com,hi,04/05/2025\n"
        },
        "tickets.csv, column 'Solved at': every date in rows 2-3 reads two ways, e.g. '03/02/2025' as "
        "day/month/year (2025-02-03) or month/day/year (2025-03-02); set "
        "sources.tickets.date_format: '%d/%m/%Y' or '%m/%d/%Y'",
    ),
    "no identity column in a source": (
        ZENDESK_RULES,
        {"tickets.csv": "Subject,Solved at\nrefund,2025-01-01\n"},
        "tickets.csv: has none of the identity columns looked for (preset zendesk): customer_id: "
        "'Requester external id'; email: 'Requester email'; map a column of the file under "
        "sources.tickets.keys (an Explore report names the requester only by 'Requester ID', a "
        "Zendesk user id: add the attribute Requester email to the report, or map customer_id: "
        '"Requester ID" under keys if the campaign list carries Zendesk user ids); its columns '
        "are 'Subject', 'Solved at'",
    ),
    "a list column a rule names": (
        ZENDESK_RULES.replace(
            "rules:\n",
            "rules:\n  - {id: vip, source: recipients, where: {tier: {equals: vip}}, "
            "action: allow}\n",
        ),
        {"tickets.csv": "Requester email,Subject,Solved at\nann@example.com,refund,2025-01-01\n"},
        "rules.yaml:6: rule 'vip', where.tier: the campaign file campaign.csv has no column "
        "'tier'; its columns are 'email', 'name'",
    ),
    # a preset's field of the list that this layout of the export lacks
    "a list field its preset maps but the file lacks": (
        "version: 1\nrecipients: {preset: shopify_customers}\nrules:\n"
        "  - {id: sms, source: recipients, where: {accepts_sms_marketing: {equals: 'no'}}, "
        "action: suppress}\n",
        {"campaign.csv": "First Name,Email,Accepts Marketing\nAnn,ann@example.com,yes\n"},
        "campaign.csv: the rules use field 'accepts_sms_marketing' of the list, but the file has "
        "none of its columns 'Accepts SMS Marketing' (preset shopify_customers); add the column "
        "to the export or map accepts_sms_marketing under recipients.columns; the file's columns "
        "are 'First Name', 'Email', 'Accepts Marketing'",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_validate_says_first_what_audit_stops_on(ws: Workspace, case: str) -> None:
    rules, files, first = BROKEN[case]
    ws.write("rules.yaml", rules)
    ws.write("campaign.csv", LIST)
    for name, content in files.items():
        ws.write(name, content)
    audit = ws.audit("-q")
    assert audit.result.exit_code == 2
    assert audit.result.stderr.splitlines()[0].split(" (and ")[0] == f"cxaudit: error: {first}"
    validate = ws.cli("validate", "--campaign", "campaign.csv")
    assert validate.exit_code == 2
    assert validate.stderr.splitlines()[0] == f"cxaudit: error: {first}"
    assert not (ws.root / "out").exists()


def test_validate_lists_every_field_a_source_lacks(ws: Workspace) -> None:
    ws.write("rules.yaml", ZENDESK_RULES)
    ws.write("tickets.csv", "Requester email,Status\nann@example.com,open\n")
    result = ws.cli("validate")
    assert result.exit_code == 2
    assert [line.split(";")[0] for line in result.stderr.splitlines()] == [
        "cxaudit: error: tickets.csv: the rules use field 'closed_at' of source 'tickets', but "
        "the file has none of its columns 'Solved at' or 'Ticket solved - Timestamp' (preset "
        "zendesk)",
        "cxaudit: error: tickets.csv: the rules use field 'subject' of source 'tickets', but the "
        "file has none of its columns 'Subject' or 'Ticket subject' (preset zendesk)",
    ]


def test_validate_checks_a_field_even_for_a_rule_this_campaign_skips(ws: Workspace) -> None:
    """Validate judges the rules file, not one campaign: a rule that only
    applies to surveys still needs its column."""
    ws.write(
        "rules.yaml",
        ZENDESK_RULES.replace(
            "action: flag}", "applies_to: {type: [survey]}, action: flag}"
        ).replace("recipients:", "campaign: {type: promotional}\nrecipients:"),
    )
    ws.write("tickets.csv", "Requester email,Solved at\nann@example.com,2025-01-01\n")
    result = ws.cli("validate")
    assert result.exit_code == 2
    assert "the rules use field 'subject' of source 'tickets'" in result.stderr


def test_validate_with_a_list_names_it_when_all_is_well(ws: Workspace) -> None:
    ws.write("rules.yaml", ZENDESK_RULES)
    ws.write("campaign.csv", LIST)
    ws.write(
        "tickets.csv", "Requester email,Subject,Solved at\nann@example.com,refund,2025-01-01\n"
    )
    result = ws.cli("validate", "--campaign", "campaign.csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "rules.yaml: OK: 2 rules; sources tickets (1 rows); campaign campaign.csv\n"
    )
    missing = ws.cli("validate", "--campaign", "nope.csv")
    assert missing.exit_code == 2
    assert missing.stderr == "cxaudit: error: nope.csv: file not found; check the path\n"


def test_validate_says_which_reading_each_inferred_date_column_got(ws: Workspace) -> None:
    ws.write(
        "rules.yaml",
        ZENDESK_RULES.replace(
            "recipients: {keys: {email: email}}",
            "recipients: {keys: {email: email}, columns: {joined: joined}, dates: [joined]}",
        ),
    )
    ws.write("campaign.csv", "email,joined\nann@example.com,02-13-2025 15:46:06\n")
    ws.write(
        "tickets.csv",
        "Requester email,Subject,Solved at\nann@example.com,refund,14/01/2025 13:26\n",
    )
    result = ws.cli("validate", "--campaign", "campaign.csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        "tickets.csv: column 'Solved at': dates read as '%d/%m/%Y %H:%M' (day/month/year), "
        "from its values",
        "campaign.csv: column 'joined': dates read as '%m-%d-%Y %H:%M:%S' (month-day-year), "
        "from its values",
    ]
    data = json.loads(ws.cli("validate", "--campaign", "campaign.csv", "-f", "json").stdout)
    assert data["campaign"] == {
        "path": "campaign.csv",
        "date_formats": {"joined": "%m-%d-%Y %H:%M:%S"},
    }
    assert data["sources"][0]["date_formats"] == {"Solved at": "%d/%m/%Y %H:%M"}


def test_validate_reads_every_part_of_a_list_as_audit_does(ws: Workspace) -> None:
    ws.write("rules.yaml", ZENDESK_RULES)
    ws.write(
        "tickets.csv", "Requester email,Subject,Solved at\nann@example.com,refund,2025-01-01\n"
    )
    ws.write("list/part-0.csv", LIST)
    ws.write("list/part-1.csv", "mail,name\nbob@example.com,Bob\n")
    first = (
        "cxaudit: error: list/part-1.csv: its header differs from list/part-0.csv's (column 1 "
        "is 'mail' here, 'email' there; 2 and 2 columns); every part of list must have the same "
        "columns in the same order"
    )
    assert ws.audit("-q", campaign="list").result.stderr.splitlines()[0] == first
    result = ws.cli("validate", "--campaign", "list")
    assert (result.exit_code, result.stderr.splitlines()) == (2, [first])


def test_validate_takes_the_encoding_audit_takes(ws: Workspace) -> None:
    ws.write("rules.yaml", ZENDESK_RULES)
    ws.write(
        "tickets.csv", "Requester email,Subject,Solved at\nann@example.com,refund,2025-01-01\n"
    )
    ws.write("campaign.csv", "email,name\nj\xf6rg@example.com,J\xf6rg\n".encode("cp1252"))
    assert ws.cli("validate", "--campaign", "campaign.csv").exit_code == 2
    result = ws.cli("validate", "--campaign", "campaign.csv", "--encoding", "cp1252")
    assert result.exit_code == 0, result.stderr
    stdin = ws.cli("validate", "--campaign", "-")
    assert (stdin.exit_code, stdin.stderr) == (
        2,
        "cxaudit: error: -: validate reads a campaign list from a file; save standard input to "
        "one, or run audit on it\n",
    )
