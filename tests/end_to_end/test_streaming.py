"""``audit --chunk-size``: the list streamed a few rows at a time writes the
same files as the whole-list run, in every input format, and a bad row in a
late chunk still fails the run before anything is written."""

from __future__ import annotations

import gzip
import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import CASES_HEADER, Workspace

RULES = """
- id: severe
  source: cases
  where: {priority: {equals: urgent}}
  action: suppress
  reason: "urgent case {case_id}"
- id: minor
  source: cases
  where: {priority: {equals: low}}
  action: flag
  reason: "minor case {case_id}"
"""
CASES = (
    CASES_HEADER
    + "\n1,C2,,open,urgent,X,S,,2026-11-01,\n2,C5,,open,low,X,S,,2026-11-01,\n"
    + "3,,eve@example.com,open,low,X,S,,2026-11-01,\n"
)
# Ann repeats in row 7 (by email, another case) and row 9 (by id); a blank
# line; a value over two lines; the last row has no line ending.
CAMPAIGN = (
    b"customer_id,email,note\n"
    b"C1,ann@example.com,02134\n"
    b'C2,bob@example.com,"two\nlines"\n'
    b"C3,cara@example.com,\n"
    b"\n"
    b"C4,ANN@example.com ,x\n"
    b"C5,dev@example.com,\n"
    b",,nobody\n"
    b"C1,fay@example.com,y\n"
    b",eve@example.com,z"
)
FILES = ("cleaned.csv", "suppressed.csv", "report.json", "report.md")


def _setup(ws: Workspace) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES)
    ws.rules(RULES)


@pytest.mark.parametrize("chunk", ["1", "2", "3"])
def test_chunked_outputs_equal_the_whole_list_run(ws: Workspace, chunk: str) -> None:
    _setup(ws)
    whole = ws.audit("-q", out="whole")
    streamed = ws.audit("-q", "--chunk-size", chunk, out="streamed")
    assert whole.code == streamed.code == 0
    for name in FILES:
        assert (streamed.out / name).read_bytes() == (whole.out / name).read_bytes(), name


def test_whole_list_run_decides_as_stated(ws: Workspace) -> None:
    """The fixture's fate, so the equivalence above compares something real."""
    _setup(ws)
    run = ws.audit("-q", "--chunk-size", "2")
    assert (run.out / "cleaned.csv").read_bytes() == (
        b"customer_id,email,note\nC1,ann@example.com,02134\nC3,cara@example.com,\n"
        b"C5,dev@example.com,\n,eve@example.com,z\n"
    )
    assert run.column("suppressed.csv", "cxaudit_rules") == [
        "severe",
        "cxaudit:duplicate",
        "cxaudit:unverifiable",
        "cxaudit:duplicate",
    ]
    assert run.column("suppressed.csv", "cxaudit_reasons")[1::2] == [
        "repeats row 2 (same email)",
        "repeats row 2 (same customer_id)",
    ]
    assert run.column("suppressed.csv", "note")[0] == "two\nlines"
    flags = run.report()["flags"]
    assert [(f["row"], f["rules"]) for f in flags] == [(7, ["minor"]), (10, ["minor"])]


def test_gzip_list_streamed_gives_the_same_files(ws: Workspace) -> None:
    ws.write("campaign.csv.gz", gzip.compress(CAMPAIGN))
    ws.write("cases.csv", CASES)
    ws.rules(RULES)
    whole = ws.audit("-q", campaign="campaign.csv.gz", out="whole")
    streamed = ws.audit("-q", "--chunk-size", "2", campaign="campaign.csv.gz", out="streamed")
    assert whole.code == streamed.code == 0
    for name in ("cleaned.csv.gz", "suppressed.csv.gz"):
        got = gzip.decompress((streamed.out / name).read_bytes())
        assert got == gzip.decompress((whole.out / name).read_bytes())
    assert gzip.decompress((whole.out / "cleaned.csv.gz").read_bytes()).startswith(
        b"customer_id,email,note\nC1,ann@example.com,02134\nC3,"
    )
    assert (streamed.out / "report.json").read_bytes() == (whole.out / "report.json").read_bytes()


def test_parquet_list_streamed_gives_the_same_tables(ws: Workspace) -> None:
    campaign = pa.table(
        {
            "customer_id": ["C1", "C2", "C3", "C1", "C5"],
            "email": ["ann@example.com", None, "cara@example.com", None, "dev@example.com"],
            "visits": pa.array([1, 2, None, 4, 5], pa.int64()),
        }
    )
    sink = io.BytesIO()
    pq.write_table(campaign, sink)
    ws.write("campaign.parquet", sink.getvalue())
    ws.write("cases.csv", CASES)
    ws.rules(RULES)
    whole = ws.audit("-q", campaign="campaign.parquet", out="whole")
    streamed = ws.audit("-q", "--chunk-size", "2", campaign="campaign.parquet", out="streamed")
    assert whole.code == streamed.code == 0
    for name in ("cleaned.parquet", "suppressed.parquet"):
        assert pq.read_table(streamed.out / name).equals(pq.read_table(whole.out / name))
    assert pq.read_table(whole.out / "suppressed.parquet").column("cxaudit_rules").to_pylist() == [
        "severe",
        "cxaudit:duplicate",
    ]
    assert (streamed.out / "report.json").read_bytes() == (whole.out / "report.json").read_bytes()


def test_a_bad_row_in_a_late_chunk_fails_before_anything_is_written(ws: Workspace) -> None:
    _setup(ws)
    ws.write("campaign.csv", CAMPAIGN + b"\nC9,zed@example.com,1,extra\n")
    run = ws.audit("--chunk-size", "2")
    assert run.code == 2
    assert "campaign.csv: row 11 has 4 fields but the header has 3" in run.stderr
    assert not run.out.exists()


def test_a_bad_date_in_a_late_chunk_leaves_the_previous_run_untouched(ws: Workspace) -> None:
    _setup(ws)
    ws.rules(
        RULES,
        head="recipients:\n  dates: [signed_up]\n  columns: {signed_up: note}\n",
    )
    ws.write("campaign.csv", b"customer_id,email,note\nC1,a@x.com,2026-01-01\nC2,b@x.com,soon\n")
    ws.write("out/cleaned.csv", "previous\n")
    run = ws.audit("--chunk-size", "1")
    assert run.code == 2
    assert "row 3, column 'note': not a date in the format ISO 8601" in run.stderr
    assert "soon" not in run.stderr  # a cell's content is not echoed into logs
    assert sorted(p.name for p in run.out.iterdir()) == ["cleaned.csv"]
    assert (run.out / "cleaned.csv").read_text() == "previous\n"


def test_baseline_comparison_is_the_same_in_chunks(ws: Workspace) -> None:
    _setup(ws)
    assert ws.audit("-q", out="yesterday").code == 0
    ws.write("cases.csv", CASES_HEADER + "\n3,C3,,open,urgent,X,S,,2026-11-01,\n")
    whole = ws.audit("-q", "--baseline", "yesterday", out="whole")
    streamed = ws.audit("-q", "--baseline", "yesterday", "--chunk-size", "1", out="streamed")
    assert whole.report()["baseline"] == streamed.report()["baseline"]
    change = whole.report()["baseline"]
    assert [i["row"] for i in change["newly_suppressed"]] == [4]
    assert [i["row"] for i in change["released"]] == [3]
