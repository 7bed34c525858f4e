"""The local engine: both phases in this process.

Sources are digested in threads beside the campaign read (parsing and key
normalisation run in pyarrow, which releases the GIL, so threads use both
cores); the list is then decided chunk by chunk, so memory is bounded by the
sources' matched keys and one chunk, not by the list.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from cxaudit.audit.coverage import Coverage
from cxaudit.audit.decide import (
    AuditResult,
    cover,
    decide_chunk,
    link_persons,
)
from cxaudit.audit.digest import Digest, digest_source, empty_matches
from cxaudit.audit.fields import check_recipient_columns, fields_by_source
from cxaudit.audit.formats import format_lines, formats_by_column, with_date_formats
from cxaudit.audit.health import list_fields
from cxaudit.audit.persons import PersonFinder, Persons
from cxaudit.audit.plan import Plan, Progress, silent
from cxaudit.audit.prepare import (
    LoadedTable,
    concat_tables,
    key_positions,
    prepare_table,
    table_idents,
)
from cxaudit.dates import utc_now
from cxaudit.identity import candidate_idents, identity_long
from cxaudit.inputs.chunks import Totals, prefetch
from cxaudit.inputs.read import iter_chunks
from cxaudit.inputs.table import Table
from cxaudit.rules import Rule, RuleSet


class LocalEngine:
    """Both phases in this process (see the module's docstring); ``phase1``
    (plan, progress) -> (sources, matches) replaces the local phase 1 (the
    Dask engine digests sources on its cluster and decides a whole list
    here)."""

    def __init__(self, phase1: Callable[..., Any] | None = None) -> None:
        self.phase1 = phase1

    def close(self) -> None:
        """Nothing to let go of."""

    def audit(
        self,
        plan: Plan,
        progress: Progress,
        chunk_rows: int | None,
        totals: Totals,
        evidence_for: str | None,
    ) -> Iterator[AuditResult]:
        """A list longer than one chunk is read twice: first only its key
        columns, to find duplicate rows across chunks (and any malformed row,
        before a single result is produced), then chunk by chunk."""
        rules, request = plan.rules, plan.request

        def chunks(select: Callable[[Table], list[int]] | None = None) -> Iterator[Table]:
            return iter_chunks(
                request.campaign,
                chunk_rows,
                **{**plan.read_options, "select": select},
                totals=totals,
            )

        reader = chunks()
        tables: Iterator[LoadedTable]
        with ThreadPoolExecutor(max_workers=1) as pool:
            # Sources load while the campaign is read and its duplicates judged:
            # both are mostly pyarrow work.
            phase1 = (
                sources_and_matches,
                rules,
                plan.applicable,
                plan.needed,
                plan.as_of,
                progress,
            )
            if self.phase1 is not None:
                phase1 = (self.phase1, plan, progress)
            pending = None if evidence_for is not None else pool.submit(*phase1)
            progress(f"reading campaign {request.campaign}")
            try:
                first = prepare_table(rules, rules.recipients, next(reader))
                check_recipient_columns(rules, first, list_fields(plan.applicable))
                # the dates' formats the first chunk showed hold for every chunk
                for line in format_lines(formats_by_column(first, first.date_formats)):
                    progress(f"campaign: {line}")
                rules = with_date_formats(rules, first)
                plan = replace(plan, rules=rules)
                progress(f"read campaign: {len(first):,} rows", rows=len(first))
                if evidence_for is not None:  # the sources' rows linked to these people
                    pending = pool.submit(*phase1, linked_idents(first, evidence_for, rules))
                if totals.complete:  # the whole list was one chunk: judge it now
                    finder = PersonFinder()
                    finder.add(first.idents, 0, first.table.row_numbers)
                    persons = finder.finish()
                    linked_rows = first.take(persons.rows)
                    tables = iter([first])
                else:
                    # Let the first chunk go (it is read again below), so that
                    # only the sources and one chunk are in memory at any time.
                    reader.close()
                    del first
            except BaseException:
                if pending is not None:
                    pending.cancel()
                raise  # the campaign's problem is reported first, as it always was
            assert pending is not None
            sources, matches = pending.result()
        whole = totals.complete  # one chunk, read, announced and judged above
        if not whole:
            # The key pass runs after the sources are in, not beside them: their
            # peaks would add up. It reads the next chunk's keys in a thread
            # while this one's are judged (10M list: 123 s -> 112 s, same peak).
            # The decision pass does not read ahead: that would save 6 s more
            # at 10M but hold a second chunk (+0.7 GiB).
            keyed = prefetch(_with_idents(rules, chunks(key_positions(rules, rules.recipients))))
            persons = key_pass(rules, keyed, progress)
            # The rows of persons of several rows may lie in different chunks:
            # read them (only them) first, so each person is judged whole.
            linked_rows = person_pass(rules, persons, _prepared(rules, chunks()), progress)
            tables = _prepared(rules, chunks())
        linked = link_persons(plan, linked_rows, persons, matches, sources) if linked_rows else None
        coverage = Coverage(sources)
        start = 0
        for recipients in tables:
            if not whole:
                progress(f"read campaign: {len(recipients):,} rows", rows=len(recipients))
            result = decide_chunk(
                plan, recipients, start, persons, matches, sources, linked, progress
            )
            start += len(recipients)
            yield cover(coverage, result)
            # Let this chunk go before the next one is read: one chunk at a time.
            del recipients, result


def load_sources(
    rules: RuleSet,
    names: list[str],
    progress: Progress = silent,
    applicable: list[Rule] | None = None,
    as_of: pd.Timestamp | None = None,
    focus: pa.Array | None = None,
) -> dict[str, Digest]:
    """Phase 1: read each source chunk by chunk and reduce it to the keys the
    ``applicable`` rules matched (:mod:`cxaudit.audit.digest`), sources side by
    side in threads."""
    applicable = applicable or []
    moment = as_of if as_of is not None else utc_now()
    used = fields_by_source(applicable)

    def one(name: str) -> Digest:
        config = rules.sources[name]
        assert config.path is not None
        progress(f"reading source {name} {config.path}")
        return digest_source(
            rules, config, applicable, moment, focus, used.get(name, set()), progress
        )

    if len(names) <= 1:
        return {name: one(name) for name in names}
    with ThreadPoolExecutor(max_workers=min(len(names), os.cpu_count() or 1)) as pool:
        futures = [(name, pool.submit(one, name)) for name in names]
        return {name: future.result() for name, future in futures}


def sources_and_matches(
    rules: RuleSet,
    applicable: list[Rule],
    names: list[str],
    as_of: pd.Timestamp,
    progress: Progress,
    focus: pa.Array | None = None,
) -> tuple[dict[str, LoadedTable], pd.DataFrame]:
    """Phase 1, beside the campaign read: every source read, checked for the
    fields its rules use, and reduced to the keys its rules matched."""
    digests = load_sources(rules, names, progress, applicable, as_of, focus)
    return tables_and_matches(digests)


def tables_and_matches(
    digests: dict[str, Digest],
) -> tuple[dict[str, LoadedTable], pd.DataFrame]:
    """Phase 1's answer as phase 2 takes it: each source's kept rows, and one
    table of every matched key."""
    sources = {name: d.table for name, d in digests.items()}
    matches = pd.concat(
        [empty_matches(), *(d.matches for d in digests.values())], ignore_index=True
    )
    return sources, matches


def linked_idents(recipients: LoadedTable, key: str, rules: RuleSet) -> pa.Array:
    """The key typed and every key of the person who has it: the rows with
    that key, the rows sharing any key with those, and so on (a case may name
    the customer id of someone looked up by email)."""
    wanted = candidate_idents(key, rules.phone_region)
    long = identity_long(recipients.idents)
    found = set(wanted)
    while True:
        rows = long.loc[long["ident"].isin(found), "row"]
        more = set(long.loc[long["row"].isin(rows), "ident"]) | found
        if more == found:
            break
        found = more
    return pa.array(sorted(found), pa.large_string())


def key_pass(
    rules: RuleSet, tables: Iterator[tuple[Table, pd.DataFrame]], progress: Progress
) -> Persons:
    """Find the persons of the whole list from its chunks' key columns
    (``tables``: each chunk with its normalised keys); a malformed row
    anywhere fails here, before any output exists."""
    finder = PersonFinder()
    progress("reading the campaign's keys to find the persons behind its rows")
    start = 0
    for table, idents in tables:
        finder.add(idents, start, table.row_numbers)
        start += table.rows
        progress(f"read keys of {start:,} rows", rows=table.rows)
    return finder.finish()


def person_pass(
    rules: RuleSet, persons: Persons, tables: Iterator[LoadedTable], progress: Progress
) -> LoadedTable | None:
    """The rows of persons of several rows, read from every chunk (None
    when every person is one row: then nothing is read)."""
    if not len(persons.rows):
        _close(tables)
        return None
    progress(f"reading the {len(persons.rows):,} rows of persons listed more than once")
    kept: list[LoadedTable] = []
    first: LoadedTable | None = None
    start = 0
    try:
        for table in tables:
            if first is None:
                first = table.take(np.zeros(0, dtype=np.int64))
            mine = persons.positions_in(start, len(table))
            if len(mine):
                kept.append(table.take(mine))
            start += len(table)
    finally:
        _close(tables)
    assert first is not None
    return concat_tables(first, kept)


def _with_idents(rules: RuleSet, tables: Iterator[Table]) -> Iterator[tuple[Table, pd.DataFrame]]:
    """Each chunk with its normalised keys (run in the reading thread)."""
    try:
        for table in tables:
            yield table, table_idents(rules, rules.recipients, table)
    finally:
        _close(tables)


def _prepared(rules: RuleSet, tables: Iterator[Table]) -> Iterator[LoadedTable]:
    """Each chunk with its dates parsed and keys normalised, every date
    column read in the format of the first chunk that held one of its dates."""
    try:
        for table in tables:
            loaded = prepare_table(rules, rules.recipients, table)
            rules = with_date_formats(rules, loaded)
            yield loaded
    finally:
        _close(tables)


def _close(chunks: Iterator[Any]) -> None:
    close = getattr(chunks, "close", None)
    if close is not None:
        close()
