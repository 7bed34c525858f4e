"""check --changed-since: exactly the campaign files a change added,
modified or renamed, read from a real git repository whatever their names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CAMPAIGN, CASES_HEADER, Workspace, git

CASES = CASES_HEADER + "\n1,C1,,open,urgent,X,Phone dead,,2026-11-01,\n"
RULE = "- {id: severe, source: cases, where: {priority: {equals: urgent}}, action: suppress}"


@pytest.fixture
def repo(ws: Workspace) -> Workspace:
    """main: two campaigns and the cases export; branch pr: one renamed and
    edited, one deleted, three added (a space, an accent, a newline in the
    name), and the cases export changed (a source, not a campaign)."""
    git(ws.root, "init", "-q", "-b", "main")
    ws.rules(RULE)
    ws.write("cases.csv", CASES)
    ws.write("campaigns/old name.csv", CAMPAIGN)
    ws.write("campaigns/gone.csv", "customer_id,email\nC9,zed@example.com\n")
    git(ws.root, "add", "-A")
    git(ws.root, "commit", "-q", "-m", "base")
    git(ws.root, "checkout", "-q", "-b", "pr")
    git(ws.root, "mv", "campaigns/old name.csv", "campaigns/spring sale.csv")
    ws.write("campaigns/spring sale.csv", CAMPAIGN + "C5,eve@example.com,Eve,02139\n")
    git(ws.root, "rm", "-q", "campaigns/gone.csv")
    ws.write("campaigns/café.csv", "customer_id,email\nC1,ann@example.com\n")
    ws.write("campaigns/new\nline.csv", "customer_id,email\nC2,bob@example.com\n")
    ws.write("campaigns/notes.txt", "not a campaign\n")
    ws.write("cases.csv", CASES + "2,C2,,closed,low,X,Fine,,2026-10-01,2026-10-02\n")
    git(ws.root, "add", "-A")
    git(ws.root, "commit", "-q", "-m", "pr")
    return ws


def _judged(result) -> list[tuple[str, str]]:
    return [(c["path"], c["status"]) for c in json.loads(result.stdout)["campaigns"]]


def test_exactly_the_added_modified_and_renamed_campaign_files(repo: Workspace) -> None:
    result = repo.cli("check", "--changed-since", "main", "--as-of", "2026-11-20", "-f", "json")
    assert result.exit_code == 1, result.stderr
    assert _judged(result) == [
        ("campaigns/café.csv", "fail"),
        ("campaigns/new\nline.csv", "pass"),
        ("campaigns/spring sale.csv", "fail"),  # renamed and edited: R0xx, judged by its new name
    ]


def test_github_annotations_name_each_file_whole(repo: Workspace) -> None:
    result = repo.cli("check", "--changed-since", "main", "--as-of", "2026-11-20", "-f", "github")
    lines = [line for line in result.stdout.splitlines() if line.startswith("::error file=camp")]
    files = {line.split(",")[0] for line in lines}
    assert files == {"::error file=campaigns/café.csv", "::error file=campaigns/spring sale.csv"}


def test_from_a_subfolder_paths_are_relative_to_it(repo: Workspace) -> None:
    import os

    old = Path.cwd()
    os.chdir(repo.root / "campaigns")
    try:
        result = repo.runner.invoke(
            __import__("cxaudit.cli.main", fromlist=["app"]).app,
            ["check", "--changed-since", "main", "--rules", "../rules.yaml", "-f", "json"],
        )
    finally:
        os.chdir(old)
    assert [p for p, _ in _judged(result)] == ["café.csv", "new\nline.csv", "spring sale.csv"]


def test_campaign_files_in_the_rules_file_say_which_files_are_campaigns(repo: Workspace) -> None:
    text = (repo.root / "rules.yaml").read_text()
    repo.write(
        "rules.yaml", text.replace("version: 1\n", "version: 1\ncampaign_files: ['*sale*.csv']\n")
    )
    result = repo.cli("check", "--changed-since", "main", "--as-of", "2026-11-20", "-f", "json")
    assert [p for p, _ in _judged(result)] == ["campaigns/spring sale.csv"]


def test_nothing_changed_is_exit_0_and_says_so(repo: Workspace) -> None:
    result = repo.cli("check", "--changed-since", "HEAD", "-f", "sarif=out.sarif")
    assert result.exit_code == 0
    assert result.stderr == (
        "cxaudit check: no campaign file (*.csv, *.csv.gz, *.parquet) changed since HEAD\n"
    )
    assert json.loads((repo.root / "out.sarif").read_text())["runs"][0]["results"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--changed-since", "no-such-branch"),
            "cxaudit: error: --changed-since 'no-such-branch': git knows no such commit, branch "
            "or tag here; fetch it first (in GitHub Actions: actions/checkout with fetch-depth: 0)",
        ),
        (
            ("campaigns/café.csv", "--changed-since", "main"),
            "cxaudit: error: give campaign files or --changed-since REF, not both "
            "(--changed-since finds the files itself)",
        ),
        (
            (),
            "cxaudit: error: name the campaign files to check (cxaudit check campaigns/*.csv), "
            "or use --changed-since REF in a git repository",
        ),
    ],
)
def test_an_unknown_ref_or_a_muddled_call_is_exit_2(repo: Workspace, args, message) -> None:
    result = repo.cli("check", *args)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == message


def test_outside_a_repository_is_exit_2(ws: Workspace) -> None:
    ws.rules(RULE)
    ws.write("cases.csv", CASES)
    result = ws.cli("check", "--changed-since", "main")
    assert result.exit_code == 2
    assert "is not in a git repository; run check inside the repository's checkout" in (
        result.stderr
    )


def _commit(ws: Workspace, message: str) -> None:
    git(ws.root, "add", "-A")
    git(ws.root, "commit", "-q", "-m", message)


def _base(ws: Workspace) -> None:
    git(ws.root, "init", "-q", "-b", "main")
    ws.rules(
        RULE.replace("action: suppress}", "action: suppress, applies_to: {type: [promotional]}}")
    )
    ws.write("cases.csv", CASES)
    ws.write("campaigns/spring.csv", CAMPAIGN)
    ws.write("campaigns/spring.campaign.yaml", "type: transactional\n")
    ws.write("campaigns/big/part-0000.csv", "customer_id,email\nC2,bob@example.com\n")
    ws.write("campaigns/big.campaign.yaml", "type: promotional\n")
    ws.write("clean.csv", "customer_id,email\nC2,bob@example.com\n")
    _commit(ws, "base")
    git(ws.root, "checkout", "-q", "-b", "pr")


def _changed(ws: Workspace, *args: str) -> list[tuple[str, str]]:
    result = ws.cli(
        "check", "--changed-since", "main", "--as-of", "2026-11-20", "-f", "json", *args
    )
    return _judged(result)


def test_a_changed_sidecar_judges_its_list(ws: Workspace) -> None:
    _base(ws)
    ws.write("campaigns/spring.campaign.yaml", "type: promotional\n")
    _commit(ws, "now a promotion")
    assert _changed(ws) == [("campaigns/spring.csv", "fail")]


def test_a_new_part_judges_its_whole_folder_with_its_sidecar(ws: Workspace) -> None:
    _base(ws)
    ws.write("campaigns/big/part-0001.csv", "customer_id,email\nC1,ann@example.com\n")
    _commit(ws, "one more part")
    assert _changed(ws) == [("campaigns/big", "fail")]


def test_upper_case_names_symlink_swaps_and_hostile_refs(ws: Workspace) -> None:
    _base(ws)
    ws.write("UPPER.CSV", CAMPAIGN)
    os_link = ws.root / "linked.csv"
    os_link.symlink_to("clean.csv")
    _commit(ws, "upper and a link")
    git(ws.root, "branch", "-f", "step", "HEAD")
    os_link.unlink()
    ws.write("linked.csv", CAMPAIGN)  # the link became a file: a type change (T)
    ws.write("campaigns/spring.campaign.yaml", "type: promotional\n")
    _commit(ws, "link to file")
    assert [p for p, _ in _changed(ws)] == ["UPPER.CSV", "campaigns/spring.csv", "linked.csv"]
    changed = ws.cli("check", "--changed-since", "step", "-f", "json", "--as-of", "2026-11-20")
    assert [p for p, _ in _judged(changed)] == ["campaigns/spring.csv", "linked.csv"]
    git(ws.root, "update-ref", "refs/heads/--output=pwn", "main")
    result = ws.cli("check", "--changed-since", "--output=pwn", "--as-of", "2026-11-20")
    assert result.exit_code == 1  # the files changed since main, judged
    assert not list(ws.root.glob("pwn*"))  # and git wrote no file


def test_diff_relative_in_the_git_config_changes_nothing(ws: Workspace) -> None:
    import os

    _base(ws)
    ws.write("campaigns/new.csv", CAMPAIGN)
    ws.write("top.csv", CAMPAIGN)
    _commit(ws, "two new lists")
    git(ws.root, "config", "diff.relative", "true")
    old = Path.cwd()
    os.chdir(ws.root / "campaigns")
    try:
        from cxaudit.cli.main import app

        result = ws.runner.invoke(
            app, ["check", "--changed-since", "main", "--rules", "../rules.yaml", "-f", "json"]
        )
    finally:
        os.chdir(old)
    assert [p for p, _ in _judged(result)] == ["new.csv", "../top.csv"]


@pytest.mark.parametrize(
    ("pattern", "judged"),
    [
        ("/campaigns/*.csv", ["campaigns/x.csv"]),
        ("campaigns/*.csv", ["campaigns/x.csv"]),
        ("campaigns/**/*.csv", ["campaigns/q4/y.csv", "campaigns/x.csv"]),
        ("**/campaigns/*.csv", ["campaigns/x.csv"]),
        ("*.CSV", ["campaigns/q4/y.csv", "campaigns/x.csv", "z.csv"]),
    ],
)
def test_campaign_files_globs_read_as_gitignore_does(ws: Workspace, pattern, judged) -> None:
    _base(ws)
    ws.write("campaigns/x.csv", CAMPAIGN)
    ws.write("campaigns/q4/y.csv", CAMPAIGN)
    ws.write("z.csv", CAMPAIGN)
    text = (ws.root / "rules.yaml").read_text()
    ws.write(
        "rules.yaml", text.replace("version: 1\n", f"version: 1\ncampaign_files: ['{pattern}']\n")
    )
    _commit(ws, "lists")
    assert sorted(p for p, _ in _changed(ws)) == judged
