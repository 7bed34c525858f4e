"""Phase 1, streamed: each source read chunk by chunk and reduced to what the
audit needs from it, so a source larger than memory can be audited.

For every rule on a source, the rows whose conditions hold are grouped by
the identity keys they carry (all of a row's keys together: a case with an
email and a customer id is one group). A group keeps how many rows it holds
(``min_count``) and the first of them in file order, whose fields a reason
quotes. Memory grows with the number of matched keys, not with the rows of
the source. Counting by whole key tuples rather than by single key keeps
``min_count`` exact: a row that reaches a recipient through two of its keys
still counts once (see :func:`cxaudit.evaluate.link_matches`).

Rules that compare with ``$recipient.X`` are decided per (source row,
recipient) pair after the join, so every row they match is kept. ``explain``
asks for every row linked to the recipients it explains (``focus``), so its
evidence is exactly what the whole source would show.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cxaudit.chunks import Totals, iter_chunks
from cxaudit.conditions import Scope, evaluate
from cxaudit.coverage import SourceStats, check_source
from cxaudit.csvfile import Table
from cxaudit.evaluate import source_only
from cxaudit.rules import Campaign, Rule, RuleSet, TableConfig
from cxaudit.sources import (
    LoadedTable,
    check_fields_available,
    concat_tables,
    derive_warnings,
    prepare_table,
    read_options,
)

CHUNK_ROWS = 1_000_000  # source rows read at a time (override: CXAUDIT_SOURCE_CHUNK_ROWS)
SEPARATOR = "\x1f"  # between the keys of a group: no key contains it (keys are trimmed text)
MATCH_COLUMNS = ("rule", "source_row", "count", "ident")


def chunk_rows() -> int:
    """Rows per source chunk; tests set a tiny size to cut sources anywhere."""
    text = os.environ.get("CXAUDIT_SOURCE_CHUNK_ROWS", "")
    return int(text) if text.isdigit() and int(text) > 0 else CHUNK_ROWS


@dataclass
class Digest:
    """One source after phase 1: the rows a reason, a ``$recipient``
    comparison or ``explain`` may quote (``table``, in file order), the
    matched groups (``matches``: rule, source_row into ``table``, count of
    rows, ident; one line per key of a group) and what coverage needs."""

    table: LoadedTable
    matches: pd.DataFrame
    stats: SourceStats


@dataclass
class _Groups:
    """Matched groups so far, reduced now and then: pending chunk results
    are folded into the state once they outgrow it, so the work stays
    linear in the rows read."""

    state: pa.Table | None = None
    pending: list[pa.Table] = field(default_factory=list)
    pending_rows: int = 0

    def add(self, part: pa.Table) -> None:
        self.pending.append(part)
        self.pending_rows += part.num_rows
        if self.pending_rows > max(1_000_000, self.state.num_rows if self.state else 0):
            self.reduce()

    def reduce(self) -> pa.Table:
        parts = ([self.state] if self.state is not None else []) + self.pending
        if not parts:
            return _group_table([], [], [], [])
        whole = pa.concat_tables(parts)
        self.state = (
            whole.group_by(["rule", "group"], use_threads=False)
            .aggregate([("first", "min"), ("count", "sum")])
            .rename_columns(["rule", "group", "first", "count"])
        )
        self.pending, self.pending_rows = [], 0
        return self.state


def _group_table(rule: list, group: list, first: list, count: list) -> pa.Table:
    return pa.table(
        {
            "rule": pa.array(rule, pa.int64()),
            "group": pa.array(group, pa.large_string()),
            "first": pa.array(first, pa.int64()),
            "count": pa.array(count, pa.int64()),
        }
    )


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
        self.groups = _Groups()
        self.kept: list[LoadedTable] = []  # rows a group may still point at
        self.kept_positions: list[np.ndarray] = []
        self.stats = SourceStats(name=name)
        self.first: LoadedTable | None = None
        self.unknown: dict[str, pd.Series] = {}

    def add(self, chunk: LoadedTable, start: int) -> None:
        """``chunk``'s rows are the source's rows ``start``, ``start + 1``…"""
        if self.first is None:
            self.first = chunk
        self.stats.add(chunk)
        for name, counts in chunk.unknown.items():
            seen = self.unknown.get(name)
            self.unknown[name] = counts if seen is None else seen.add(counts, fill_value=0)
        groups = _group_keys(chunk.idents)
        keyed = pc.is_valid(groups).to_numpy(zero_copy_only=False)
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
            if self.focus is not None or rule.uses_recipient():
                # each row on its own: decided per pair after the join
                part = _group_table(
                    [rule.order] * len(rows),
                    [f"#{start + r}" for r in rows.tolist()],
                    (rows + start).tolist(),
                    [1] * len(rows),
                )
                keep[rows] = True
            else:
                part = (
                    pa.table({"group": groups.take(pa.array(rows)), "first": rows + start})
                    .group_by("group", use_threads=False)
                    .aggregate([("first", "min"), ("first", "count")])
                )
                firsts = part.column("first_min").to_numpy()
                keep[firsts - start] = True
                part = pa.table(
                    {
                        "rule": pa.array(np.full(part.num_rows, rule.order), pa.int64()),
                        "group": part.column("group"),
                        "first": part.column("first_min"),
                        "count": part.column("first_count").cast(pa.int64()),
                    }
                )
            self.groups.add(part)
        rows = np.flatnonzero(keep)
        if len(rows):
            self.kept.append(chunk.take(rows))
            self.kept_positions.append(rows + start)

    def finish(self, totals: Totals, rules: RuleSet) -> Digest:
        groups = self.groups.reduce()
        assert self.first is not None
        positions = (
            np.concatenate(self.kept_positions) if self.kept_positions else np.zeros(0, np.int64)
        )
        firsts = groups.column("first").to_numpy()
        if self.focus is None:  # only the rows a group still points at
            wanted = np.isin(positions, firsts)
            parts, start = [], 0
            for part in self.kept:
                mine = wanted[start : start + len(part)]
                start += len(part)
                if mine.any():
                    parts.append(part.take(np.flatnonzero(mine)))
            positions = positions[wanted]
        else:
            parts = self.kept
        table = concat_tables(self.first, parts)
        table.table = replace(table.table, sha256=totals.sha256)
        table.warnings = derive_warnings(
            table.config, table.table, table.field_columns, self.unknown
        )
        self.stats.sha256 = totals.sha256
        self.stats.path = table.path
        self.stats.config = table.config
        table.stats = self.stats
        source_row = np.searchsorted(positions, firsts)
        matches = _long(
            table,
            groups.column("rule").to_numpy(),
            source_row,
            groups.column("count").to_numpy(),
        )
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
    assert config.path is not None
    mine = [r for r in applicable if r.source == config.name]
    builder = _Builder(config.name, mine, rules.campaign, as_of, focus)
    totals = Totals()
    start = 0
    chunks: Iterator[Table] = iter_chunks(
        config.path, chunk_rows(), **read_options(rules, config), totals=totals
    )
    reported = 0
    for table in chunks:
        if start and progress is not None:  # a long source: say how far it got
            progress(f"reading source {config.name}: {start:,} rows so far", start - reported)
            reported = start
        chunk = prepare_table(rules, config, table)
        if builder.first is None and used_fields is not None:
            check_fields_available(rules, {config.name: chunk}, {config.name: used_fields})
        builder.add(chunk, start)
        start += len(chunk)
    if progress is not None:
        progress(f"read source {config.name}: {start:,} rows", start - reported)
    digest = builder.finish(totals, rules)
    digest.table.warnings += check_source(digest.stats)
    return digest
