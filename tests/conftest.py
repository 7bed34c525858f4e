"""Shared helpers: a workspace in tmp_path with small hand-made files, and a
way to run the real CLI on them."""

from __future__ import annotations

import csv
import io
import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from cxaudit.cli.main import app

REPO = Path(__file__).resolve().parent.parent

CASES_SOURCE = """
  cases:
    path: cases.csv
    keys: {customer_id: "Customer ID", email: "Requester email"}
    columns:
      case_id: Id
      status: Status
      priority: Priority
      product: Product
      subject: Subject
      score: Score
      opened_at: Created at
      closed_at: Solved at
    dates: [opened_at, closed_at]
"""

CASES_HEADER = (
    "Id,Customer ID,Requester email,Status,Priority,Product,Subject,Score,Created at,Solved at"
)


def rules_text(rules: str, sources: str = CASES_SOURCE, head: str = "") -> str:
    """A complete rules file around the given ``rules:`` items."""
    return (
        "version: 1\n"
        + textwrap.dedent(head)
        + "sources:\n"
        + textwrap.indent(textwrap.dedent(sources).strip("\n"), "  ")
        + "\n\nrules:\n"
        + textwrap.indent(textwrap.dedent(rules).strip("\n"), "  ")
        + "\n"
    )


@dataclass
class Run:
    result: Result
    out: Path

    @property
    def code(self) -> int:
        return self.result.exit_code

    @property
    def stderr(self) -> str:
        return self.result.stderr

    @property
    def stdout(self) -> str:
        return self.result.stdout

    def rows(self, name: str) -> list[dict[str, str]]:
        text = (self.out / name).read_text(encoding="utf-8-sig")
        return list(csv.DictReader(io.StringIO(text, newline="")))

    def column(self, name: str, column: str) -> list[str]:
        return [r[column] for r in self.rows(name)]

    def report(self) -> dict[str, Any]:
        return json.loads((self.out / "report.json").read_text(encoding="utf-8"))

    def suppressed(self) -> dict[str, str]:
        """email -> cxaudit_rules of suppressed.csv."""
        return {r["email"]: r["cxaudit_rules"] for r in self.rows("suppressed.csv")}

    def kept(self) -> list[str]:
        return self.column("cleaned.csv", "email")


def git(root: Path, *args: str) -> None:
    """git in ``root``, as a CI runner without a configured user would run it."""
    import subprocess

    subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=CI", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


class Workspace:
    """A folder with a campaign, sources and rules; runs the CLI inside it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.runner = CliRunner()

    def write(self, name: str, content: str | bytes) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(textwrap.dedent(content).lstrip("\n").encode("utf-8"))
        return path

    def rules(self, rules: str, sources: str = CASES_SOURCE, head: str = "") -> Path:
        return self.write("rules.yaml", rules_text(rules, sources, head))

    def cli(self, *args: str, stdin: bytes | None = None) -> Result:
        """Run cxaudit in the workspace; ``stdin`` is what it reads from ``-``."""
        import os

        old = Path.cwd()
        os.chdir(self.root)
        try:
            return self.runner.invoke(app, list(args), input=stdin, catch_exceptions=False)
        finally:
            os.chdir(old)

    def audit(self, *args: str, campaign: str = "campaign.csv", out: str = "out") -> Run:
        result = self.cli("audit", campaign, "--as-of", "2026-11-20", "--out", out, *args)
        return Run(result, self.root / out)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


# A small cast whose fate each test can state in a sentence.
CAMPAIGN = """\
customer_id,email,name,zip
C1,ann@example.com,Ann,02134
C2,bob@example.com,Bob,10001
C3,cara@example.com,Cara,60601
C4,dev@example.com,Dev,94110
"""
