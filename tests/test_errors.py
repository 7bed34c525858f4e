"""The catalogue of bad inputs: each one exits 2 with one clear message that
names the file (and line, row or column), prints no traceback and writes
nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from tests.conftest import Workspace

RULES = """\
version: 1
campaign: {type: promotional, channel: email}
sources:
  cases:
    path: cases.csv
    keys: {customer_id: "Customer ID", email: "Requester email"}
    columns: {case_id: Id, status: Status, priority: Priority, opened_at: Created at}
    dates: [opened_at]
rules:
  - id: severe
    source: cases
    where:
      status: {in: [open, pending]}
      priority: {in: [high, urgent]}
    action: suppress
    reason: "open {priority} case {case_id}"
"""
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ cxaudit: ")
CAMPAIGN = "customer_id,email,zip\nC1,ann@example.com,02134\nC2,bob@example.com,10001\n"
CASES = "Id,Customer ID,Requester email,Status,Priority,Created at\n1,C1,,open,high,2026-11-01\n"


@dataclass
class Bad:
    name: str
    message: str  # regex the error line must match
    rules: tuple[str, str] | str | None = None  # (old, new) replacement, or whole text
    files: dict[str, str | bytes] = field(default_factory=dict)
    args: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.name


def _rule(extra: str) -> tuple[str, str]:
    """Replace the rule's reason line with other lines of the same rule."""
    return ('    reason: "open {priority} case {case_id}"\n', extra)


CATALOGUE = [
    Bad("rules file missing", r"nope\.yaml: rules file not found", args=("--rules", "nope.yaml")),
    Bad(
        "broken yaml",
        r"rules\.yaml: line 5: not valid YAML \(expected ',' or '\]', but got ':'\)",
        ("sources:\n", "sources: [\n"),
    ),
    Bad(
        "yaml object tag",
        r"rules\.yaml: line 2: YAML tag .*python/object",
        ("campaign:", "x: !!python/object/apply:os.system [id]\ncampaign:"),
    ),
    Bad("rules not a mapping", r"rules\.yaml: a rules file must be a YAML mapping", "- a\n- b\n"),
    Bad(
        "version missing", r"rules\.yaml:1: required key 'version' is missing", ("version: 1\n", "")
    ),
    Bad(
        "version 2",
        r"rules\.yaml:1: version: `version: 1` is the only",
        ("version: 1", "version: 2"),
    ),
    Bad(
        "unknown top-level key",
        r"rules\.yaml:9: rulez: unknown key 'rulez' \(did you mean 'rules'\?\)",
        ("rules:\n", "rulez:\n"),
    ),
    Bad(
        "empty rules list",
        r"rules\.yaml:9: rules: list should have at least 1 item",
        RULES.split("rules:")[0] + "rules: []\n",
    ),
    Bad(
        "rule without id",
        r"rules\.yaml:10: rules\[0\]\.ide: unknown key 'ide' \(did you mean 'id'\?\) \(and 1 more problem: run `cxaudit validate`\)",
        ("- id: severe", "- ide: severe"),
    ),
    Bad(
        "misspelt rule key",
        r"rules\.yaml:15: rule 'severe', acton: unknown key 'acton' \(did you mean 'action'\?\)",
        ("    action: suppress", "    acton: suppress"),
    ),
    Bad(
        "unknown action",
        r"rules\.yaml:15: rule 'severe', action: input should be 'suppress', 'flag' or 'allow'",
        ("action: suppress", "action: remove"),
    ),
    Bad(
        "duplicate rule id",
        r"rules\.yaml:17: rule 'severe', id: duplicate rule id 'severe'",
        _rule('    reason: "x"\n  - id: severe\n    source: cases\n    action: flag\n'),
    ),
    Bad(
        "unknown source",
        r"rules\.yaml:11: rule 'severe', source: unknown source 'case' \(did you mean 'cases'\?\)",
        ("    source: cases", "    source: case"),
    ),
    Bad(
        "unknown field",
        r"rules\.yaml:13: rule 'severe', where\.statu: unknown field 'statu' .*did you mean 'status'",
        ("      status: {in", "      statu: {in"),
    ),
    Bad(
        "unknown operator",
        r"rules\.yaml:14: rule 'severe', where\.priority\.inn: unknown operator 'inn' \(did you mean 'in'\?\)",
        ("priority: {in:", "priority: {inn:"),
    ),
    Bad(
        "bad regex",
        r"rules\.yaml:14: rule 'severe', where\.priority\.matches: invalid regular expression '\(high'",
        ("priority: {in: [high, urgent]}", 'priority: {matches: "(high"}'),
    ),
    Bad(
        "catastrophic regex",
        r"rules\.yaml:14: rule 'severe', where\.priority\.matches: regular expression '\(a\+\)\+\$' repeats a group that itself repeats",
        ("priority: {in: [high, urgent]}", 'priority: {matches: "(a+)+$"}'),
    ),
    Bad(
        "unknown campaign reference",
        r"rules\.yaml:14: .*unknown reference '\$campaign\.ofer' \(did you mean 'offer'\?\)",
        ("priority: {in: [high, urgent]}", "priority: {equals: $campaign.ofer}"),
    ),
    Bad(
        "date operator on a text field",
        r"rules\.yaml:14: .*within_days needs a date field; list 'priority' under sources\.cases\.dates",
        ("priority: {in: [high, urgent]}", "priority: {within_days: 3}"),
    ),
    Bad(
        "condition without operator",
        r"rules\.yaml:14: .*write the condition as `priority: \{operator: value\}`",
        ("priority: {in: [high, urgent]}", "priority: high"),
    ),
    Bad(
        "in without a list",
        r"rules\.yaml:14: .*in takes a non-empty list",
        ("priority: {in: [high, urgent]}", "priority: {in: high}"),
    ),
    Bad(
        "gt with text",
        r"rules\.yaml:14: .*gt takes a number",
        ("priority: {in: [high, urgent]}", "priority: {gt: high}"),
    ),
    Bad(
        "before with a non-date",
        r"rules\.yaml:14: .*'2026-13-45' is not a date",
        ("priority: {in: [high, urgent]}", "opened_at: {before: 2026-13-45}"),
    ),
    Bad(
        "empty with yes",
        r"rules\.yaml:14: .*empty takes true or false",
        ("priority: {in: [high, urgent]}", "priority: {empty: yes}"),
    ),
    Bad(
        "reference inside a list",
        r"rules\.yaml:14: .*references are not allowed inside in lists",
        ("priority: {in: [high, urgent]}", "priority: {in: [$campaign.offer]}"),
    ),
    Bad(
        "where not a mapping",
        r"rules\.yaml:12: rule 'severe', where: .*valid dictionary",
        (
            "    where:\n      status: {in: [open, pending]}\n      priority: {in: [high, urgent]}\n",
            "    where: [status]\n",
        ),
    ),
    Bad(
        "unknown field in reason template",
        r"rules\.yaml:16: rule 'severe', reason: \{prio\} is not a field of 'cases'",
        _rule('    reason: "open {prio} case"\n'),
    ),
    Bad(
        "bad date format in reason template",
        r"rules\.yaml:16: rule 'severe', reason: \{opened_at:%Y-%m-%d!\}|bad format|invalid template",
        _rule('    reason: "opened {opened_at:%Y}} x {"\n'),
    ),
    Bad(
        "min_count with match none",
        r"rules\.yaml:17: rule 'severe', min_count: min_count applies to `match: any` only",
        _rule("    match: none\n    min_count: 2\n"),
    ),
    Bad(
        "applies_to unknown attribute",
        r"rules\.yaml:16: rule 'severe', applies_to\.segment: unknown applies_to attribute 'segment'; use type, channel or offer",
        _rule("    applies_to: {segment: [vip]}\n"),
    ),
    Bad(
        "dates lists an unmapped field",
        r"rules\.yaml:8: sources\.cases\.dates: 'closed_at' is listed in dates but not mapped",
        ("dates: [opened_at]", "dates: [opened_at, closed_at]"),
    ),
    Bad(
        "unknown identity key",
        r"rules\.yaml:6: sources\.cases\.keys\.mail: unknown identity key 'mail'",
        (
            'keys: {customer_id: "Customer ID", email: "Requester email"}',
            "keys: {mail: Requester email}",
        ),
    ),
    Bad(
        "bad phone region",
        r"rules\.yaml:2: phone_region: 'USA' is not a region code",
        ("campaign:", "phone_region: USA\ncampaign:"),
    ),
    Bad(
        "unknown campaign column in a recipient rule",
        r"rules\.yaml:19: rule 'consent', where\.sms_optin: the campaign file campaign\.csv has no column 'sms_optin'",
        _rule(
            '    reason: "x"\n  - id: consent\n    where:\n      sms_optin: {equals: no}\n    action: suppress\n'
        ),
    ),
    Bad(
        "unknown recipient reference",
        r"rules\.yaml:14: rule 'severe', where\.priority\.equals: the campaign file campaign\.csv has no column 'tier'",
        ("priority: {in: [high, urgent]}", "priority: {equals: $recipient.tier}"),
    ),
    Bad("source file missing", r"cases\.csv: file not found", files={"cases.csv": None}),  # type: ignore[dict-item]
    Bad(
        "mapped column missing from the source",
        r"cases\.csv: has no column 'Priority' \(mapped by sources\.cases\.columns\.priority at rules\.yaml:7\)",
        files={
            "cases.csv": "Id,Customer ID,Requester email,Status,Created at\n1,C1,,open,2026-11-01\n"
        },
    ),
    Bad(
        "mapped key column missing from the campaign",
        r"campaign\.csv: has no column 'phone' \(mapped by recipients\.keys\.phone",
        ("campaign:", "recipients:\n  keys: {email: email, phone: phone}\ncampaign:"),
    ),
    Bad(
        "campaign without any identity column",
        r"campaign\.csv: no identity column found",
        files={"campaign.csv": "name,zip\nAnn,02134\n"},
    ),
    Bad(
        "unparseable date in a source",
        r"cases\.csv: row 3, column 'Created at': 'yesterday' is not a date",
        files={"cases.csv": CASES + "2,C2,,open,high,yesterday\n"},
    ),
    Bad(
        "text in a number comparison",
        r"cases\.csv: row 2, column 'Priority': 'high' is not a number, but rule 'severe' compares",
        ("priority: {in: [high, urgent]}", "priority: {gte: 2}"),
    ),
    Bad(
        "campaign not utf-8",
        r"campaign\.csv: line 2 \(byte offset \d+\) is not valid utf-8 .*--encoding",
        files={
            "campaign.csv": "customer_id,email,name\nC1,ann@example.com,Jos\xe9\n".encode("latin-1")
        },
    ),
    Bad("unknown encoding", r"campaign\.csv: unknown encoding 'utf9'", args=("--encoding", "utf9")),
    Bad(
        "ragged campaign row",
        r"campaign\.csv: row 4 has 4 fields but the header has 3",
        files={"campaign.csv": CAMPAIGN + "C3,cara@example.com,60601,extra\n"},
    ),
    Bad("empty campaign", r"campaign\.csv: is empty", files={"campaign.csv": ""}),
    Bad(
        "campaign missing", r"missing\.csv: file not found", args=("--campaign-file", "missing.csv")
    ),
    Bad(
        "campaign is an Excel file",
        r"campaign\.csv: is not a CSV file \(it looks like an Excel workbook",
        files={"campaign.csv": b"PK\x03\x04\x14\x00\x06\x00"},
    ),
    Bad(
        "campaign is an earlier suppressed.csv",
        r"campaign\.csv: already has a 'cxaudit_rules' column",
        files={"campaign.csv": "email,cxaudit_rules,cxaudit_reasons\nann@example.com,x,y\n"},
    ),
    Bad("bad --as-of", r"--as-of 'tomorrow': not a date", args=("--as-of", "tomorrow")),
    Bad("--out is a file", r"--out out: is a file, not a folder", files={"out": "not a folder"}),
    Bad(
        "--source without =", r"--source 'cases': write it as NAME=PATH", args=("--source", "cases")
    ),
    Bad(
        "--source for an unknown source",
        r"--source orders=o\.csv: the rules file has no source 'orders' \(its sources: cases\)",
        args=("--source", "orders=o.csv"),
    ),
    Bad("--format unknown", r"Invalid value for '--format'", args=("--format", "xml")),
]


@pytest.mark.parametrize("bad", CATALOGUE, ids=str)
def test_bad_input_exits_2_with_a_clear_message_and_writes_nothing(ws: Workspace, bad: Bad) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES)
    rules = RULES
    if isinstance(bad.rules, tuple):
        assert bad.rules[0] in rules, "fixture out of date"
        rules = rules.replace(bad.rules[0], bad.rules[1], 1)
    elif isinstance(bad.rules, str):
        rules = bad.rules
    ws.write("rules.yaml", rules)
    for name, content in bad.files.items():
        if content is None:
            (ws.root / name).unlink()
        else:
            ws.write(name, content)
    args = list(bad.args)
    campaign = "campaign.csv"
    if "--campaign-file" in args:
        campaign = args[args.index("--campaign-file") + 1]
        args = []
    result = ws.cli("audit", campaign, "--as-of", "2026-11-20", "--out", "out", *args)

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert lines, "the error must be on stderr"
    errors = [line for line in lines if line.startswith("cxaudit: error:")]
    if "Usage:" not in result.stderr:
        # one error line, last; anything before it is a timestamped progress line
        assert len(errors) == 1 and lines[-1] == errors[0], lines
        assert all(LOG_LINE.match(line) for line in lines[:-1]), lines
    err = errors[0] if errors else result.stderr
    assert re.search(bad.message, err), err
    if bad.name != "--out is a file":
        assert not (ws.root / "out").exists(), "nothing may be written on exit 2"


def test_catalogue_is_big_enough() -> None:
    assert len(CATALOGUE) >= 30


def test_debug_shows_the_traceback(ws: Workspace) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES)
    ws.write("rules.yaml", RULES.replace("version: 1", "version: 2"))
    from cxaudit.errors import CxauditError

    with pytest.raises(CxauditError):
        ws.cli("audit", "campaign.csv", "--debug")


def test_validate_lists_every_problem_with_line_rule_and_key(ws: Workspace) -> None:
    ws.write("cases.csv", CASES)
    ws.write(
        "rules.yaml",
        RULES.replace("priority: {in:", "priority: {inn:").replace(
            "    source: cases", "    source: cases\n    match: some"
        ),
    )
    result = ws.cli("validate", "rules.yaml")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "cxaudit: error: rules.yaml:12: rule 'severe', match: input should be 'any' or 'none'",
    ]
    ws.write(
        "rules.yaml",
        RULES.replace("priority: {in:", "priority: {inn:").replace("status: {in", "statu: {in"),
    )
    result = ws.cli("validate", "rules.yaml")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(
        "cxaudit: error: rules.yaml:13: rule 'severe', where.statu: unknown field"
    )
    assert lines[1].startswith(
        "cxaudit: error: rules.yaml:14: rule 'severe', where.priority.inn: unknown operator 'inn'"
    )
