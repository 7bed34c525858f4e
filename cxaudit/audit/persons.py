"""Which rows of the list are one person, exactly, at any size and in any order.

List rows that share any canonical key (customer_id, email, phone), directly
or through other rows, are one person: the connected components of the graph
whose edges join each row to the first row carrying the same key. A person's
first row (in list order) is the one that may be sent to; every later row is
a ``cxaudit:duplicate``. Which rows form a person does not depend on the
order of the rows, the chunk size or the engine; only which of them is
"first" does.

Keys are collected chunk by chunk. A list whose keys fit in memory is judged
in memory; a larger one is spilled to hash-partitioned files on disk, each
small enough to judge alone, because every copy of a key lands in the same
part. Each part gives the edges of its keys (small integer pairs); the
components are then found once over all of them by SciPy's sparse-graph
routine (linear in the edges, in C).
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from cxaudit.errors import CxauditError
from cxaudit.identity import KEY_NAMES, key_kind

MEMORY_ENTRIES = 2_000_000  # keys held (or one chunk's, if more) before spilling
SLICE = 500_000  # keys hashed at a time when spilling
PARTS = 64
SHARED_ROWS = 3  # a key on this many rows whose other keys all differ is worth a warning


@dataclass(frozen=True)
class SharedKey:
    """One key value carried by ``rows`` list rows whose other keys all
    differ (one customer id on ten different emails), or that links more
    than half the list into one person (``most``)."""

    kind: str
    ident: str  # the canonical key, prefix and all (masked by whoever shows it)
    rows: int
    most: bool = False
    people: int = 0  # groups of its rows that share no other key with each other

    @property
    def value(self) -> str:
        return self.ident[2:]


@dataclass(frozen=True)
class Persons:
    """The rows of the list that belong to a person of two or more rows
    (global positions, ascending), each with its person's first row, and,
    for a later row, the key kind that links it and the row number it
    shares that key with. Rows not listed are persons of their own."""

    rows: np.ndarray
    first: np.ndarray  # position of the person's first row
    first_numbers: np.ndarray  # its row number
    via: np.ndarray  # object: the key kind ("" for a first row)
    through: np.ndarray  # row number of the row sharing that key (-1 for a first row)
    keyed_rows: int = 0  # rows with at least one usable key
    several_keys: int = 0  # rows linked into their person through more than one key kind
    shared: tuple[SharedKey, ...] = ()
    # a person of more than half the list's rows (a chain of keys, none of
    # them on half the rows alone): (its first row number, its rows)
    largest: tuple[int, int] | None = None

    @property
    def persons(self) -> int:
        """Persons among the rows that have a key (a keyless row is no one)."""
        linked = len(np.unique(self.first)) if len(self.first) else 0
        return self.keyed_rows - len(self.rows) + linked

    @property
    def duplicates(self) -> int:
        return int((self.rows != self.first).sum())

    def of(self, start: int, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For rows ``start .. start+count``: the position of their person's
        first row (-1 for a person of one row), the row number of that first
        row for a later row (-1 otherwise), the linking key and the row
        number it is shared with ("" and -1 for none)."""
        lo, hi = np.searchsorted(self.rows, [start, start + count])
        person = np.full(count, -1, dtype=np.int64)
        numbers = np.full(count, -1, dtype=np.int64)
        via = np.full(count, "", dtype=object)
        through = np.full(count, -1, dtype=np.int64)
        local = self.rows[lo:hi] - start
        person[local] = self.first[lo:hi]
        later = self.rows[lo:hi] != self.first[lo:hi]
        numbers[local[later]] = self.first_numbers[lo:hi][later]
        via[local] = self.via[lo:hi]
        through[local] = self.through[lo:hi]
        return person, numbers, via, through

    def positions_in(self, start: int, count: int) -> np.ndarray:
        """Positions (within rows ``start .. start+count``) of linked rows."""
        lo, hi = np.searchsorted(self.rows, [start, start + count])
        return self.rows[lo:hi] - start


def no_persons(keyed_rows: int = 0) -> Persons:
    empty = np.zeros(0, dtype=np.int64)
    return Persons(empty, empty, empty, np.zeros(0, dtype=object), empty, keyed_rows)


_SCHEMA = pa.schema(
    [
        ("row", pa.int64()),
        ("number", pa.int64()),
        ("key", pa.int8()),
        ("ident", pa.large_string()),
    ]
)


class PersonFinder:
    """Collects each chunk's keys with :meth:`add`; :meth:`finish` finds
    the persons."""

    def __init__(self, memory_entries: int = MEMORY_ENTRIES) -> None:
        self.memory_entries = memory_entries
        self.buffer: list[pa.Table] = []
        self.buffered = 0
        self.keyed_rows = 0
        self.rows = 0
        self.spill: Any = None  # a TemporaryDirectory once spilling
        self.writers: list[Any] = []

    def add(self, idents: pd.DataFrame, start: int, numbers: np.ndarray) -> None:
        """``idents`` are the chunk's key columns (rows 0..n-1), ``start`` the
        chunk's first row position in the list, ``numbers`` its row numbers."""
        entries = key_entries(idents, start, numbers)
        self.rows += len(idents)
        self.keyed_rows += int(idents.notna().any(axis=1).sum()) if len(idents.columns) else 0
        # Spill what is held before it would pass the limit, but never a
        # first chunk alone: a list that is one chunk is judged in memory.
        if self.buffer and self.buffered + entries.num_rows > self.memory_entries:
            self._flush()
        self.buffer.append(entries)
        self.buffered += entries.num_rows

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

    def finish(self) -> Persons:
        if self.spill is None:
            entries = pa.concat_tables(self.buffer) if self.buffer else _SCHEMA.empty_table()
            self.buffer = []
            return resolve([repeats(entries)], self.rows, self.keyed_rows)
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
                found.append(repeats(entries))
            return resolve(found, self.rows, self.keyed_rows)
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


def key_entries(idents: pd.DataFrame, start: int, numbers: np.ndarray) -> pa.Table:
    """``(row, number, key, ident)`` for every usable key of a chunk whose
    first row is the list's row ``start`` (``numbers``: its row numbers);
    ``key`` is the kind's position in :data:`KEY_NAMES`."""
    parts = [_SCHEMA.empty_table()]
    for column in idents.columns:
        values = idents[column]
        have = values.notna().to_numpy()
        local = np.flatnonzero(have)
        code = KEY_NAMES.index(key_kind(column))
        parts.append(
            pa.table(
                {
                    "row": pa.array(local + start, pa.int64()),
                    "number": pa.array(numbers[local], pa.int64()),
                    "key": pa.array(np.full(len(local), code, dtype=np.int8)),
                    "ident": pa.array(values[have].astype("str"), pa.large_string()),
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


_EDGE_COLUMNS = ("row", "number", "first_row", "first_number", "key")


@dataclass
class Repeats:
    """What one group of entries (holding every copy of its keys) says:
    ``edges`` join each row to the first row carrying the same key, and
    ``heavy`` names the keys carried by :data:`SHARED_ROWS` rows or more."""

    edges: pd.DataFrame
    heavy: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {
                "first_row": pd.Series(dtype="int64"),
                "key": pd.Series(dtype="int64"),
                "ident": pd.Series(dtype="str"),
                "rows": pd.Series(dtype="int64"),
            }
        )
    )


def repeats(entries: pa.Table) -> Repeats:
    """The edges and heavy keys among ``entries`` (all copies of a key are in
    ``entries``). Each key kind is judged apart (smaller hash tables)."""
    keys = entries.column("key").to_numpy()
    edges = [pd.DataFrame({n: np.zeros(0, dtype=np.int64) for n in _EDGE_COLUMNS})]
    heavy = [Repeats(edges[0]).heavy]
    kinds = np.unique(keys)
    for code in kinds:
        mine = entries.filter(pa.array(keys == code)) if len(kinds) > 1 else entries
        rows = mine.column("row").to_numpy()
        idents = mine.column("ident").combine_chunks()
        if idents.nbytes < (1 << 31) - 1:
            idents = idents.cast(pa.string())  # 32-bit offsets hash faster
        encoded = pc.dictionary_encode(idents)
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        count = int(codes.max()) + 1
        numbers = mine.column("number").to_numpy()
        first_row = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_row, codes, rows)
        first_number = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_number, codes, numbers)  # grows with rows
        earlier = first_row[codes]
        repeat = earlier < rows
        edges.append(
            pd.DataFrame(
                {
                    "row": rows[repeat],
                    "number": numbers[repeat],
                    "first_row": earlier[repeat],
                    "first_number": first_number[codes][repeat],
                    "key": np.full(int(repeat.sum()), code, dtype=np.int64),
                }
            )
        )
        carried = np.bincount(codes, minlength=count)
        big = np.flatnonzero(carried >= SHARED_ROWS)
        if len(big):
            heavy.append(
                pd.DataFrame(
                    {
                        "first_row": first_row[big],
                        "key": np.full(len(big), code, dtype=np.int64),
                        "ident": pd.Series(
                            encoded.dictionary.take(pa.array(big)).to_pylist(), dtype="str"
                        ),
                        "rows": carried[big].astype(np.int64),
                    }
                )
            )
    return Repeats(pd.concat(edges, ignore_index=True), pd.concat(heavy, ignore_index=True))


def resolve(found: list[Repeats], rows: int, keyed_rows: int) -> Persons:
    """The persons of a list of ``rows`` rows from every group's repeats."""
    edges = pd.concat([f.edges for f in found], ignore_index=True)
    heavy = pd.concat([f.heavy for f in found], ignore_index=True)
    if not len(edges):
        return no_persons(keyed_rows)
    a = edges["row"].to_numpy()
    b = edges["first_row"].to_numpy()
    nodes, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    m = len(a)
    graph = coo_matrix((np.ones(m, dtype=np.int8), (inverse[:m], inverse[m:])), (len(nodes),) * 2)
    _, label = connected_components(graph, directed=False)
    first = np.full(label.max() + 1, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, label, nodes)  # a person's first row: its earliest
    person = first[label]
    numbers = _numbers(edges, nodes)
    first_numbers = numbers[np.searchsorted(nodes, person)]

    via, through, several = _links(edges, nodes, person, numbers)
    shared = _shared(edges, heavy, rows)
    largest = None
    firsts, sizes = np.unique(person, return_counts=True)
    big = int(sizes.argmax())
    if sizes[big] > rows / 2 and sizes[big] >= SHARED_ROWS and not any(s.most for s in shared):
        largest = (int(numbers[np.searchsorted(nodes, firsts[big])]), int(sizes[big]))
    return Persons(
        nodes, person, first_numbers, via, through, keyed_rows, several, tuple(shared), largest
    )


def _numbers(edges: pd.DataFrame, nodes: np.ndarray) -> np.ndarray:
    """The row number of every node (edges carry both ends' numbers)."""
    out = np.empty(len(nodes), dtype=np.int64)
    out[np.searchsorted(nodes, edges["row"].to_numpy())] = edges["number"].to_numpy()
    out[np.searchsorted(nodes, edges["first_row"].to_numpy())] = edges["first_number"].to_numpy()
    return out


def _links(
    edges: pd.DataFrame, nodes: np.ndarray, person: np.ndarray, numbers: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int]:
    """For each later row of a person: the key that links it and the row it
    shares it with, preferring the person's first row, then the earliest
    row, then the key listed first; and how many rows are linked through
    more than one key kind."""
    row = np.concatenate([edges["row"].to_numpy(), edges["first_row"].to_numpy()])
    other = np.concatenate([edges["first_row"].to_numpy(), edges["row"].to_numpy()])
    kind = np.concatenate([edges["key"].to_numpy()] * 2)
    at = np.searchsorted(nodes, row)
    direct = other == person[at]
    order = np.lexsort((kind, other, ~direct, row))
    pick = order[np.r_[True, row[order][1:] != row[order][:-1]]]
    via = np.full(len(nodes), "", dtype=object)
    through = np.full(len(nodes), -1, dtype=np.int64)
    chosen = at[pick]
    later = nodes[chosen] != person[chosen]
    via[chosen[later]] = np.array(KEY_NAMES, dtype=object)[kind[pick][later]]
    through[chosen[later]] = numbers[np.searchsorted(nodes, other[pick][later])]
    kinds = pd.DataFrame({"row": row, "kind": kind}).drop_duplicates()
    several = int((kinds.groupby("row").size() > 1).sum())
    return via, through, several


def _shared(edges: pd.DataFrame, heavy: pd.DataFrame, rows: int) -> list[SharedKey]:
    """Keys worth a warning: one carried by rows that look like
    :data:`SHARED_ROWS` or more different people (groups that share no
    other key: one Stripe id on ten emails), or one carried by more than
    half the list."""
    if not len(heavy):
        return []
    heavy = heavy.reset_index(drop=True)
    # the rows of each heavy key: its first row and every row joined to it by that key
    members = edges.merge(heavy[["first_row", "key"]].reset_index(), on=["first_row", "key"])
    group = np.concatenate([members["index"].to_numpy(), heavy.index.to_numpy()])
    member = np.concatenate([members["row"].to_numpy(), heavy["first_row"].to_numpy()])
    # Each member's cluster: the earliest row it shares a key of another kind
    # with (the first row of that key), else itself. Rows of one cluster are
    # one person by their other keys too; distinct clusters look like others.
    cluster = member.copy()
    own_kind = heavy["key"].to_numpy()[group]
    for code in range(len(KEY_NAMES)):
        mine = edges[edges["key"].to_numpy() == code]
        anchor = pd.Series(mine["first_row"].to_numpy(), index=mine["row"].to_numpy())
        anchor = anchor.groupby(level=0).min()
        found = anchor.reindex(member).to_numpy()
        other = (own_kind != code) & ~np.isnan(found)
        cluster[other] = np.minimum(cluster[other], found[other].astype(np.int64))
    people = (
        pd.DataFrame({"group": group, "cluster": cluster})
        .drop_duplicates()
        .groupby("group")
        .size()
        .reindex(heavy.index, fill_value=0)
        .to_numpy()
    )
    out = []
    half = rows / 2
    counts = heavy["rows"].to_numpy()
    for i in np.flatnonzero((people >= SHARED_ROWS) | (counts > half)):
        out.append(
            SharedKey(
                KEY_NAMES[int(heavy.at[i, "key"])],
                str(heavy.at[i, "ident"]),
                int(counts[i]),
                most=bool(counts[i] > half),
                people=int(people[i]),
            )
        )
    return sorted(out, key=lambda s: (-s.rows, s.kind, s.ident))
