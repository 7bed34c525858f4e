"""cxaudit against Python's csv module on generated files: per-record LF,
CRLF or CR endings, stray quotes, quoted line breaks of each kind, blank
lines, a BOM and no final line ending, at chunk sizes 1, 7 and the default.

Either cxaudit refuses (exit 2, one line, nothing written) or it decides
every record as the csv module (strict) reads it. When the generated file
is well-formed by construction it must be accepted, and cleaned.csv plus
suppressed.csv must be made of exactly the records that were generated,
byte for byte, in order.
"""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxaudit.audit.decide import UNVERIFIABLE_REASON
from tests.conftest import CASES_HEADER, Workspace

ENDINGS = ("\n", "\r\n", "\r")
CHUNKS = ("1", "7", "1000000")
RULE = """
- id: severe
  source: cases
  where: {priority: {equals: urgent}}
  action: suppress
  reason: "urgent case {case_id}"
"""
# C1 has an open urgent case: every first row of C1 is suppressed by `severe`.
CASES = CASES_HEADER + "\n1,C1,,open,urgent,X,S,,2026-11-01,\n"


@dataclass(frozen=True)
class Record:
    ident: str
    note: str
    quoted: bool
    ending: str  # "" for a last record without a line ending
    blank_after: str  # a blank line's ending after this record, or ""

    @property
    def well_formed(self) -> bool:
        return self.quoted or not any(c in self.note for c in ',"\r\n')

    @property
    def content(self) -> str:
        note = '"' + self.note.replace('"', '""') + '"' if self.quoted else self.note
        return f"{self.ident},{note}"


@st.composite
def files(draw: st.DrawFn) -> tuple[bool, str, list[Record]]:
    bom = draw(st.booleans())
    header_ending = draw(st.sampled_from(ENDINGS))
    count = draw(st.integers(min_value=0, max_value=9))
    records = []
    for i in range(count):
        last = i == count - 1
        ending = draw(st.sampled_from(ENDINGS + (("",) if last else ())))
        blank = "" if last or not draw(st.booleans()) else draw(st.sampled_from(ENDINGS))
        if ending == "\r" and blank == "\n":
            blank = "\r"  # "\r" + "\n" would be one CRLF, not a blank line
        records.append(
            Record(
                draw(st.sampled_from(["C1", "C2", "C3", " C2", ""])),
                draw(st.text(alphabet='ab ,"\r\n', max_size=5)),
                draw(st.booleans()),
                ending,
                blank,
            )
        )
    return bom, header_ending, records


def _text(header_ending: str, records: list[Record]) -> str:
    body = "".join(r.content + r.ending + r.blank_after for r in records)
    return "customer_id,note" + header_ending + body


def _expected(rows: list[list[str]]) -> list[tuple[list[str], str, str, int] | None]:
    """Per csv-module record: None for a blank line, else (row, rules, reason,
    row number: the header is row 1, a blank line counts)."""
    seen: dict[str, int] = {}
    out: list[tuple[list[str], str, str, int] | None] = []
    for number, row in enumerate(rows, start=2):
        if not row:
            out.append(None)
            continue
        ident = row[0].strip()
        if not ident:
            out.append((row, "cxaudit:unverifiable", UNVERIFIABLE_REASON, number))
        elif ident in seen:
            # a later row of a person lists the rules that hold for the person too
            why = f"repeats row {seen[ident]} (same customer_id)"
            if ident == "C1":
                out.append((row, "severe;cxaudit:duplicate", f"urgent case 1; {why}", number))
            else:
                out.append((row, "cxaudit:duplicate", why, number))
        else:
            seen[ident] = number
            rules, reason = ("severe", "urgent case 1") if ident == "C1" else ("", "")
            out.append((row, rules, reason, number))
    return out


def _read(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), strict=True))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(files())
def test_cxaudit_refuses_or_reads_every_record_as_the_csv_module(ws: Workspace, made) -> None:
    bom, header_ending, records = made
    text = _text(header_ending, records)
    data = ("\ufeff" if bom else "").encode() + text.encode()
    ws.write("campaign.csv", data)
    ws.write("cases.csv", CASES)
    ws.rules(RULE, head="recipients:\n  keys: {customer_id: customer_id}\n")
    try:
        strict: list[list[str]] | None = list(
            csv.reader(io.StringIO(text, newline=""), strict=True)
        )[1:]
    except csv.Error:
        strict = None
    well_formed = all(r.well_formed for r in records)
    for chunk in CHUNKS:
        shutil.rmtree(ws.root / "out", ignore_errors=True)
        run = ws.audit("-q", "--chunk-size", chunk)
        if run.code == 2:
            assert not well_formed, run.stderr
            assert len(run.stderr.strip().splitlines()) == 1
            assert run.stderr.startswith("cxaudit: error: campaign.csv: ")
            assert not run.out.exists()
            continue
        assert run.code == 0, run.stderr
        assert strict is not None, "cxaudit accepted what the csv module cannot read"
        cleaned = (run.out / "cleaned.csv").read_bytes()
        suppressed = (run.out / "suppressed.csv").read_bytes()
        kept, gone = _read(cleaned)[1:], _read(suppressed)[1:]
        decided = [e for e in _expected(strict) if e is not None]
        assert [e[0] for e in decided if not e[1]] == kept
        assert [[*e[0], str(e[3]), e[1], e[2]] for e in decided if e[1]] == gone
        if well_formed:
            assert (cleaned, suppressed) == _bytes(bom, header_ending, records, decided)


def _cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value


def _bytes(
    bom: bool,
    header_ending: str,
    records: list[Record],
    decided: list[tuple[list[str], str, str, int]],
) -> tuple[bytes, bytes]:
    """cleaned.csv and suppressed.csv made of the generated records' own bytes."""
    mark = "\ufeff" if bom else ""
    cleaned = [mark + "customer_id,note" + header_ending]
    suppressed = [
        mark + "customer_id,note,cxaudit_row,cxaudit_rules,cxaudit_reasons" + header_ending
    ]
    for record, (_row, rules, reason, number) in zip(records, decided, strict=True):
        ending = record.ending or header_ending
        if rules:
            suppressed.append(f"{record.content},{number},{rules},{_cell(reason)}{ending}")
        else:
            cleaned.append(record.content + ending)
    return "".join(cleaned).encode(), "".join(suppressed).encode()
