"""Inputs do not change under a run: a list replaced between its passes, or
a source rewritten while the run reads it, is exit 2 naming the file, and
nothing is written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CASES_HEADER, Workspace

RULES = """\
version: 1
sources:
  cases: {path: cases.csv, keys: {email: email}, columns: {priority: priority}}
rules:
  - {id: severe, source: cases, where: {priority: {equals: urgent}}, action: suppress}
"""


def _list(rows: int, shift: int = 0) -> str:
    return "email,name\n" + "".join(f"p{i + shift}@example.com,P{i}\n" for i in range(rows))


def test_a_list_replaced_between_the_key_pass_and_the_decisions_is_exit_2(
    tmp_path: Path,
) -> None:
    """A real process, paused (SIGSTOP) once its key pass has begun; the
    export job then writes a new list over the old one; the process goes on."""
    (tmp_path / "campaign.csv").write_text(_list(120_000))
    (tmp_path / "cases.csv").write_text("email,priority\np5@example.com,urgent\n")
    (tmp_path / "rules.yaml").write_text(RULES)
    cmd = [sys.executable, "-m", "cxaudit", "audit", "campaign.csv", "--as-of", "2026-11-20"]
    cmd += ["--out", "out", "--chunk-size", "2000"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if "cxaudit: read keys of" in line:
            os.kill(proc.pid, signal.SIGSTOP)
            break
    try:
        fresh = tmp_path / "fresh.csv"
        fresh.write_text(_list(120_000, shift=1))  # one more person, one less
        os.replace(fresh, tmp_path / "campaign.csv")
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=120) == 2, rest
    last = rest.strip().splitlines()[-1]
    assert last.startswith("cxaudit: error: campaign.csv: changed while cxaudit was reading it")
    assert last.endswith("nothing was written; run again once the file is complete")
    assert not (tmp_path / "out" / "cleaned.csv").exists()


def test_a_source_rewritten_during_the_run_is_exit_2(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.write("campaign.csv", "email\nann@example.com\n")
    ws.write("cases.csv", "email,priority\nann@example.com,urgent\n")
    ws.write("rules.yaml", RULES)
    from cxaudit.audit import digest

    real = digest.finish

    def rewritten(*args, **kwargs):  # the export job writes the file again, mid-run
        found = real(*args, **kwargs)
        (ws.root / "cases.csv").write_text("email,priority\nann@example.com,low\nbob@x.io,low\n")
        return found

    monkeypatch.setattr(digest, "finish", rewritten)
    run = ws.audit("-q")
    assert run.code == 2
    assert run.stderr == (
        "cxaudit: error: cases.csv: changed while cxaudit was reading it (38 bytes when the run "
        "began, 48 now), so the run may mix two versions of it; nothing was written; run again "
        "once the file is complete\n"
    )
    assert not run.out.exists() or not any(run.out.iterdir())
    check = ws.cli("check", "campaign.csv", "--as-of", "2026-11-20")
    assert check.exit_code == 2  # the source (now 48 bytes) changed again under this run


def test_an_unchanged_run_is_not_refused(ws: Workspace) -> None:
    ws.write("campaign.csv", "email\nann@example.com\n")
    ws.write("cases.csv", CASES_HEADER.replace("Requester email", "email") + "\n")
    ws.write("rules.yaml", RULES.replace("priority: priority", "priority: Priority"))
    assert ws.audit("-q").code == 0
