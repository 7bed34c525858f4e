"""Persons behind the rows of the campaign list: rows sharing any key,
directly or through other rows, are one person; its first row is the one
that may be sent to. The same whether the keys fit in memory or were
spilled, whatever the chunking and the order of the rows."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxaudit.audit.persons import PersonFinder, Persons
from cxaudit.errors import CxauditError
from cxaudit.identity import identity_columns


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


def _find(ids: list[str], emails: list[str], chunk: int, memory_entries: int) -> Persons:
    finder = PersonFinder(memory_entries=memory_entries)
    idents = _idents(ids, emails)
    numbers = np.arange(len(ids)) + 2
    for start in range(0, len(ids), chunk):
        part = idents.iloc[start : start + chunk].reset_index(drop=True)
        finder.add(part, start, numbers[start : start + chunk])
    return finder.finish()


def _judge(chunk: int, memory_entries: int) -> tuple[list[Any], ...]:
    found = _find(IDS, EMAILS, chunk, memory_entries)
    return tuple(a.tolist() for a in found.of(0, len(IDS)))


def test_rows_sharing_a_key_directly_or_through_another_row_are_one_person() -> None:
    # row 3 (position 1) shares row 2's email; row 5 shares row 4's id; row 7
    # shares only row 5's email, and row 5 is row 4's: so row 7 is row 4's too.
    person, first, via, through = _judge(chunk=6, memory_entries=10**6)
    assert person == [0, 0, 2, 2, -1, 2]
    assert first == [-1, 2, -1, 4, -1, 4]
    assert via == ["", "email", "", "customer_id", "", "email"]
    assert through == [-1, 2, -1, 4, -1, 5]
    found = _find(IDS, EMAILS, 6, 10**6)
    assert (found.keyed_rows, found.persons, found.duplicates) == (5, 2, 3)
    assert found.several_keys == 1  # row 5: linked by its id and by its email


def test_chunked_and_spilled_keys_give_the_same_persons() -> None:
    expected = _judge(chunk=6, memory_entries=10**6)
    for chunk in (1, 2, 4):
        assert _judge(chunk, memory_entries=10**6) == expected
        assert _judge(chunk, memory_entries=1) == expected  # spills before every chunk


def test_a_direct_link_to_the_first_row_is_named_first_then_the_key_listed_first() -> None:
    finder = PersonFinder()
    finder.add(_idents(["C1", "C1"], ["a@x.com", "a@x.com"]), 0, np.array([2, 3]))
    found = finder.finish()
    assert (found.rows.tolist(), found.first_numbers.tolist(), found.via.tolist()) == (
        [0, 1],
        [2, 2],
        ["", "customer_id"],
    )


def test_one_key_on_rows_whose_other_keys_all_differ_is_named() -> None:
    found = _find(
        ["S1"] * 4 + ["C9", "C9", "C9"],
        [f"p{i}@x.com" for i in range(4)] + ["q@x.com"] * 3,
        7,
        10**6,
    )
    # S1 links four people who share nothing else; C9's three rows also share
    # their email: the same person listed three times, nothing to warn about.
    assert [(s.kind, s.ident, s.rows, s.most) for s in found.shared] == [
        ("customer_id", "c:S1", 4, True)
    ]
    assert found.persons == 2


def test_a_full_tmpdir_during_the_spill_is_a_user_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow as pa

    import cxaudit.audit.persons as persons

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    real = pa.RecordBatchStreamWriter.write_table

    def full(self: Any, table: Any, *args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(persons, "PARTS", 4)
    monkeypatch.setattr(pa.RecordBatchStreamWriter, "write_table", full, raising=False)
    with pytest.raises(CxauditError) as caught:
        _judge(chunk=2, memory_entries=1)
    monkeypatch.setattr(pa.RecordBatchStreamWriter, "write_table", real)
    assert str(caught.value) == (
        f"{tmp_path}: cannot hold the campaign's keys while duplicates are found (No space "
        "left on device); free space there or set TMPDIR to a folder on a larger disk"
    )
    assert list(tmp_path.iterdir()) == []


def _groups(found: Persons, order: list[int]) -> set[frozenset[int]]:
    """The persons as sets of original row indices (``order``: the original
    index of each position)."""
    groups: dict[int, set[int]] = {}
    for row, first in zip(found.rows.tolist(), found.first.tolist(), strict=True):
        groups.setdefault(first, set()).add(order[row])
    return {frozenset(g) for g in groups.values()}


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", "C1", "C2", "C3", "N/A"]),
            st.sampled_from(["", "a@x.com", "b@x.com", "c@x.com", "d@x.com"]),
        ),
        min_size=1,
        max_size=30,
    ),
    st.randoms(use_true_random=False),
    st.integers(1, 7),
    st.sampled_from([1, 10**6]),
)
def test_the_persons_are_the_same_in_any_order_and_chunking(
    rows: list[tuple[str, str]], rnd: Any, chunk: int, memory: int
) -> None:
    ids, emails = [r[0] for r in rows], [r[1] for r in rows]
    expected = _groups(_find(ids, emails, len(rows), 10**6), list(range(len(rows))))
    order = list(range(len(rows)))
    rnd.shuffle(order)
    found = _find([ids[i] for i in order], [emails[i] for i in order], chunk, memory)
    assert _groups(found, order) == expected
