"""Phase 1, streamed: each source read chunk by chunk and reduced to what the
audit needs from it, so a source larger than memory can be audited.

For every rule on a source, the rows whose conditions hold are grouped by
the identity keys they carry (all of a row's keys together: a case with an
email and a customer id is one group). A group keeps how many rows it holds
(``min_count``) and the first of them in file order, whose fields a reason
quotes. Memory grows with the number of matched keys, not with the rows of
the source. Counting by whole key tuples rather than by single key keeps
``min_count`` exact: a row that reaches a recipient through two of its keys
still counts once (see :func:`cxaudit.audit.matching.link_matches`).

Rules that compare with ``$recipient.X`` are decided per (source row,
recipient) pair after the join, so every row they match is kept. ``explain``
asks for every row linked to the recipients it explains (``focus``), so its
evidence is exactly what the whole source would show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cxaudit import environment
from cxaudit.audit.conditions import Scope, evaluate
from cxaudit.audit.coverage import SourceStats, check_source
from cxaudit.audit.fields import check_fields_available
from cxaudit.audit.formats import fix_formats, format_lines, formats_by_column
from cxaudit.audit.health import source_fields
from cxaudit.audit.matching import source_only
from cxaudit.audit.prepare import (
    LoadedTable,
    add_counts,
    concat_tables,
    derive_warnings,
    prepare_table,
    read_options,
)
from cxaudit.inputs.chunks import Totals, prefetch
from cxaudit.inputs.read import iter_chunks
from cxaudit.inputs.table import Table
from cxaudit.rules import Campaign, Rule, RuleSet, TableConfig

# Source rows read at a time (override: CXAUDIT_SOURCE_CHUNK_ROWS). A 10M-row
# send log digests faster in chunks of 250k than of 1M (6.3 s vs 7.5 s; system
# time 1.0 s vs 3.0 s: large buffers cost page faults) and peaks lower (770 vs
# 1,210 MiB); smaller chunks add per-chunk overhead again.
CHUNK_ROWS = 250_000
SEPARATOR = "\x1f"  # between the keys of a group: no key contains it (keys are trimmed text)


def chunk_rows() -> int:
    """Rows per source chunk; tests set a tiny size to cut sources anywhere."""
    return environment.count("CXAUDIT_SOURCE_CHUNK_ROWS", CHUNK_ROWS)


@dataclass
class Digest:
    """One source after phase 1: the rows a reason, a ``$recipient``
    comparison or ``explain`` may quote (``table``, in file order), the
    matched groups (``matches``: rule, source_row into ``table``, count of
    rows, ident; one line per key of a group) and what coverage needs."""

    table: LoadedTable
    matches: pd.DataFrame
    stats: SourceStats


def fold(keys: pa.Array, first: np.ndarray, count: np.ndarray):
    """Lines with equal ``keys`` as one: the ``first`` of the earliest line
    (lines come in file order) and the ``count`` summed. A hash pass and two
    numpy passes, linear in the lines."""
    if isinstance(keys, pa.ChunkedArray):
        keys = keys.combine_chunks()
    encoded = pc.dictionary_encode(keys)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    n = len(encoded.dictionary)
    earliest = np.empty(n, dtype=np.int64)
    earliest[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # the earliest write wins
    counts = np.bincount(codes, weights=count, minlength=n).astype(np.int64)
    return encoded.dictionary, first[earliest], counts


@dataclass
class _Groups:
    """One rule's matched groups so far: folded (:func:`fold`) now and then,
    once the chunks' results outgrow what was folded before, so the work
    stays linear in the rows read. Unfolded (``each_row``), every matched
    row stays its own group."""

    each_row: bool
    keys: list[pa.Array] = field(default_factory=list)
    first: list[np.ndarray] = field(default_factory=list)
    count: list[np.ndarray] = field(default_factory=list)
    folded: int = 0  # lines at the last fold

    def add(self, keys: pa.Array | None, first: np.ndarray, count: np.ndarray) -> None:
        if keys is not None:
            self.keys.append(keys)
        self.first.append(first)
        self.count.append(count)

    @property
    def lines(self) -> int:
        return sum(len(f) for f in self.first)

    def reduce(self) -> tuple[np.ndarray, np.ndarray]:
        """The groups' first rows and counts (folding what is pending)."""
        first = np.concatenate(self.first) if self.first else np.zeros(0, np.int64)
        count = np.concatenate(self.count) if self.count else np.zeros(0, np.int64)
        if not self.each_row and len(self.first) > 1:
            keys, first, count = fold(pa.chunked_array(self.keys), first, count)
            self.keys = [keys]
        self.first, self.count, self.folded = [first], [count], len(first)
        return first, count


def _group_keys(idents: pd.DataFrame) -> pa.Array:
    """One string per row naming all of its keys (null for a row without any)."""
    columns = [pa.array(idents[c], pa.large_string()) for c in idents.columns]
    if len(columns) == 1:
        return columns[0]
    joined = pc.binary_join_element_wise(
        *columns, pa.scalar(SEPARATOR, pa.large_string()), null_handling="replace"
    )
    valid = columns[0].is_valid()
    for column in columns[1:]:
        valid = pc.or_(valid, column.is_valid())
    return pc.if_else(valid, joined, pa.scalar(None, pa.large_string()))


class _Builder:
    """Digests one source chunk by chunk."""

    def __init__(
        self,
        name: str,
        rules: list[Rule],
        campaign: Campaign,
        as_of: pd.Timestamp,
        focus: pa.Array | None,
    ) -> None:
        self.name = name
        self.rules = rules
        self.campaign = campaign
        self.as_of = as_of
        self.focus = focus
        self.groups = {r.order: _Groups(focus is not None or r.uses_recipient()) for r in rules}
        self.kept: list[LoadedTable] = []  # rows a group may still point at
        self.kept_positions: list[np.ndarray] = []
        self.stats = SourceStats(name=name)
        self.fields = source_fields(rules, name)  # what rule health looks at
        self.first: LoadedTable | None = None
        self.path: Path | None = None  # the file (or part) read
        self.source: Path | None = None  # the whole source, when this is one of its parts
        self.unknown: dict[str, pd.Series] = {}

    def add(self, chunk: LoadedTable, start: int) -> None:
        """``chunk``'s rows are the source's rows ``start``, ``start + 1``…"""
        if self.first is None:  # its header and mappings, without its rows
            self.first = chunk.take(np.zeros(0, dtype=np.int64))
        for name, counts in chunk.unknown.items():
            seen = self.unknown.get(name)
            self.unknown[name] = add_counts(seen, counts)
        tuples = _group_keys(chunk.idents)
        keyed = pc.is_valid(tuples).to_numpy(zero_copy_only=False)
        self.stats.add(chunk, keyed)
        self.stats.profile.add(chunk, self.fields)
        linked = None
        if self.focus is not None:
            linked = np.zeros(len(chunk), dtype=bool)
            for col in chunk.idents.columns:
                linked |= pc.fill_null(
                    pc.is_in(pa.array(chunk.idents[col], pa.large_string()), value_set=self.focus),
                    False,
                ).to_numpy(zero_copy_only=False)
            keyed &= linked
        keep = np.zeros(len(chunk), dtype=bool) if linked is None else linked.copy()
        for rule in self.rules:
            scope = Scope(chunk, self.campaign, self.as_of, rule.id)
            rows = np.flatnonzero(evaluate(source_only(rule.where), scope) & keyed)
            if not len(rows):
                continue
            groups = self.groups[rule.order]
            if groups.each_row:  # decided per (row, recipient) after the join
                groups.add(None, rows + start, np.ones(len(rows), dtype=np.int64))
                keep[rows] = True
            else:
                ones = np.ones(len(rows), dtype=np.int64)
                keys, first, count = fold(tuples.take(pa.array(rows)), rows + start, ones)
                groups.add(keys, first, count)
                keep[first - start] = True
        rows = np.flatnonzero(keep)
        if len(rows):
            self.kept.append(chunk.take(rows))
            self.kept_positions.append(rows + start)
        pending = sum(g.lines - g.folded for g in self.groups.values())
        if pending > max(1_000_000, sum(g.folded for g in self.groups.values())):
            self._compact()

    def _positions(self) -> np.ndarray:
        """The source rows the kept rows are, in order."""
        if not self.kept_positions:
            return np.zeros(0, np.int64)
        return np.concatenate(self.kept_positions)

    def _compact(self) -> None:
        """Fold every rule's groups and let go of kept rows no group points
        at any more (a key seen in an earlier chunk keeps its first row)."""
        firsts = [g.reduce()[0] for g in self.groups.values()]
        if self.focus is not None:
            return
        positions = self._positions()
        wanted = np.isin(positions, np.concatenate(firsts) if firsts else np.zeros(0, np.int64))
        parts, start = [], 0
        for part in self.kept:
            mine = wanted[start : start + len(part)]
            start += len(part)
            if mine.all():
                parts.append(part)
            elif mine.any():
                parts.append(part.take(np.flatnonzero(mine)))
        self.kept = parts
        self.kept_positions = [positions[wanted]] if wanted.any() else []

    def finish(self, sha256: str, path: Path | None = None) -> Digest:
        """The digest; ``path`` names the source in messages and reports
        (the folder or glob as given, when parts were digested apart)."""
        assert self.first is not None
        self._compact()
        positions = self._positions()
        table = concat_tables(self.first, self.kept)
        table.table = replace(table.table, sha256=sha256, path=path or table.table.path)
        table.warnings = derive_warnings(
            table.config, table.table, table.field_columns, self.unknown
        )
        self.stats.sha256 = sha256
        self.stats.path = table.path
        self.stats.config = table.config
        table.stats = self.stats
        rule, first, count = (
            [np.zeros(0, np.int64)],
            [np.zeros(0, np.int64)],
            [np.zeros(0, np.int64)],
        )
        for order, groups in self.groups.items():
            f, c = groups.reduce()
            rule.append(np.full(len(f), order, dtype=np.int64))
            first.append(f)
            count.append(c)
        source_row = np.searchsorted(positions, np.concatenate(first))
        matches = _long(table, np.concatenate(rule), source_row, np.concatenate(count))
        return Digest(table, matches, self.stats)


def _long(table: LoadedTable, rule: np.ndarray, source_row: np.ndarray, count: np.ndarray):
    """One line per key of each group (a group's keys are its first row's)."""
    parts = []
    for col in table.idents.columns:
        values = table.idents[col].take(source_row)
        have = values.notna().to_numpy()
        parts.append(
            pd.DataFrame(
                {
                    "rule": rule[have],
                    "source_row": source_row[have],
                    "count": count[have],
                    "ident": values[have].reset_index(drop=True),
                }
            )
        )
    if not parts:
        return empty_matches()
    out = pd.concat(parts, ignore_index=True)
    return out.astype({"rule": "int64", "source_row": "int64", "count": "int64"})


def empty_matches() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rule": pd.Series(dtype="int64"),
            "source_row": pd.Series(dtype="int64"),
            "count": pd.Series(dtype="int64"),
            "ident": pd.Series(dtype="str"),
        }
    )


def digest_source(
    rules: RuleSet,
    config: TableConfig,
    applicable: list[Rule],
    as_of: pd.Timestamp,
    focus: pa.Array | None = None,
    used_fields: set[str] | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> Digest:
    """Read source ``config`` chunk by chunk and reduce it for the rules in
    ``applicable`` that read it. Every row is still read and checked (dates,
    numbers a rule compares, keys), so a bad row fails the run as before."""
    totals = Totals()
    builder = build(rules, config, applicable, as_of, focus, used_fields, progress, totals)
    return finish(builder, totals.sha256)


def build(
    rules: RuleSet,
    config: TableConfig,
    applicable: list[Rule],
    as_of: pd.Timestamp,
    focus: pa.Array | None = None,
    used_fields: set[str] | None = None,
    progress: Callable[[str, int], None] | None = None,
    totals: Totals | None = None,
    options: dict | None = None,
    source: Path | None = None,
) -> _Builder:
    """The digest of ``config.path`` (a source, or one part of it on a
    cluster worker), not yet finished: :func:`merge` joins the parts'."""
    assert config.path is not None
    mine = [r for r in applicable if r.source == config.name]
    builder = _Builder(config.name, mine, rules.campaign, as_of, focus)
    builder.path, builder.source = config.path, source
    start = 0
    chunks: Iterator[Table] = prefetch(
        iter_chunks(
            config.path,
            chunk_rows(),
            **(options if options is not None else read_options(rules, config)),
            totals=totals,
        )
    )
    reported = 0
    for table in chunks:
        if start and progress is not None:  # a long source: say how far it got
            progress(f"reading source {config.name}: {start:,} rows so far", start - reported)
            reported = start
        chunk = prepare_table(rules, config, table)
        config = fix_formats(config, chunk)  # every later chunk reads its dates alike
        found = formats_by_column(chunk, chunk.date_formats)
        for line in format_lines(found) if progress is not None else ():
            progress(f"source {config.name}: {line}")
        if builder.first is None and used_fields is not None:
            check_fields_available(rules, {config.name: chunk}, {config.name: used_fields})
        builder.add(chunk, start)
        start += len(chunk)
    if progress is not None:
        progress(f"read source {config.name}: {start:,} rows", start - reported)
    return builder


def merge(a: _Builder, b: _Builder) -> _Builder:
    """Two parts' digests as one, ``a``'s rows before ``b``'s (a tree of
    merges keeps file order, so first rows and counts are those of one pass
    over the joined parts)."""
    assert a.first is not None and b.first is not None
    _check_alike(a, b)
    shift = a.stats.rows
    for part in b.kept:
        part.table = replace(part.table, row_numbers=part.table.row_numbers + shift)
    a.kept += b.kept
    a.kept_positions += [p + shift for p in b.kept_positions]
    for order, groups in a.groups.items():
        theirs = b.groups[order]
        groups.keys += theirs.keys
        groups.first += [f + shift for f in theirs.first]
        groups.count += theirs.count
    for name, counts in b.unknown.items():
        seen = a.unknown.get(name)
        a.unknown[name] = add_counts(seen, counts)
    a.stats.merge(b.stats)
    a._compact()
    return a


def _check_alike(a: _Builder, b: _Builder) -> None:
    """Parts digested apart are held to the first part's header, delimiter
    and encoding, as :mod:`cxaudit.inputs.parts` holds parts read in one pass."""
    from cxaudit.inputs import parts

    assert a.first is not None and b.first is not None
    state = parts._Parts(a.source or a.path, None)
    state.first, state.first_part, state.part = a.first.table, a.path, b.path
    state.check_like(b.first.table)


def finish(builder: _Builder, sha256: str, path: Path | None = None) -> Digest:
    """The digest of a whole source, its coverage checked (a source none of
    whose rows has a usable key is an error)."""
    digest = builder.finish(sha256, path)
    digest.table.warnings += check_source(digest.stats)
    return digest
