"""A preset's encoding is a default, not a force: a byte order mark decides,
valid UTF-8 is read as UTF-8, an explicit encoding forces; report.json says
which encoding each input was read in."""

from __future__ import annotations

import codecs

import pytest

from cxaudit.inputs.encodings import sniff_encoding
from tests.conftest import Workspace

HEADER = '"number","opened_at","short_description","caller_id","caller_id.email","priority","state"'
ROW = '"INC1","2026-11-18 09:00:00","Pantalla rota","Ana Saldaña","ana@example.com","1 - Critical","New"'
CAMPAIGN = "customer_id,email,name\nC1,ana@example.com,Ana Saldaña\nC2,bob@example.com,Bob\n"
RULES = (
    "version: 1\nsources:\n  cases: {path: sn.csv, preset: servicenow%s}\nrules:\n"
    "  - {id: severe, source: cases, where: {severity: {equals: urgent}}, action: suppress,"
    ' reason: "open case {case_id} from {caller}"}\n'
)


@pytest.mark.parametrize(
    ("data", "extra", "encoding", "caller"),
    [
        # a real UTF-8 export: read as UTF-8 although the preset expects cp1252
        ((HEADER + "\n" + ROW + "\n").encode("utf-8"), "", "utf-8", "Ana Saldaña"),
        # the same with a BOM: the BOM decides, and the first header is clean
        (codecs.BOM_UTF8 + (HEADER + "\n" + ROW + "\n").encode(), "", "utf-8-sig", "Ana Saldaña"),
        # the preset's default: a cp1252 export (not valid UTF-8)
        ((HEADER + "\n" + ROW + "\n").encode("cp1252"), "", "cp1252", "Ana Saldaña"),
        # an explicit encoding forces, even on valid UTF-8
        ((HEADER + "\n" + ROW + "\n").encode(), ", encoding: cp1252", "cp1252", "Ana SaldaÃ±a"),
    ],
)
def test_a_presets_encoding_is_a_default(
    ws: Workspace, data: bytes, extra: str, encoding: str, caller: str
) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("sn.csv", data)
    ws.write("rules.yaml", RULES % extra)
    run = ws.audit("-q")
    assert run.code == 0, run.stderr
    assert run.column("suppressed.csv", "cxaudit_reasons") == [f"open case INC1 from {caller}"]
    inputs = {i["name"]: i["encoding"] for i in run.report()["inputs"]}
    assert inputs == {"campaign": "utf-8", "cases": encoding}


def test_a_utf16_list_with_a_bom_needs_no_encoding_flag(ws: Workspace) -> None:
    ws.write("campaign.csv", codecs.BOM_UTF16_BE + CAMPAIGN.encode("utf-16-be"))
    ws.write("sn.csv", (HEADER + "\n" + ROW + "\n").encode("utf-8"))
    ws.write("rules.yaml", RULES % "")
    run = ws.audit("-q")
    assert run.code == 0, run.stderr
    assert (run.out / "cleaned.csv").read_bytes() == codecs.BOM_UTF16_BE + (
        "customer_id,email,name\nC2,bob@example.com,Bob\n"
    ).encode("utf-16-be")
    assert run.report()["inputs"][0]["encoding"] == "utf-16-be"


def test_sniffing_rules() -> None:
    assert sniff_encoding(b"\xef\xbb\xbfa", "cp1252", True) == "utf-8"
    assert sniff_encoding(b"\xff\xfea\x00", "utf-8", True) == "utf-16-le"
    assert sniff_encoding("Saldaña".encode(), "cp1252", True) == "utf-8"
    assert sniff_encoding("Saldaña".encode("cp1252"), "cp1252", True) == "cp1252"
    assert sniff_encoding("Saldañ".encode()[:-1], "cp1252", False) == "utf-8"  # cut mid-character


@pytest.mark.parametrize(
    "codec", ["rot13", "base64", "hex", "zlib", "bz2", "idna", "punycode", "undefined"]
)
def test_only_text_encodings_a_file_is_written_in_are_accepted(ws, codec: str) -> None:
    ws.write("campaign.csv", "customer_id,email\nC1,a@x.example\n")
    ws.write("cases.csv", "Id,Customer ID\n")
    rules = "version: 1\nsources: {}\nrules:\n  - {id: x, where: {email: {equals: zz}}, action: suppress}\n"
    ws.write("rules.yaml", rules)
    run = ws.audit("--encoding", codec)
    assert run.code == 2
    assert run.stderr.splitlines()[-1] == (
        f"cxaudit: error: --encoding: {codec!r} is not a text encoding a file is written in; "
        "use one such as utf-8, cp1252 or latin-1"
    )
    ws.write(
        "rules.yaml",
        rules.replace("version: 1\n", f"version: 1\nrecipients: {{encoding: {codec}}}\n"),
    )
    result = ws.cli("validate", "rules.yaml")
    assert result.exit_code == 2
    assert f"{codec!r} is not a text encoding a file is written in" in result.stderr


@pytest.mark.parametrize("form", ["file", "gz", "parts"])
def test_the_first_accent_decides_however_far_into_the_file(ws: Workspace, form: str) -> None:
    """A cp1252 ServiceNow export whose first accented byte lies past the
    first 8 MiB block (and past each part's first 64 KiB) is cp1252."""
    import gzip

    filler = ROW.replace("INC1", "INC9").replace("Ana Saldaña", "Zed").replace("ana@", "zed@")
    body = (filler + "\n") * (9 * 2**20 // len(filler))
    data = (HEADER + "\n" + body + ROW + "\n").encode("cp1252")
    path = "sn.csv"
    if form == "gz":
        path, data = "sn.csv.gz", gzip.compress(data, compresslevel=1)
    if form == "parts":
        path = "sn"
        ws.write("sn/part-0.csv", (HEADER + "\n" + body).encode("cp1252"))
        ws.write(
            "sn/part-1.csv", (HEADER + "\n" + (filler + "\n") * 1500 + ROW + "\n").encode("cp1252")
        )
    else:
        ws.write(path, data)
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("rules.yaml", (RULES % "").replace("path: sn.csv", f"path: {path}"))
    run = ws.audit("-q")
    assert run.code == 0, run.stderr
    assert run.column("suppressed.csv", "cxaudit_reasons") == ["open case INC1 from Ana Saldaña"]
    assert run.report()["inputs"][1]["encoding"] == "cp1252"


def test_utf8_then_cp1252_is_an_error_not_a_misreading(ws: Workspace) -> None:
    """The first accent decides (UTF-8 here); the cp1252 byte after it is
    exit 2 naming its line, however close the two are."""
    utf8 = ROW.encode("utf-8")
    cp1252 = ROW.replace("INC1", "INC2").replace("Pantalla rota", "café").encode("cp1252")
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("sn.csv", HEADER.encode() + b"\n" + utf8 + b"\n" + cp1252 + b"\n")
    ws.write("rules.yaml", RULES % "")
    run = ws.audit("-q")
    assert run.code == 2
    assert run.stderr.startswith(
        "cxaudit: error: sn.csv: line 3 (byte offset 222) is not valid utf-8 (byte 0xe9)"
    )


def test_parts_whose_first_accents_disagree_are_an_error(ws: Workspace) -> None:
    filler = ROW.replace("INC1", "INC9").replace("Ana Saldaña", "Zed").replace("ana@", "zed@")
    ascii_head = (filler + "\n") * 1500  # past any fixed-size look at the start
    ws.write("sn/part-1.csv", (HEADER + "\n" + ascii_head + ROW + "\n").encode("utf-8"))
    ws.write("sn/part-2.csv", (HEADER + "\n" + ROW.replace("INC1", "INC2") + "\n").encode("cp1252"))
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("rules.yaml", (RULES % "").replace("path: sn.csv", "path: sn"))
    run = ws.audit("-q")
    assert run.code == 2
    assert run.stderr == (
        "cxaudit: error: sn/part-2.csv: reads as cp1252 but sn/part-1.csv reads as utf-8; the "
        "parts of one input must share one encoding: export them again alike, or set the "
        "encoding\n"
    )
