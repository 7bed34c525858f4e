"""The benchmark runner end to end on a tiny data set: the lines it promises,
and the same suppressed count as the DuckDB query. No timing assertions."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.generate import generate, read_sizes
from benchmarks.run import Event, Recorder, classify, phase_table

REPO = Path(__file__).resolve().parents[2]
N = 2_000


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bench")
    generate(N, N, 2 * N, folder)
    return folder


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.run", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def suppressed(output: str, tool: str) -> int:
    found = re.search(rf"^{tool} .* peak RSS .* suppressed ([\d,]+)", output, re.MULTILINE)
    assert found, output
    return int(found.group(1).replace(",", ""))


def test_generated_folder_says_its_sizes(data: Path) -> None:
    sizes = read_sizes(data)
    assert sizes == {
        "campaign": N,
        "cases": N,
        "orders": N // 2,
        "consent": N // 10,
        "contact_history": 2 * N,
        "seed_list": 50,
        "seed": 20261120,
    }


def test_phases_without_duckdb(data: Path) -> None:
    run = bench("--recipients", str(N), "--data", str(data), "--skip-duckdb", "--phases")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert f"reusing {data}: 2,000 recipients, 2,000 cases, 4,000 history" in out
    assert suppressed(out, "cxaudit") > 0
    assert "duckdb" not in out.lower().replace("ratio to duckdb", "")
    assert "phases: the same audit in-process" in out
    table = out[out.index("phases:") : out.index("\ntotal ")]
    for phase in ("rules", "campaign", "source cases", "evaluating", "writing outputs"):
        assert re.search(rf"^ +[\d.]+ +[\d.]+ +[\d.]+  \w+ .*  {phase}", table, re.M), phase
    assert re.search(r"^total [\d.]+ s in-process, \d+ events", out, re.MULTILINE)
    assert "import cxaudit.pipeline" in out
    assert "phases: the in-process run" not in out  # neither failed nor disagreed
    assert "| tool | recipients (cases, history) | time | peak RSS | ratio to DuckDB |" in out
    assert re.search(
        r"^\| cxaudit \S* \| 2,000 \(2k, 4k\) \| [\d.]+ s \| [\d,]+ MiB \| not run \|$", out, re.M
    )


@pytest.mark.skipif(importlib.util.find_spec("duckdb") is None, reason="duckdb not installed")
def test_same_count_as_duckdb(data: Path) -> None:
    run = bench("--data", str(data), "--repeat", "2")  # no sizes given: what the folder holds
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert suppressed(out, "cxaudit") == suppressed(out, "duckdb") > 0
    assert "suppressed counts agree" in out
    assert "(best of 2)" in out
    assert "time (best of 2)" in out
    assert re.search(
        r"^\| DuckDB [\d.]+ \| 2,000 \(2k, 4k\) \| [\d.]+ s \| [\d,]+ MiB \| 1\.00 \|$", out, re.M
    )


def test_refuses_data_of_other_sizes(data: Path) -> None:
    run = bench(
        "--recipients", str(N), "--history", str(3 * N), "--data", str(data), "--skip-duckdb"
    )
    assert run.returncode != 0
    assert "holds other sizes than asked for: contact_history 4,000 (asked 6,000)" in run.stderr
    assert read_sizes(data)["contact_history"] == 2 * N  # untouched


def test_phases_take_any_message() -> None:
    """Unknown wording, unbalanced probes, messages from other threads: a
    table, never an exception."""
    assert classify("reading source cases /tmp/x/cases.csv") == ("source cases", True)
    assert classify("read source cases: 1,000 rows") == ("source cases", False)
    assert classify("Streaming chunk 3 of 9") == ("streaming chunk", True)
    assert classify("") == ("(no words)", False)
    assert classify(None) == ("none", False)
    recorder = Recorder()
    t = recorder.start
    recorder.events = [
        Event(t + 0.1, 0, "message", "reading campaign x.csv"),
        Event(t + 0.2, 1, "message", "something new happened", 5),
        Event(t + 0.3, 1, "exit", "matching"),
        Event(t + 0.4, 0, "enter", "judging"),
        Event(t + 0.5, 0, "message", "read campaign: 5 rows", 5),
        Event(t + 0.6, 2, "message", "12345 !!!"),
    ]
    recorder.end = t + 1.0
    lines = phase_table(recorder)
    assert lines[0].split()[:3] == ["start", "end", "busy"]
    assert any(line.endswith("campaign") for line in lines)
    assert any("something new" in line for line in lines)


def test_parts(tmp_path: Path) -> None:
    """--parts: every table a folder of parts, cxaudit given the folders, and
    (with DuckDB) the same suppressed count from DuckDB reading them by glob."""
    folder = tmp_path / "parts"
    args = ["--recipients", str(N), "--parts", "3", "--data", str(folder)]
    has_duckdb = importlib.util.find_spec("duckdb") is not None
    run = bench(*args, *([] if has_duckdb else ["--skip-duckdb"]))
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert "generated 2,000 recipients, 2,000 cases, 4,000 history" in out
    assert "3 CSV part(s) per table" in out
    assert sorted(p.name for p in (folder / "campaign").iterdir()) == [
        "part-00000.csv",
        "part-00001.csv",
        "part-00002.csv",
    ]
    assert not (folder / "campaign.csv").exists()
    assert read_sizes(folder)["contact_history"] == 2 * N
    assert re.search(r"^\| cxaudit \S* \| 2,000 \(2k, 4k\), 3 csv parts \| ", out, re.M)
    if has_duckdb:
        assert suppressed(out, "cxaudit") == suppressed(out, "duckdb") > 0
        assert "suppressed counts agree" in out
    # reused as it is; another layout is refused
    again = bench("--data", str(folder), "--skip-duckdb")
    assert again.returncode == 0, again.stderr
    assert "3 CSV part(s) per table" in again.stdout
    other = bench("--data", str(folder), "--parts", "2", "--skip-duckdb")
    assert other.returncode != 0
    assert "holds 3 CSV part(s) per table, not 2 CSV part(s) per table" in other.stderr
