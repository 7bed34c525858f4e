"""The lists a marketer opens: flagged.csv, the cxaudit_row column, the
suppressed.xlsx and flagged.xlsx workbooks, and the numbers people read
(report.md, report.html, the terminal summary).

The cast: Ann has an urgent open case (suppressed; her low case's flag does
not count), Bob a low one (flagged by minor-case), Cara a low one and a
Chicago zip (flagged by minor-case and chicago), Dev nothing (kept as is).
"""

from __future__ import annotations

import gzip
import io
import os
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cxaudit.outputs import spreadsheets
from cxaudit.reports import html as report_html
from cxaudit.reports import markdown as report_markdown
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
WIDE = ["customer_id", "email", "name", "zip", "cxaudit_row", "cxaudit_rules", "cxaudit_reasons"]


def _setup(ws: Workspace, campaign: str | bytes = CAMPAIGN) -> None:
    ws.write("campaign.csv", campaign)
    ws.write("cases.csv", CASES)
    ws.rules(RULES)


# --------------------------------------------------------------------------
# Reading a workbook as Excel does: every cell, its type, and no formula.

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _unescape(text: str) -> str:
    """Excel's _xHHHH_ escapes (``_x005F_`` is a literal underscore)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def _column(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref).group()  # type: ignore[union-attr]
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def read_xlsx(path: Path) -> list[list[Any]]:
    """The sheet's rows: text cells as str, number cells as int, missing
    cells as ""; a formula anywhere fails the test."""
    with zipfile.ZipFile(path) as book:
        assert book.testzip() is None
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    assert sheet.find(f".//{_NS}f") is None, "a formula in the workbook"
    rows: list[list[Any]] = []
    for row in sheet.iter(f"{_NS}row"):
        number = int(row.get("r", "0"))
        while len(rows) < number - 1:
            rows.append([])
        cells: dict[int, Any] = {}
        for cell in row.iter(f"{_NS}c"):
            col = _column(cell.get("r", ""))
            if cell.get("t") == "inlineStr":
                cells[col] = _unescape("".join(t.text or "" for t in cell.iter(f"{_NS}t")))
            elif cell.get("t") is None and cell.find(f"{_NS}v") is not None:
                value = float(cell.find(f"{_NS}v").text)  # type: ignore[union-attr, arg-type]
                cells[col] = int(value) if value.is_integer() else value
            else:
                raise AssertionError(f"unexpected cell {ElementTree.tostring(cell)!r}")
        rows.append([cells.get(i, "") for i in range(max(cells, default=-1) + 1)])
    return rows


def text_columns(path: Path) -> list[bool]:
    """Per column: formatted as text (number format 49, "@")."""
    with zipfile.ZipFile(path) as book:
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
        styles = ElementTree.fromstring(book.read("xl/styles.xml"))
    xfs = styles.find(f"{_NS}cellXfs")
    assert xfs is not None
    formats = [int(xf.get("numFmtId", "0")) for xf in xfs]
    out = []
    for col in sheet.iter(f"{_NS}col"):  # a range of columns alike
        span = int(col.get("max", "0")) - int(col.get("min", "0")) + 1
        out += [formats[int(col.get("style", "0"))] == 49] * span
    return out


def _padded(rows: list[list[Any]], width: int) -> list[list[Any]]:
    return [r + [""] * (width - len(r)) for r in rows]


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
    assert read_xlsx(run.out / "flagged.xlsx") == [WIDE]


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
    bom, head = (
        b"\xef\xbb\xbf",
        b"customer_id,email,name,zip,cxaudit_row,cxaudit_rules,cxaudit_reasons\r\n",
    )
    assert (run.out / "suppressed.csv").read_bytes() == (
        bom + head + b'C1,ann@example.com,"Ann\r\nSmith",02134,2,severe,urgent case 11\r\n'
    )
    assert (run.out / "flagged.csv").read_bytes() == (
        bom + head + b"C2,bob@example.com,Bob,10001,4,minor-case,'=SUM(1) (case 13)\r\n"
        b"C3,cara@example.com,Cara,60601,5,minor-case;chicago,Wifi slow (case 14); zip 60601\r\n"
    )
    md = (run.out / "report.md").read_text()
    assert "| 2 | a***@&#8203;example.com | urgent case 11 |" in md
    assert "| 4 | b***@&#8203;example.com | minor-case | '=SUM(1) (case 13) |" in md
    assert "| 5 | c***@&#8203;example.com | minor-case, chicago |" in md


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


# --------------------------------------------------------------------------
# suppressed.xlsx and flagged.xlsx


@pytest.mark.parametrize("chunk", CHUNKS)
def test_workbooks_hold_the_lists_with_every_cell_as_text(ws: Workspace, chunk: list[str]) -> None:
    _setup(ws, TRICKY)
    run = ws.audit("-q", *chunk)
    assert run.code == 0, run.stderr
    assert read_xlsx(run.out / "suppressed.xlsx") == [
        WIDE,
        ["C1", "ann@example.com", "Ann\r\nSmith", "02134", 2, "severe", "urgent case 11"],
    ]
    assert read_xlsx(run.out / "flagged.xlsx") == [
        WIDE,
        ["C2", "bob@example.com", "Bob", "10001", 4, "minor-case", "'=SUM(1) (case 13)"],
        [
            "C3",
            "cara@example.com",
            "Cara",
            "60601",
            5,
            "minor-case;chicago",
            "Wifi slow (case 14); zip 60601",
        ],
    ]
    # typed-in values stay text too; cxaudit_row is a number, to sort by
    assert text_columns(run.out / "flagged.xlsx") == [True] * 4 + [False, True, True]


def test_a_workbook_is_the_same_at_any_chunk_size(ws: Workspace) -> None:
    _setup(ws, TRICKY)
    whole = ws.audit("-q", out="whole")
    ones = ws.audit("-q", "--chunk-size", "1", out="ones")
    for name in ("suppressed.xlsx", "flagged.xlsx"):
        assert (whole.out / name).read_bytes() == (ones.out / name).read_bytes()


HOSTILE = [
    '=HYPERLINK("http://evil.example","click")',
    "<r><t>rich?</t></r></is></c><c><f>1+1</f></c><c><is><r></r>",
    "_x0041_ stays as typed",
    "bell\x07and\x1bescape",
    "4111111111111111",
    "+1 555 0100",
    "0000123",
    "  padded  ",
    "Zoë Ünal – ✓",
    "1e5",
    "TRUE",
    "2026-11-20",
    "@SUM(A1)",
    "a\tb",
    "line\nbreak",
    "&amp; <b>",
]


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value


@pytest.mark.parametrize("chunk", [[], ["--chunk-size", "3"]])
def test_hostile_and_fragile_values_come_back_as_typed(ws: Workspace, chunk: list[str]) -> None:
    """What Excel would turn into a formula, a number, a date or a boolean,
    and text that looks like the workbook's own markup, are each one text
    cell holding exactly what the list holds."""
    rows = [f"C{i},p{i}@example.com,{_csv_cell(v)}" for i, v in enumerate(HOSTILE)]
    ws.write("campaign.csv", ("customer_id,email,note\n" + "\n".join(rows) + "\n").encode())
    ws.write("cases.csv", CASES_HEADER + "\n")
    ws.rules('- {id: noted, where: {note: {empty: false}}, action: flag, reason: "noted"}')
    run = ws.audit("-q", *chunk)
    assert run.code == 0, run.stderr
    got = _padded(read_xlsx(run.out / "flagged.xlsx"), 6)
    assert got[0] == ["customer_id", "email", "note", "cxaudit_row", "cxaudit_rules",
                      "cxaudit_reasons"]  # fmt: skip
    assert [r[2] for r in got[1:]] == HOSTILE
    assert [r[3] for r in got[1:]] == list(range(2, 2 + len(HOSTILE)))
    assert read_xlsx(run.out / "suppressed.xlsx") == [got[0]]


def test_a_list_longer_than_a_workbook_takes_says_where_the_rest_are(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 2)
    ws.write("campaign.csv", CAMPAIGN)
    ws.write(
        "cases.csv",
        CASES_HEADER + "".join(f"\n{i},C{i},,open,urgent,X,S,,2026-11-01," for i in (1, 2, 3)),
    )
    ws.rules(RULES)
    for chunk in CHUNKS:
        run = ws.audit("-q", *chunk, out=f"out{len(chunk)}{chunk[-1] if chunk else ''}")
        assert run.code == 0, run.stderr
        assert len((run.out / "suppressed.csv").read_text().splitlines()) == 4
        assert read_xlsx(run.out / "suppressed.xlsx") == [
            WIDE,
            ["C1", "ann@example.com", "Ann", "02134", 2, "severe", "urgent case 1"],
            ["C2", "bob@example.com", "Bob", "10001", 3, "severe", "urgent case 2"],
            [],
            ["… and 1 more row in suppressed.csv: this workbook holds the first 2"],
        ]
        md = (run.out / "report.md").read_text()
        assert (
            "suppressed.xlsx holds the first 2 of the 3 suppressed people "
            "(suppressed.csv has them all)."
        ) in md
        html = (run.out / "report.html").read_text()
        assert "suppressed.xlsx holds the first 2 of the 3 suppressed people" in html


def test_parquet_list_gets_flagged_parquet_and_workbooks(ws: Workspace) -> None:
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
    header = ["customer_id", "zip", "visits", "cxaudit_row", "cxaudit_rules", "cxaudit_reasons"]
    assert read_xlsx(run.out / "suppressed.xlsx") == [
        header,
        ["C1", "02134", "3", 1, "severe", "urgent case 11"],
    ]


def test_a_cp1252_list_keeps_its_encoding_and_the_workbook_every_character(
    ws: Workspace,
) -> None:
    """A reason quoting what cp1252 cannot write (an arrow) is written with
    a ? in suppressed.csv, in the list's encoding, and whole in the workbook."""
    ws.write("campaign.csv", "customer_id,name\r\nC1,Zoë\r\nC2,Bob\r\n".encode("cp1252"))
    ws.write("cases.csv", CASES_HEADER + "\n11,C1,,open,urgent,X,Router → dead,,2026-11-01,\n")
    ws.rules(
        "- {id: severe, source: cases, where: {priority: {equals: urgent}}, action: suppress,"
        ' reason: "{subject}"}',
        head="recipients:\n  keys: {customer_id: customer_id}\n",
    )
    run = ws.audit("-q", "--encoding", "cp1252")
    assert run.code == 0, run.stderr
    assert (run.out / "suppressed.csv").read_bytes() == (
        "customer_id,name,cxaudit_row,cxaudit_rules,cxaudit_reasons\r\nC1,Zoë,2,severe,Router ? dead\r\n"
    ).encode("cp1252")
    assert read_xlsx(run.out / "suppressed.xlsx")[1] == ["C1", "Zoë", 2, "severe", "Router → dead"]


# --------------------------------------------------------------------------
# All or nothing, inputs never replaced


def test_above_the_ceiling_no_list_or_workbook_is_written(ws: Workspace) -> None:
    _setup(ws)
    for name in ("flagged.csv", "suppressed.xlsx", "flagged.xlsx"):
        ws.write(f"out/{name}", "previous\n")
    run = ws.audit("-q", "--max-suppressed", "10")
    assert run.code == 3
    for name in ("flagged.csv", "suppressed.xlsx", "flagged.xlsx", "cleaned.csv"):
        assert not (run.out / name).exists(), name  # the previous run's left with the swap
    assert not [p for p in os.listdir(run.out) if p.startswith(".")]
    md = (run.out / "report.md").read_text()
    assert (
        "All 2 flagged recipients, in list order; report.json lists them (flagged.csv was not written)."
        in md
    )


def test_a_failed_commit_leaves_the_previous_flagged_files(ws: Workspace) -> None:
    _setup(ws)
    first = ws.audit("-q")
    before = {p.name: p.read_bytes() for p in first.out.iterdir()}
    (first.out / "report.md").unlink()
    (first.out / "report.md").mkdir()
    second = ws.audit("-q", "--offer", "X")
    assert second.code == 2
    for name in ("flagged.csv", "flagged.xlsx", "suppressed.xlsx"):
        assert (first.out / name).read_bytes() == before[name]
    assert not [p for p in os.listdir(first.out) if p.startswith(".")]


def test_a_source_saved_as_flagged_csv_is_not_replaced(ws: Workspace) -> None:
    _setup(ws)
    ws.write("out/flagged.csv", CASES)
    run = ws.audit("-q", "--source", "cases=out/flagged.csv")
    assert run.code == 2
    assert (
        "out/flagged.csv: would be replaced by this run, but it is the input out/flagged.csv"
        in (run.stderr)
    )
    assert (ws.root / "out" / "flagged.csv").read_text() == CASES


@pytest.mark.parametrize(
    "name", ["flagged.csv", "flagged.csv.gz", "suppressed.xlsx", "flagged.xlsx"]
)
def test_a_link_to_the_list_under_a_workbook_name_is_refused(ws: Workspace, name: str) -> None:
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


# --------------------------------------------------------------------------
# Numbers people read


def test_report_md_says_how_many_flagged_it_lists_and_where_the_rest_are(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_markdown, "MAX_FLAGS_LISTED", 1)
    monkeypatch.setattr(report_html, "MAX_FLAGS_LISTED", 1)
    _setup(ws)
    run = ws.audit("-q")
    assert run.code == 0, run.stderr
    md = (run.out / "report.md").read_text()
    section = md[md.index("## Flagged recipients") : md.index("## Inputs")]
    assert section.splitlines()[2] == (
        "The first 1 of the 2 flagged recipients, in list order; flagged.csv and flagged.xlsx "
        "list them with their whole rows."
    )
    assert "| 3 | b***@&#8203;example.com | minor-case | '=SUM(1) (case 13) |" in section
    assert "c***@example.com" not in section
    assert "| | | | … and 1 more in flagged.csv |" in section
    html = (run.out / "report.html").read_text()
    assert "… and 1 more in flagged.csv</td>" in html
    assert "The first 1 of the 2 flagged recipients" in html


def test_report_md_counts_all_flagged_when_it_lists_them_all(ws: Workspace) -> None:
    _setup(ws)
    md = (ws.audit("-q").out / "report.md").read_text()
    assert (
        "All 2 flagged recipients, in list order; flagged.csv and flagged.xlsx list them with "
        "their whole rows."
    ) in md
    assert "| kept but flagged (flagged.csv, flagged.xlsx) | 2 | 50% |" in md


def _big(ws: Workspace) -> None:
    """1,500 recipients, 1,200 of them with an urgent case; C1 is also held
    by a rule on her zip."""
    people = "".join(f"C{i},p{i}@example.com,P{i},0{i:04d}\n" for i in range(1, 1501))
    ws.write("campaign.csv", "customer_id,email,name,zip\n" + people)
    cases = "".join(f"\n{i},C{i},,open,urgent,X,S,,2026-11-01," for i in range(1, 1201))
    ws.write("cases.csv", CASES_HEADER + cases + "\n")
    ws.rules(
        """
        - {id: severe, source: cases, where: {priority: {equals: urgent}}, action: suppress}
        - {id: zip-00001, where: {zip: {equals: "00001"}}, action: suppress, reason: "zip"}
        """
    )


def test_report_md_numbers_have_separators_and_shares(ws: Workspace) -> None:
    _big(ws)
    run = ws.audit("-q")
    assert run.code == 0, run.stderr
    md = (run.out / "report.md").read_text()
    for line in (
        "| in the list | 1,500 | 100% |",
        "| kept (cleaned.csv) | 300 | 20% |",
        "| suppressed (suppressed.csv, suppressed.xlsx) | 1,200 | 80% |",
        "| kept but flagged (flagged.csv, flagged.xlsx) | 0 | 0% |",
        "| severe | - | suppress | 1,200 | 80% | suppressed |",
        "| zip-00001 | - | suppress | 1 | 0.1% | suppressed |",
        "| | | … and 1,197 more |",
        "| campaign | campaign.csv | 1,500 | ",
        "| cases | cases.csv | 1,200 | ",
    ):
        assert line in md, line
    assert (
        "1 of the 1,200 suppressed people was held by more than one rule, so the suppress "
        "rows add up to 1,201, not 1,200."
    ) in md
    report = run.report()  # report.json keeps plain numbers
    assert (report["input_rows"], report["suppressed"]) == (1500, 1200)


def test_terminal_summary_has_separators_shares_and_an_exact_caption(ws: Workspace) -> None:
    _big(ws)
    run = ws.audit()
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines()[0] == (
        "cxaudit: 1,500 recipients: 300 kept (20%), 1,200 suppressed (80%), 0 flagged (0%); "
        "campaign type -, channel -, offer -; as of 2026-11-20T00:00:00Z"
    )
    assert "│ severe " in run.stdout and "│ suppress │  1,200 │   80% │" in run.stdout
    assert "│ suppress │      1 │  0.1% │" in run.stdout
    text = " ".join(run.stdout.split())
    assert (
        "people: held back by a suppress rule, kept but flagged by a flag rule, exempted from "
        "a suppress rule by an allow rule; share: of the 1,500 in the list. 1 of the 1,200 "
        "suppressed people was held by more than one rule, so the suppress rows add up to "
        "1,201, not 1,200."
    ) in text


def test_terminal_caption_when_no_one_is_held_twice(ws: Workspace) -> None:
    _setup(ws)
    run = ws.audit()
    text = " ".join(run.stdout.split())
    assert (
        "No one was held by more than one rule: the suppress rows add up to the 1 suppressed "
        "person."
    ) in text


@pytest.mark.parametrize("chunk", ["1", "3", "1000000"])
def test_a_row_repeating_the_header_is_exit_2_naming_it(ws: Workspace, chunk: str) -> None:
    ws.write("cases.csv", CASES_HEADER + "\n")
    ws.rules("- {id: x, source: cases, action: suppress}")
    ws.write(
        "campaign.csv",
        "customer_id,email\nC1,a@x.example\nC2,b@x.example\ncustomer_id , email\nC3,c@x.example\n",
    )
    run = ws.audit("--chunk-size", chunk)
    assert run.code == 2
    assert run.stderr.splitlines()[-1] == (
        "cxaudit: error: campaign.csv: row 4: repeats the header (files joined end to end?); "
        "remove the line, or pass the files as parts of one list (a folder)"
    )
    assert not run.out.exists()


def test_a_header_only_list_is_a_warning(ws: Workspace) -> None:
    ws.write("cases.csv", CASES_HEADER + "\n1,C1,,open,urgent,X,S,,2026-11-18,\n")
    ws.rules("- {id: x, source: cases, action: suppress}")
    ws.write("campaign.csv", "customer_id,email\n")
    run = ws.audit()
    assert run.code == 0
    warning = (
        "campaign.csv: has no rows (a header only), so nobody was audited; check that the "
        "export is complete"
    )
    assert warning in run.report()["warnings"]
    assert f"cxaudit: warning: {warning}" in run.stderr


def test_a_repeated_header_in_another_case_is_refused_too(ws: Workspace) -> None:
    ws.write("cases.csv", CASES_HEADER + "\n")
    ws.rules("- {id: x, source: cases, action: suppress}")
    ws.write("campaign.csv", "customer_id,email\nC1,a@x.example\nCustomer_ID,Email\n")
    run = ws.audit()
    assert run.code == 2
    assert "campaign.csv: row 3: repeats the header" in run.stderr


def test_the_shipped_rules_take_an_email_only_list_with_a_note() -> None:
    """rules.yaml maps customer_id, email and phone; a list with only an
    email column is matched by email, and report.json says so."""
    import shutil
    import tempfile
    from pathlib import Path as P

    from tests.conftest import REPO

    with tempfile.TemporaryDirectory() as tmp:
        root = P(tmp)
        shutil.copytree(REPO / "sample_data", root / "sample_data")
        shutil.copy(REPO / "rules.yaml", root / "rules.yaml")
        lines = (root / "sample_data" / "campaign.csv").read_text().splitlines()
        header = lines[0].split(",")
        at = header.index("email")
        body = [line.split(",")[at] for line in lines[1:]]
        (root / "list.csv").write_text("email\n" + "\n".join(body) + "\n")
        ws = Workspace(root)
        run = ws.audit("-q", campaign="list.csv")
        assert run.code == 0, run.stderr
        assert run.report()["notes"] == [
            "list.csv: has no column for customer_id ('customer_id'), phone ('phone'), which "
            "recipients.keys maps; its people are matched by email"
        ]
        assert "cxaudit: note: list.csv: has no column for customer_id" in run.stderr
        assert run.report()["suppressed"] > 0


def test_a_list_with_none_of_the_keys_gets_the_line_to_write(ws: Workspace) -> None:
    ws.write("campaign.csv", "Email Address,First Name\nann@example.com,Ann\n")
    ws.write("cases.csv", "email,priority\nann@example.com,urgent\n")
    ws.write(
        "rules.yaml",
        "version: 1\nrecipients: {keys: {customer_id: customer_id, email: Mail}}\n"
        "sources:\n  cases: {path: cases.csv, keys: {email: email}, columns: {priority: priority}}\n"
        "rules:\n  - {id: s, source: cases, where: {priority: {equals: urgent}}, action: suppress}\n",
    )
    run = ws.audit("-q")
    assert run.code == 2
    assert run.stderr == (
        "cxaudit: error: campaign.csv: has none of the identity columns looked for: "
        "customer_id: 'customer_id'; email: 'Mail'; map a column of the file under "
        "recipients.keys; it has 'Email Address': write recipients: {keys: {email: "
        "\"Email Address\"}}; its columns are 'Email Address', 'First Name'\n"
    )
    preset = ws.audit("-q", "--preset", "recipients=mailchimp", out="mc")  # the CLI says what it is
    assert preset.code == 0, preset.stderr
    assert preset.column("suppressed.csv", "Email Address") == ["ann@example.com"]
    text = (ws.root / "rules.yaml").read_text()
    ws.write("rules.yaml", text.replace("email: Mail}", "email: email}"))
    named = ws.audit("-q", out="named")  # `email: email` finds 'Email Address'
    assert named.column("suppressed.csv", "Email Address") == ["ann@example.com"]
    keys = "recipients: {keys: {customer_id: customer_id, email: Mail}}\n"
    ws.write("rules.yaml", text.replace(keys, ""))
    auto = ws.audit("-q", out="auto")  # no recipients.keys: names like 'Email Address' count
    assert auto.column("suppressed.csv", "Email Address") == ["ann@example.com"]
