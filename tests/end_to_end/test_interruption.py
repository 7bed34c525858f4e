"""A run killed at any moment (SIGKILL, no cleanup) leaves the previous
outputs intact and never a half-written file under a final name."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cxaudit.outputs.names import OUTPUT_FILES

RULES = """\
version: 1
sources:
  cases: {path: cases.csv, keys: {customer_id: cid}, columns: {priority: priority}}
rules:
  - {id: severe, source: cases, where: {priority: {equals: urgent}}, action: suppress}
"""


def _cases(step: int) -> str:
    return "cid,priority\n" + "".join(f"C{i},urgent\n" for i in range(0, 60_000, step))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("interrupt")
    rnd = random.Random(7)
    lines = [
        f"C{i},p{i}@example.com,Person {i},{rnd.randrange(100000):05d}\n" for i in range(60_000)
    ]
    (root / "campaign.csv").write_text("customer_id,email,name,zip\n" + "".join(lines))
    (root / "rules.yaml").write_text(RULES)
    outputs = {}
    for label, step in (("old", 7), ("new", 5)):
        (root / "cases.csv").write_text(_cases(step))
        subprocess.run(_cmd(root / label), cwd=root, check=True)
        outputs[label] = {n: (root / label / n).read_bytes() for n in OUTPUT_FILES}
    return {"root": root, "old": outputs["old"], "new": outputs["new"]}


def _cmd(out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "cxaudit",
        "audit",
        "campaign.csv",
        "--as-of",
        "2026-11-20",
        "--out",
        str(out),
        "--quiet",
    ]


def _restore(out: Path, files: dict[str, bytes]) -> None:
    out.mkdir(exist_ok=True)
    for p in out.iterdir():
        p.unlink()
    for name, data in files.items():
        (out / name).write_bytes(data)


def _kill_when(proc: subprocess.Popen[bytes], out: Path, mode: str, delay: float) -> None:
    if mode == "writing":  # the moment the first temporary output appears
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if any(p.name.endswith(".tmp") for p in out.iterdir()):
                break
            time.sleep(0.001)
        time.sleep(delay)
    else:
        time.sleep(delay)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.mark.parametrize(
    ("mode", "delay"),
    [
        ("writing", 0.0),
        ("writing", 0.005),
        ("writing", 0.05),
        ("anytime", 0.4),
        ("anytime", 0.9),
    ],
)
def test_sigkill_never_leaves_a_torn_output(
    world: dict[str, object], mode: str, delay: float
) -> None:
    root: Path = world["root"]  # type: ignore[assignment]
    old: dict[str, bytes] = world["old"]  # type: ignore[assignment]
    new: dict[str, bytes] = world["new"]  # type: ignore[assignment]
    out = root / f"out-{mode}-{delay}"
    _restore(out, old)
    proc = subprocess.Popen(_cmd(out), cwd=root)
    _kill_when(proc, out, mode, delay)

    for name in OUTPUT_FILES:
        data = (out / name).read_bytes()
        assert data in (old[name], new[name]), f"{name} is torn"
    # Leftover temporary files are only under temporary names, and the next
    # run clears them and writes the new outputs.
    assert {p.name for p in out.iterdir() if not p.name.startswith(".")} == set(OUTPUT_FILES)
    if (mode, delay) == ("writing", 0.0):  # the kill did land mid-write
        assert any(p.name.endswith(".tmp") for p in out.iterdir())
    subprocess.run(_cmd(out), cwd=root, check=True)
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    assert {n: (out / n).read_bytes() for n in OUTPUT_FILES} == new
