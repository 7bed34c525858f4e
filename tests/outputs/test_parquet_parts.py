"""``--out-format parquet-parts``: cleaned/, suppressed/ and flagged/ as
folders of Parquet parts (one per chunk), holding exactly the rows and cells
of the single-file lists, swapped in all or nothing."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO, Workspace

ARGS = ("--rules", str(REPO / "rules.yaml"), "--as-of", "2026-11-20", "--offer", "Aurora X2", "-q")


def _audit(ws: Workspace, out: str, *extra: str) -> None:
    result = ws.cli(
        "audit", str(REPO / "sample_data" / "campaign.csv"), "--out", out, *ARGS, *extra
    )
    assert result.exit_code == 0, result.output


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


@pytest.mark.parametrize("chunk", ["1000000", "100"])
def test_parts_hold_the_rows_and_cells_of_the_lists(ws: Workspace, chunk: str) -> None:
    """The sample (523 rows): one part per chunk of 100 (six), in list order;
    every cell as in cleaned.csv, suppressed.csv and flagged.csv."""
    _audit(ws, "single")
    _audit(ws, "parts", "--out-format", "parquet-parts", "--chunk-size", chunk)
    for name in ("cleaned", "suppressed", "flagged"):
        files = sorted(os.listdir(ws.root / "parts" / name))
        expected = 1 if chunk == "1000000" else 6
        assert files == [f"part-{i:05d}.parquet" for i in range(expected)]
        table = pq.read_table(ws.root / "parts" / name)
        rows = _rows(ws.root / "single" / f"{name}.csv")
        assert table.column_names == rows[0]
        got = [[str(v) for v in r.values()] for r in table.to_pylist()]
        assert got == rows[1:], name
    assert not (ws.root / "parts" / "cleaned.csv").exists()
    suppressed = pq.read_table(ws.root / "parts" / "suppressed")
    assert str(suppressed.schema.field("cxaudit_row").type) == "int64"
    assert (ws.root / "parts" / "report.json").read_bytes() == (
        ws.root / "single" / "report.json"
    ).read_bytes()


def test_a_second_run_replaces_the_folders_whole(ws: Workspace) -> None:
    """Six parts from a chunked run, then one: no stale part is left to be
    read with the new one."""
    _audit(ws, "out", "--out-format", "parquet-parts", "--chunk-size", "100")
    _audit(ws, "out", "--out-format", "parquet-parts")
    assert sorted(os.listdir(ws.root / "out" / "cleaned")) == ["part-00000.parquet"]
    assert pq.read_table(ws.root / "out" / "cleaned").num_rows == 475
    assert not [n for n in os.listdir(ws.root / "out") if n.startswith(".")]


def test_a_rename_failing_half_way_keeps_the_previous_folders(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    _audit(ws, "out", "--out-format", "parquet-parts", "--chunk-size", "100")
    before = {n: sorted(os.listdir(ws.root / "out" / n)) for n in ("cleaned", "suppressed")}
    report = (ws.root / "out" / "report.json").read_bytes()
    real = os.replace
    calls: list[object] = []

    def third_fails(src: str | Path, dst: str | Path) -> None:
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(30, "Read-only file system")
        real(src, dst)

    monkeypatch.setattr(os, "replace", third_fails)
    result = ws.cli(
        "audit",
        str(REPO / "sample_data" / "campaign.csv"),
        "--out",
        "out",
        *ARGS,
        "--out-format",
        "parquet-parts",
        "--as-of",
        "2026-11-21",
    )
    monkeypatch.setattr(os, "replace", real)
    assert result.exit_code == 2
    assert "cannot write (Read-only file system)" in result.stderr
    assert {n: sorted(os.listdir(ws.root / "out" / n)) for n in before} == before
    assert (ws.root / "out" / "report.json").read_bytes() == report
    assert not [n for n in os.listdir(ws.root / "out") if n.startswith(".")]


def test_the_parts_of_a_previous_run_cannot_be_replaced_while_read(ws: Workspace) -> None:
    _audit(ws, "out", "--out-format", "parquet-parts")
    result = ws.cli("audit", "out/cleaned", "--out", "out", *ARGS, "--out-format", "parquet-parts")
    assert result.exit_code == 2
    assert result.stderr == (
        "cxaudit: error: out/cleaned/part-00000.parquet: would be written among the parts of "
        "the input out/cleaned, and read as one of them next time; choose an --out outside it\n"
    )
    assert pq.read_table(ws.root / "out" / "cleaned").num_rows == 475


def test_a_file_where_a_folder_of_parts_goes_is_an_error(ws: Workspace) -> None:
    ws.write("out/cleaned", "not a folder\n")
    result = ws.cli(
        "audit",
        str(REPO / "sample_data" / "campaign.csv"),
        "--out",
        "out",
        *ARGS,
        "--out-format",
        "parquet-parts",
    )
    assert result.exit_code == 2
    assert "out/cleaned: is a file where this run's folder of parts goes" in result.stderr
    assert (ws.root / "out" / "cleaned").read_text() == "not a folder\n"


def test_an_unknown_out_format_is_refused(ws: Workspace) -> None:
    result = ws.cli(
        "audit", str(REPO / "sample_data" / "campaign.csv"), *ARGS, "--out-format", "xlsx"
    )
    assert result.exit_code == 2
    assert "--out-format 'xlsx': not a format; use one of same, parquet-parts" in result.stderr


def test_switching_formats_takes_the_other_formats_lists_away(ws: Workspace) -> None:
    """cleaned.csv from a first run would sit beside the second run's
    report and cleaned/ folder, listing people the second run suppresses:
    the swap takes it away (and the folders, going back)."""
    _audit(ws, "out")
    assert (ws.root / "out" / "cleaned.csv").exists()
    _audit(ws, "out", "--out-format", "parquet-parts")
    names = sorted(os.listdir(ws.root / "out"))
    assert names == [
        "cleaned",
        "flagged",
        "flagged.xlsx",
        "report.html",
        "report.json",
        "report.md",
        "suppressed",
        "suppressed.xlsx",
    ]
    _audit(ws, "out")
    assert not (ws.root / "out" / "cleaned").exists()
    assert (ws.root / "out" / "cleaned.csv").exists()


def test_a_folder_of_the_users_named_cleaned_is_left_alone(ws: Workspace) -> None:
    ws.write("out/cleaned/notes.txt", "mine\n")
    _audit(ws, "out")
    assert (ws.root / "out" / "cleaned" / "notes.txt").read_text() == "mine\n"
