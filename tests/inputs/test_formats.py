"""Parquet and gzip inputs are read directly; outputs come back in the
campaign's own format."""

from __future__ import annotations

import gzip
import io

import pyarrow as pa
import pyarrow.parquet as pq

from tests.conftest import CASES_HEADER, Workspace

SEVERE = "- {id: severe, source: cases, where: {priority: {equals: urgent}}, action: suppress}"
CAMPAIGN = "customer_id,email,zip\nC1,ann@example.com,02134\nC2,bob@example.com,\n"


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def test_gzip_campaign_and_source(ws: Workspace) -> None:
    ws.write("campaign.csv.gz", gzip.compress(CAMPAIGN.encode()))
    ws.write(
        "cases.csv.gz",
        gzip.compress((CASES_HEADER + "\n1,C1,,open,urgent,X,S,,2026-11-01,\n").encode()),
    )
    ws.rules(SEVERE)
    run = ws.audit("--source", "cases=cases.csv.gz", campaign="campaign.csv.gz")
    assert run.code == 0, run.stderr
    assert sorted(p.name for p in run.out.iterdir()) == [
        "cleaned.csv.gz",
        "flagged.csv.gz",
        "flagged.xlsx",
        "report.html",
        "report.json",
        "report.md",
        "suppressed.csv.gz",
        "suppressed.xlsx",
    ]
    assert gzip.decompress((run.out / "cleaned.csv.gz").read_bytes()) == (
        b"customer_id,email,zip\nC2,bob@example.com,\n"
    )
    assert gzip.decompress((run.out / "suppressed.csv.gz").read_bytes()) == (
        b"customer_id,email,zip,cxaudit_row,cxaudit_rules,cxaudit_reasons\n"
        b"C1,ann@example.com,02134,2,severe,cases row where priority is 'urgent' (rule severe)\n"
    )
    assert gzip.decompress((run.out / "flagged.csv.gz").read_bytes()) == (
        b"customer_id,email,zip,cxaudit_row,cxaudit_rules,cxaudit_reasons\n"
    )


def test_parquet_campaign_keeps_its_types_and_nulls(ws: Workspace) -> None:
    campaign = pa.table(
        {
            "customer_id": pa.array(["C1", "C2", "C3"]),
            "email": pa.array(["ann@example.com", None, "cara@example.com"]),
            "visits": pa.array([3, None, 7], pa.int64()),
        }
    )
    ws.write("campaign.parquet", _parquet(campaign))
    cases = pa.table({"Id": ["1"], "Customer ID": ["C3"], "Priority": ["urgent"]})
    ws.write("cases.parquet", _parquet(cases))
    ws.rules(
        SEVERE,
        sources="""
        cases:
          path: cases.parquet
          keys: {customer_id: Customer ID}
          columns: {priority: Priority}
        """,
    )
    run = ws.audit(campaign="campaign.parquet")
    assert run.code == 0, run.stderr
    cleaned = pq.read_table(run.out / "cleaned.parquet")
    assert cleaned.schema == campaign.schema
    assert cleaned.to_pylist() == [
        {"customer_id": "C1", "email": "ann@example.com", "visits": 3},
        {"customer_id": "C2", "email": None, "visits": None},
    ]
    gone = pq.read_table(run.out / "suppressed.parquet").to_pylist()
    assert gone == [
        {
            "customer_id": "C3",
            "email": "cara@example.com",
            "visits": 7,
            "cxaudit_row": 3,
            "cxaudit_rules": "severe",
            "cxaudit_reasons": "cases row where priority is 'urgent' (rule severe)",
        }
    ]


def test_broken_gzip_and_parquet_are_clear_errors(ws: Workspace) -> None:
    ws.write("cases.csv", CASES_HEADER + "\n")
    ws.rules(SEVERE)
    ws.write("campaign.csv.gz", b"\x1f\x8bnot really")
    run = ws.audit(campaign="campaign.csv.gz")
    assert run.code == 2
    assert "campaign.csv.gz: is not a valid gzip file" in run.stderr
    ws.write("campaign.parquet", b"PAR1 truncated")
    run = ws.audit(campaign="campaign.parquet", out="o2")
    assert run.code == 2
    assert "campaign.parquet: is not a readable Parquet file" in run.stderr
