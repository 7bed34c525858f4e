"""Every exit code of every command, in every situation that gives it, in
one table; and the same codes in each command's --help and docs/commands.md."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from cxaudit.cli.exit_codes import EXIT_CODES
from cxaudit.outputs.writer import output_lock
from tests.conftest import CASES_HEADER, REPO, Workspace

CAMPAIGN = "customer_id,email\nC1,ann@example.com\nC2,bob@example.com\nC3,cara@example.com\n"
CLEAN = "customer_id,email\nC7,gil@example.com\n"
CASES = CASES_HEADER + "\n1,C1,,open,urgent,X,S,,2026-11-01,\n"
RULES = """
- id: severe
  source: cases
  where: {priority: {equals: urgent}}
  action: suppress
"""
TESTS = """tests:
  - name: an urgent case holds the send
    as_of: 2026-11-20
    recipients: [{customer_id: C1, email: ann@example.com}]
    sources: {cases: [{case_id: "1", customer_id: C1, priority: urgent}]}
    expect: {ann@example.com: %s}
"""
AS_OF = ("--as-of", "2026-11-20")


@dataclass
class Situation:
    command: str
    code: int
    what: str
    args: tuple[str, ...]
    setup: Callable[[Workspace], None] = field(default=lambda ws: None)
    hold: str | None = None  # an --out folder another run holds meanwhile

    def __str__(self) -> str:
        return f"{self.command} {self.code}: {self.what}"


def _rules(ws: Workspace, text: str) -> None:
    ws.write("rules.yaml", text)


TABLE = [
    Situation("audit", 0, "rows suppressed, still done", ("audit", "campaign.csv", *AS_OF)),
    Situation("audit", 2, "campaign file missing", ("audit", "missing.csv", *AS_OF)),
    Situation(
        "audit", 2, "bad rules file", ("audit", "campaign.csv"), lambda ws: _rules(ws, "x: 1\n")
    ),
    Situation(
        "audit", 3, "over the ceiling", ("audit", "campaign.csv", *AS_OF, "--max-suppressed", "10")
    ),
    Situation(
        "audit",
        4,
        "--strict and a warning (a header-only export)",
        ("audit", "campaign.csv", *AS_OF, "--strict"),
        lambda ws: ws.write("cases.csv", CASES_HEADER + "\n"),
    ),
    Situation(
        "audit",
        4,
        "strict: true in the rules file and a warning",
        ("audit", "campaign.csv", *AS_OF),
        lambda ws: (
            ws.write("cases.csv", CASES_HEADER + "\n"),
            ws.rules(RULES, head="strict: true\n"),
        ),
    ),
    Situation(
        "audit", 75, "--out held by another run", ("audit", "campaign.csv", *AS_OF), hold="out"
    ),
    Situation("check", 0, "a clean file", ("check", "clean.csv", *AS_OF)),
    Situation("check", 1, "someone would be suppressed", ("check", "clean.csv", "campaign.csv")),
    Situation("check", 2, "a file cannot be read", ("check", "clean.csv", "missing.csv")),
    Situation(
        "check", 2, "bad rules file", ("check", "clean.csv"), lambda ws: _rules(ws, "x: 1\n")
    ),
    Situation("check", 2, "bad usage", ("check", "clean.csv", "--format", "text", "-f", "json")),
    Situation("check", 3, "over the ceiling", ("check", "campaign.csv", "--max-suppressed", "10")),
    Situation(
        "check",
        4,
        "--strict and a warning (a header-only list) beats over the ceiling",
        ("check", "campaign.csv", "empty.csv", "--max-suppressed", "10", "--strict"),
        lambda ws: ws.write("empty.csv", "customer_id,email\n"),
    ),
    Situation(
        "check",
        2,
        "unreadable beats over the ceiling",
        ("check", "campaign.csv", "missing.csv", "--max-suppressed", "10"),
    ),
    Situation("validate", 0, "rules and sources fine", ("validate",)),
    Situation(
        "validate",
        2,
        "a source is missing",
        ("validate",),
        lambda ws: (ws.root / "cases.csv").unlink(),
    ),
    Situation("test", 0, "every rule test passes", ("test",)),
    Situation(
        "test",
        1,
        "a rule test fails",
        ("test",),
        lambda ws: ws.write("rules.test.yaml", TESTS % "kept"),
    ),
    Situation(
        "test", 2, "no rule tests", ("test",), lambda ws: (ws.root / "rules.test.yaml").unlink()
    ),
    Situation("explain", 0, "explained", ("explain", "campaign.csv", "-R", "C1", *AS_OF)),
    Situation("explain", 2, "campaign file missing", ("explain", "missing.csv", "-R", "C1")),
    Situation("schema", 0, "printed", ("schema",)),
]


def _workspace(ws: Workspace) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("clean.csv", CLEAN)
    ws.write("cases.csv", CASES)
    ws.rules(RULES)
    ws.write("rules.test.yaml", TESTS % "{suppressed: [severe]}")


@pytest.mark.parametrize("situation", TABLE, ids=str)
def test_exit_code(ws: Workspace, situation: Situation) -> None:
    _workspace(ws)
    situation.setup(ws)
    args = list(situation.args)
    if situation.command == "audit":
        args += ["--out", "out", "--quiet"]
    if situation.hold:
        with output_lock(ws.root / situation.hold):
            result = ws.cli(*args)
    else:
        result = ws.cli(*args)
    assert result.exit_code == situation.code, result.stdout + result.stderr
    assert situation.code in EXIT_CODES[situation.command]
    if situation.code in (2, 3, 75):
        assert "cxaudit: error: " in result.stderr or "Error: " in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_every_documented_code_of_every_command_is_in_the_table() -> None:
    covered = {(s.command, s.code) for s in TABLE}
    documented = {
        (command, code)
        for command, codes in EXIT_CODES.items()
        for code in codes
        if command != "presets" and code not in (130, 143)  # nothing to go wrong; signals below
    }
    assert covered == documented


def test_interrupted_is_130_and_changes_nothing(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    _workspace(ws)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("cxaudit.pipeline.audit_to_folder", interrupted)
    result = ws.cli("audit", "campaign.csv", *AS_OF, "--out", "out")
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == ("cxaudit: error: interrupted; no output was changed")
    assert not (ws.root / "out").exists()


@pytest.mark.parametrize("command", sorted(EXIT_CODES))
def test_help_lists_the_commands_exit_codes(ws: Workspace, command: str) -> None:
    for flag in ("-h", "--help"):
        text = ws.cli(command, flag).stdout
        assert "Exit codes:" in text
        listed = re.findall(r"^\s+(\d+)  ", text.split("Exit codes:")[1], re.M)
        assert [int(c) for c in listed] == list(EXIT_CODES[command]), text


def test_the_docs_have_one_table_of_every_code_of_every_command() -> None:
    page = (REPO / "docs" / "commands.md").read_text()
    section = page.split("\n## Exit codes\n")[1].split("\n## ")[0]
    rows = re.findall(r"^\| `(\w+)` \| `(\d+)` \| (.*) \|$", section, re.M)
    documented = [
        (command, str(code), meaning)
        for command, codes in EXIT_CODES.items()
        for code, meaning in codes.items()
    ]
    assert rows == documented


def test_sigterm_is_143_with_one_line_and_changes_nothing(ws: Workspace) -> None:
    """A run stopped by SIGTERM (systemd, timeout, a cancelled CI job) while
    it reads a long list: one line on stderr, exit 143, no --out left."""
    import os
    import signal
    import subprocess
    import sys

    _workspace(ws)
    rows = "".join(f"C{i},p{i}@x.example\n" for i in range(400_000))
    ws.write("campaign.csv", "customer_id,email\n" + rows)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cxaudit", "audit", "campaign.csv", *AS_OF, "--out", "out"],
        cwd=ws.root,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:  # progress: stop it once the list is being read
        lines.append(line.decode())
        if "reading campaign" in lines[-1]:
            proc.send_signal(signal.SIGTERM)
            break
    lines += [line.decode() for line in proc.stderr]
    assert proc.wait(timeout=120) == 143, lines
    assert lines[-1] == "cxaudit: error: terminated (SIGTERM); no output was changed\n"
    assert not (ws.root / "out").exists()
