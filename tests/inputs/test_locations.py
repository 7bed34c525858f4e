"""Inputs named by fsspec URLs read as the same local files would: the same
output bytes, the same one-line errors naming the URL, and secrets in a URL
never printed. fsspec's in-memory file system stands in for a bucket (one
process only: the Dask engine's URL test, over file://, is in
test_engine.py)."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import fsspec
import pytest
from fsspec.spec import AbstractFileSystem

from cxaudit.inputs.locations import Url, location, shown
from tests.conftest import CASES_HEADER, Workspace

CAMPAIGN = "customer_id,email,name\nC1,ann@example.com,Ann\nC2,bob@example.com,Bob\n"
CAMPAIGN_MORE = "customer_id,email,name\nC3,cara@example.com,Cara\nC4,dev@example.com,Dev\n"
CASES = (
    CASES_HEADER
    + "\n1,C1,,Open,Urgent,Phone,Broken,,2026-11-18,\n2,,cara@example.com,Open,High,Phone,Slow,,2026-11-19,\n"
)
RULE = """
- id: open-case
  source: cases
  where: {status: {in: [Open]}}
  action: suppress
"""


@pytest.fixture
def bucket() -> Iterator[str]:
    """A fresh folder in fsspec's memory file system, removed afterwards."""
    fs = fsspec.filesystem("memory")
    root = f"memory://bucket-{uuid.uuid4().hex[:8]}"
    yield root
    if fs.exists(root):
        fs.rm(root, recursive=True)


def _put(url: str, text: str | bytes) -> None:
    with fsspec.open(url, "wb") as fh:
        fh.write(text.encode() if isinstance(text, str) else text)


def _cases_rules(ws: Workspace) -> None:
    ws.rules(RULE)
    ws.write("cases.csv", CASES)


# --- the URL as a name ------------------------------------------------------


def test_a_url_has_the_name_parts_the_readers_look_at() -> None:
    url = Url("s3://bucket/exports/cases.csv.gz")
    assert (url.name, url.suffix, url.suffixes) == ("cases.csv.gz", ".gz", [".csv", ".gz"])
    assert url.parent == Url("s3://bucket/exports")
    assert url.with_name("x.campaign.yaml").text == "s3://bucket/exports/x.campaign.yaml"
    assert isinstance(location("s3://b/k"), Url)
    assert location("C:\\lists\\a.csv") == Path("C:\\lists\\a.csv")  # a drive, not a scheme
    assert location("lists/a.csv") == Path("lists/a.csv")


def test_secrets_in_a_url_are_masked_where_it_is_shown() -> None:
    assert shown("https://ann:hunter2@host/a.csv") == "https://ann:***@host/a.csv"
    signed = "https://b.s3.amazonaws.com/a.csv?X-Amz-Credential=AK&X-Amz-Signature=abc"
    assert (
        shown(signed) == "https://b.s3.amazonaws.com/a.csv?X-Amz-Credential=***&X-Amz-Signature=***"
    )
    assert str(Url(signed)) == shown(signed)
    assert shown("lists/what?.csv") == "lists/what?.csv"  # a local glob is not a URL


# --- reading through fsspec ------------------------------------------------------


def test_a_list_and_a_source_at_urls_give_the_local_bytes(ws: Workspace, bucket: str) -> None:
    """Ann (C1) and Cara (by email) have open cases and are suppressed at
    the URLs as locally, byte for byte."""
    _cases_rules(ws)
    ws.write("campaign.csv", CAMPAIGN_MORE.replace("customer_id,email,name\n", CAMPAIGN))
    _put(f"{bucket}/campaign.csv", (ws.root / "campaign.csv").read_bytes())
    _put(f"{bucket}/cases.csv", CASES)
    local = ws.audit("-q", out="local")
    remote = ws.audit(
        "-q", "--source", f"cases={bucket}/cases.csv", campaign=f"{bucket}/campaign.csv", out="url"
    )
    assert local.code == remote.code == 0, remote.stderr
    for name in ("cleaned.csv", "suppressed.csv", "flagged.csv"):
        assert (local.out / name).read_bytes() == (remote.out / name).read_bytes(), name
    assert sorted(remote.suppressed()) == ["ann@example.com", "cara@example.com"]
    paths = {i["name"]: i["path"] for i in remote.report()["inputs"]}
    assert paths["campaign"] == f"{bucket}/campaign.csv"
    assert paths["cases"] == f"{bucket}/cases.csv"
    sha = {i["name"]: i["sha256"] for i in local.report()["inputs"]}
    assert {i["name"]: i["sha256"] for i in remote.report()["inputs"]} == sha


def test_a_source_path_in_the_rules_file_may_be_a_url(ws: Workspace, bucket: str) -> None:
    ws.write("rules.yaml", (ws.rules(RULE).read_text()).replace("cases.csv", f"{bucket}/c.csv"))
    ws.write("campaign.csv", CAMPAIGN)
    _put(f"{bucket}/c.csv", CASES)
    run = ws.audit("-q")
    assert run.code == 0, run.stderr
    assert run.suppressed() == {"ann@example.com": "open-case"}


@pytest.mark.parametrize("given", ["parts", "parts/", "parts/list-*.csv"])
def test_parts_at_a_url_folder_or_glob_read_in_name_order(
    ws: Workspace, bucket: str, given: str
) -> None:
    """Two parts (list-2 before list-10) read as the joined file: the same
    cleaned.csv bytes, and Ann's and Cara's row numbers are those of the
    joined file (2 and 4: the header is row 1)."""
    _cases_rules(ws)
    ws.write("campaign.csv", CAMPAIGN + CAMPAIGN_MORE.split("\n", 1)[1])
    _put(f"{bucket}/parts/list-10.csv", CAMPAIGN_MORE)
    _put(f"{bucket}/parts/list-2.csv", CAMPAIGN)
    _put(f"{bucket}/parts/_SUCCESS", b"")
    joined = ws.audit("-q", out="joined")
    parts = ws.audit("-q", campaign=f"{bucket}/{given}", out="parts")
    assert joined.code == parts.code == 0, parts.stderr
    for name in ("cleaned.csv", "suppressed.csv"):
        assert (joined.out / name).read_bytes() == (parts.out / name).read_bytes(), name
    assert [r["cxaudit_row"] for r in parts.rows("suppressed.csv")] == ["2", "4"]


def test_a_parquet_list_at_a_url(ws: Workspace, bucket: str) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    _cases_rules(ws)
    table = pa.table({"customer_id": ["C1", "C2"], "email": ["ann@example.com", "bob@example.com"]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    _put(f"{bucket}/list.parquet", buffer.getvalue())
    for chunk in ("1000000", "1"):
        run = ws.audit("-q", "--chunk-size", chunk, campaign=f"{bucket}/list.parquet", out=chunk)
        assert run.code == 0, run.stderr
        assert pq.read_table(run.out / "cleaned.parquet").column("email").to_pylist() == [
            "bob@example.com"
        ]


def test_a_sidecar_beside_a_url_list_is_read(ws: Workspace, bucket: str) -> None:
    """campaign.campaign.yaml beside the list at the URL sets the type: a
    rule for transactional campaigns only then does not apply."""
    ws.rules(RULE + "  applies_to: {type: [promotional]}\n")
    ws.write("cases.csv", CASES)
    _put(f"{bucket}/campaign.csv", CAMPAIGN)
    _put(f"{bucket}/campaign.campaign.yaml", "type: transactional\n")
    run = ws.audit("-q", campaign=f"{bucket}/campaign.csv")
    assert run.code == 0, run.stderr
    assert run.suppressed() == {}
    assert run.report()["campaign_settings_file"] == f"{bucket}/campaign.campaign.yaml"


# --- errors: one line, the URL named, exit 2 -----------------------------------


def _one_line_error(run: Any) -> str:
    assert run.code == 2, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert not run.out.exists()
    return lines[0]


def test_a_missing_url_is_file_not_found(ws: Workspace, bucket: str) -> None:
    _cases_rules(ws)
    line = _one_line_error(ws.audit("-q", campaign=f"{bucket}/nope.csv"))
    assert line == f"cxaudit: error: {bucket}/nope.csv: file not found; check the path"


def test_a_bad_row_in_a_part_at_a_url_names_the_part_and_its_row(
    ws: Workspace, bucket: str
) -> None:
    _cases_rules(ws)
    _put(f"{bucket}/parts/list-1.csv", CAMPAIGN)
    _put(f"{bucket}/parts/list-2.csv", CAMPAIGN_MORE + "C5,eve@example.com\n")
    line = _one_line_error(ws.audit("-q", campaign=f"{bucket}/parts"))
    assert f"{bucket}/parts/list-2.csv" in line
    assert "row 4 has 2 fields but the header has 3" in line, line


def test_an_empty_url_folder_or_glob_is_an_error(ws: Workspace, bucket: str) -> None:
    _cases_rules(ws)
    _put(f"{bucket}/parts/notes.txt.bak", b"x")
    line = _one_line_error(ws.audit("-q", campaign=f"{bucket}/parts/*.csv"))
    assert "matches no file" in line


def test_an_unknown_protocol_is_named(ws: Workspace) -> None:
    _cases_rules(ws)
    line = _one_line_error(ws.audit("-q", campaign="nosuchfs://bucket/list.csv"))
    assert "nosuchfs:// is not a protocol fsspec knows" in line


def test_a_missing_backend_says_what_to_install(ws: Workspace) -> None:
    """gs:// needs gcsfs, which nothing here installs (s3fs is a test
    dependency: s3:// is tested against a real S3 server)."""
    _cases_rules(ws)
    line = _one_line_error(ws.audit("-q", campaign="gs://bucket/list.csv"))
    assert "gs:// needs gcsfs, which is not installed; pip install gcsfs" in line


def test_a_password_in_a_url_is_not_printed(ws: Workspace) -> None:
    _cases_rules(ws)
    run = ws.audit("-q", campaign="nosuchfs://ann:hunter2@host/list.csv")
    line = _one_line_error(run)
    assert "hunter2" not in run.stderr + run.stdout
    assert "nosuchfs://ann:***@host/list.csv" in line


def test_out_and_a_url_are_refused(ws: Workspace) -> None:
    _cases_rules(ws)
    ws.write("campaign.csv", CAMPAIGN)
    run = ws.audit("-q", out="s3://bucket/out")
    assert run.code == 2
    assert "--out s3://bucket/out: must be a local path" in run.stderr
    assert not (ws.root / "s3:").exists()


class _Flaky(AbstractFileSystem):
    """A backend whose reads fail with its own exception type, as botocore's
    and aiohttp's do."""

    protocol = "flaky"

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        if not path.endswith("list.csv"):
            raise FileNotFoundError(path)
        return {"name": path, "size": 100, "type": "file"}

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        class Broken(io.BytesIO):
            def read(self, size: int | None = -1) -> bytes:
                raise RuntimeError("connection reset by peer")

        return Broken(b"")


def test_a_backend_failing_mid_read_is_one_line_not_an_internal_error(ws: Workspace) -> None:
    fsspec.register_implementation("flaky", _Flaky, clobber=True)
    _cases_rules(ws)
    line = _one_line_error(ws.audit("-q", campaign="flaky://b/list.csv"))
    assert line.startswith("cxaudit: error: flaky://b/list.csv: cannot be read (")
    assert "RuntimeError: connection reset by peer" in line
    assert "internal error" not in line


def test_query_values_of_a_url_are_in_no_output(ws: Workspace, bucket: str) -> None:
    """A presigned-style query (here part of the memory store's name) is
    masked in report.json, report.md, report.html and the terminal."""
    _cases_rules(ws)
    _put(f"{bucket}/list.csv?sig=s3cret", CAMPAIGN)
    run = ws.audit(campaign=f"{bucket}/list.csv?sig=s3cret")
    assert run.code == 0, run.stderr
    assert run.report()["inputs"][0]["path"] == f"{bucket}/list.csv?sig=***"
    for output in run.out.iterdir():
        assert b"s3cret" not in output.read_bytes(), output.name
    assert "s3cret" not in run.stdout + run.stderr


# --- found by a red-team pass ----------------------------------------------------


@pytest.mark.parametrize(
    ("given", "printed"),
    [
        ("s3://AKIAXX:sec/ret+key@bucket/list.csv", "s3://AKIAXX:***@bucket/list.csv"),
        ("ftp://bob:hun@ter2@host/x.csv", "ftp://bob:***@host/x.csv"),
        ("https://user@corp.com:pw@host/x.csv", "https://user@corp.com:***@host/x.csv"),
        ("https://ghp_tokenSECRET@host/x.csv", "https://***@host/x.csv"),
        ("s3://bucket/people/ann@example.com.csv", "s3://bucket/people/ann@example.com.csv"),
        (
            "x (url='https://h/a.csv?X-Amz-Signature=SIG&v=1')",
            "x (url='https://h/a.csv?X-Amz-Signature=***&v=***')",
        ),
    ],
)
def test_every_form_of_secret_in_a_url_is_masked(given: str, printed: str) -> None:
    assert shown(given) == printed


def test_a_part_named_with_a_double_colon_is_read_as_itself(ws: Workspace) -> None:
    """fsspec reads ``a::b`` as a chain of URLs: a part ``part.1.csv::b.csv``
    must be opened by its own path, not as ``part.1.csv`` again (which
    would drop Cara's open case and send to her)."""
    _cases_rules(ws)
    ws.write("campaign.csv", CAMPAIGN + CAMPAIGN_MORE.split("\n", 1)[1])
    head, first, second = CASES.splitlines(keepends=True)
    ws.write("cases/part.1.csv", head + first)
    ws.write("cases/part.1.csv::b.csv", head + second)
    local = ws.audit("-q", "--source", "cases=cases", out="local")
    url = ws.audit("-q", "--source", f"cases={(ws.root / 'cases').as_uri()}", out="url")
    assert local.code == url.code == 0, url.stderr
    assert sorted(url.suppressed()) == ["ann@example.com", "cara@example.com"]
    assert (local.out / "cleaned.csv").read_bytes() == (url.out / "cleaned.csv").read_bytes()


class _Failing(AbstractFileSystem):
    """A store that holds ``list.csv`` and fails on anything else (a reset
    connection), or, with ``seek``, fails when a Parquet reader seeks."""

    protocol = "failing"
    files: ClassVar[dict[str, bytes]] = {}
    failure = "info"

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        if path in self.files:
            return {"name": path, "size": len(self.files[path]), "type": "file"}
        if self.failure != "info":
            raise FileNotFoundError(path)
        raise ConnectionResetError(f"reset while asking https://h/{path}?X-Amz-Signature=SIG")

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        data = self.files[path]
        if self.failure != "seek":
            return io.BytesIO(data)

        class Unseekable(io.BytesIO):
            def seek(self, *args: Any) -> int:
                raise RuntimeError("403 url='https://h/x?X-Amz-Signature=SIG'")

        return Unseekable(data)


def test_a_store_failing_on_the_sidecar_is_an_error_not_a_missing_sidecar(ws: Workspace) -> None:
    """Only "not found" means there is no campaign.campaign.yaml: a store
    that cannot answer must not make the run ignore the campaign's settings."""
    fsspec.register_implementation("failing", _Failing, clobber=True)
    _Failing.files, _Failing.failure = {"b/list.csv": CAMPAIGN.encode()}, "info"
    _cases_rules(ws)
    run = ws.audit("-q", campaign="failing://b/list.csv")
    line = _one_line_error(run)
    assert line.startswith("cxaudit: error: failing://b/list.campaign.yaml: cannot be read (")
    assert "ConnectionResetError" in line
    assert "SIG" not in run.stderr and "X-Amz-Signature=***" in line


def test_a_backend_error_when_seeking_a_parquet_file_is_one_masked_line(ws: Workspace) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.table({"customer_id": ["C1"], "email": ["ann@example.com"]}), buffer)
    fsspec.register_implementation("failing", _Failing, clobber=True)
    _Failing.files, _Failing.failure = {"b/list.parquet": buffer.getvalue()}, "seek"
    _cases_rules(ws)
    for chunk in ("1000000", "1"):
        run = ws.audit("-q", "--chunk-size", chunk, campaign="failing://b/list.parquet", out=chunk)
        line = _one_line_error(run)
        assert "failing://b/list.parquet" in line and "RuntimeError: 403" in line
        assert "SIG" not in run.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("--rules", "s3://u:pw@b/rules.yaml"),
            "rules file s3://u:***@b/rules.yaml: must be a local path",
        ),
        (("--baseline", "gs://u:pw@b/old"), "--baseline gs://u:***@b/old: must be a local path"),
        (
            ("--source", "https://u:pw@h/x.csv"),
            "--source 'https://u:***@h/x.csv': write it as NAME=PATH",
        ),
    ],
)
def test_urls_where_only_local_paths_go_are_refused_masked(
    ws: Workspace, args: tuple[str, str], expected: str
) -> None:
    _cases_rules(ws)
    ws.write("campaign.csv", CAMPAIGN)
    run = ws.audit("-q", *args)
    assert expected in _one_line_error(run)
    assert "pw" not in run.stderr


def test_a_check_format_file_at_a_url_is_refused_not_written_locally(ws: Workspace) -> None:
    _cases_rules(ws)
    ws.write("campaign.csv", CAMPAIGN)
    result = ws.cli("check", "campaign.csv", "--format", "json=s3://u:pw@b/x.json")
    assert result.exit_code == 2
    assert "--format json=s3://u:***@b/x.json: must be a local path" in result.stderr
    assert "pw" not in result.stderr
    assert not (ws.root / "s3:").exists()


def test_out_among_parts_named_by_a_file_url_is_refused(ws: Workspace) -> None:
    _cases_rules(ws)
    ws.write("pj/list-1.csv", CAMPAIGN)
    run = ws.audit("-q", campaign=f"{(ws.root / 'pj').as_uri()}/*.csv", out="pj")
    assert run.code == 2
    assert "would be written among the parts of the input" in run.stderr
    assert sorted(p.name for p in (ws.root / "pj").iterdir()) == ["list-1.csv"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("file://cases.csv", "a file:// URL names an absolute path"),
        ("file:///", "is a folder inside the partitioned input file:///"),
        (
            "simplecache::file:///tmp/x.csv",
            "chained fsspec URLs (simplecache::, zip://…::) are not read",
        ),
    ],
)
def test_odd_urls_are_one_line_errors(ws: Workspace, given: str, expected: str) -> None:
    _cases_rules(ws)
    line = _one_line_error(ws.audit("-q", campaign=given))
    assert expected in line
    assert "internal error" not in line


def test_a_scheme_in_capitals_and_localhost_are_file_urls(ws: Workspace) -> None:
    _cases_rules(ws)
    ws.write("campaign.csv", CAMPAIGN)
    path = (ws.root / "campaign.csv").as_posix()
    for n, given in enumerate((f"FILE://{path}", f"file://localhost{path}")):
        run = ws.audit("-q", campaign=given, out=f"o{n}")
        assert run.code == 0, run.stderr
        assert run.suppressed() == {"ann@example.com": "open-case"}


def test_a_presigned_web_address_takes_its_format_from_the_name_not_the_query() -> None:
    url = Url("https://b.example/exports/list.csv.gz?X-Amz-Signature=abc&name=x.parquet")
    assert (url.name, url.suffixes) == ("list.csv.gz", [".csv", ".gz"])
    assert Url("s3://b/what?.csv").name == "what?.csv"  # not a web address: ? is a glob


def test_sarif_names_a_url_list_by_its_url(ws: Workspace) -> None:
    _cases_rules(ws)
    ws.write("campaign.csv", CAMPAIGN)
    url = (ws.root / "campaign.csv").as_uri()
    result = ws.cli("check", url, "--as-of", "2026-11-20", "--format", "sarif")
    assert result.exit_code == 1, result.stderr
    document = json.loads(result.stdout)
    uris = {
        place["physicalLocation"]["artifactLocation"]["uri"]
        for run in document["runs"]
        for found in run["results"]
        for place in found["locations"]
    }
    assert uris == {url}


def test_a_local_folder_named_like_a_scheme_is_still_a_folder(ws: Workspace) -> None:
    """``cfg:/rules.yaml`` is a rules file in the folder ``cfg:`` when that
    folder exists, not a URL the command line collapsed."""
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES)
    (ws.root / "cfg:").mkdir()
    (ws.root / "cfg:" / "rules.yaml").write_text(
        (ws.rules(RULE).read_text()).replace("path: cases.csv", "path: ../cases.csv")
    )
    run = ws.audit("-q", "--rules", "cfg:/rules.yaml")
    assert run.code == 0, run.stderr
    assert run.suppressed() == {"ann@example.com": "open-case"}


def test_an_out_folder_with_a_colon_is_a_local_folder(ws: Workspace) -> None:
    """--out is taken as text: only ``scheme://`` makes it a URL."""
    _cases_rules(ws)
    ws.write("campaign.csv", CAMPAIGN)
    run = ws.audit("-q", out="out:/x")
    assert run.code == 0, run.stderr
    assert (ws.root / "out:" / "x" / "cleaned.csv").is_file()
