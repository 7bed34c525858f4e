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

from tests.conftest import REPO

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


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=CI", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_github_actions_workflow_steps(project: Path) -> None:
    workflow = yaml.safe_load((REPO / "examples" / "github-actions.yml").read_text())
    steps = {s.get("name"): s for s in workflow["jobs"]["cxaudit"]["steps"]}
    env = _env(**workflow["env"])

    # A pull request that adds the campaign file on top of main.
    _git(project, "init", "-q", "-b", "main")
    moved = project.parent / "campaign.csv"
    shutil.move(project / "sample_data" / "campaign.csv", moved)
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "base")
    _git(project, "update-ref", "refs/remotes/origin/main", "HEAD")
    shutil.move(moved, project / "sample_data" / "campaign.csv")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "add campaign")

    def run(name: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-e", "-c", steps[name]["run"]],
            cwd=project,
            env={**env, **extra},
            capture_output=True,
            text=True,
        )

    output = project / "gh-output"
    summary = project / "gh-summary"
    found = run("Find changed campaign files", GITHUB_BASE_REF="main", GITHUB_OUTPUT=str(output))
    assert found.returncode == 0, found.stderr
    files = output.read_text().strip().removeprefix("files=").strip()
    assert files == "sample_data/campaign.csv"

    assert run("Rule tests").returncode == 0

    check = run("Check campaign files", FILES=files, GITHUB_STEP_SUMMARY=str(summary))
    assert check.returncode == 1  # the sample list is not clean: the job fails
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

    comment = run("Write the PR comment", FILES=files)
    assert comment.returncode == 0, comment.stderr
    assert (project / "cxaudit-comment.md").read_text().startswith("## cxaudit check\n\n**FAIL**")


def test_cron_script_two_nights(project: Path) -> None:
    def night(as_of: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "examples/cron.sh"],
            cwd=project,
            capture_output=True,
            text=True,
            env=_env(AS_OF=as_of, RUNS="runs"),
        )

    first = night("2026-11-10T02:15:00Z")
    assert first.returncode == 0, first.stderr
    assert first.stdout == "cxaudit: runs/2026-11-10 written; runs/latest points at it\n"
    second = night("2026-11-20T02:15:00Z")
    assert second.returncode == 0, second.stderr
    assert os.readlink(project / "runs" / "latest") == "2026-11-20"
    report = json.loads((project / "runs" / "2026-11-20" / "report.json").read_text())
    change = report["baseline"]
    assert change["path"] == "runs/latest"
    assert change["newly_suppressed"] or change["released"]  # ten days apart, windows moved

    (project / "rules.yaml").write_text("version: 2\n")
    broken = night("2026-11-21T02:15:00Z")
    assert broken.returncode == 2
    assert "previous outputs kept" in broken.stderr
    assert os.readlink(project / "runs" / "latest") == "2026-11-20"
    assert not (project / "runs" / "2026-11-21").exists()


def test_pre_commit_hooks(project: Path) -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    check, tests = hooks["cxaudit-check"], hooks["cxaudit-test"]
    assert re.search(check["files"], "sample_data/campaign.csv")
    assert re.search(tests["files"], "rules.yaml") and re.search(tests["files"], "rules.test.yaml")
    assert not re.search(tests["files"], "other.yaml")

    def hook(h: dict[str, object], files: list[str]) -> int:
        argv = shlex.split(str(h["entry"])) + (files if h.get("pass_filenames", True) else [])
        return subprocess.run(argv, cwd=project, env=_env(), capture_output=True).returncode

    assert hook(check, ["sample_data/campaign.csv"]) == 1
    (project / "clean.csv").write_text("customer_id,email,phone\nZ1,zed@nowhere.example,\n")
    assert hook(check, ["clean.csv"]) == 0
    assert hook(tests, ["rules.yaml"]) == 0


def test_benchmark_generator_is_deterministic(tmp_path: Path) -> None:
    from benchmarks.generate import generate

    a = generate(300, 200, 500, tmp_path / "a", seed=5)
    b = generate(300, 200, 500, tmp_path / "b", seed=5)
    c = generate(300, 200, 500, tmp_path / "c", seed=6)
    assert {k: p.read_bytes() for k, p in a.items()} == {k: p.read_bytes() for k, p in b.items()}
    assert a["cases"].read_bytes() != c["cases"].read_bytes()
    assert len(a["campaign"].read_text().splitlines()) == 301
