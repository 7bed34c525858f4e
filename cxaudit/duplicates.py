"""Which recipients repeat an earlier row of the list, exactly, at any size.

A row is a duplicate when any of its normalised keys appeared in an earlier
row; it then names the earliest such row and the key they share. Keys are
collected chunk by chunk. A list whose keys fit in memory is judged in
memory; a larger one is spilled to hash-partitioned files on disk, each small
enough to judge alone, because every copy of a key lands in the same part.
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cxaudit.errors import CxauditError
from cxaudit.identity import identity_long

MEMORY_ENTRIES = 2_000_000  # keys held (or one chunk's, if more) before spilling
SLICE = 500_000  # keys hashed at a time when spilling
PARTS = 64


@dataclass(frozen=True)
class Duplicates:
    """Every duplicate row (global position, ascending), the row number of the
    earlier row it repeats, and the key they share."""

    rows: np.ndarray
    first_numbers: np.ndarray
    via: np.ndarray

    def of(self, start: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        """For rows ``start .. start+count``: the repeated row's number (-1
        for a first occurrence) and the shared key ("" for none)."""
        lo, hi = np.searchsorted(self.rows, [start, start + count])
        numbers = np.full(count, -1, dtype=np.int64)
        via = np.full(count, "", dtype=object)
        local = self.rows[lo:hi] - start
        numbers[local] = self.first_numbers[lo:hi]
        via[local] = self.via[lo:hi]
        return numbers, via


_SCHEMA = pa.schema(
    [
        ("row", pa.int64()),
        ("number", pa.int64()),
        ("key", pa.int8()),
        ("ident", pa.large_string()),
    ]
)


class DuplicateFinder:
    """Collects each chunk's keys with :meth:`add`; :meth:`finish` judges."""

    def __init__(self, keys: list[str], memory_entries: int = MEMORY_ENTRIES) -> None:
        self.keys = keys
        self.memory_entries = memory_entries
        self.buffer: list[pa.Table] = []
        self.buffered = 0
        self.spill: Any = None  # a TemporaryDirectory once spilling
        self.writers: list[Any] = []

    def add(self, idents: pd.DataFrame, start: int, numbers: np.ndarray) -> None:
        """``idents`` are the chunk's key columns (rows 0..n-1), ``start`` the
        chunk's first row position in the list, ``numbers`` its row numbers."""
        parts = [key_entries(self.keys, idents, start, numbers)]
        # Spill what is held before it would pass the limit, but never a
        # first chunk alone: a list that is one chunk is judged in memory.
        incoming = sum(p.num_rows for p in parts)
        if self.buffer and self.buffered + incoming > self.memory_entries:
            self._flush()
        for part in parts:
            self.buffer.append(part)
            self.buffered += part.num_rows

    def _flush(self) -> None:
        if not self.buffer:
            return
        try:
            if self.spill is None:
                self.spill = tempfile.TemporaryDirectory(
                    prefix="cxaudit-keys-", ignore_cleanup_errors=True
                )
                folder = Path(self.spill.name)
                self.writers = [
                    pa.ipc.new_stream(str(folder / f"part{i}.arrow"), _SCHEMA) for i in range(PARTS)
                ]
            table = pa.concat_tables(self.buffer)
            self.buffer, self.buffered = [], 0
            for lo in range(0, table.num_rows, SLICE):
                self._spill(table.slice(lo, SLICE))
        except OSError as exc:
            self.discard()
            raise _spill_failed(exc) from None

    def discard(self) -> None:
        """Remove the spilled keys (on any failure: a full $TMPDIR must not
        stay full because of us)."""
        for writer in self.writers:
            with contextlib.suppress(OSError, pa.ArrowException):
                writer.close()
        self.writers = []
        if self.spill is not None:
            self.spill.cleanup()
            self.spill = None

    def _spill(self, table: pa.Table) -> None:
        """Append each entry to its part; hashing makes Python strings, so
        this runs on slices to keep that copy small."""
        for writer, piece in zip(self.writers, split_by_hash(table, PARTS), strict=True):
            if piece.num_rows:
                writer.write_table(piece)

    def finish(self) -> Duplicates:
        if self.spill is None:
            entries = pa.concat_tables(self.buffer) if self.buffer else _SCHEMA.empty_table()
            self.buffer = []
            return _resolve([_repeats(entries)], self.keys)
        try:
            self._flush()
            folder = Path(self.spill.name)
            for writer in self.writers:
                writer.close()
            self.writers = []
            found = []
            for i in range(PARTS):
                with pa.memory_map(str(folder / f"part{i}.arrow")) as source:
                    entries = pa.ipc.open_stream(source).read_all()
                found.append(_repeats(entries))
            return _resolve(found, self.keys)
        except OSError as exc:
            raise _spill_failed(exc) from None
        finally:
            self.discard()


def _spill_failed(exc: OSError) -> CxauditError:
    """A full or unwritable $TMPDIR while keys of a long list are spilled."""
    folder = tempfile.gettempdir()
    return CxauditError(
        f"{folder}: cannot hold the campaign's keys while duplicates are found "
        f"({exc.strerror or exc}); free space there or set TMPDIR to a folder on a larger disk"
    )


def key_entries(keys: list[str], idents: pd.DataFrame, start: int, numbers: np.ndarray) -> pa.Table:
    """``(row, number, key, ident)`` for every usable key of a chunk whose
    first row is the list's row ``start`` (``numbers``: its row numbers)."""
    parts = [_SCHEMA.empty_table()]
    for code, key in enumerate(keys):
        if key not in idents.columns:
            continue
        long = identity_long(idents[[key]])
        local = long["row"].to_numpy(dtype=np.int64)
        parts.append(
            pa.table(
                {
                    "row": pa.array(local + start, pa.int64()),
                    "number": pa.array(numbers[local], pa.int64()),
                    "key": pa.array(np.full(len(local), code, dtype=np.int8)),
                    "ident": pa.array(long["ident"].astype("str"), pa.large_string()),
                },
                schema=_SCHEMA,
            )
        )
    return pa.concat_tables(parts)


def split_by_hash(table: pa.Table, parts: int) -> list[pa.Table]:
    """``table``'s entries in ``parts`` groups by a hash of their key: every
    copy of a key lands in the same group, which can then be judged alone
    (on disk here, on another worker on a cluster). Hashing makes Python
    strings, so large tables are cut into slices first."""
    pieces: list[list[pa.Table]] = [[] for _ in range(parts)]
    for lo in range(0, table.num_rows, SLICE):
        piece = table.slice(lo, SLICE)
        hashes = pd.util.hash_pandas_object(
            pd.Series(piece.column("ident").to_pandas(), dtype="str"), index=False
        ).to_numpy()
        part_of = (hashes % parts).astype(np.int64)
        order = np.argsort(part_of, kind="stable")
        bounds = np.searchsorted(part_of[order], np.arange(parts + 1))
        ordered = piece.take(pa.array(order))
        for i in range(parts):
            lo_, hi = int(bounds[i]), int(bounds[i + 1])
            if hi > lo_:
                pieces[i].append(ordered.slice(lo_, hi - lo_))
    return [pa.concat_tables(p) if p else _SCHEMA.empty_table() for p in pieces]


def repeats(entries: pa.Table) -> pd.DataFrame:
    """The repeats among ``entries`` that hold every copy of their keys."""
    return _repeats(entries)


def resolve(found: list[pd.DataFrame], keys: list[str]) -> Duplicates:
    """The verdicts from every group's repeats."""
    return _resolve(found, keys)


def _repeats(entries: pa.Table) -> pd.DataFrame:
    """``(row, first_row, first_number, key)`` for every key that appeared in
    an earlier row (all copies of a key are in ``entries``). Each key kind is
    judged apart (an ident's prefix names its kind): smaller hash tables."""
    keys = entries.column("key").to_numpy()
    parts = [
        pd.DataFrame(
            {n: np.zeros(0, dtype=np.int64) for n in ("row", "first_row", "first_number", "key")}
        )
    ]
    kinds = np.unique(keys)
    for code in kinds:
        mine = entries.filter(pa.array(keys == code)) if len(kinds) > 1 else entries
        rows = mine.column("row").to_numpy()
        idents = mine.column("ident").combine_chunks()
        if idents.nbytes < (1 << 31) - 1:
            idents = idents.cast(pa.string())  # 32-bit offsets hash faster
        codes = pc.dictionary_encode(idents).indices.to_numpy(zero_copy_only=False)
        count = int(codes.max()) + 1
        numbers = mine.column("number").to_numpy()
        if (rows[1:] >= rows[:-1]).all():  # in list order, as collected: the first copy wins
            at = np.empty(count, dtype=np.int64)
            at[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # the last write is the first
            first_row, first_number = rows[at], numbers[at]
        else:
            first_row = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(first_row, codes, rows)
            first_number = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(first_number, codes, numbers)  # grows with rows
        earlier = first_row[codes]
        repeat = earlier < rows
        parts.append(
            pd.DataFrame(
                {
                    "row": rows[repeat],
                    "first_row": earlier[repeat],
                    "first_number": first_number[codes][repeat],
                    "key": np.full(int(repeat.sum()), code, dtype=np.int64),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _resolve(found: list[pd.DataFrame], keys: list[str]) -> Duplicates:
    """One verdict per row: the earliest row it repeats; on a tie, the key
    listed first."""
    allrep = pd.concat(found, ignore_index=True) if found else pd.DataFrame()
    if not len(allrep):
        empty = np.zeros(0, dtype=np.int64)
        return Duplicates(empty, empty, np.zeros(0, dtype=object))
    order = np.lexsort(
        (allrep["key"].to_numpy(), allrep["first_row"].to_numpy(), allrep["row"].to_numpy())
    )
    rows = allrep["row"].to_numpy()[order]
    first = np.r_[True, rows[1:] != rows[:-1]]
    pick = order[first]
    return Duplicates(
        allrep["row"].to_numpy()[pick].astype(np.int64),
        allrep["first_number"].to_numpy()[pick].astype(np.int64),
        np.array(keys, dtype=object)[allrep["key"].to_numpy()[pick]],
    )
