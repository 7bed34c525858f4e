"""The shipped examples run as written against the sample data."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, git

BIN = str(Path(sys.executable).parent)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of what a user's repository would hold: rules, tests, data."""
    for name in ("rules.yaml", "rules.test.yaml"):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(REPO / "sample_data", tmp_path / "sample_data")
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    return tmp_path


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


ACTION = yaml.safe_load((REPO / "action.yml").read_text())


def _action_step(name: str) -> dict:
    (step,) = [s for s in ACTION["runs"]["steps"] if s.get("name") == name]
    return step


def test_every_shell_step_of_the_action_parses() -> None:
    scripts = [s for s in ACTION["runs"]["steps"] if "run" in s]
    assert [s["name"] for s in scripts] == ["Install cxaudit", "Check campaign files"]
    for step in scripts:
        assert step["shell"] == "bash"
        checked = subprocess.run(["bash", "-n", "-c", step["run"]], capture_output=True, text=True)
        assert checked.returncode == 0, (step["name"], checked.stderr)
        assert "${{" not in step["run"], "inputs reach the script as environment variables"


def _pull_request(project: Path) -> None:
    """A repository whose branch adds the sample's campaign list on top of main."""
    git(project, "init", "-q", "-b", "main")
    moved = project.parent / "campaign.csv"
    shutil.move(project / "sample_data" / "campaign.csv", moved)
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "base")
    git(project, "update-ref", "refs/remotes/origin/main", "HEAD")
    shutil.move(moved, project / "sample_data" / "campaign.csv")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "add campaign")


def _run_check_step(project: Path, inputs: dict[str, str], **extra: str):
    """The action's check step as GitHub runs it: each input (else its
    default) in the step's environment, bash, the job's files."""
    step = _action_step("Check campaign files")
    values = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    values.update(inputs)
    env = {key: values[expr.split("inputs.")[1].rstrip(" }")] for key, expr in step["env"].items()}
    return subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=project,
        env={**_env(), **env, **extra},
        capture_output=True,
        text=True,
    )


def test_the_example_workflow_runs_the_action_on_a_pull_request(project: Path) -> None:
    workflow = yaml.safe_load((REPO / "examples" / "github-actions.yml").read_text())
    steps = workflow["jobs"]["cxaudit"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    (use,) = [s for s in steps if s.get("uses") == "./"]
    _pull_request(project)
    output, summary = project / "gh-output", project / "gh-summary"
    check = _run_check_step(
        project,
        {k: str(v) for k, v in use["with"].items()},
        GITHUB_BASE_REF="main",
        GITHUB_OUTPUT=str(output),
        GITHUB_STEP_SUMMARY=str(summary),
    )
    assert check.returncode == 1, check.stderr  # the sample list is not clean: the job fails
    assert output.read_text() == "exit-code=1\n"
    annotations = [line for line in check.stdout.splitlines() if line.startswith("::")]
    assert annotations
    campaign_lines = (project / "sample_data" / "campaign.csv").read_text().splitlines()
    rules_lines = (project / "rules.yaml").read_text().splitlines()
    for line in annotations:
        if line.startswith("::notice "):  # what GitHub's ten-per-level limit left out
            assert "not annotated" in line
            continue
        m = re.match(r"::(error|warning) file=([^,]+),line=(\d+),title=[^:]+::(.*)", line)
        assert m, line
        if m.group(2) == "sample_data/campaign.csv":
            # "rule (rules.yaml:N): ...%0Aline L: a***@example.com: reason%0A..."
            head, *rows = m.group(4).split("%0A")
            where = re.search(r"\(rules\.yaml:(\d+)\)", head)
            if where:
                assert rules_lines[int(where.group(1)) - 1].startswith("  - id: "), head
            for row in rows:
                shown = re.match(r"line (\d+): (\S+): ", row)
                if not shown:
                    assert row.startswith("… and "), row
                    continue
                text = campaign_lines[int(shown.group(1)) - 1]
                masked = shown.group(2)
                if "***@" in masked:
                    first, domain = masked.split("***@")
                    assert re.search(rf"(^|,){re.escape(first)}[^,]*@{re.escape(domain)}", text), (
                        row,
                        text,
                    )
        else:
            assert m.group(2) == "rules.yaml"
            assert rules_lines[int(m.group(3)) - 1].startswith("  - id: ")
    assert "## cxaudit check" in summary.read_text()
    assert (project / "cxaudit-comment.md").read_text().startswith("## cxaudit check\n\n**FAIL**")
    sarif = json.loads((project / "cxaudit.sarif").read_text())
    results = sarif["runs"][0]["results"]
    # one result per (row, rule): 15+10+9+8+5 rule rows, 2 unverifiable, 3 duplicates, 12 flagged
    assert len(results) == 64
    for result in results:
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "sample_data/campaign.csv"
        assert 2 <= location["region"]["startLine"] <= len(campaign_lines)


def test_the_action_takes_file_names_whole_and_runs_no_input_as_code(project: Path) -> None:
    _pull_request(project)
    shutil.copy(project / "sample_data" / "campaign.csv", project / "spring sale.csv")
    output = project / "gh-output"
    check = _run_check_step(
        project,
        {
            "files": "spring sale.csv\n$(touch pwned-files)\n",
            "args": "--as-of 2026-11-20 --exit-zero",
            "formats": "json=out `touch pwned-formats`.json",
        },
        GITHUB_OUTPUT=str(output),
    )
    assert check.returncode == 2, check.stderr  # --exit-zero, but a named file is not there
    assert not list(project.glob("pwned*"))
    assert (project / "out `touch pwned-formats`.json").exists()
    judged = json.loads((project / "out `touch pwned-formats`.json").read_text())["campaigns"]
    assert [(c["path"], c["status"]) for c in judged] == [
        ("spring sale.csv", "fail"),
        ("$(touch pwned-files)", "error"),  # a file of that name, which is not there
    ]
    shutil.copy(project / "sample_data" / "campaign.csv", project / "-rf.csv")
    dashed = _run_check_step(
        project,
        {"files": "-rf.csv\n--exit-zero\n", "args": "--as-of\n2026-11-20"},  # args: | in YAML
        GITHUB_OUTPUT=str(output),
    )
    assert dashed.returncode == 2, dashed.stderr  # -rf.csv judged (fails), --exit-zero a file
    assert "::error file=-rf.csv," in dashed.stdout  # judged as a file
    assert "cxaudit: error: --exit-zero: file not found" in dashed.stderr
    outside = _run_check_step(project, {}, GITHUB_OUTPUT=str(output))  # no PR, no files
    assert outside.returncode == 2
    assert outside.stdout.startswith("::error title=cxaudit::set the files or changed-since input")


def _night(project: Path, as_of: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "examples/cron.sh"],
        cwd=project,
        capture_output=True,
        text=True,
        env=_env(AS_OF=as_of, RUNS="runs", **extra),
    )


STAMP = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ cron\.sh: "


def _log(run: subprocess.CompletedProcess[str]) -> list[str]:
    """stderr without the script's own timestamps."""
    return [re.sub(STAMP, "cron.sh: ", line) for line in run.stderr.splitlines()]


def test_cron_script_two_nights(project: Path) -> None:
    first = _night(project, "2026-11-10T02:15:00Z")
    assert first.returncode == 0, first.stderr
    assert first.stdout == ""
    assert _log(first) == [
        "cxaudit: 523 recipients: 490 kept, 33 suppressed, 12 flagged; "
        "wrote runs/2026-11-10T021500Z",
        "cron.sh: runs/2026-11-10T021500Z written; runs/latest -> 2026-11-10T021500Z",
    ]
    second = _night(project, "2026-11-20T02:15:00Z")
    assert second.returncode == 0, second.stderr
    assert _log(second) == [
        "cxaudit: 523 recipients: 475 kept, 48 suppressed, 12 flagged; since "
        "runs/2026-11-10T021500Z: 16 newly suppressed, 1 released; wrote runs/2026-11-20T021500Z",
        "cron.sh: runs/2026-11-20T021500Z written, compared with runs/2026-11-10T021500Z; "
        "runs/latest -> 2026-11-20T021500Z",
    ]
    assert os.readlink(project / "runs" / "latest") == "2026-11-20T021500Z"
    report = json.loads((project / "runs" / "2026-11-20T021500Z" / "report.json").read_text())
    change = report["baseline"]
    assert change["path"] == "runs/2026-11-10T021500Z"  # the real folder, named by its moment
    assert change["as_of"] == "2026-11-10T02:15:00Z"
    assert report["warnings"] == []  # the same campaign both nights

    # A rerun of the same night compares with the night before, not with itself.
    again = _night(project, "2026-11-20T02:15:00Z")
    assert again.returncode == 0, again.stderr
    assert "since runs/2026-11-10T021500Z" in again.stderr
    # A late backfill of an earlier night does not move latest back.
    backfill = _night(project, "2026-11-15T02:15:00Z")
    assert backfill.returncode == 0, backfill.stderr
    assert "since runs/2026-11-10T021500Z" in backfill.stderr
    assert os.readlink(project / "runs" / "latest") == "2026-11-20T021500Z"


def test_cron_script_exit_codes_and_retention(project: Path) -> None:
    from cxaudit.outputs.writer import output_lock

    for night in ("2026-11-10", "2026-11-11", "2026-11-12"):
        assert _night(project, f"{night}T02:15:00Z").returncode == 0
    # RETAIN keeps the newest runs (this one included) and prunes the rest
    pruned = _night(project, "2026-11-13T02:15:00Z", RETAIN="2")
    assert pruned.returncode == 0, pruned.stderr
    assert sorted(p.name for p in (project / "runs").iterdir()) == [
        "2026-11-12T021500Z",
        "2026-11-13T021500Z",
        "latest",
    ]
    assert "cron.sh: pruned runs/2026-11-10T021500Z (RETAIN=2)" in _log(pruned)

    # 75: another run holds the folder (WAIT=0: at once, not after ten minutes)
    with output_lock(project / "runs" / "2026-11-14T021500Z"):
        busy = _night(project, "2026-11-14T02:15:00Z", WAIT="0")
    assert busy.returncode == 75
    assert _log(busy)[-1] == (
        "cron.sh: another run holds runs/2026-11-14T021500Z; nothing was written, try again later"
    )

    # 3: over the ceiling: the reports say why, the lists and latest stay
    rules = (project / "rules.yaml").read_text()
    (project / "rules.yaml").write_text(
        rules.replace("version: 1\n", "version: 1\nmax_suppressed: 1\n", 1)
    )
    over = _night(project, "2026-11-15T02:15:00Z")
    assert over.returncode == 3, over.stderr
    assert sorted(p.name for p in (project / "runs" / "2026-11-15T021500Z").iterdir()) == [
        "report.html",
        "report.json",
        "report.md",
    ]
    assert _log(over)[-1].startswith("cron.sh: over the suppression ceiling: ")
    assert os.readlink(project / "runs" / "latest") == "2026-11-13T021500Z"
    # ... and is no baseline for the next night: that compares with the last finished run
    (project / "rules.yaml").write_text(rules)
    after = _night(project, "2026-11-16T02:15:00Z")
    assert after.returncode == 0, after.stderr
    assert "since runs/2026-11-13T021500Z" in after.stderr

    # 2: a broken rules file: nothing written, latest and the runs untouched
    (project / "rules.yaml").write_text("version: 2\n")
    broken = _night(project, "2026-11-21T02:15:00Z")
    assert broken.returncode == 2
    assert _log(broken)[-1] == (
        "cron.sh: bad input or rules (the error is above); nothing was written, previous runs kept"
    )
    assert os.readlink(project / "runs" / "latest") == "2026-11-16T021500Z"
    assert not (project / "runs" / "2026-11-21T021500Z").exists()
    # 2 as well for a moment it cannot name a folder by
    assert _night(project, "yesterday").returncode == 2


def test_pre_commit_hooks(project: Path) -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    check, tests = hooks["cxaudit-check"], hooks["cxaudit-test"]
    for campaign in ("campaigns/spring.csv", "marketing/campaign/x.csv.gz", "campaigns/q1.parquet"):
        assert re.search(check["files"], campaign), campaign
    for other in ("sample_data/cases.csv", "exports/campaigns.csv", "campaigns/notes.md"):
        assert not re.search(check["files"], other), other
    assert re.search(tests["files"], "rules.yaml") and re.search(tests["files"], "rules.test.yaml")
    assert not re.search(tests["files"], "other.yaml")

    def hook(h: dict[str, object], files: list[str]) -> int:
        argv = shlex.split(str(h["entry"])) + (files if h.get("pass_filenames", True) else [])
        return subprocess.run(argv, cwd=project, env=_env(), capture_output=True).returncode

    assert hook(check, ["sample_data/campaign.csv"]) == 1
    (project / "clean.csv").write_text("customer_id,email,phone\nZ1,zed@nowhere.example,\n")
    assert hook(check, ["clean.csv"]) == 0
    assert hook(tests, ["rules.yaml"]) == 0


def test_pre_commit_rev_is_the_release_tag_of_this_version() -> None:
    from cxaudit import __version__

    text = (REPO / ".pre-commit-hooks.yaml").read_text()
    assert re.search(r"rev: (\S+)", text).group(1) == f"v{__version__}"
    pyproject = (REPO / "pyproject.toml").read_text()
    assert re.search(r'^version = "([^"]+)"', pyproject, re.M).group(1) == __version__
    ci = (REPO / "docs" / "ci.md").read_text()
    assert f"git tag v{__version__}" in ci  # what to create on release


def test_benchmark_generator_is_deterministic(tmp_path: Path) -> None:
    from benchmarks.generate import generate

    a = generate(300, 200, 500, tmp_path / "a", seed=5)
    b = generate(300, 200, 500, tmp_path / "b", seed=5)
    c = generate(300, 200, 500, tmp_path / "c", seed=6)
    assert {k: p.read_bytes() for k, p in a.items()} == {k: p.read_bytes() for k, p in b.items()}
    assert a["cases"].read_bytes() != c["cases"].read_bytes()
    assert len(a["campaign"].read_text().splitlines()) == 301
