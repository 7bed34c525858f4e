"""Atomic writing of the output folder."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest

from cxaudit.errors import CxauditError
from cxaudit.outputs.atomic import write_atomically
from cxaudit.outputs.writer import check_out_dir
from tests.conftest import CAMPAIGN, CASES_HEADER, Workspace


def test_all_files_written_and_no_temp_files_left(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b"
    write_atomically(out, {"x.csv": b"1", "y.json": b"2"})
    assert sorted(os.listdir(out)) == ["x.csv", "y.json"]
    assert (out / "x.csv").read_bytes() == b"1"


def test_a_failing_write_keeps_every_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_atomically(tmp_path, {"cleaned.csv": b"old", "report.json": b"old"})

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(CxauditError, match="cannot write \\(No space left on device\\); free some"):
        write_atomically(tmp_path, {"cleaned.csv": b"new", "report.json": b"new"})
    assert sorted(os.listdir(tmp_path)) == ["cleaned.csv", "report.json"]
    assert (tmp_path / "cleaned.csv").read_bytes() == b"old"


def test_out_dir_checks(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(CxauditError, match="is a file, not a folder"):
        check_out_dir(tmp_path / "file")
    with pytest.raises(CxauditError, match="is a file, so the folder cannot be created"):
        check_out_dir(tmp_path / "file" / "sub")
    check_out_dir(tmp_path / "new" / "deeper")
    assert not (tmp_path / "new").exists()  # checking writes nothing


def _previous_run(tmp_path: Path) -> dict[str, bytes]:
    old = {n: f"old {n}".encode() for n in ("cleaned.csv", "suppressed.csv", "report.json")}
    write_atomically(tmp_path, old)
    return old


def test_a_folder_in_the_way_changes_nothing(tmp_path: Path) -> None:
    old = _previous_run(tmp_path)
    (tmp_path / "report.md").mkdir()
    new = {**{n: b"new" for n in old}, "report.md": b"new"}
    with pytest.raises(CxauditError, match=r"report\.md: is a folder, so this run's files"):
        write_atomically(tmp_path, new)
    assert {n: (tmp_path / n).read_bytes() for n in old} == old
    assert sorted(os.listdir(tmp_path)) == [
        "cleaned.csv",
        "report.json",
        "report.md",
        "suppressed.csv",
    ]


def test_a_rename_failing_half_way_puts_every_previous_file_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _previous_run(tmp_path)
    real = os.replace
    calls = []

    def third_fails(src: str | Path, dst: str | Path) -> None:
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(30, "Read-only file system")
        real(src, dst)

    monkeypatch.setattr(os, "replace", third_fails)
    new = {**{n: b"new" for n in old}, "report.md": b"new"}
    with pytest.raises(CxauditError) as caught:
        write_atomically(tmp_path, new)
    assert str(caught.value) == (
        f"{tmp_path / 'report.json'}: cannot write (Read-only file system); the file system is "
        "read-only; choose another folder"
    )
    monkeypatch.setattr(os, "replace", real)
    assert {n: (tmp_path / n).read_bytes() for n in old} == old
    assert sorted(os.listdir(tmp_path)) == ["cleaned.csv", "report.json", "suppressed.csv"]


def test_a_full_disk_while_rows_are_written_is_one_line_and_leaves_no_temp_file(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import builtins

    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES_HEADER + "\n1,C1,,open,urgent,X,S,,2026-11-01,\n")
    ws.rules("- {id: severe, source: cases, where: {priority: {equals: urgent}}, action: suppress}")
    ws.write("out/cleaned.csv", "previous\n")
    real_open = builtins.open

    class Full(io.BufferedWriter):
        def write(self, data: Any) -> int:
            raise OSError(28, "No space left on device")

    def full_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode and str(file).endswith(".tmp"):
            return Full(io.FileIO(file, "w"))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", full_open)
    run = ws.audit("-q")
    assert run.code == 2
    assert run.stderr.strip().endswith(
        "cleaned.csv: cannot write (No space left on device); free some space or choose "
        "another folder"
    )
    assert sorted(os.listdir(run.out)) == ["cleaned.csv"]
    assert (run.out / "cleaned.csv").read_text() == "previous\n"


def test_a_report_md_folder_fails_the_whole_run_and_keeps_the_previous_one(ws: Workspace) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES_HEADER + "\n1,C1,,open,urgent,X,S,,2026-11-01,\n")
    ws.rules("- {id: severe, source: cases, where: {priority: {equals: urgent}}, action: suppress}")
    for name in ("cleaned.csv", "suppressed.csv", "report.json"):
        ws.write(f"out/{name}", "previous\n")
    (ws.root / "out" / "report.md").mkdir()
    run = ws.audit("-q")
    assert run.code == 2
    assert "out/report.md: is a folder, so this run's files cannot be put in place" in run.stderr
    for name in ("cleaned.csv", "suppressed.csv", "report.json"):
        assert (run.out / name).read_text() == "previous\n"
    assert not [p for p in os.listdir(run.out) if p.startswith(".")]
