"""The workbooks' rows are rendered a column at a time (Arrow kernels), not
written cell by cell through XlsxWriter: the rendered workbook must be the
very bytes XlsxWriter writes itself, for every kind of value a customer or
an export can put in a cell."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import numpy as np
import pytest

from cxaudit.outputs import spreadsheets
from cxaudit.outputs.spreadsheets import Spreadsheet

HEADER = ["customer_id", "email", "note", "cxaudit_row", "cxaudit_rules", "cxaudit_reasons"]
HOSTILE = [
    "plain",
    "",
    " leading space",
    "trailing space ",
    "\u00a0non-breaking",
    "ideographic\u3000",
    "tab\tinside",
    "\nnewline first",
    "bell\x07 and nul\x00",
    "unit sep\x1f",
    "_x0041_ looks escaped",
    "_X00zz_ does not",
    "<r>rich?</r>",
    "<r>only starts",
    "a & b < c > d \" e '",
    '=HYPERLINK("http://x")',
    "+1 555 0100",
    "02134",
    "4111111111111111",
    "Renée Ünïcødé 😀",
    "\ufffe and \uffff",
    "x" * 20000,  # under Excel's limit in UTF-16 units
    "😀" * 17000,  # over it: cut to 32,767 UTF-16 units
    "<",
    "&amp;",
]


def _book(
    rows: list[list[str]], numbers: list[int], rendered: bool, chunks: int = 1, surrogate=False
) -> bytes:
    """A workbook of ``rows`` (the rendered way, or XlsxWriter's own)."""
    fh = io.BytesIO()
    book = Spreadsheet(fh, "suppressed", HEADER, "suppressed.csv", datetime(2026, 11, 20))
    answers: list[bool] = []  # what each try at rendering rows gave
    render = book._add_rendered

    def spy(*args: object) -> bool:
        answers.append(rendered and render(*args))
        return answers[-1]

    book._add_rendered = spy  # type: ignore[method-assign]
    columns = [list(c) for c in zip(*rows, strict=True)]
    cut = np.array_split(np.arange(len(rows)), chunks)
    for part in cut:
        book.add([[c[i] for i in part] for c in columns], np.array(numbers)[part])
    book.close()
    assert any(answers) == (rendered and not surrogate), answers  # the path meant was taken
    return fh.getvalue()


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def _rows() -> tuple[list[list[str]], list[int]]:
    rows = []
    for i, value in enumerate(HOSTILE):
        other = HOSTILE[(i * 7 + 3) % len(HOSTILE)]
        rows.append([f"C{i}", other, value, "rule-a;rule-b" if i % 2 else "", value[:50]])
    return rows, [i * 3 + 2 for i in range(len(rows))]


@pytest.mark.parametrize("chunks", [1, 4])
def test_rendered_rows_are_the_bytes_xlsxwriter_writes(chunks: int) -> None:
    rows, numbers = _rows()
    fast = _members(_book(rows, numbers, rendered=True, chunks=chunks))
    slow = _members(_book(rows, numbers, rendered=False))
    assert fast.keys() == slow.keys()
    for name in slow:
        assert fast[name] == slow[name], name
    assert b"_x0007_" in fast["xl/worksheets/sheet1.xml"]  # the bell, escaped, is in there


def test_a_lone_surrogate_takes_the_cell_by_cell_path() -> None:
    """Arrow cannot hold a lone surrogate (a CSV read with errors=
    surrogateescape could carry one): XlsxWriter writes that chunk, escaped."""
    rows = [["C1", "a@example.com", "bad \udcff byte", "", ""], ["C2", "b", "ok", "r", "why"]]
    fast = _members(_book(rows, [2, 3], rendered=True, surrogate=True))
    slow = _members(_book(rows, [2, 3], rendered=False, surrogate=True))
    assert fast == slow
    assert b"bad _xDCFF_ byte" in fast["xl/worksheets/sheet1.xml"]


def test_a_full_workbook_ends_with_the_note_after_rendered_rows(monkeypatch) -> None:
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 3)
    rows, numbers = _rows()
    fast = _members(_book(rows[:5], numbers[:5], rendered=True, chunks=2))
    slow = _members(_book(rows[:5], numbers[:5], rendered=False, chunks=2))
    assert fast == slow
    assert "… and 2 more rows in suppressed.csv".encode() in fast["xl/worksheets/sheet1.xml"]


def _sheet_xml(path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/worksheets/sheet1.xml").decode()


def test_what_a_workbook_cannot_hold_is_a_warning_and_cxaudits_columns_stay(
    ws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 40,000-character note, 17,000 columns and more people than the cap:
    each is said, and cxaudit_row, cxaudit_rules, cxaudit_reasons are there."""
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 2)
    extra = [f"x{i}" for i in range(17_000 - 2)]
    header = ",".join(["email", "note", *extra])
    rows = [
        f"p{i}@example.com,{'n' * 40_000 if i == 0 else 'short'}" + "," * len(extra)
        for i in range(3)
    ]
    ws.write("campaign.csv", header + "\n" + "\n".join(rows) + "\n")
    ws.write(
        "rules.yaml",
        "version: 1\nrecipients: {keys: {email: email}}\nrules:\n"
        "  - {id: everyone, source: recipients, where: {email: {contains: '@'}}, action: suppress}\n",
    )
    run = ws.audit("-q")
    assert run.code == 0, run.stderr
    book = [w for w in run.report()["warnings"] if w.startswith("suppressed.xlsx")]
    assert book == [
        "suppressed.xlsx: the list has 17,000 columns, more than a workbook holds (16,384): it "
        "shows the first 16,381 and cxaudit_row, cxaudit_rules, cxaudit_reasons; suppressed.csv "
        "holds them all",
        "suppressed.xlsx: 1 cell(s) of column 'note' hold more than 32,767 characters, Excel's "
        "limit, and are cut there; suppressed.csv holds them whole",
        "suppressed.xlsx: holds the first 2 rows of people (a workbook's cap); the other 1 are "
        "in suppressed.csv",
    ]
    for warning in book:
        assert f"cxaudit: warning: {warning}" in " ".join(run.stderr.split())
    xml = _sheet_xml(run.out / "suppressed.xlsx")
    assert '<dimension ref="A1:XFD' in xml
    for name in ("cxaudit_row", "cxaudit_rules", "cxaudit_reasons"):
        assert f">{name}<" in xml
