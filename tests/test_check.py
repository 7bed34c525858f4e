"""`cxaudit check`: exit codes, sidecars, and every output format."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cxaudit.audit import AuditRequest
from cxaudit.check import run_check
from cxaudit.renderers import RENDERERS, check_dict
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
    ws.write("flagged.csv", "customer_id,email\nC3,cara@example.com\n")
    assert ws.cli("check", "flagged.csv").exit_code == 0
    assert ws.cli("check", "flagged.csv", "--fail-on", "flag").exit_code == 1
    assert not any(p.name.startswith("cxaudit-out") for p in ws.root.iterdir()), (
        "check writes nothing"
    )


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


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_every_format_matches_its_golden_file(ws: Workspace, fmt: str) -> None:
    _setup(ws)
    result = ws.cli("check", "clean.csv", "dirty.csv", "--as-of", "2026-11-20", "--format", fmt)
    assert result.exit_code == 1
    golden = GOLDEN / f"{fmt}.out"
    if os.environ.get("CXAUDIT_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(result.stdout)
    assert result.stdout == golden.read_text()


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_no_format_shows_a_full_email_unless_asked(ws: Workspace, fmt: str) -> None:
    _setup(ws)
    masked = ws.cli("check", "dirty.csv", "--format", fmt).stdout
    assert "@example.com" in masked
    assert not re.search(r"(ann|bob|cara)@example\.com", masked)
    shown = ws.cli("check", "dirty.csv", "--format", fmt, "--show-pii").stdout
    assert "ann@example.com" in shown


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
        "::error file=dirty.csv,line=4,title=cxaudit severe::a***@example.com would be "
        "suppressed: urgent case 1"
    )
    # line 4 of the campaign file is Ann's row (the note above spans two lines)
    assert (ws.root / "dirty.csv").read_text().splitlines()[3].startswith("C1,ann@")
    assert out[1] == (
        "::error file=rules.yaml,line=19,title=cxaudit severe::rule severe: 1 recipient(s) "
        "would be suppressed in dirty.csv"
    )
    assert (ws.root / "rules.yaml").read_text().splitlines()[18] == "  - id: severe"


def test_step_summary_is_appended_when_set(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    _setup(ws)
    summary = ws.root / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    ws.cli("check", "dirty.csv", "--format", "github")
    text = summary.read_text()
    assert text.startswith("earlier step\n## cxaudit check\n")
    assert "| dirty.csv | promotional | email | - | 3 | 1 | 1 | FAIL |" in text
