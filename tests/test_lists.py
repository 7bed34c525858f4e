"""The lists a marketer opens: flagged.csv and the cxaudit_row column.

The cast: Ann has an urgent open case (suppressed; her low case's flag does
not count), Bob a low one (flagged by minor-case), Cara a low one and a
Chicago zip (flagged by minor-case and chicago), Dev nothing (kept as is).
"""

from __future__ import annotations

import gzip
import io
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import CAMPAIGN, CASES_HEADER, Workspace

CASES = CASES_HEADER + (
    "\n11,C1,,open,urgent,X,Router dead,,2026-11-01,"
    "\n12,C1,,open,low,X,Question,,2026-11-02,"
    "\n13,C2,,open,low,X,=SUM(1),,2026-11-03,"
    "\n14,C3,,open,low,X,Wifi slow,,2026-11-04,\n"
)
RULES = """
- id: severe
  source: cases
  where: {priority: {equals: urgent}}
  action: suppress
  reason: "urgent case {case_id}"
- id: minor-case
  source: cases
  where: {priority: {equals: low}}
  action: flag
  reason: "{subject} (case {case_id})"
- id: chicago
  where: {zip: {matches: "^606"}}
  action: flag
  reason: "zip {zip}"
"""
HEADER = "customer_id,email,name,zip,cxaudit_row,cxaudit_rules,cxaudit_reasons\n"
FLAGGED = (
    HEADER + "C2,bob@example.com,Bob,10001,3,minor-case,'=SUM(1) (case 13)\n"
    "C3,cara@example.com,Cara,60601,4,minor-case;chicago,Wifi slow (case 14); zip 60601\n"
)
SUPPRESSED = HEADER + "C1,ann@example.com,Ann,02134,2,severe,urgent case 11\n"
CHUNKS = [[], ["--chunk-size", "1"], ["--chunk-size", "2"]]


def _setup(ws: Workspace, campaign: str | bytes = CAMPAIGN) -> None:
    ws.write("campaign.csv", campaign)
    ws.write("cases.csv", CASES)
    ws.rules(RULES)


# --------------------------------------------------------------------------
# flagged.csv and cxaudit_row


@pytest.mark.parametrize("chunk", CHUNKS)
def test_flagged_csv_lists_the_kept_rows_a_flag_rule_matched(
    ws: Workspace, chunk: list[str]
) -> None:
    _setup(ws)
    run = ws.audit("-q", *chunk)
    assert run.code == 0, run.stderr
    assert (run.out / "flagged.csv").read_text() == FLAGGED
    assert (run.out / "suppressed.csv").read_text() == SUPPRESSED
    report = run.report()
    assert (report["flagged"], report["suppressed"]) == (2, 1)
    assert report["by_rule"] == {
        "severe": 1,
        "minor-case": 2,
        "chicago": 1,
        "cxaudit:unverifiable": 0,
        "cxaudit:duplicate": 0,
    }
    # the rows report.json names are the rows flagged.csv lists
    assert [f["row"] for f in report["flags"]] == [3, 4]


def test_nobody_flagged_is_a_header_only_flagged_csv(ws: Workspace) -> None:
    """Every run writes flagged.csv, so an old one never stays beside new lists."""
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES_HEADER + "\n11,C1,,open,urgent,X,S,,2026-11-01,\n")
    ws.rules(RULES.replace('"^606"', '"^999"'))
    ws.write("out/flagged.csv", "previous run's flags\n")
    run = ws.audit("-q")
    assert run.code == 0, run.stderr
    assert (run.out / "flagged.csv").read_text() == HEADER


# A BOM, CRLF, a quoted value over two lines, a blank line and no final
# line ending: Ann's record is row 2, the blank line row 3, Bob row 4.
TRICKY = (
    "\ufeffcustomer_id,email,name,zip\r\n"
    'C1,ann@example.com,"Ann\r\nSmith",02134\r\n'
    "\r\n"
    "C2,bob@example.com,Bob,10001\r\n"
    "C3,cara@example.com,Cara,60601\r\n"
    "C4,dev@example.com,Dev,94110"
).encode()


@pytest.mark.parametrize("chunk", CHUNKS)
def test_cxaudit_row_is_the_row_report_md_shows(ws: Workspace, chunk: list[str]) -> None:
    _setup(ws, TRICKY)
    run = ws.audit("-q", *chunk)
    assert run.code == 0, run.stderr
    bom, head = b"\xef\xbb\xbf", b"customer_id,email,name,zip,cxaudit_row,cxaudit_rules,cxaudit_reasons\r\n"
    assert (run.out / "suppressed.csv").read_bytes() == (
        bom + head + b'C1,ann@example.com,"Ann\r\nSmith",02134,2,severe,urgent case 11\r\n'
    )
    assert (run.out / "flagged.csv").read_bytes() == (
        bom + head + b"C2,bob@example.com,Bob,10001,4,minor-case,'=SUM(1) (case 13)\r\n"
        b"C3,cara@example.com,Cara,60601,5,minor-case;chicago,Wifi slow (case 14); zip 60601\r\n"
    )
    md = (run.out / "report.md").read_text()
    assert "| 2 | a***@example.com | urgent case 11 |" in md
    assert "| 4 | b***@example.com | minor-case | '=SUM(1) (case 13) |" in md
    assert "| 5 | c***@example.com | minor-case, chicago |" in md


@pytest.mark.parametrize("chunk", CHUNKS)
def test_cleaned_csv_is_the_input_minus_suppressed_records_byte_for_byte(
    ws: Workspace, chunk: list[str]
) -> None:
    """Flagged people stay in cleaned.csv, which gains no column: the input's
    records (the BOM, CRLF, the quoted line break) minus Ann's and the blank
    line, the missing final line ending added."""
    _setup(ws, TRICKY)
    run = ws.audit("-q", *chunk)
    assert run.code == 0, run.stderr
    assert (run.out / "cleaned.csv").read_bytes() == (
        b"\xef\xbb\xbfcustomer_id,email,name,zip\r\n"
        b"C2,bob@example.com,Bob,10001\r\n"
        b"C3,cara@example.com,Cara,60601\r\n"
        b"C4,dev@example.com,Dev,94110\r\n"
    )


def test_parquet_list_gets_flagged_parquet(ws: Workspace) -> None:
    campaign = pa.table(
        {
            "customer_id": pa.array(["C1", "C2", "C3"]),
            "zip": pa.array(["02134", "60601", None]),
            "visits": pa.array([3, None, 7], pa.int64()),
        }
    )
    sink = io.BytesIO()
    pq.write_table(campaign, sink)
    ws.write("campaign.parquet", sink.getvalue())
    ws.write("cases.csv", CASES)
    ws.rules(RULES, head="recipients:\n  keys: {customer_id: customer_id}\n")
    run = ws.audit("-q", campaign="campaign.parquet")
    assert run.code == 0, run.stderr
    flagged = pq.read_table(run.out / "flagged.parquet")
    assert flagged.schema.field("cxaudit_row").type == pa.int64()
    assert flagged.to_pylist() == [
        {
            "customer_id": "C2",
            "zip": "60601",
            "visits": None,
            "cxaudit_row": 2,
            "cxaudit_rules": "minor-case;chicago",
            "cxaudit_reasons": "'=SUM(1) (case 13); zip 60601",
        },
        {
            "customer_id": "C3",
            "zip": None,
            "visits": 7,
            "cxaudit_row": 3,
            "cxaudit_rules": "minor-case",
            "cxaudit_reasons": "Wifi slow (case 14)",
        },
    ]


# --------------------------------------------------------------------------
# All or nothing, inputs never replaced


def test_above_the_ceiling_flagged_csv_is_not_written(ws: Workspace) -> None:
    _setup(ws)
    ws.write("out/flagged.csv", "previous\n")
    run = ws.audit("-q", "--max-suppressed", "10")
    assert run.code == 3
    assert (run.out / "flagged.csv").read_text() == "previous\n"
    assert not (run.out / "cleaned.csv").exists()
    assert not [p for p in os.listdir(run.out) if p.startswith(".")]


def test_a_failed_commit_leaves_the_previous_flagged_files(ws: Workspace) -> None:
    _setup(ws)
    first = ws.audit("-q")
    before = {p.name: p.read_bytes() for p in first.out.iterdir()}
    (first.out / "report.md").unlink()
    (first.out / "report.md").mkdir()
    second = ws.audit("-q", "--offer", "X")
    assert second.code == 2
    assert (first.out / "flagged.csv").read_bytes() == before["flagged.csv"]
    assert not [p for p in os.listdir(first.out) if p.startswith(".")]


def test_a_source_saved_as_flagged_csv_is_not_replaced(ws: Workspace) -> None:
    _setup(ws)
    ws.write("out/flagged.csv", CASES)
    run = ws.audit("-q", "--source", "cases=out/flagged.csv")
    assert run.code == 2
    assert "out/flagged.csv: would be replaced by this run, but it is the input out/flagged.csv" in (
        run.stderr
    )
    assert (ws.root / "out" / "flagged.csv").read_text() == CASES


@pytest.mark.parametrize("name", ["flagged.csv", "flagged.csv.gz"])
def test_a_link_to_the_list_under_a_list_name_is_refused(ws: Workspace, name: str) -> None:
    if name.endswith(".gz"):
        ws.write("campaign.csv.gz", gzip.compress(CAMPAIGN.encode()))
        campaign = "campaign.csv.gz"
    else:
        ws.write("campaign.csv", CAMPAIGN)
        campaign = "campaign.csv"
    ws.write("cases.csv", CASES)
    ws.rules(RULES)
    (ws.root / "out").mkdir()
    os.link(ws.root / campaign, ws.root / "out" / name)
    run = ws.audit("-q", campaign=campaign)
    assert run.code == 2
    assert f"out/{name}: would be replaced by this run, but it is the input {campaign}" in (
        run.stderr
    )
