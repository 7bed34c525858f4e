"""Nothing lost: every input row lands in exactly one output, values byte-equal,
order kept, in the campaign's own dialect."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.conftest import REPO, Workspace


def _rows(data: bytes, encoding: str = "utf-8-sig") -> list[list[str]]:
    text = data.decode(encoding)
    delimiter = (
        ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    )
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _check_partition(source: bytes, cleaned: bytes, suppressed: bytes) -> int:
    inp, kept, gone = _rows(source), _rows(cleaned), _rows(suppressed)
    assert kept[0] == inp[0]
    assert gone[0] == [*inp[0], "cxaudit_row", "cxaudit_rules", "cxaudit_reasons"]
    k = g = 0
    body_kept, body_gone = kept[1:], [r[:-3] for r in gone[1:]]
    for number, row in enumerate(inp[1:], start=2):  # the header is row 1
        if k < len(body_kept) and body_kept[k] == row:
            k += 1
        else:
            assert g < len(body_gone) and body_gone[g] == row, f"row {row} lost or reordered"
            assert gone[1 + g][-3] == str(number), "cxaudit_row is not the row's number"
            g += 1
    assert (k, g) == (len(body_kept), len(body_gone)), "outputs hold rows the input does not"
    return g


def test_sample_run_partitions_the_input_exactly(tmp_path: Path) -> None:
    ws = Workspace(REPO)
    out = tmp_path / "out"
    result = ws.cli(
        "audit",
        "sample_data/campaign.csv",
        "--offer",
        "Aurora X2",
        "--as-of",
        "2026-11-20",
        "--out",
        str(out),
        "-q",
    )
    assert result.exit_code == 0, result.output
    source = (REPO / "sample_data" / "campaign.csv").read_bytes()
    gone = _check_partition(
        source, (out / "cleaned.csv").read_bytes(), (out / "suppressed.csv").read_bytes()
    )
    report = __import__("json").loads((out / "report.json").read_text())
    assert report["suppressed"] == gone
    assert report["kept"] + report["suppressed"] == report["input_rows"] == len(_rows(source)) - 1


def _any_case_by_id(ws: Workspace) -> None:
    """Rules that suppress anyone with a row in cases.csv, matched by customer id."""
    ws.rules(
        "- {id: any-case, source: cases, action: suppress}",
        sources="""
        cases:
          path: cases.csv
          keys: {customer_id: Customer ID}
        """,
    )


TRICKY = (
    "customer_id,email,first_name,last_name,zip,note\r\n"
    '00012345678901234567890,ann@example.com,NA,Null,02134,"Apt 4, rear"\r\n'
    '2,bob@example.com,None,nan,00501,"said ""hi"""\r\n'
    '3,cara@example.com,N/A,NULL,,"two\r\nlines"\r\n'
    "4,dev@example.com,#N/A,-,07302,=1+1\r\n"
    "5,eve@example.com, Eve ,O'Neil,1e5,\r\n"
)


@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("delimiter", [",", ";"])
def test_tricky_values_come_back_byte_for_byte(ws: Workspace, bom: bool, delimiter: str) -> None:
    text = TRICKY if delimiter == "," else TRICKY.replace(",", ";")
    data = ("\ufeff" if bom else "").encode() + text.encode("utf-8")
    ws.write("campaign.csv", data)
    ws.write("cases.csv", "Id,Customer ID\n1,2\n1,00012345678901234567890\n")
    _any_case_by_id(ws)
    run = ws.audit()
    assert run.code == 0, run.stderr
    cleaned = (run.out / "cleaned.csv").read_bytes()
    suppressed = (run.out / "suppressed.csv").read_bytes()
    assert _check_partition(data, cleaned, suppressed) == 2
    lines = data.split(b"\r\n")
    header, ann, bob = lines[0], lines[1], lines[2]
    rest = b"\r\n".join(lines[3:])
    # cleaned.csv is the input minus Ann's and Bob's lines, byte for byte.
    assert cleaned == header + b"\r\n" + rest
    d = delimiter.encode()
    assert suppressed.startswith(
        header + d + b"cxaudit_row" + d + b"cxaudit_rules" + d + b"cxaudit_reasons\r\n" + ann + d
    )
    assert bob + d + b"3" + d + b"any-case" in suppressed


def test_cp1252_campaign_with_encoding_option_is_written_back_in_cp1252(ws: Workspace) -> None:
    data = "email,name\r\nann@example.com,Zoë – Ünal\r\nbob@example.com,Bøb\r\n".encode("cp1252")
    ws.write("campaign.csv", data)
    ws.write("cases.csv", "Id,Customer ID,Requester email\n1,,bob@example.com\n")
    ws.rules(
        "- {id: any-case, source: cases, action: suppress}",
        sources="""
        cases:
          path: cases.csv
          keys: {email: Requester email}
        """,
    )
    run = ws.audit("--encoding", "cp1252")
    assert run.code == 0, run.stderr
    assert (
        run.out / "cleaned.csv"
    ).read_bytes() == "email,name\r\nann@example.com,Zoë – Ünal\r\n".encode("cp1252")


def test_a_reason_the_lists_encoding_cannot_hold_is_written_with_a_question_mark(
    ws: Workspace,
) -> None:
    """A cp1252 list, a case subject with an arrow cp1252 has no byte for:
    the reason is written with a ?, the row's own bytes as they were (it was
    an internal error)."""
    ws.write("campaign.csv", "customer_id,name\r\nC1,Zoë\r\nC2,Bob\r\n".encode("cp1252"))
    ws.write("cases.csv", "Id,Customer ID,Subject\n11,C1,Router → dead\n")
    ws.rules(
        '- {id: any-case, source: cases, action: suppress, reason: "{subject}"}',
        sources="""
        cases:
          path: cases.csv
          keys: {customer_id: Customer ID}
          columns: {subject: Subject}
        """,
        head="recipients:\n  keys: {customer_id: customer_id}\n",
    )
    run = ws.audit("-q", "--encoding", "cp1252")
    assert run.code == 0, run.stderr
    assert (run.out / "suppressed.csv").read_bytes() == (
        "customer_id,name,cxaudit_row,cxaudit_rules,cxaudit_reasons\r\n"
        "C1,Zoë,2,any-case,Router ? dead\r\n"
    ).encode("cp1252")


def test_rows_are_copied_with_their_original_quoting(ws: Workspace) -> None:
    # An export that quotes every value (Salesforce, Mailchimp) comes back
    # quoted exactly as it was, not re-quoted minimally.
    data = (
        b'"customer_id","email","city"\n"C1","ann@example.com","Boston"\n'
        b'"C2","bob@example.com","Washington, D.C."\n"C3","cara@example.com","two\nlines"'
    )
    ws.write("campaign.csv", data)
    ws.write("cases.csv", "Id,Customer ID\n1,C2\n")
    _any_case_by_id(ws)
    run = ws.audit()
    assert run.code == 0, run.stderr
    assert (run.out / "cleaned.csv").read_bytes() == (
        b'"customer_id","email","city"\n"C1","ann@example.com","Boston"\n'
        b'"C3","cara@example.com","two\nlines"\n'
    )
    assert (run.out / "suppressed.csv").read_bytes() == (
        b'"customer_id","email","city",cxaudit_row,cxaudit_rules,cxaudit_reasons\n'
        b'"C2","bob@example.com","Washington, D.C.",3,any-case,'
        b"cases row (rule any-case)\n"
    )


_RULE = """
- id: severe
  source: cases
  where: {priority: {equals: urgent}}
  action: suppress
  reason: "urgent case {case_id}"
"""


@pytest.mark.parametrize(
    ("encoding", "mark", "exact"),
    [
        ("utf-16", b"\xfe\xff", "utf-16-be"),
        ("utf-16", b"\xff\xfe", "utf-16-le"),
        ("utf-16-be", b"", "utf-16-be"),
        ("utf-32", b"\x00\x00\xfe\xff", "utf-32-be"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8"),
        ("cp1252", b"", "cp1252"),
    ],
)
def test_outputs_keep_the_inputs_encoding_byte_order_and_mark(
    ws: Workspace, encoding: str, mark: bytes, exact: str
) -> None:
    from tests.conftest import CASES_HEADER

    def enc(text: str) -> bytes:
        return text.encode(exact)

    ws.write("campaign.csv", mark + enc("customer_id,name\r\nC1,Zoë\r\nC2,Renée\r\n"))
    ws.write("cases.csv", CASES_HEADER + "\n7,C1,,open,urgent,X,S,,2026-11-01,\n")
    ws.rules(_RULE)
    run = ws.audit("-q", "--encoding", encoding)
    assert run.code == 0, run.stderr
    assert (run.out / "cleaned.csv").read_bytes() == mark + enc("customer_id,name\r\nC2,Renée\r\n")
    assert (run.out / "suppressed.csv").read_bytes() == mark + enc(
        "customer_id,name,cxaudit_row,cxaudit_rules,cxaudit_reasons\r\nC1,Zoë,2,severe,urgent case 7\r\n"
    )
