"""Atomic writing of the output folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cxaudit.errors import CxauditError
from cxaudit.outputs import check_out_dir, write_atomically


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
    with pytest.raises(CxauditError, match="cannot write \\(No space left on device\\)"):
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
