"""The record scanner and the quote check: where the check passes, the
scanner's records are exactly the csv module's and pyarrow's, so bytes
copied per record are the bytes that were parsed."""

from __future__ import annotations

import csv
import io

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from hypothesis import given, settings
from hypothesis import strategies as st

from cxaudit import records


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
    assert records.bad_quote(b'a,"x"y\n', 0, 7, ",") == (4, "text after the closing quote of a value")
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
