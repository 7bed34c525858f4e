"""Masking recipients in shared outputs."""

from __future__ import annotations

import numpy as np
import pytest

from cxaudit.privacy import mask, mask_inside_many
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
    assert "| 3 | b***@&#8203;example.com |" in md  # masked, and no mention or mailto link
    assert run.report()["flags"][0]["recipient"] == "a***@example.com"
    assert run.suppressed() == {"bob@example.com": "severe"}  # the CSVs keep real values

    shown = ws.audit("--show-pii", out="out2")
    assert "| 3 | bob@&#8203;example.com |" in (shown.out / "report.md").read_text()
    assert shown.report()["flags"][0]["recipient"] == "ann@example.com"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("reach ann.lee@example.com now", "reach a***@example.com now"),
        ("call 617-555-0134 or (312) 555-0000", "call ***0134 or ***0000"),
        ("ring +44 20 7946 0958", "ring ***0958"),
        ("José.Ñ@exämple.com", "J***@exämple.com"),
        ("closed 2026-11-13, case 48230, INC0012345", "closed 2026-11-13, case 48230, INC0012345"),
        ("a***@example.com and ***0134", "a***@example.com and ***0134"),  # masked already
        ("order 12345678 shipped 11/13/2026", "order 12345678 shipped 11/13/2026"),
        # written with a no-break space, an en dash, fullwidth digits, after a date
        ("call 617\u00a0555\u00a00198 now", "call ***0198 now"),
        ("dash 617\u2013555\u20130111", "dash ***0111"),
        ("tel ６１７-５５５-０１３４", "tel ***0134"),
        ("seen 2026-11-01 617 555 0190", "seen 2026-11-01 ***0190"),
        ("ann\uff20private.example", "a***@private.example"),  # a fullwidth at sign
    ],
)
def test_personal_data_inside_free_text_is_masked(text: str, masked: str) -> None:
    assert list(mask_inside_many(np.array([text], dtype=object), "US")) == [masked]


def test_a_local_number_is_read_in_the_rules_region() -> None:
    texts = np.array(["ring 020 7946 0958"], dtype=object)
    assert list(mask_inside_many(texts, "GB")) == ["ring ***0958"]
