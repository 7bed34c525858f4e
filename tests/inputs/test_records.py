"""The record scanner and the quote check: where the check passes, the
scanner's records are exactly the csv module's and pyarrow's, so bytes
copied per record are the bytes that were parsed."""

from __future__ import annotations

import csv
import io

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxaudit.inputs import records
from tests.conftest import CASES_HEADER, Workspace


def _split(data: bytes) -> list[bytes]:
    ends = records.scan(data).ends.tolist()
    if not ends or ends[-1] < len(data):
        ends.append(len(data))
    return [data[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]


def test_every_line_ending_ends_a_record() -> None:
    data = b'a\nb\r\nc\rd,"x\ry\r\nz"\re'
    assert _split(data) == [b"a\n", b"b\r\n", b"c\r", b'd,"x\ry\r\nz"\r', b"e"]


def test_a_cr_at_the_end_of_a_piece_waits_for_what_follows() -> None:
    piece = records.scan(b"a\r", final=False)
    assert piece.ends.tolist() == [] and piece.scanned == 1
    assert records.scan(b"a\r", final=True).ends.tolist() == [2]


def test_quotes_where_csv_puts_them_pass() -> None:
    data = b'a,"b,""c""\nd",e\n"",f\r\n'
    assert records.bad_quote(data, 0, len(data), ",") is None


def test_stray_quotes_are_found_with_what_is_wrong() -> None:
    assert records.bad_quote(b'C1,k@x.example,,5" tv\n', 0, 22, ",") == (
        17,
        "a quote inside a value that is not quoted",
    )
    assert records.bad_quote(b'a,"x"y\n', 0, 7, ",") == (
        4,
        "text after the closing quote of a value",
    )
    assert records.bad_quote(b'a,"x\n', 0, 5, ",") == (2, "a quoted value that is never closed")


@settings(max_examples=800, deadline=None)
@given(st.text(alphabet='a,"\n\r', min_size=1, max_size=40))
def test_where_the_check_passes_every_reader_sees_the_scanners_records(body: str) -> None:
    data = body.encode()
    if records.bad_quote(data, 0, len(data), ",") is not None:
        return
    whole = list(csv.reader(io.StringIO(body, newline=""), strict=True))  # must not raise
    pieces = _split(data)
    assert len(pieces) == len(whole)
    for piece, row in zip(pieces, whole, strict=True):
        assert list(csv.reader([piece.decode()], strict=True)) == [row]
    blank = records.blank(data, *_bounds(data))
    if not blank.any() and all(len(r) == 1 for r in whole):
        table = pacsv.read_csv(
            pa.py_buffer(b"c\n" + data),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={"c": pa.string()}, strings_can_be_null=False
            ),
        )
        assert table.column("c").to_pylist() == [r[0] for r in whole]


def _bounds(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    ends = records.scan(data).ends
    if not len(ends) or ends[-1] < len(data):
        ends = np.append(ends, len(data))
    return np.concatenate([[0], ends[:-1]]), ends


# --- the same records from the command line, at every chunk size -----------

RULES = """
- id: severe
  source: cases
  where: {priority: {equals: urgent}}
  action: suppress
  reason: "urgent case {case_id}"
"""
# C1 and C3 have open urgent cases; C2 has none.
CASES = CASES_HEADER + "\n1,C1,,open,urgent,X,S,,2026-11-01,\n2,C3,,open,urgent,X,S,,2026-11-01,\n"
CHUNKS = ("1", "7", "1000000")


def _setup(ws: Workspace, campaign: bytes) -> None:
    ws.write("campaign.csv", campaign)
    ws.write("cases.csv", CASES)
    ws.rules(RULES)


@pytest.mark.parametrize("chunk", CHUNKS)
def test_a_stray_quote_is_refused_at_every_chunk_size(ws: Workspace, chunk: str) -> None:
    # The file: a quote in an unquoted value, then quoted multi-line values.
    _setup(
        ws,
        b"customer_id,email,note\n"
        b'C1,k@x.example,5" tv\n'
        b'C2,b@x.example,"two\nlines"\n'
        b'C3,c@x.example,"more\nlines"\n',
    )
    run = ws.audit("--chunk-size", chunk)
    assert run.code == 2
    assert run.stderr.splitlines()[-1] == (
        "cxaudit: error: campaign.csv: row 2, line 2: malformed CSV (a quote inside a value "
        'that is not quoted); quote the whole value and double every quote inside it ("5"" '
        'tv"), or export the file again'
    )
    assert not run.out.exists()


@pytest.mark.parametrize("chunk", CHUNKS)
def test_a_quote_left_open_is_named_at_every_chunk_size(ws: Workspace, chunk: str) -> None:
    _setup(ws, b'customer_id,email,note\nC1,a@x.example,ok\nC2,b@x.example,"open\nC3,c,x\n')
    run = ws.audit("--chunk-size", chunk)
    assert run.code == 2
    assert "campaign.csv: row 3, line 3: malformed CSV (a quoted value that is never closed)" in (
        run.stderr
    )


@pytest.mark.parametrize("chunk", CHUNKS)
def test_lone_cr_records_are_each_audited(ws: Workspace, chunk: str) -> None:
    # Classic Mac line endings, the header's included, and a CR inside a quoted value.
    _setup(
        ws, b'customer_id,email,note\rC1,a@x.example,hi\rC2,b@x.example,"x\ry"\rC3,c@x.example,z\r'
    )
    run = ws.audit("-q", "--chunk-size", chunk)
    assert run.code == 0
    assert (
        run.out / "cleaned.csv"
    ).read_bytes() == b'customer_id,email,note\rC2,b@x.example,"x\ry"\r'
    assert (run.out / "suppressed.csv").read_bytes() == (
        b"customer_id,email,note,cxaudit_row,cxaudit_rules,cxaudit_reasons\r"
        b"C1,a@x.example,hi,2,severe,urgent case 1\r"
        b"C3,c@x.example,z,4,severe,urgent case 2\r"
    )


def test_check_fails_a_lone_cr_list_holding_a_person_with_an_open_case(ws: Workspace) -> None:
    _setup(ws, b"customer_id,email\rC1,a@x.example\rC2,b@x.example\r")
    result = ws.cli("check", "campaign.csv", "--as-of", "2026-11-20", "--format", "json")
    assert result.exit_code == 1
    assert '"suppressed": 1' in result.stdout


@pytest.mark.parametrize("chunk", CHUNKS)
def test_mixed_endings_keep_each_records_own_ending(ws: Workspace, chunk: str) -> None:
    # An LF header, CRLF and LF records, a lone CR, and a last row with no ending.
    _setup(
        ws,
        b"customer_id,email\nC1,a@x.example\r\nC2,b@x.example\nC3,c@x.example\r"
        b"C4,d@x.example\r\nC1,e@x.example",
    )
    run = ws.audit("-q", "--chunk-size", chunk)
    assert run.code == 0
    assert (run.out / "cleaned.csv").read_bytes() == (
        b"customer_id,email\nC2,b@x.example\nC4,d@x.example\r\n"
    )
    assert (run.out / "suppressed.csv").read_bytes() == (
        b"customer_id,email,cxaudit_row,cxaudit_rules,cxaudit_reasons\n"
        b"C1,a@x.example,2,severe,urgent case 1\r\n"
        b"C3,c@x.example,4,severe,urgent case 2\r"
        b"C1,e@x.example,6,severe;cxaudit:duplicate,"
        b"urgent case 1; repeats row 2 (same customer_id)\n"
    )
