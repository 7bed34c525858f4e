"""The catalogue of bad inputs: each one exits 2 with one clear message that
names the file (and line, row or column), prints no traceback and writes
nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from cxaudit.rules.yamlsafe import MAX_BYTES
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


def exact(message: str) -> str:
    """The regex of exactly this error line."""
    return "^cxaudit: error: " + re.escape(message) + "$"


# "Billion laughs": each line nine times the one before, 9**7 values in all.
LAUGHS = "".join(
    f"l{i}: &l{i} [{', '.join([f'*l{i - 1}' if i else 'ha'] * 9)}]\n" for i in range(7)
)


# The same, nine levels deep: 9**9 values from under 500 bytes.
LAUGHS9 = "".join(
    f"l{i}: &l{i} [{', '.join([f'*l{i - 1}' if i else 'ha'] * 9)}]\n" for i in range(9)
)
# Three anchors of lists 45 deep, each holding the one before: 136 levels.
DEEP_ALIASES = "".join(
    f"d{i}: &d{i} {'[' * 45}{f'*d{i - 1}' if i else '1'}{']' * 45}\n" for i in range(3)
)
OVER_1_MIB = "# " + "x" * MAX_BYTES + "\n"
SIDECAR_OVER_1_MIB = "type: promotional\n" + OVER_1_MIB


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
        "regex backreference",
        exact(
            "rules.yaml:14: rule 'severe', where.priority.matches: regular expression '(a)\\1' uses a backreference, which cxaudit's linear-time matcher does not support; write the repeated text out instead, like (ab)ab rather than (ab)\\1"
        ),
        ("priority: {in: [high, urgent]}", "priority: {matches: '(a)\\1'}"),
    ),
    Bad(
        "regex lookahead",
        exact(
            "rules.yaml:14: rule 'severe', where.priority.matches: regular expression 're(?=fund)' uses a lookahead (?=...), which cxaudit's linear-time matcher does not support; match the text itself instead, like foobar rather than foo(?=bar): a rule only asks whether a cell matches, so the extra text changes nothing"
        ),
        ("priority: {in: [high, urgent]}", "priority: {matches: 're(?=fund)'}"),
    ),
    Bad(
        "regex negative lookahead",
        exact(
            "rules.yaml:14: rule 'severe', where.priority.matches: regular expression 'high(?!er)' uses a negative lookahead (?!...), which cxaudit's linear-time matcher does not support; name the characters that may stand there instead, like foo($|[^b]) rather than foo(?!b)"
        ),
        ("priority: {in: [high, urgent]}", "priority: {matches: 'high(?!er)'}"),
    ),
    Bad(
        "regex lookbehind",
        exact(
            "rules.yaml:14: rule 'severe', where.priority.matches: regular expression '(?<=very )high' uses a lookbehind (?<=...), which cxaudit's linear-time matcher does not support; match the text itself instead, like foobar rather than (?<=foo)bar: a rule only asks whether a cell matches, so the extra text changes nothing"
        ),
        ("priority: {in: [high, urgent]}", "priority: {matches: '(?<=very )high'}"),
    ),
    Bad(
        "regex negative lookbehind",
        exact(
            "rules.yaml:14: rule 'severe', where.priority.matches: regular expression '(?<!not )high' uses a negative lookbehind (?<!...), which cxaudit's linear-time matcher does not support; name the characters that may stand there instead, like (^|[^f])oo rather than (?<!f)oo"
        ),
        ("priority: {in: [high, urgent]}", "priority: {matches: '(?<!not )high'}"),
    ),
    Bad(
        "regex atomic group",
        exact(
            "rules.yaml:14: rule 'severe', where.priority.matches: regular expression '(?>h+)igh' uses an atomic group (?>...), which cxaudit's linear-time matcher does not support; write a plain group (...) instead: a linear-time matcher never backtracks, so it is not needed"
        ),
        ("priority: {in: [high, urgent]}", "priority: {matches: '(?>h+)igh'}"),
    ),
    Bad(
        "regex possessive repeat",
        exact(
            "rules.yaml:14: rule 'severe', where.priority.matches: regular expression 'h++igh' uses a possessive repeat (like a*+ or a++), which cxaudit's linear-time matcher does not support; drop the last + (a* or a+): a linear-time matcher never backtracks, so it is not needed"
        ),
        ("priority: {in: [high, urgent]}", "priority: {matches: 'h++igh'}"),
    ),
    Bad(
        "regex conditional group",
        exact(
            "rules.yaml:14: rule 'severe', where.priority.matches: regular expression '(<)?high(?(1)>)' uses a conditional group (?(1)...), which cxaudit's linear-time matcher does not support; write the cases as alternatives instead, like (a|b)"
        ),
        ("priority: {in: [high, urgent]}", "priority: {matches: '(<)?high(?(1)>)'}"),
    ),
    Bad(
        "regex word boundary between mixed parts",
        exact(
            "rules.yaml:14: rule 'severe', where.priority.matches: regular expression 'very.*\\bhigh' uses \\b between parts that may each be a letter or not, which cxaudit's linear-time matcher cannot check; put it next to letters, digits or punctuation (like \\bword\\b), or start the pattern with (?a) for ASCII word boundaries"
        ),
        ("priority: {in: [high, urgent]}", "priority: {matches: 'very.*\\bhigh'}"),
    ),
    Bad(
        "regex repeat count past 1000",
        exact(
            "rules.yaml:14: rule 'severe', where.priority.matches: regular expression 'h{1001}' repeats a part {1001} times, more than the 1,000 that cxaudit's linear-time matcher counts; use + or * for any number of times"
        ),
        ("priority: {in: [high, urgent]}", "priority: {matches: 'h{1001}'}"),
    ),
    Bad(
        "regex nested repeat counts past 1000",
        exact(
            "rules.yaml:14: rule 'severe', where.priority.matches: regular expression '(h{10}){101}' repeats a part more than 1,000 times once nested counts are multiplied (like (a{100}){100}), which cxaudit's linear-time matcher does not support; use + or * for any number of times"
        ),
        ("priority: {in: [high, urgent]}", "priority: {matches: '(h{10}){101}'}"),
    ),
    Bad(
        "regex too large for the linear-time matcher",
        exact(
            "rules.yaml:14: rule 'severe', where.priority.matches: regular expression '\\w{500}' is too large for cxaudit's linear-time matcher (pattern too large - compile failed); use fewer or smaller counted repeats, like \\w+ rather than \\w{500}"
        ),
        ("priority: {in: [high, urgent]}", "priority: {matches: '\\w{500}'}"),
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
        r"campaign\.csv: has none of the identity columns looked for: phone: 'phone'; map a",
        ("campaign:", "recipients:\n  keys: {phone: phone}\ncampaign:"),
    ),
    Bad(
        "campaign without any identity column",
        r"campaign\.csv: no identity column found",
        files={"campaign.csv": "name,zip\nAnn,02134\n"},
    ),
    Bad(
        "unparseable date in a source",
        r"cases\.csv: row 3, column 'Created at': not a date in the format ISO 8601 .*\(the value reads like 'aaaa'\)",
        files={"cases.csv": CASES + "2,C2,,open,high,soon\n"},
    ),
    Bad(
        "a date format on a field not listed in dates",
        r"rules\.yaml:16: rule 'severe', reason: \{case_id:%Y-%m-%d\} formats case_id as a date, "
        r"but case_id is not listed in sources\.cases\.dates; add it there \(or write \{case_id\}\)",
        _rule('    reason: "case {case_id:%Y-%m-%d}"\n'),
    ),
    Bad(
        "text in a number comparison",
        r"cases\.csv: row 2, column 'Priority': not a number, but rule 'severe' compares",
        ("priority: {in: [high, urgent]}", "priority: {gte: 2}"),
    ),
    Bad(
        "campaign not utf-8",
        r"campaign\.csv: line 2 \(byte offset \d+\) is not valid utf-8 .*--encoding",
        files={
            "campaign.csv": "customer_id,email,name\nC1,ann@example.com,Jos\xe9\n".encode("latin-1")
        },
    ),
    Bad("unknown encoding", r"--encoding: unknown encoding 'utf9'", args=("--encoding", "utf9")),
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
    # A degraded run is never green (issue 21): each of these is exit 2.
    Bad(
        "campaign repeats its header mid-file",
        exact(
            "campaign.csv: row 4: repeats the header (files joined end to end?); remove the "
            "line, or pass the files as parts of one list (a folder)"
        ),
        files={"campaign.csv": CAMPAIGN + "customer_id,email,zip\nC3,cara@example.com,60601\n"},
    ),
    Bad(
        "today in a source date",
        r"cases\.csv: row 2, column 'Created at': 'today' is a word for a day, not a date",
        files={"cases.csv": CASES.replace("2026-11-01", "today")},
    ),
    Bad(
        "--encoding rot13",
        exact(
            "--encoding: 'rot13' is not a text encoding a file is written in; use one such as "
            "utf-8, cp1252 or latin-1"
        ),
        args=("--encoding", "rot13"),
    ),
    Bad(
        "--out empty",
        exact("--out '': empty (an unset variable in a script?); give a path or value"),
        args=("--out", ""),
    ),
    Bad("--out is a file", r"--out out: is a file, not a folder", files={"out": "not a folder"}),
    Bad(
        "--source without =", r"--source 'cases': write it as NAME=PATH", args=("--source", "cases")
    ),
    Bad(
        "--source for an unknown source",
        r"--source orders=o\.csv: the rules file has no source 'orders' \(its sources: cases\)",
        args=("--source", "orders=o.csv"),
    ),
    Bad("--format unknown", r"Invalid value for '--format'.*'xml'", args=("--format", "xml")),
    # Hostile values: each once gave an "internal error" or matched nothing in silence.
    *(
        Bad(
            f"{op}: {value[:12]}",
            exact(
                f"rules.yaml:14: rule 'severe', where.opened_at.{op}: {op} takes a number of "
                f"days from 0 to 3652058 (years 1 to 9999), e.g. `{op}: 14`"
            ),
            ("priority: {in: [high, urgent]}", f"opened_at: {{{op}: {value}}}"),
        )
        for op, value in [
            ("within_days", ".inf"),
            ("within_days", ".nan"),
            ("within_days", "-1"),
            ("within_days", "3652059"),
            ("older_than_days", "1e300"),
            ("older_than_days", "9" * 400),
            ("older_than_days", "-.inf"),
        ]
    ),
    *(
        Bad(
            f"{op}: {value[:10]}",
            exact(
                f"rules.yaml:14: rule 'severe', where.priority.{op}: {op} takes a finite number, "
                f"e.g. `{op}: 3`; .inf, .nan and numbers past 1.7e308 compare with nothing"
            ),
            ("priority: {in: [high, urgent]}", f"priority: {{{op}: {value}}}"),
        )
        for op, value in [("gt", ".inf"), ("gte", "-.inf"), ("lt", ".nan"), ("lte", "9" * 400)]
    ),
    Bad(
        "before: a date in year 10000 in UTC",
        exact(
            "rules.yaml:14: rule 'severe', where.opened_at.before: '9999-12-31T23:00:00-05:00' "
            "is 10000-01-01T04:00:00Z in UTC, outside the years 0001 to 9999; give a date "
            "inside them"
        ),
        ("priority: {in: [high, urgent]}", 'opened_at: {before: "9999-12-31T23:00:00-05:00"}'),
    ),
    Bad(
        "--as-of in year 0",
        exact(
            "--as-of '0000-06-01': is 0000-06-01T00:00:00Z in UTC, outside the years 0001 to "
            "9999; give a moment inside them"
        ),
        args=("--as-of", "0000-06-01"),
    ),
    Bad(
        "regex repeat count past the limit",
        exact(
            "rules.yaml:14: rule 'severe', where.priority.matches: invalid regular expression "
            "'a{4294967296}': the repetition number is too large"
        ),
        ("priority: {in: [high, urgent]}", "priority: {matches: 'a{4294967296}'}"),
    ),
    Bad(
        "regex nested 2000 groups deep",
        exact(
            "rules.yaml:14: rule 'severe', where.priority.matches: invalid regular expression "
            "'(((((((((((((((((((((((((((((((((((((((('...: its groups are nested too deeply to "
            "compile; simplify it"
        ),
        ("priority: {in: [high, urgent]}", f"priority: {{matches: '{'(' * 2000}a{')' * 2000}'}}"),
    ),
    Bad(
        "YAML nested 500 deep",
        exact(
            "rules.yaml: line 16: nested more than 100 levels deep; write the mappings and lists out flatter"
        ),
        _rule(f"    reason: {'[' * 500}{']' * 500}\n"),
    ),
    Bad(
        "YAML mappings nested 500 deep, block style",
        exact(
            "rules.yaml: line 114: nested more than 100 levels deep; write the mappings and lists out flatter"
        ),
        _rule("    reason: x\n    x:\n" + "".join(" " * (6 + i) + f"k{i}:\n" for i in range(500))),
    ),
    Bad(
        "YAML alias inside its own anchor",
        exact(
            "rules.yaml: line 16: an alias (*name) refers to a mapping or list that contains it, "
            "which would never end; remove the alias"
        ),
        _rule("    reason: &loop [*loop]\n"),
    ),
    Bad(
        "YAML aliases expanding to a billion values",
        exact(
            "rules.yaml: line 8: aliases expand to more than 1,000,000 values; write the "
            "repeated parts out instead"
        ),
        ("campaign:", LAUGHS + "campaign:"),
    ),
    Bad(
        "YAML aliases expanding to 9**9 values",
        exact(
            "rules.yaml: line 8: aliases expand to more than 1,000,000 values; write the "
            "repeated parts out instead"
        ),
        ("campaign:", LAUGHS9 + "campaign:"),
    ),
    Bad(
        "YAML aliases nested past 100 levels",
        exact(
            "rules.yaml: line 4: nested more than 100 levels deep once aliases are expanded; "
            "write the mappings and lists out flatter"
        ),
        ("campaign:", DEEP_ALIASES + "campaign:"),
    ),
    Bad(
        "rules file over 1 MiB",
        exact(
            f"rules.yaml: {len(RULES) + len(OVER_1_MIB):,} bytes, over the 1 MiB that cxaudit "
            "reads from a YAML file (a rules file is a few KB); check that this is the right file"
        ),
        RULES + OVER_1_MIB,
    ),
    Bad(
        "YAML integer of 5000 digits",
        exact(
            "rules.yaml: line 14: a number of 5,000 characters is too long to read; quote it if it is text"
        ),
        ("priority: {in: [high, urgent]}", f"priority: {{equals: {'7' * 5000}}}"),
    ),
    Bad(
        "YAML !!int tag on text",
        exact(
            "rules.yaml: line 14: 'high' is not a valid int; fix the value or drop the !!int tag"
        ),
        ("priority: {in: [high, urgent]}", "priority: {equals: !!int high}"),
    ),
    Bad(
        "YAML !!bool tag on text",
        exact(
            "rules.yaml: line 14: 'maybe' is not a valid bool; fix the value or drop the !!bool tag"
        ),
        ("priority: {in: [high, urgent]}", "priority: {empty: !!bool maybe}"),
    ),
    Bad(
        "reason with a width of a billion",
        exact(
            "rules.yaml:16: rule 'severe', reason: {case_id:>999999999}: widths and precisions "
            "above 1000 are not supported"
        ),
        _rule('    reason: "case {case_id:>999999999}"\n'),
    ),
    Bad(
        "reason with a width past the digits limit",
        exact(
            "rules.yaml:16: rule 'severe', reason: {count:.99999999999999999999}: widths and "
            "precisions above 1000 are not supported"
        ),
        _rule('    reason: "{count:.99999999999999999999}"\n'),
    ),
    Bad(
        "reason with a nested placeholder in a format spec",
        exact(
            "rules.yaml:16: rule 'severe', reason: {case_id:{count}}: bad format (Invalid format "
            "specifier '{count}' for object of type 'str')"
        ),
        _rule('    reason: "case {case_id:{count}}"\n'),
    ),
    Bad(
        "reason reading an attribute",
        exact(
            "rules.yaml:16: rule 'severe', reason: {case_id.__class__}: case_id has no attributes "
            "to read; write {case_id}"
        ),
        _rule('    reason: "case {case_id.__class__}"\n'),
    ),
    Bad(
        "reason with an unknown conversion",
        exact(
            "rules.yaml:16: rule 'severe', reason: {case_id!x}: unknown conversion !x; use !r, "
            "!s or !a"
        ),
        _rule('    reason: "case {case_id!x}"\n'),
    ),
    *(
        Bad(
            f"--out {out}",
            exact(f"--out {out}: unknown placeholder {label}; use {{date}} or {{datetime}}"),
            args=("--out", out),
        )
        for out, label in [
            ("runs/{date.year}", "'date.year'"),
            ("runs/{0}", "'0'"),
            ("runs/{}", "{}"),
            ("runs/{date!r}", "'date!r'"),
            ("runs/{date:>99999999999}", "'date:>99999999999'"),
            ("runs/{date[0]}", "'date[0]'"),
        ]
    ),
    Bad(
        "--out with an unclosed brace",
        exact(
            "--out runs/{date: expected '}' before end of string; use {date} or {datetime}, "
            "and {{ or }} for a literal brace"
        ),
        args=("--out", "runs/{date"),
    ),
    Bad(
        "campaign sidecar nested 500 deep",
        exact(
            "campaign.campaign.yaml: line 1: nested more than 100 levels deep; write the "
            "mappings and lists out flatter"
        ),
        files={"campaign.campaign.yaml": "type: " + "[" * 500 + "]" * 500 + "\n"},
    ),
    Bad(
        "campaign sidecar of a billion laughs",
        exact(
            "campaign.campaign.yaml: line 7: aliases expand to more than 1,000,000 values; "
            "write the repeated parts out instead"
        ),
        files={"campaign.campaign.yaml": LAUGHS9 + "type: promotional\n"},
    ),
    Bad(
        "campaign sidecar over 1 MiB",
        exact(
            f"campaign.campaign.yaml: {len(SIDECAR_OVER_1_MIB):,} bytes, over "
            "the 1 MiB that cxaudit reads from a YAML file (a rules file is a few KB); check "
            "that this is the right file"
        ),
        files={"campaign.campaign.yaml": SIDECAR_OVER_1_MIB},
    ),
]


def prepare(ws: Workspace, bad: Bad) -> tuple[str, list[str]]:
    """Write ``bad``'s files into ``ws``; the campaign file and the options to run with."""
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
    return campaign, args


@pytest.mark.parametrize("bad", CATALOGUE, ids=str)
def test_bad_input_exits_2_with_a_clear_message_and_writes_nothing(ws: Workspace, bad: Bad) -> None:
    campaign, args = prepare(ws, bad)
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
