"""The shipped sample, audited with the shipped rules.yaml, compared with the
committed expected outputs byte for byte.

To accept a deliberate change: CXAUDIT_UPDATE_GOLDEN=1 pytest tests/end_to_end/test_golden.py,
then review the diff of tests/golden/ like any other code change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, Workspace

GOLDEN = REPO / "tests" / "golden"
SCENARIOS = {
    "promotional-email": ["--offer", "Aurora X2"],
    "promotional-sms": ["--channel", "sms"],
    "survey-email": ["--campaign-type", "survey"],
    "referral-phone": ["--campaign-type", "referral", "--channel", "phone"],
}
FILES = ("cleaned.csv", "suppressed.csv", "flagged.csv", "report.json", "report.md")


def _run(tmp_path: Path, args: list[str], chunk: int | None = None) -> Path:
    ws = Workspace(REPO)
    out = tmp_path / "out"
    result = ws.cli(
        "audit",
        "sample_data/campaign.csv",
        "--as-of",
        "2026-11-20",
        "--out",
        str(out),
        "-q",
        *args,
        *(["--chunk-size", str(chunk)] if chunk else []),
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_sample_run_matches_golden_files(tmp_path: Path, scenario: str) -> None:
    out = _run(tmp_path, SCENARIOS[scenario])
    expected = GOLDEN / scenario
    if os.environ.get("CXAUDIT_UPDATE_GOLDEN"):
        expected.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            (expected / name).write_bytes((out / name).read_bytes())
    for name in FILES:
        assert (out / name).read_bytes() == (expected / name).read_bytes(), name


CHUNKED = [(s, 7) for s in sorted(SCENARIOS)] + [("promotional-email", 1)]


@pytest.mark.parametrize(("scenario", "chunk"), CHUNKED)
def test_chunked_run_writes_the_same_files(tmp_path: Path, scenario: str, chunk: int) -> None:
    """The list streamed 1 or 7 rows at a time (duplicates of a row in
    another chunk, reasons, report examples and counts all crossing chunk
    boundaries) gives the bytes of the whole-list run (the default chunk
    holds all 523 rows)."""
    out = _run(tmp_path, SCENARIOS[scenario], chunk)
    for name in FILES:
        assert (out / name).read_bytes() == (GOLDEN / scenario / name).read_bytes(), name


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_workbooks_hold_exactly_what_the_lists_hold(tmp_path: Path, scenario: str) -> None:
    """suppressed.xlsx and flagged.xlsx: the rows of suppressed.csv and
    flagged.csv, every cell the same text (cxaudit_row a number)."""
    import csv

    from tests.outputs.test_lists import read_xlsx

    out = _run(tmp_path, SCENARIOS[scenario])
    for name in ("suppressed", "flagged"):
        with open(out / f"{name}.csv", newline="", encoding="utf-8") as fh:
            rows: list[list[object]] = list(csv.reader(fh))
        at = rows[0].index("cxaudit_row")
        for row in rows[1:]:
            row[at] = int(str(row[at]))
        book = read_xlsx(out / f"{name}.xlsx")
        assert [r + [""] * (len(rows[0]) - len(r)) for r in book] == rows, name


def test_every_default_rule_fires_on_the_sample() -> None:
    rules = yaml.safe_load((REPO / "rules.yaml").read_text())["rules"]
    fired = set()
    for scenario in SCENARIOS:
        report = json.loads((GOLDEN / scenario / "report.json").read_text())
        fired |= {rule for rule, rows in report["by_rule"].items() if rows > 0}
    assert {r["id"] for r in rules} <= fired
    assert {"cxaudit:unverifiable", "cxaudit:duplicate"} <= fired


def test_sample_campaign_is_realistic_size() -> None:
    lines = (REPO / "sample_data" / "campaign.csv").read_text().splitlines()
    assert len(lines) - 1 >= 500
