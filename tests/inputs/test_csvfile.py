"""Reading real-world CSV faithfully, and writing it back byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxaudit.errors import CxauditError
from cxaudit.inputs.csvfile import render_csv, sniff_delimiter
from cxaudit.inputs.read import read_table
from cxaudit.inputs.table import Dialect

TRICKY = [
    ["id", "zip", "name", "note", "amount"],
    ["00012345678901234567890", "02134", "NA", "null", "1e5"],
    ["2", "00501", "None", "nan", "N/A"],
    ["3", "", "NULL", "#N/A", "-"],
    ["4", " 07302 ", "O'Brien, Jr.", 'said "hi"', "=1+1"],
    ["5", "10001", "Zoë", "line one\nline two", "1,000.50"],
]


def _csv(rows: list[list[str]], delimiter: str = ",", newline: str = "\n") -> str:
    def cell(v: str) -> str:
        if any(c in v for c in (delimiter, '"', "\n", "\r")):
            return '"' + v.replace('"', '""') + '"'
        return v

    return "".join(delimiter.join(cell(v) for v in row) + newline for row in rows)


def _values(path: Path, **kw: object) -> list[list[str]]:
    table = read_table(path, **kw)  # type: ignore[arg-type]
    return [table.header] + [
        [table.frame[c].iloc[r] for c in range(len(table.header))] for r in range(table.rows)
    ]


def test_values_are_text_exactly_as_written(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(_csv(TRICKY), encoding="utf-8", newline="")
    assert _values(path) == TRICKY


@pytest.mark.parametrize(
    ("delimiter", "newline", "bom"),
    [(",", "\n", False), (";", "\r\n", True), ("\t", "\n", False), (",", "\r\n", True)],
)
def test_dialects_are_detected_and_written_back_identically(
    tmp_path: Path, delimiter: str, newline: str, bom: bool
) -> None:
    data = _csv(TRICKY, delimiter, newline).encode("utf-8")
    if bom:
        data = b"\xef\xbb\xbf" + data
    path = tmp_path / "list.csv"
    path.write_bytes(data)
    table = read_table(path)
    assert table.dialect == Dialect(delimiter=delimiter, encoding="utf-8", bom=bom, newline=newline)
    assert [table.frame[c].iloc[0] for c in range(5)] == TRICKY[1]
    columns = [table.frame[c] for c in range(len(table.header))]
    assert render_csv(table.header, columns, table.dialect) == data


def test_cp1252_file_read_with_its_encoding_and_written_back_in_it(tmp_path: Path) -> None:
    data = "number,caller\r\nINC0010001,José Müller – VIP\r\n".encode("cp1252")
    path = tmp_path / "incidents.csv"
    path.write_bytes(data)
    table = read_table(path, encoding="cp1252")
    assert table.frame[1].iloc[0] == "José Müller – VIP"
    assert render_csv(table.header, [table.frame[0], table.frame[1]], table.dialect) == data


def test_blank_lines_are_not_rows_and_row_numbers_stay_true(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("email,name\na@x.com,A\n\nb@x.com,B\n\n\n", encoding="utf-8")
    table = read_table(path)
    assert table.frame[0].tolist() == ["a@x.com", "b@x.com"]
    assert table.row_numbers.tolist() == [2, 4]


def test_a_blank_line_right_after_the_header_is_not_a_row(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(b"email,name\n\na@x.com,A\n")
    table = read_table(path)
    assert table.frame[0].tolist() == ["a@x.com"]
    assert table.row_numbers.tolist() == [3]


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("email,name\n", encoding="utf-8")
    table = read_table(path)
    assert table.rows == 0
    assert table.header == ["email", "name"]


def test_repeated_header_names_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "jira.csv"
    path.write_text("Summary,Comment,Comment\nS,first,second\n", encoding="utf-8")
    table = read_table(path)
    assert table.header == ["Summary", "Comment", "Comment"]
    assert [table.frame[c].iloc[0] for c in range(3)] == ["S", "first", "second"]
    with pytest.raises(CxauditError, match="appears 2 times"):
        table.find_column("Comment")


def test_column_lookup_forgives_case_and_spaces_when_unambiguous(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Email Address , STATUS\na,b\n", encoding="utf-8")
    table = read_table(path)
    assert table.find_column("email address") == 0
    assert table.find_column("Status") == 1
    assert table.find_column("Priority") is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a,b,c", ","),
        ("a;b;c", ";"),
        ("a\tb\tc", "\t"),
        ('"Name, full";email;phone', ";"),
        ("email", ","),
    ],
)
def test_sniff_delimiter(header: str, expected: str) -> None:
    assert sniff_delimiter(header) == expected


@pytest.mark.parametrize(
    ("content", "kw", "message"),
    [
        (b"", {}, "is empty"),
        (b"\n\n  \n", {}, "is empty"),
        (b"a,b\n1,2\n3\n", {}, "row 3 has 1 fields but the header has 2"),
        (b"a,b\n1,2,3\n", {}, "row 2 has 3 fields but the header has 2"),
        (b'a,b\n1,"x"y\n', {}, "line 2: malformed CSV"),
        (b'a,b\n1,2\n3,"ok"\n4,"x"y\n5,6\n', {}, "line 4: malformed CSV"),
        (b"a,b\n1,caf\xe9\n", {}, r"line 2 \(byte offset 9\) is not valid utf-8"),
        (b"PK\x03\x04rest", {}, "looks like an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1", {}, r"looks like an old Excel \(\.xls\) workbook"),
        (b"%PDF-1.7\n", {}, "looks like a PDF document"),
        (b"\x1f\x8b\x08\x00", {}, "looks like a gzip-compressed file"),
        (b"PAR1\x15", {}, "looks like a Parquet file"),
        (b"<!DOCTYPE html><html><body>Sign in</body>", {}, "looks like an HTML or XML page"),
        (b'[{"email": "a@x.com"}]', {}, "looks like JSON"),
        ("a,b\n".encode("utf-16"), {}, "is UTF-16 encoded"),
        (b"a,b\n1,\x002\n", {}, "contains NUL bytes"),
        (b"a,b\n", {"encoding": "klingon"}, "unknown encoding 'klingon'"),
    ],
)
def test_unreadable_files_raise_clear_errors(
    tmp_path: Path, content: bytes, kw: dict[str, str], message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(CxauditError, match=message) as info:
        read_table(path, **kw)  # type: ignore[arg-type]
    assert str(path) in info.value.message


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(CxauditError, match="file not found"):
        read_table(tmp_path / "nope.csv")
    # A folder is read as the parts of one table (see test_parts.py): an
    # empty one is named as such.
    with pytest.raises(CxauditError, match="the folder holds no part"):
        read_table(tmp_path)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_values_with_a_lone_cr_are_quoted_whatever_the_line_ending(
    tmp_path: Path, newline: str
) -> None:
    # Found by the property tests: Python's csv writer quotes only for the
    # characters of its own line terminator.
    import pandas as pd

    dialect = Dialect(newline=newline)
    data = render_csv(
        ["a", "b"], [pd.Series(["x\ry"], dtype="str"), pd.Series(["z"], dtype="str")], dialect
    )
    assert data == f'a,b{newline}"x\ry",z{newline}'.encode()
    path = tmp_path / "out.csv"
    path.write_bytes(data)
    assert read_table(path).frame[0].tolist() == ["x\ry"]
