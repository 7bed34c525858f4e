"""Customer-written text through every shared output: each format escapes it
so it cannot change the output's structure, and personal data stays masked
unless --show-pii. Golden files per format show the escaped output exactly.

To accept a deliberate change: CXAUDIT_UPDATE_GOLDEN=1 pytest tests/end_to_end/test_hostile.py
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import REPO, Workspace

GOLDEN = REPO / "tests" / "golden" / "hostile"

SPACES = {"space": " ", "nbsp": "\u00a0", "ideographic": "\u3000", "newline": "\n"}
# Subjects a customer could type (or paste) into a support case.
HOSTILE = [
    *(f"{sp}{f}HYPERLINK(1)" for sp in SPACES.values() for f in "=+-@"),
    "x\n::error file=rules.yaml,line=1::forged\ncxaudit check: 9 campaign file(s), 0 failed",
    "cr\rlf\ncrlf\r\nend",
    "ctl \x0b \x01 \x07 \x1b[31mred\x1b[0m",
    "<!-- the rest of the report is hidden",
    "<script>alert(1)</script><img src=x onerror=alert(2)>",
    "evil\u202egnp.exe zero\u200bwidth\u2060joiner",
    "a | b | c",
    "`code` ```fence``` [pay here](https://phish.example)",
    # live GitHub markup in a PR comment: people and teams notified, a link to click
    "@octocat @acme/security see #123, acme/app#7 and GH-45: https://evil.example/pay or "
    "www.evil.example",
    # personal data written inside free text, not in a key column
    "call me at 617-555-0199 or write to free.text@private.example",
]
# What PR-comment markup must never become live (Markdown outputs).
LIVE = ("@octocat", "@acme", "#123", "#7", "GH-45", "https://evil", "www.evil", "@private")
# Personal data the reasons quote: masked unless --show-pii.
EMAIL = "victim.person@private.example"
PHONE = "+1 617 555 0134"


def _campaign() -> str:
    rows = ["customer_id,email,phone"]
    rows += [f"C{i},p{i}.secret@private.example,+1 617 555 {1000 + i}" for i in range(len(HOSTILE))]
    return "\n".join(rows) + "\n"


def _cases() -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["Id", "Customer ID", "Requester", "Phone", "Subject", "Priority"])
    for i, subject in enumerate(HOSTILE):
        writer.writerow([100 + i, f"C{i}", EMAIL, PHONE, subject, "urgent" if i % 2 else "low"])
    return buf.getvalue()


RULES = """
- id: urgent
  source: cases
  where: {priority: {equals: urgent}}
  action: suppress
  reason: "{subject} (case {case_id} from {requester}, {caller_phone})"
- id: low
  source: cases
  where: {priority: {equals: low}}
  action: flag
  reason: "{subject}"
"""
SOURCE = """
cases:
  path: cases.csv
  keys: {customer_id: Customer ID}
  columns: {case_id: Id, requester: Requester, caller_phone: Phone, subject: Subject, priority: Priority}
  pii: [caller_phone]
"""


@pytest.fixture
def hostile(ws: Workspace) -> Workspace:
    ws.write("campaign.csv", _campaign())
    ws.write("cases.csv", _cases())
    ws.rules(RULES, sources=SOURCE, head="campaign: {type: promotional, channel: email}\n")
    return ws


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("CXAUDIT_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    assert text == path.read_bytes().decode("utf-8"), name


def _no_personal_data(text: str) -> None:
    assert EMAIL not in text and "secret@private" not in text
    assert "free.text@private" not in text and "ree.text@" not in text
    assert not re.search(r"617\D{0,3}555\D{0,3}\d{4}", text), "a full phone number"


FORMATS = ["text", "json", "junit", "github", "markdown", "sarif"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_check_formats_escape_hostile_text(hostile: Workspace, fmt: str) -> None:
    result = hostile.cli("check", "campaign.csv", "--as-of", "2026-11-20", "--format", fmt)
    assert result.exit_code == 1, result.output
    out = result.stdout
    _golden(f"check.{fmt}.out", out)
    _no_personal_data(out)
    lines = out.splitlines()
    if fmt == "github":
        assert all(
            re.match(r"^::(error|warning) file=[^:]*::|^cxaudit check: ", ln) for ln in lines
        )
        assert lines[-1] == "cxaudit check: 1 campaign file(s), 1 failed"
    if fmt == "text":
        assert len(lines) == 1 + len(HOSTILE) + 1  # the file, a line per row, the total
        assert lines[-1].startswith("cxaudit check: 1 campaign file(s), 1 failed")
    if fmt == "junit":
        ET.fromstring(out.encode())  # parses: nothing XML 1.0 forbids
    if fmt == "markdown":
        assert "<!--" not in out and "<script" not in out and "<img" not in out
        assert [live for live in LIVE if live in out] == []
        rows = [ln for ln in lines if ln.startswith("| ") and not ln.startswith("| -")]
        cells = [re.split(r"(?<!\\)\|", ln)[1:-1] for ln in rows]
        violations = [c for c in cells if len(c) == 4 and c[0].strip().isdigit()]
        assert len(violations) == len(HOSTILE)  # no row split or merged by a pipe or line break
        formulas = [c for row in cells for c in row if re.match(r"^\s*[=+\-@]", c)]
        assert set(formulas) == {" - "}  # only placeholders of blank cells
    if fmt == "json":
        data = json.loads(out)
        reasons = [v["reason"] for v in data["campaigns"][0]["violations"]]
        assert reasons[1].startswith(HOSTILE[1])  # JSON carries the text, escaped by JSON
    if fmt == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        assert len(results) == len(HOSTILE)  # one result per row, none split or merged
        texts = [r["message"]["text"] for r in results]  # plain text, escaped by JSON
        assert all(any(subject in text for text in texts) for subject in HOSTILE[:-1])
        assert any("call me at ***0199 or write to f***@private.example" in t for t in texts)


def test_report_md_escapes_hostile_text_and_masks(hostile: Workspace) -> None:
    run = hostile.audit("-q")
    assert run.code == 0
    text = (run.out / "report.md").read_text(encoding="utf-8")
    _golden("report.md", text)
    _no_personal_data(text)
    assert "<!--" not in text and "<script" not in text
    assert [live for live in LIVE if live in text] == []
    # suppressed.csv carries the data: the full reason, defused for spreadsheets only
    reasons = run.column("suppressed.csv", "cxaudit_reasons")
    assert reasons[0] == f"'{HOSTILE[1]} (case 101 from {EMAIL}, {PHONE})"


def test_show_pii_shows_everything(hostile: Workspace) -> None:
    result = hostile.cli(
        "check", "campaign.csv", "--as-of", "2026-11-20", "--format", "json", "--show-pii"
    )
    assert EMAIL in result.stdout and PHONE in result.stdout
    assert "p1.secret@private.example" in result.stdout


def test_explain_masks_by_default(hostile: Workspace) -> None:
    args = ("explain", "campaign.csv", "--recipient", "C1", "--as-of", "2026-11-20")
    masked = hostile.cli(*args)
    assert masked.exit_code == 0
    _golden("explain.out", masked.stdout)
    _no_personal_data(masked.stdout)
    assert "\u202e" not in masked.stdout and "\x1b" not in masked.stdout
    as_json = hostile.cli(*args, "--format", "json")
    _no_personal_data(as_json.stdout)
    shown = hostile.cli(*args, "--show-pii")
    assert EMAIL in shown.stdout and "p1.secret@private.example" in shown.stdout


def test_every_shared_output_and_stderr_is_free_of_personal_data(hostile: Workspace) -> None:
    """Every byte of every shared output of a run, and of everything printed."""
    run = hostile.audit()
    assert run.code == 0
    printed = run.stdout + run.stderr
    shared = [(run.out / n).read_text(encoding="utf-8") for n in ("report.md", "report.json")]
    for fmt in FORMATS:
        result = hostile.cli("check", "campaign.csv", "--as-of", "2026-11-20", "--format", fmt)
        printed += result.stdout + result.stderr
    explained = hostile.cli("explain", "campaign.csv", "--recipient", "C2", "--as-of", "2026-11-20")
    printed += explained.stdout + explained.stderr
    for text in [printed, *shared]:
        _no_personal_data(text)
