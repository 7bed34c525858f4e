"""Inputs as the operating system sees them: only regular files are read,
and no file the run replaces is one of its inputs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CAMPAIGN, CASES_HEADER, Workspace

RULES = """
- id: severe
  source: cases
  where: {priority: {equals: urgent}}
  action: suppress
"""
CASES = CASES_HEADER + "\n1,C1,,open,urgent,X,S,,2026-11-01,\n"


def _setup(ws: Workspace) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES)
    ws.rules(RULES)


def _cxaudit(ws: Workspace, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command in a child process: a FIFO that blocked the run would
    fail this call at the guard, instead of hanging the test suite."""
    return subprocess.run(
        [sys.executable, "-m", "cxaudit", *args],
        cwd=ws.root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("which", ["campaign", "rules", "source"])
def test_a_fifo_is_refused_at_once(ws: Workspace, which: str) -> None:
    _setup(ws)
    os.mkfifo(ws.root / "pipe")
    args = {
        "campaign": ("audit", "pipe"),
        "rules": ("audit", "campaign.csv", "--rules", "pipe"),
        "source": ("audit", "campaign.csv", "--source", "cases=pipe"),
    }[which]
    done = _cxaudit(ws, *args, "--as-of", "2026-11-20", "-q")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "cxaudit: error: pipe: is not a regular file (a pipe, socket or device); save the "
        "data to a file and pass that file"
    )
    assert not (ws.root / "cxaudit-out").exists()


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused_not_read_until_memory_runs_out(ws: Workspace, device: str) -> None:
    _setup(ws)
    run = ws.audit("-q", campaign=device)
    assert run.code == 2
    assert f"{device}: is not a regular file" in run.stderr


def test_a_folder_without_parts_is_refused(ws: Workspace) -> None:
    # A folder is a partitioned input (see test_parts.py); one without a
    # part, or with a file that is not one, is named.
    _setup(ws)
    (ws.root / "cases_dir").mkdir()
    run = ws.audit("-q", "--source", "cases=cases_dir")
    assert run.code == 2
    assert "cases_dir: the folder holds no part" in run.stderr
    (ws.root / "cases_dir" / "cases.xlsx").write_bytes(b"PK")
    run = ws.audit("-q", "--source", "cases=cases_dir")
    assert run.code == 2
    assert "cases.xlsx: is not a part of cases_dir" in run.stderr


def test_reauditing_last_runs_cleaned_list_into_the_same_folder_is_refused(
    ws: Workspace,
) -> None:
    _setup(ws)
    assert ws.audit("-q").code == 0
    before = (ws.root / "out" / "cleaned.csv").read_bytes()
    run = ws.audit("-q", campaign="out/cleaned.csv")
    assert run.code == 2
    assert run.stderr.splitlines()[-1] == (
        "cxaudit: error: out/cleaned.csv: would be replaced by this run, but it is the input "
        "out/cleaned.csv; choose another --out (or copy the input elsewhere first)"
    )
    assert (ws.root / "out" / "cleaned.csv").read_bytes() == before


def test_a_source_stored_under_an_output_name_is_not_overwritten(ws: Workspace) -> None:
    _setup(ws)
    ws.write("out/report.md", CASES)  # someone saved the case export there
    run = ws.audit("-q", "--source", "cases=out/report.md")
    assert run.code == 2
    assert "out/report.md: would be replaced by this run, but it is the input out/report.md" in (
        run.stderr
    )
    assert (ws.root / "out" / "report.md").read_text() == CASES


def test_a_hard_link_to_an_input_counts_as_the_input(ws: Workspace) -> None:
    _setup(ws)
    (ws.root / "out").mkdir()
    os.link(ws.root / "campaign.csv", ws.root / "out" / "suppressed.csv")
    run = ws.audit("-q")
    assert run.code == 2
    assert (
        "out/suppressed.csv: would be replaced by this run, but it is the input campaign.csv"
        in (run.stderr)
    )
    assert (ws.root / "campaign.csv").read_text() == CAMPAIGN


def test_a_baseline_in_the_output_folder_is_an_input_too(ws: Workspace) -> None:
    _setup(ws)
    assert ws.audit("-q").code == 0
    run = ws.audit("-q", "--baseline", "out")
    assert run.code == 2
    assert "out/suppressed.csv: would be replaced by this run, but it is the input" in run.stderr


def test_inputs_elsewhere_are_fine(ws: Workspace, tmp_path: Path) -> None:
    _setup(ws)
    assert ws.audit("-q").code == 0
    assert ws.audit("-q", "--baseline", "out", out="next").code == 0


def test_a_fifo_beside_the_rules_as_their_tests_is_refused(ws: Workspace) -> None:
    _setup(ws)
    os.mkfifo(ws.root / "rules.test.yaml")
    done = _cxaudit(ws, "test", "rules.yaml")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "cxaudit: error: rules.test.yaml: is not a regular file (a pipe, socket or device); "
        "save the data to a file and pass that file"
    )


def test_an_os_failure_nobody_foresaw_is_still_one_line_not_an_internal_error(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cxaudit.pipeline

    def broken(*args: object, **kwargs: object) -> str:
        raise OSError(5, "Input/output error", "cases.csv")

    _setup(ws)
    monkeypatch.setattr(cxaudit.pipeline, "render_markdown", broken)
    run = ws.audit("-q")
    assert run.code == 2
    assert run.stderr == (
        "cxaudit: error: cases.csv: Input/output error; check the path, the free space on its "
        "disk and its permissions\n"
    )
    assert not run.out.exists()


def test_running_out_of_memory_says_what_to_do(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cxaudit.pipeline

    def broken(*args: object, **kwargs: object) -> str:
        raise MemoryError

    _setup(ws)
    monkeypatch.setattr(cxaudit.pipeline, "render_markdown", broken)
    run = ws.audit("-q")
    assert run.code == 2
    assert "ran out of memory; audit the list in smaller pieces (--chunk-size 200000)" in run.stderr
