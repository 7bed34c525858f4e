"""Masking recipients in shared outputs."""

from __future__ import annotations

import pytest

from cxaudit.privacy import mask
from tests.conftest import CAMPAIGN, CASES_HEADER, Workspace


@pytest.mark.parametrize(
    ("label", "masked"),
    [
        ("ann.smith@example.com", "a***@example.com"),
        (" Bob@Example.org ", "B***@Example.org"),
        ("+1 (617) 555-0134", "***0134"),
        ("617.555.0134", "***0134"),
        ("CUS-100234", "***0234"),
        ("C1", "***"),
        ("", ""),
    ],
)
def test_mask(label: str, masked: str) -> None:
    assert mask(label) == masked


def test_report_md_and_json_are_masked_unless_show_pii_csvs_never(ws: Workspace) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write(
        "cases.csv",
        CASES_HEADER + "\n1,C1,,open,low,X,S,,2026-11-01,\n2,C2,,open,urgent,X,S,,2026-11-01,\n",
    )
    ws.rules(
        """
        - {id: severe, source: cases, where: {priority: {equals: urgent}}, action: suppress}
        - {id: minor, source: cases, where: {priority: {equals: low}}, action: flag}
        """
    )
    run = ws.audit()
    md = (run.out / "report.md").read_text()
    js = (run.out / "report.json").read_text()
    for full in ("ann@example.com", "bob@example.com"):
        assert full not in md and full not in js
    assert "| 3 | b***@example.com |" in md
    assert run.report()["flags"][0]["recipient"] == "a***@example.com"
    assert run.suppressed() == {"bob@example.com": "severe"}  # the CSVs keep real values

    shown = ws.audit("--show-pii", out="out2")
    assert "| 3 | bob@example.com |" in (shown.out / "report.md").read_text()
    assert shown.report()["flags"][0]["recipient"] == "ann@example.com"
