"""Without --rules, the rules file is found as ruff finds its settings: here,
then each folder above up to the repository's top, a pyproject.toml's
[tool.cxaudit] rules before a rules.yaml."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxaudit.cli.main import app
from tests.conftest import CAMPAIGN, CASES_HEADER, Workspace

CASES = CASES_HEADER + "\n1,C1,,open,urgent,X,Phone dead,,2026-11-01,\n"
RULE = "- {id: severe, source: cases, where: {priority: {equals: urgent}}, action: suppress}"


def _in(folder: Path, *args: str):
    old = Path.cwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(app, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture
def repo(ws: Workspace) -> Workspace:
    (ws.root / ".git").mkdir()  # the repository's top folder
    ws.rules(RULE)  # its sources are relative to it: cases.csv beside it
    ws.write("cases.csv", CASES)
    ws.write("campaigns/spring.csv", CAMPAIGN)
    return ws


def test_a_subfolder_finds_the_rules_file_above_it(repo: Workspace) -> None:
    here = repo.root / "campaigns"
    result = _in(here, "audit", "spring.csv", "--as-of", "2026-11-20", "--out", "out", "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        "cxaudit: 4 recipients: 3 kept, 1 suppressed, 0 flagged; rules ../rules.yaml; wrote out\n"
    )
    assert _in(here, "check", "spring.csv", "--as-of", "2026-11-20").exit_code == 1
    assert _in(here, "validate").stdout.startswith("../rules.yaml: OK: 1 rules")


def test_pyproject_names_the_rules_file_and_wins_over_a_rules_yaml(repo: Workspace) -> None:
    repo.write(
        "config/marketing.yaml",
        (repo.root / "rules.yaml")
        .read_text()
        .replace("path: cases.csv", "path: ../cases.csv")
        .replace("equals: urgent", "equals: nobody"),
    )
    repo.write(
        "pyproject.toml",
        '[project]\nname = "x"\n\n[tool.cxaudit]\nrules = "config/marketing.yaml"\n',
    )
    here = repo.root / "campaigns"
    result = _in(here, "audit", "spring.csv", "--as-of", "2026-11-20", "--out", "out", "-q")
    assert result.stderr == (
        "cxaudit: 4 recipients: 4 kept, 0 suppressed, 0 flagged; rules ../config/marketing.yaml; "
        "wrote out\n"
    )
    explicit = _in(
        here, "audit", "spring.csv", "--rules", "../rules.yaml", "--as-of", "2026-11-20", "-q"
    )
    assert "1 suppressed" in explicit.stderr  # --rules always wins


def test_a_pyproject_without_a_cxaudit_table_is_passed_over(repo: Workspace) -> None:
    repo.write("campaigns/pyproject.toml", '[project]\nname = "campaigns"\n')
    result = _in(repo.root / "campaigns", "validate")
    assert result.stdout.startswith("../rules.yaml: OK")


def test_a_pyproject_naming_a_missing_file_is_exit_2(repo: Workspace) -> None:
    repo.write("pyproject.toml", '[tool.cxaudit]\nrules = "nope.yaml"\n')
    result = _in(repo.root / "campaigns", "check", "spring.csv")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "cxaudit: error: "
        + str(repo.root.resolve() / "pyproject.toml")
        + ": [tool.cxaudit] rules = 'nope.yaml', but "
    )


def test_the_search_stops_at_the_repository_top(ws: Workspace) -> None:
    ws.rules(RULE)  # above the repository: never used
    ws.write("repo/.git/HEAD", "ref: refs/heads/main\n")
    ws.write("repo/campaigns/spring.csv", CAMPAIGN)
    here = ws.root / "repo" / "campaigns"
    result = _in(here, "check", "spring.csv")
    assert result.exit_code == 2
    assert result.stderr == (
        f"cxaudit: error: rules.yaml: rules file not found (looked in {here.resolve()} and each "
        f"folder above it up to the repository's top {(ws.root / 'repo').resolve()}, for a "
        'rules.yaml or a pyproject.toml with [tool.cxaudit] rules = "…"); pass --rules PATH\n'
    )


def test_outside_a_repository_only_the_current_folder_counts(ws: Workspace) -> None:
    ws.rules(RULE)
    ws.write("campaigns/spring.csv", CAMPAIGN)
    result = _in(ws.root / "campaigns", "validate")
    assert result.exit_code == 2
    assert "rules file not found (looked in " in result.stderr


@pytest.mark.parametrize("tool", ["tool = 1", 'tool = "x"', "[tool]\ncxaudit = 3"])
def test_a_pyproject_with_an_odd_tool_table_is_not_a_crash(repo: Workspace, tool: str) -> None:
    repo.write("pyproject.toml", tool + "\n")
    result = _in(repo.root / "campaigns", "validate")
    assert "internal error" not in result.stderr
    assert result.exit_code in (0, 2)
