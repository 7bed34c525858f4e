"""Duplicate rows of the campaign list: the earliest row each repeats, by any
shared key, the same whether the keys fit in memory or were spilled."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cxaudit.duplicates import DuplicateFinder
from cxaudit.errors import CxauditError
from cxaudit.identity import KEY_NAMES, identity_columns


def _idents(ids: list[str], emails: list[str]) -> pd.DataFrame:
    return identity_columns(
        {
            "customer_id": pd.Series(ids, dtype="str"),
            "email": pd.Series(emails, dtype="str"),
        },
        "US",
    )


IDS = ["C1", "", "C2", "C2", "", ""]
EMAILS = ["a@x.com", "A@X.COM", "b@x.com", "c@x.com", "n/a", "c@x.com"]


def _judge(chunk: int, memory_entries: int) -> tuple[list[int], list[str]]:
    finder = DuplicateFinder(list(KEY_NAMES), memory_entries=memory_entries)
    idents = _idents(IDS, EMAILS)
    numbers = np.arange(len(IDS)) + 2
    for start in range(0, len(IDS), chunk):
        part = idents.iloc[start : start + chunk].reset_index(drop=True)
        finder.add(part, start, numbers[start : start + chunk])
    numbers_of, via = finder.finish().of(0, len(IDS))
    return numbers_of.tolist(), via.tolist()


def test_each_repeat_names_the_earliest_row_and_the_shared_key() -> None:
    # row 3 (position 1) repeats row 2 by email; row 5 repeats row 4 by id;
    # row 7 repeats row 5 by email (row 5 is itself a repeat: still earlier).
    assert _judge(chunk=6, memory_entries=10**6) == (
        [-1, 2, -1, 4, -1, 5],
        ["", "email", "", "customer_id", "", "email"],
    )


def test_chunked_and_spilled_keys_give_the_same_verdicts() -> None:
    expected = _judge(chunk=6, memory_entries=10**6)
    for chunk in (1, 2, 4):
        assert _judge(chunk, memory_entries=10**6) == expected
        assert _judge(chunk, memory_entries=1) == expected  # spills before every chunk


def test_ties_go_to_the_key_listed_first() -> None:
    finder = DuplicateFinder(list(KEY_NAMES))
    finder.add(_idents(["C1", "C1"], ["a@x.com", "a@x.com"]), 0, np.array([2, 3]))
    dup = finder.finish()
    assert (dup.rows.tolist(), dup.first_numbers.tolist(), dup.via.tolist()) == (
        [1],
        [2],
        ["customer_id"],
    )


def test_a_full_tmpdir_during_the_spill_is_a_user_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow as pa

    import cxaudit.duplicates as duplicates

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    real = pa.RecordBatchStreamWriter.write_table

    def full(self: Any, table: Any, *args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(duplicates, "PARTS", 4)
    monkeypatch.setattr(pa.RecordBatchStreamWriter, "write_table", full, raising=False)
    with pytest.raises(CxauditError) as caught:
        _judge(chunk=2, memory_entries=1)
    monkeypatch.setattr(pa.RecordBatchStreamWriter, "write_table", real)
    assert str(caught.value) == (
        f"{tmp_path}: cannot hold the campaign's keys while duplicates are found (No space "
        "left on device); free space there or set TMPDIR to a folder on a larger disk"
    )
    assert list(tmp_path.iterdir()) == []
