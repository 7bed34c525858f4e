"""Partitioned inputs: a list or a source given as a folder of parts or a
glob gives what the single file that is their concatenation gives."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cxaudit.errors import CxauditError
from cxaudit.inputs.chunks import Totals
from cxaudit.inputs.parts import is_partitioned, list_parts
from cxaudit.inputs.read import iter_chunks, read_table
from cxaudit.inputs.table import Table
from tests.conftest import CASES_HEADER, Run, Workspace

HEADER = "customer_id,email,name,zip\n"
# Three parts; ann repeats in part 3 (a duplicate of part 1's row), a quoted
# value spans two lines, a blank line sits in part 2, and the last part has
# no final line ending.
PART_ROWS = [
    'C1,ann@example.com,Ann,02134\nC2,bob@example.com,"Bob\nSmith",10001\n',
    "C3,cara@example.com,Cara,60601\n\nC4,dev@example.com,Dev,94110\n",
    "C5,eve@example.com,Eve,00501\nC9,ANN@example.com,Ann again,02134\nC6,fay@example.com,Fay,1",
]
CASES = (
    CASES_HEADER
    + "\n"
    + "1,C2,,open,high,Aurora,Broken,1,2026-11-01,\n"
    + "2,,eve@example.com,open,urgent,Aurora,Dead,2,2026-11-02,\n"
)
RULES = """
- id: open-severe-case
  source: cases
  where: {status: {in: [open]}, priority: {in: [high, urgent]}}
  action: suppress
"""


def _whole_file() -> bytes:
    return (HEADER + "".join(PART_ROWS)).encode()


def _setup(ws: Workspace) -> None:
    ws.rules(RULES)
    ws.write("cases.csv", CASES)
    ws.write("campaign.csv", _whole_file())
    for i, rows in enumerate(PART_ROWS):
        ws.write(f"parts/part-{i:05d}.csv", HEADER + rows)


OUTPUTS = ("cleaned.csv", "suppressed.csv", "flagged.csv")


def _same_outputs(a: Path, b: Path, suffix: str = ".csv") -> None:
    for name in OUTPUTS:
        name = name.replace(".csv", suffix)
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    ra = json.loads((a / "report.json").read_text())
    rb = json.loads((b / "report.json").read_text())
    for key in ("input_rows", "kept", "suppressed", "flagged", "by_rule"):
        assert ra[key] == rb[key], key


def _input(run: Run, name: str) -> dict[str, Any]:
    return next(i for i in run.report()["inputs"] if i["name"] == name)


CHUNKS = [[], ["--chunk-size", "1"], ["--chunk-size", "7"]]


@pytest.mark.parametrize("chunk", CHUNKS)
@pytest.mark.parametrize("given", ["parts", "parts/part-*.csv"])
def test_folder_or_glob_of_csv_parts_equals_the_joined_file(
    ws: Workspace, given: str, chunk: list[str]
) -> None:
    _setup(ws)
    whole = ws.audit("-q", *chunk, out="whole")
    parts = ws.audit("-q", *chunk, campaign=given, out="parts-out")
    assert whole.code == parts.code == 0, parts.stderr
    _same_outputs(whole.out, parts.out)
    report = parts.report()
    assert report["input_rows"] == 7
    # A duplicate across parts names the earlier row as the joined file numbers it.
    dup = [r for r in parts.rows("suppressed.csv") if r["email"] == "ANN@example.com"]
    assert dup[0]["cxaudit_rules"] == "cxaudit:duplicate"
    assert dup[0]["cxaudit_row"] == "8"
    assert "row 2" in dup[0]["cxaudit_reasons"]
    assert parts.suppressed()["eve@example.com"] == "open-severe-case"
    assert "bob@example.com" in parts.suppressed()


def test_partitioned_sha256_is_that_of_the_parts_bytes_in_order(ws: Workspace) -> None:
    _setup(ws)
    run = ws.audit("-q", campaign="parts")
    assert run.code == 0, run.stderr
    joined = b"".join((ws.root / f"parts/part-{i:05d}.csv").read_bytes() for i in range(3))
    digest = hashlib.sha256(joined).hexdigest()
    assert _input(run, "campaign")["sha256"] == digest
    chunked = ws.audit("-q", "--chunk-size", "2", campaign="parts", out="chunked")
    assert _input(chunked, "campaign")["sha256"] == digest


@pytest.mark.parametrize("chunk", CHUNKS)
def test_csv_gz_parts_give_csv_gz_outputs_like_the_joined_file(
    ws: Workspace, chunk: list[str]
) -> None:
    _setup(ws)
    ws.write("campaign.csv.gz", gzip.compress(_whole_file()))
    for i, rows in enumerate(PART_ROWS):
        ws.write(f"gz/part-{i}.csv.gz", gzip.compress((HEADER + rows).encode()))
    whole = ws.audit("-q", *chunk, campaign="campaign.csv.gz", out="whole")
    parts = ws.audit("-q", *chunk, campaign="gz", out="parts-out")
    assert whole.code == parts.code == 0, parts.stderr
    _same_outputs(whole.out, parts.out, ".csv.gz")


@pytest.mark.parametrize("chunk", CHUNKS)
def test_parquet_parts_equal_the_single_parquet_file(ws: Workspace, chunk: list[str]) -> None:
    ws.rules(RULES)
    ws.write("cases.csv", CASES)
    rows = {
        "customer_id": ["C1", "C2", "C3", "C4", "C5", "C6", "C7"],
        "email": [f"{n}@example.com" for n in ("ann", "bob", "cara", "dev", "eve", "fay", "ann")],
        "zip": [2134, 10001, 60601, 94110, 501, 1, None],
    }
    table = pa.table(rows)
    pq.write_table(table, ws.root / "campaign.parquet")
    (ws.root / "pq").mkdir()
    # Dask's names: part.10 comes after part.2 (numbers sort as numbers).
    for name, (a, b) in zip(
        ("part.0.parquet", "part.2.parquet", "part.10.parquet"),
        ((0, 3), (3, 4), (4, 7)),
        strict=True,
    ):
        pq.write_table(table.slice(a, b - a), ws.root / "pq" / name)
    (ws.root / "pq" / "_SUCCESS").write_bytes(b"")
    (ws.root / "pq" / "_metadata").write_bytes(b"junk")
    whole = ws.audit("-q", *chunk, campaign="campaign.parquet", out="whole")
    parts = ws.audit("-q", *chunk, campaign="pq", out="parts-out")
    assert whole.code == parts.code == 0, parts.stderr
    for name in ("cleaned.parquet", "suppressed.parquet", "flagged.parquet"):
        assert pq.read_table(whole.out / name).equals(pq.read_table(parts.out / name)), name
    assert parts.report()["input_rows"] == 7
    suppressed = pq.read_table(parts.out / "suppressed.parquet").to_pylist()
    assert {(r["email"], r["cxaudit_row"], r["cxaudit_rules"]) for r in suppressed} == {
        ("bob@example.com", 2, "open-severe-case"),
        ("eve@example.com", 5, "open-severe-case"),
        ("ann@example.com", 7, "cxaudit:duplicate"),
    }


@pytest.mark.parametrize("chunk", ["", "1", "7"])
@pytest.mark.parametrize("given", ["case-parts", "case-parts/cases-*.csv"])
def test_a_source_as_folder_or_glob_suppresses_the_same_rows(
    ws: Workspace, given: str, chunk: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(ws)
    if chunk:
        monkeypatch.setenv("CXAUDIT_SOURCE_CHUNK_ROWS", chunk)
    lines = CASES.splitlines(keepends=True)
    ws.write("case-parts/cases-1.csv", lines[0] + lines[1])
    ws.write("case-parts/cases-2.csv", lines[0])  # a part with no rows
    ws.write("case-parts/cases-3.csv", lines[0] + lines[2])
    whole = ws.audit("-q", out="whole")
    parts = ws.audit("-q", "--source", f"cases={given}", out="parts-out")
    assert whole.code == parts.code == 0, parts.stderr
    _same_outputs(whole.out, parts.out)
    digest = hashlib.sha256(
        b"".join((ws.root / f"case-parts/cases-{i}.csv").read_bytes() for i in (1, 2, 3))
    ).hexdigest()
    assert _input(parts, "cases")["sha256"] == digest


def test_a_source_glob_in_the_rules_file(ws: Workspace) -> None:
    _setup(ws)
    lines = CASES.splitlines(keepends=True)
    ws.write("case-parts/cases-1.csv", lines[0] + lines[1])
    ws.write("case-parts/cases-2.csv", lines[0] + lines[2])
    rules = (
        (ws.root / "rules.yaml").read_text().replace("path: cases.csv", "path: case-parts/*.csv")
    )
    ws.write("rules.yaml", rules)
    run = ws.audit("-q")
    assert run.code == 0, run.stderr
    assert set(run.suppressed()) == {"bob@example.com", "eve@example.com", "ANN@example.com"}


@pytest.mark.parametrize("chunk", CHUNKS)
def test_a_bad_row_names_the_part_and_its_own_row(ws: Workspace, chunk: list[str]) -> None:
    _setup(ws)
    ws.write("parts/part-00001.csv", HEADER + "C3,cara@example.com,Cara,60601\nC4,dev,Dev\n")
    run = ws.audit("-q", *chunk, campaign="parts")
    assert run.code == 2
    line = run.stderr.strip()
    assert "\n" not in line
    assert line.startswith(f"cxaudit: error: {Path('parts/part-00001.csv')}: row 3 has 3 fields"), (
        line
    )
    assert not (ws.root / "out" / "cleaned.csv").exists()


def test_a_bad_date_in_a_source_part_names_the_part(ws: Workspace) -> None:
    _setup(ws)
    lines = CASES.splitlines(keepends=True)
    ws.write("case-parts/cases-1.csv", lines[0] + lines[1])
    ws.write("case-parts/cases-2.csv", lines[0] + lines[2].replace("2026-11-02", "yesterday"))
    run = ws.audit("-q", "--source", "cases=case-parts")
    assert run.code == 2
    assert "case-parts" in run.stderr and "not a date" in run.stderr, run.stderr


def test_a_bad_date_in_a_source_part_names_the_part_and_its_own_row(ws: Workspace) -> None:
    _setup(ws)
    lines = CASES.splitlines(keepends=True)
    ws.write("case-parts/cases-1.csv", lines[0] + lines[1])
    ws.write("case-parts/cases-2.csv", lines[0] + lines[2].replace("2026-11-02", "yesterday"))
    run = ws.audit("-q", "--source", "cases=case-parts")
    assert f"{Path('case-parts/cases-2.csv')}: row 2, column 'Created at'" in run.stderr


@pytest.mark.parametrize("chunk", CHUNKS)
def test_parts_with_different_headers_are_refused(ws: Workspace, chunk: list[str]) -> None:
    _setup(ws)
    ws.write("parts/part-00002.csv", "customer_id,email,zip,name\nC5,eve@example.com,1,Eve\n")
    run = ws.audit("-q", *chunk, campaign="parts")
    assert run.code == 2
    assert f"{Path('parts/part-00002.csv')}: its header differs from" in run.stderr
    assert "column 3 is 'zip' here, 'name' there" in run.stderr


def test_parts_with_different_delimiters_are_refused(ws: Workspace) -> None:
    _setup(ws)
    ws.write("parts/part-00001.csv", HEADER.replace(",", ";") + "C3;cara@example.com;Cara;1\n")
    run = ws.audit("-q", campaign="parts")
    assert run.code == 2
    assert "part-00001.csv: its delimiter is ';'" in run.stderr


def test_an_empty_glob_or_folder_is_an_error(ws: Workspace) -> None:
    _setup(ws)
    run = ws.audit("-q", campaign="nothing-*.csv")
    assert run.code == 2
    assert "nothing-*.csv: matches no file" in run.stderr
    run = ws.audit("-q", campaign="list[1].csv")  # brackets alone: most likely a name
    assert run.code == 2
    assert "list[1].csv: file not found; check the path" in run.stderr
    ws.write("lists/list-1.csv", HEADER + PART_ROWS[0])
    run = ws.audit("-q", campaign="lists/list-[0-9].csv")
    assert run.code == 0, run.stderr
    (ws.root / "empty").mkdir()
    (ws.root / "empty" / "_SUCCESS").write_bytes(b"")
    run = ws.audit("-q", campaign="empty")
    assert run.code == 2
    assert "the folder holds no part" in run.stderr


def test_metadata_is_skipped_but_a_stray_file_is_an_error(ws: Workspace) -> None:
    _setup(ws)
    ws.write("parts/_SUCCESS", b"")
    ws.write("parts/.part-00000.csv.crc", b"\x00\x01")
    whole = ws.audit("-q", out="whole")
    run = ws.audit("-q", campaign="parts", out="parts-out")
    assert run.code == 0, run.stderr
    _same_outputs(whole.out, run.out)
    ws.write("parts/README.md", "notes")
    run = ws.audit("-q", campaign="parts", out="parts-out")
    assert run.code == 2
    assert "README.md: is not a part of parts" in run.stderr


def test_mixed_formats_are_refused(ws: Workspace) -> None:
    _setup(ws)
    ws.write("parts/part-00009.csv.gz", gzip.compress((HEADER + "C8,g@example.com,G,1\n").encode()))
    run = ws.audit("-q", campaign="parts")
    assert run.code == 2
    assert "must all be of one format" in run.stderr


def test_outputs_never_land_among_the_parts(ws: Workspace) -> None:
    _setup(ws)
    run = ws.audit("-q", campaign="parts", out="parts")
    assert run.code == 2
    assert "would be written among the parts of the input parts" in run.stderr
    assert sorted(p.name for p in (ws.root / "parts").iterdir()) == [
        f"part-{i:05d}.csv" for i in range(3)
    ]


def test_a_part_is_never_replaced(ws: Workspace) -> None:
    _setup(ws)
    first = ws.audit("-q", out="out")
    assert first.code == 0
    ws.write("glob-parts/a-1.csv", HEADER + PART_ROWS[0])
    os.link(ws.root / "out" / "cleaned.csv", ws.root / "glob-parts" / "a-2.csv")
    before = (ws.root / "out" / "cleaned.csv").read_bytes()
    run = ws.audit("-q", campaign="glob-parts/a-*.csv", out="out")
    assert run.code == 2
    assert "cleaned.csv: would be replaced by this run, but it is the input" in run.stderr
    assert "a-2.csv" in run.stderr
    assert (ws.root / "out" / "cleaned.csv").read_bytes() == before


# The readers themselves: chunks of parts hold the joined file's rows.


def _rows_of(table: Table) -> list[bytes]:
    raw = table.raw
    assert raw is not None
    return [raw.data[s:e] for s, e in zip(raw.starts, raw.ends, strict=True)]


def test_chunks_of_parts_hold_the_joined_files_rows_numbers_and_bytes(tmp_path: Path) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    for i, rows in enumerate(PART_ROWS):
        (folder / f"p{i}.csv").write_bytes((HEADER + rows).encode())
    joined = tmp_path / "joined.csv"
    joined.write_bytes(_whole_file())
    whole = read_table(joined)
    together = read_table(folder)
    assert together.row_numbers.tolist() == whole.row_numbers.tolist()
    assert together.frame.equals(whole.frame)
    assert together.raw is not None and whole.raw is not None
    assert _rows_of(together) == _rows_of(whole)
    for size in (1, 2, 7):
        totals = Totals()
        chunks = list(iter_chunks(folder, size, totals=totals))
        numbers = np.concatenate([c.row_numbers for c in chunks]).tolist()
        assert numbers == whole.row_numbers.tolist()
        assert totals.rows == whole.rows
        assert totals.sha256 == together.sha256
        assert all(c.path == folder for c in chunks)


def test_a_row_is_located_in_its_part(tmp_path: Path) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    for i, rows in enumerate(PART_ROWS):
        (folder / f"p{i}.csv").write_bytes((HEADER + rows).encode())
    table = read_table(folder)
    # Row 4 of the joined file (cara) is row 2 of p1; row 7 (eve) is row 2 of p2.
    positions = {table.frame[1][i]: i for i in range(table.rows)}
    assert table.where(positions["cara@example.com"]) == f"{folder / 'p1.csv'}: row 2"
    assert table.where(positions["dev@example.com"]) == f"{folder / 'p1.csv'}: row 4"
    assert table.where(positions["eve@example.com"]) == f"{folder / 'p2.csv'}: row 2"
    assert table.where(positions["bob@example.com"]) == f"{folder / 'p0.csv'}: row 3"
    chunks = [c for c in iter_chunks(folder, 1) if c.rows]
    assert [c.where(0) for c in chunks] == [table.where(i) for i in range(table.rows)]


def test_what_counts_as_partitioned(tmp_path: Path) -> None:
    odd = tmp_path / "list[1].csv"
    odd.write_bytes(b"a\n1\n")
    assert not is_partitioned(odd)
    assert is_partitioned(tmp_path)
    assert is_partitioned(tmp_path / "x-*.csv")
    assert not is_partitioned(tmp_path / "plain.csv")
    for name in ("part.10.csv", "part.2.csv", "_SUCCESS", ".part.2.csv.crc"):
        (tmp_path / name).write_bytes(b"a\n1\n")
    assert [p.name for p in list_parts(tmp_path)] == ["list[1].csv", "part.2.csv", "part.10.csv"]
    (tmp_path / "notes.md").write_bytes(b"")
    with pytest.raises(CxauditError, match=r"notes\.md: is not a part of"):
        list_parts(tmp_path)


@pytest.mark.parametrize("chunk", CHUNKS)
def test_a_part_without_a_last_line_ending_still_ends_its_row(
    ws: Workspace, chunk: list[str]
) -> None:
    _setup(ws)
    ws.write(
        "crlf/p-1.csv", b"\xef\xbb\xbf" + HEADER.replace("\n", "\r\n").encode() + b"C7,a@x.io,A,1"
    )
    ws.write("crlf/p-2.csv", HEADER.replace("\n", "\r\n").encode() + b"C8,b@x.io,B,2\r\n")
    ws.write(
        "joined.csv",
        b"\xef\xbb\xbf"
        + HEADER.replace("\n", "\r\n").encode()
        + b"C7,a@x.io,A,1\r\nC8,b@x.io,B,2\r\n",
    )
    whole = ws.audit("-q", *chunk, campaign="joined.csv", out="whole")
    parts = ws.audit("-q", *chunk, campaign="crlf", out="parts-out")
    assert whole.code == parts.code == 0, parts.stderr
    _same_outputs(whole.out, parts.out)
    assert (parts.out / "cleaned.csv").read_bytes() == (ws.root / "joined.csv").read_bytes()


def test_a_part_in_another_encoding_is_named_with_its_line(ws: Workspace) -> None:
    _setup(ws)
    ws.write("enc/p-1.csv", (HEADER + "C1,a@x.io,Zoë,1\n").encode("utf-8"))
    ws.write("enc/p-2.csv", (HEADER + "C2,b@x.io,Zoë,2\n").encode("cp1252"))
    run = ws.audit("-q", campaign="enc")
    assert run.code == 2
    assert f"{Path('enc/p-2.csv')}: line 2 (byte offset 39) is not valid utf-8" in run.stderr


def test_parts_that_sniff_to_different_encodings_are_refused(tmp_path: Path) -> None:
    (tmp_path / "p-1.csv").write_bytes((HEADER + "C1,a@x.io,Zoë,1\n").encode("utf-8"))
    (tmp_path / "p-2.csv").write_bytes((HEADER + "C2,b@x.io,plain,2\n").encode("cp1252"))
    (tmp_path / "p-3.csv").write_bytes((HEADER + "C2,b@x.io,Zoë,2\n").encode("cp1252"))
    with pytest.raises(CxauditError, match=r"p-3\.csv: reads as cp1252 but .*p-1\.csv reads as"):
        read_table(tmp_path, encoding="cp1252", forced=False)
    (tmp_path / "p-1.csv").write_bytes((HEADER + "C1,a@x.io,plain,1\n").encode("utf-8"))
    table = read_table(tmp_path, encoding="cp1252", forced=False)  # ASCII parts have no say
    assert table.dialect.encoding == "cp1252"
    assert table.frame[2].tolist() == ["plain", "plain", "Zoë"]


def test_parquet_parts_with_other_column_types_are_refused(ws: Workspace) -> None:
    _setup(ws)
    (ws.root / "pq").mkdir()
    pq.write_table(pa.table({"email": ["a@x.io"], "zip": [1]}), ws.root / "pq" / "p-1.parquet")
    pq.write_table(pa.table({"email": ["b@x.io"], "zip": ["2"]}), ws.root / "pq" / "p-2.parquet")
    run = ws.audit("-q", campaign="pq")
    assert run.code == 2
    assert "p-2.parquet: its column types differ from" in run.stderr
    assert "(email: string, zip: string here, email: string, zip: int64 there)" in run.stderr


def test_check_and_explain_read_parts(ws: Workspace) -> None:
    _setup(ws)
    run = ws.cli("check", "parts", "--as-of", "2026-11-20", "--format", "json")
    assert run.exit_code == 1, run.stderr
    run = ws.cli("explain", "parts", "--recipient", "eve@example.com", "--as-of", "2026-11-20")
    assert run.exit_code == 0, run.stderr
    assert "open-severe-case" in run.stdout
