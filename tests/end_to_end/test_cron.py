"""Nightly runs: baseline comparison, the output lock (exit 75), dated folders."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from cxaudit.outputs.writer import output_lock
from tests.conftest import CASES_HEADER, Workspace

SEVERE = """
- id: severe
  source: cases
  where: {priority: {equals: urgent}}
  action: suppress
"""


def _setup(ws: Workspace, cases: str) -> None:
    ws.write(
        "campaign.csv",
        "customer_id,email\nC1,ann@example.com\nC2,bob@example.com\nC3,cara@example.com\n",
    )
    ws.write("cases.csv", CASES_HEADER + "\n" + cases)
    ws.rules(SEVERE)


def test_baseline_reports_newly_suppressed_and_released(ws: Workspace) -> None:
    # Yesterday Ann and Bob had urgent cases; today Bob's is low and Cara's is urgent.
    _setup(ws, "1,C1,,open,urgent,X,S,,2026-11-01,\n2,C2,,open,urgent,X,S,,2026-11-01,\n")
    assert ws.audit(out="runs/yesterday").code == 0
    ws.write(
        "cases.csv",
        CASES_HEADER + "\n1,C1,,open,urgent,X,S,,2026-11-01,\n2,C2,,open,low,X,S,,2026-11-01,\n"
        "3,C3,,open,urgent,X,S,,2026-11-01,\n",
    )
    today = ws.audit("--baseline", "runs/yesterday", out="runs/today")
    assert today.code == 0, today.stderr
    assert today.report()["baseline"] == {
        "path": "runs/yesterday",
        "as_of": "2026-11-20T00:00:00Z",
        "suppressed_before": 2,
        "newly_suppressed": [{"row": 4, "recipient": "c***@example.com", "rules": ["severe"]}],
        "released": [{"row": 3, "recipient": "b***@example.com", "previous_rules": ["severe"]}],
    }
    md = (today.out / "report.md").read_text()
    assert "## Changes since runs/yesterday" in md
    assert "1 newly suppressed, 1 released (suppressed before, kept now)." in md
    assert today.report()["warnings"] == []  # the same campaign both times


def test_a_baseline_of_another_campaign_is_a_warning(ws: Workspace) -> None:
    _setup(ws, "1,C1,,open,urgent,X,S,,2026-11-01,\n")
    assert ws.audit("--channel", "sms", "--offer", "Aurora X2", out="runs/sms").code == 0
    run = ws.audit("-q", "--baseline", "runs/sms", "--channel", "email", out="runs/email")
    assert run.code == 0, run.stderr
    warning = (
        "--baseline runs/sms judged another campaign (channel 'sms' then, 'email' now; offer "
        "'Aurora X2' then, - now): newly suppressed and released mix that change with changes "
        "in the data; compare with a run of the same campaign"
    )
    assert run.report()["warnings"] == [warning]
    assert run.stderr.splitlines() == [
        f"cxaudit: warning: {warning}",  # --quiet keeps warnings
        "cxaudit: 3 recipients: 2 kept, 1 suppressed, 0 flagged; since runs/sms: 0 newly "
        "suppressed, 0 released; wrote runs/email",
    ]
    assert warning in (run.out / "report.md").read_text()
    # letter case and spaces are not a different campaign
    same = ws.audit("-q", "--baseline", "runs/sms", "--channel", " SMS", "--offer", "aurora x2")
    assert same.report()["warnings"] == [], same.stderr
    # a folder without report.json cannot be told apart: said, not guessed
    (ws.root / "runs/sms/report.json").unlink()
    blind = ws.audit("-q", "--baseline", "runs/sms", out="runs/blind")
    assert blind.report()["warnings"] == [
        "--baseline runs/sms: has no report.json, so whether it judged the same campaign "
        "(type, channel, offer) cannot be told"
    ]


def test_missing_baseline_is_an_error_and_writes_nothing(ws: Workspace) -> None:
    _setup(ws, "")
    run = ws.audit("--baseline", "runs/none")
    assert run.code == 2
    assert run.stderr.splitlines()[-1] == (
        "cxaudit: error: --baseline runs/none: not a folder; pass a previous run's --out"
    )
    assert not run.out.exists()


def test_a_second_run_on_the_same_out_fails_cleanly_while_the_first_holds_it(
    ws: Workspace,
) -> None:
    _setup(ws, "1,C1,,open,urgent,X,S,,2026-11-01,\n")
    first = ws.audit()
    before = {p.name: p.read_bytes() for p in first.out.iterdir()}
    with output_lock(first.out):
        second = ws.audit()
    assert second.code == 75  # EX_TEMPFAIL: a scheduler tries again later
    assert second.stderr.splitlines()[-1] == (
        "cxaudit: error: --out out: another cxaudit run is writing there; wait for it to finish "
        "or pass --wait SECONDS"
    )
    assert {p.name: p.read_bytes() for p in first.out.iterdir()} == before


def test_wait_lets_the_second_run_go_after_the_first(ws: Workspace) -> None:
    _setup(ws, "1,C1,,open,urgent,X,S,,2026-11-01,\n")
    out = ws.root / "out"
    held = threading.Event()

    def hold() -> None:
        with output_lock(out):
            held.set()
            time.sleep(0.5)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait()
    run = ws.audit("--wait", "10")
    thread.join()
    assert run.code == 0, run.stderr
    assert run.suppressed() == {"ann@example.com": "severe"}


def test_lock_holds_across_processes(ws: Workspace) -> None:
    _setup(ws, "")
    out = ws.root / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from cxaudit.outputs.writer import output_lock\n"
            f"with output_lock(Path({str(out)!r})):\n    print('held', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        run = ws.audit()
        assert run.code == 75
        assert "another cxaudit run is writing there" in run.stderr
    finally:
        holder.kill()
        holder.wait()
    assert ws.audit().code == 0  # released when the holder died


def test_out_placeholders_make_dated_folders(ws: Workspace) -> None:
    _setup(ws, "")
    run = ws.cli(
        "audit",
        "campaign.csv",
        "--as-of",
        "2026-11-20T03:04:05Z",
        "--out",
        "runs/{date}/{datetime}",
        "-q",
    )
    assert run.exit_code == 0, run.output
    assert (ws.root / "runs/2026-11-20/2026-11-20T030405Z/cleaned.csv").exists()
    bad = ws.cli("audit", "campaign.csv", "--out", "runs/{day}")
    assert bad.exit_code == 2
    assert bad.stderr.splitlines()[-1] == (
        "cxaudit: error: --out runs/{day}: unknown placeholder 'day'; use {date} or {datetime}"
    )
